import CBPF
import CSeccomp
import Seccomp
import Testing

/// libseccomp as the oracle for the seccomp policy work: for each policy, the reference
/// (``ResolvedSeccompPolicy/action(for:)``), libseccomp's filter (both optimisation levels) and
/// our compiled filter (``SeccompCompiler``), run by ``Interpreter``, must decide every probe of
/// ``oracleProbes(for:seed:)`` alike.
@Suite("libseccomp oracle")
struct LibseccompOracleTests {
    // MARK: Handwritten policies

    @Test(arguments: oraclePolicies.indices)
    func handwrittenPolicyAgreesWithLibseccomp(index: Int) throws {
        let (name, text) = oraclePolicies[index]
        let policy = try SeccompPolicy(parsing: text)
        let reasons = LibseccompOracle.exclusionReasons(policy)
        #expect(reasons.isEmpty, "\(name): \(reasons)")
        let resolved = try policy.resolve()
        try expectAgreement(
            name, resolved: resolved,
            filters: [
                ("libseccomp -O1", try LibseccompOracle.program(for: policy, optimization: 1)),
                ("libseccomp -O2", try LibseccompOracle.program(for: policy, optimization: 2)),
                ("SeccompCompiler", try SeccompCompiler().compile(resolved)),
            ])
    }

    /// The handwritten policies use every operator, every action (as a rule, a default and a
    /// foreign-architecture action), and every architecture libseccomp 2.5.4 supports, alone and
    /// in the combinations Docker uses.
    @Test func handwrittenPoliciesCoverOperatorsActionsAndArchitectures() throws {
        let policies = try oraclePolicies.map { try SeccompPolicy(parsing: $0.text) }
        #expect(policies.count >= 20)
        let comparisons = Set(policies.flatMap { $0.rules.flatMap { $0.conditions.map { condition in
            switch condition.comparison {
            case .maskedEqual: "&=="
            case .equal: "=="
            case .notEqual: "!="
            case .less: "<"
            case .lessOrEqual: "<="
            case .greater: ">"
            case .greaterOrEqual: ">="
            }
        } } })
        #expect(comparisons == ["&==", "==", "!=", "<", "<=", ">", ">="])
        func kind(_ action: SeccompAction) -> String {
            switch action {
            case .allow: "allow"
            case .log: "log"
            case .killProcess: "kill-process"
            case .killThread: "kill-thread"
            case .errno: "errno"
            case .trap: "trap"
            case .trace: "trace"
            case .userNotification: "user-notif"
            }
        }
        let all: Set = ["allow", "log", "kill-process", "kill-thread", "errno", "trap", "trace", "user-notif"]
        #expect(Set(policies.flatMap { $0.rules.map { kind($0.action) } }) == all)
        #expect(Set(policies.map { kind($0.defaultAction) }) == all)
        #expect(Set(policies.map { kind($0.foreignArchitectureAction) }).isSuperset(of: ["kill-process", "kill-thread", "errno", "log", "trap"]))
        let architectures = Set(policies.flatMap(\.architectures))
        let supported = Set(SeccompArchitecture.all.filter(\.isSupportedByLibseccomp))
        #expect(architectures == supported, "missing \(supported.subtracting(architectures))")
        let combinations = Set(policies.map(\.architectures))
        for combination: [SeccompArchitecture] in [
            [.x86_64, .x86, .x32], [.x86_64, .x32], [.aarch64, .arm], [.s390x, .s390], [.mips64, .mips, .mips64n32],
            [.mipsel64, .mipsel, .mipsel64n32], [.ppc64, .ppc], [.x86_64], [.x32], [.x86], [.riscv64], [.ppc64le],
        ] {
            #expect(combinations.contains(combination), "\(combination)")
        }
    }

    // MARK: Docker's default profile

    static let dockerCases: [(SeccompArchitecture, String, Set<String>)] = [
        (.x86_64, "default capabilities", OCIProfileImportOptions.dockerDefaultCapabilities),
        (.x86_64, "with CAP_SYS_ADMIN", OCIProfileImportOptions.dockerDefaultCapabilities.union(["CAP_SYS_ADMIN"])),
        (.x86_64, "no capabilities", []),
        (.aarch64, "default capabilities", OCIProfileImportOptions.dockerDefaultCapabilities),
        (.riscv64, "all capabilities", [
            "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_CHROOT", "CAP_SYS_MODULE", "CAP_SYS_PACCT", "CAP_SYS_PTRACE",
            "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_SYS_NICE", "CAP_SYSLOG", "CAP_BPF",
            "CAP_PERFMON", "CAP_DAC_READ_SEARCH",
        ]),
        (.mips64, "default capabilities", OCIProfileImportOptions.dockerDefaultCapabilities),
    ]

    /// Docker's profile as the import reads it, against libseccomp's filter built straight from
    /// the JSON the way moby and runc build it, with the same architectures.
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"),
          arguments: dockerCases.indices)
    func dockerProfileAgreesWithRunc(index: Int) throws {
        let (target, label, capabilities) = Self.dockerCases[index]
        let profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
        try compareDocker(profile, target: target, label: label, capabilities: capabilities)
    }

    /// s390x and ppc64le reach socket through socketcall, so the import refuses Docker's socket
    /// entries there; without them, the rest of the profile must still agree.
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"),
          arguments: [SeccompArchitecture.s390x, .ppc64le, .x86])
    func dockerProfileWithoutSocketEntriesAgrees(target: SeccompArchitecture) throws {
        var profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
        profile.syscalls.removeAll { $0.names == ["socket"] }
        try compareDocker(
            profile, target: target, label: "without socket entries",
            capabilities: OCIProfileImportOptions.dockerDefaultCapabilities)
    }

    func compareDocker(
        _ profile: OCISeccompProfile, target: SeccompArchitecture, label: String, capabilities: Set<String>
    ) throws {
        let imported = try profile.policy(
            options: .init(architecture: target, capabilities: capabilities, kernelVersion: ociTestKernel))
        let policy = imported.policy
        #expect(LibseccompOracle.exclusionReasons(policy).isEmpty, "\(LibseccompOracle.exclusionReasons(policy))")
        let resolved = try policy.resolve()
        var filters = [(name: String, program: Program)]()
        for optimization: UInt32 in [1, 2] {
            filters.append((
                "runc/libseccomp -O\(optimization)",
                try LibseccompOracle.runcProgram(
                    profile, target: target, architectures: policy.architectures, capabilities: capabilities,
                    kernel: ociTestKernel, foreignAction: policy.foreignArchitectureAction, optimization: optimization)))
        }
        filters.append(("policy/libseccomp -O2", try LibseccompOracle.program(for: policy, optimization: 2)))
        filters.append(("SeccompCompiler", try SeccompCompiler().compile(resolved)))
        let architectures = policy.architectures.map(\.name).joined(separator: "+")
        try expectAgreement(
            "Docker default profile, \(architectures), \(label), \(policy.rules.count) rules", resolved: resolved,
            filters: filters)
    }

    /// Whenever a random policy exports, runc's filter for the profile (built by libseccomp from
    /// the JSON) decides as the policy does: the export refuses whatever Docker would read
    /// differently.
    @Test func exportedPoliciesMeanTheSameToRunc() throws {
        var compared = 0
        var probes = 0
        for policy in randomOCIPolicies(count: 300, seed: 0x0c1_e4) {
            guard let json = try? policy.ociProfileJSON() else { continue }
            let profile = try OCISeccompProfile(json: json)
            let resolved = try policy.resolve()
            let program = try LibseccompOracle.runcProgram(
                profile, target: policy.architectures[0], architectures: policy.architectures, capabilities: [],
                kernel: ociTestKernel, foreignAction: policy.foreignArchitectureAction, optimization: 2)
            let all = oracleProbes(for: resolved)
            let mismatches = try compareDecisions(reference: resolved, filters: [("runc/libseccomp", program)], probes: all)
            let unexpected = partitionKnown(mismatches, resolved: resolved).unexpected
            #expect(unexpected.isEmpty, "\(json)\n\(summarize(unexpected).prefix(3).joined(separator: "\n"))")
            compared += 1
            probes += all.count
        }
        print("oracle: \(compared) exported random policies against runc's libseccomp filter: \(probes) probes")
        #expect(compared > 50)
    }

    /// Random profiles, with what runc handles its own way (entries with the default action,
    /// two conditions on one argument, unconditional entries among conditional ones, masked
    /// values outside the mask, unknown names), import to policies that decide as runc's
    /// filters do, unless the import warns that libseccomp's tree decides overlapping entries.
    @Test func randomProfilesImportAsRuncReadsThem() throws {
        var generator = OCITestRandom(seed: 0x9a7)
        func pick<T>(_ values: [T]) -> T { values[Int(generator.next() % UInt64(values.count))] }
        let names = ["read", "write", "close", "openat", "ioctl", "mmap", "prctl", "kill", "fcntl", "frobnicate", "open"]
        let actions: [(String, String)] = [
            ("SCMP_ACT_ALLOW", ""), ("SCMP_ACT_LOG", ""), ("SCMP_ACT_KILL", ""), ("SCMP_ACT_KILL_PROCESS", ""),
            ("SCMP_ACT_ERRNO", ""), ("SCMP_ACT_ERRNO", ", \"errnoRet\": 13"), ("SCMP_ACT_TRACE", ", \"errnoRet\": 3"),
            ("SCMP_ACT_TRAP", ""), ("SCMP_ACT_NOTIFY", ""),
        ]
        let ops = OCISeccompProfile.Operator.allCases.map(\.rawValue)
        let values: [UInt64] = [0, 1, 5, 0xf0, 0xffff_ffff, 0x1_0000_0000, .max]
        var compared = 0
        var skipped = 0
        var probes = 0
        var miscompiled = 0
        for _ in 0 ..< 200 {
            var entries = [String]()
            for _ in 0 ..< 1 + Int(generator.next() % 6) {
                let (action, ret) = pick(actions)
                var args = [String]()
                for _ in 0 ..< Int(generator.next() % 3) {
                    args.append(
                        "{\"index\": \(generator.next() % 3), \"value\": \(pick(values)), \"valueTwo\": \(pick(values)), "
                            + "\"op\": \"\(pick(ops))\"}")
                }
                let listed = (0 ... generator.next() % 2).map { _ in "\"\(pick(names))\"" }.joined(separator: ", ")
                entries.append(
                    "{\"names\": [\(listed)], \"action\": \"\(action)\"\(ret), \"args\": [\(args.joined(separator: ", "))]}")
            }
            let (defaultAction, defaultRet) = pick(actions)
            let json = "{\"defaultAction\": \"\(defaultAction)\"\(defaultRet.replacingOccurrences(of: "errnoRet", with: "defaultErrnoRet")), "
                + "\"syscalls\": [\(entries.joined(separator: ",\n"))]}"
            let profile = try OCISeccompProfile(json: json)
            let target = pick([SeccompArchitecture.x86_64, .aarch64])
            guard let imported = try? profile.policy(options: .init(architecture: target, kernelVersion: ociTestKernel)),
                !imported.warnings.contains(where: { if case .overlappingEntries = $0 { true } else { false } })
            else {
                skipped += 1
                continue
            }
            let resolved = try imported.policy.resolve()
            let program: Program
            do {
                program = try LibseccompOracle.runcProgram(
                    profile, target: target, architectures: imported.policy.architectures, capabilities: [],
                    kernel: ociTestKernel, foreignAction: imported.policy.foreignArchitectureAction, optimization: 2)
            } catch {
                Issue.record("libseccomp refused a profile the import took: \(error)\n\(json)")
                continue
            }
            let all = oracleProbes(for: resolved)
            let (known, unexpected) = partitionKnown(
                try compareDecisions(reference: resolved, filters: [("runc/libseccomp", program)], probes: all),
                resolved: resolved)
            miscompiled += known[.libseccompOrderingMiscompilation]?.count ?? 0
            #expect(unexpected.isEmpty, "\(json)\n\(summarize(unexpected).prefix(3).joined(separator: "\n"))")
            compared += 1
            probes += all.count
        }
        print("oracle: \(compared) random profiles imported and compared with runc's libseccomp filter "
              + "(\(probes) probes, \(miscompiled) on which libseccomp miscompiles orderings); \(skipped) skipped "
              + "(overlapping entries, or refused by the import)")
        #expect(compared > 60)
        if miscompiled > 0 {
            withKnownIssue(Comment(rawValue: KnownDisagreement.libseccompOrderingMiscompilation.rawValue), isIntermittent: true) {
                Issue.record("\(miscompiled) probes of random profiles")
            }
        }
    }

    // MARK: Excluded policies

    /// Policies libseccomp cannot express, or expresses with another meaning, are excluded from
    /// the comparison, each for a stated reason.
    @Test(arguments: excludedPolicies.indices)
    func excludedPoliciesSayWhy(index: Int) throws {
        let (name, text, reason) = excludedPolicies[index]
        let policy = try SeccompPolicy(parsing: text)
        let reasons = LibseccompOracle.exclusionReasons(policy)
        #expect(reasons.contains { $0.contains(reason) }, "\(name): \(reasons)")
        // Our compiler still has to agree with the reference on them.
        print("oracle: excluded from the libseccomp comparison: \(name): \(reasons.joined(separator: "; "))")
        let resolved = try policy.resolve()
        try expectAgreement(
            "excluded \(name), compiler only", resolved: resolved,
            filters: [("SeccompCompiler", try SeccompCompiler().compile(resolved))])
    }
}

/// Runs the probes of `resolved` through the reference and `filters`: any disagreement fails,
/// except the ``KnownDisagreement``s of libseccomp's filters, which are recorded as known issues.
func expectAgreement(
    _ label: String, resolved: ResolvedSeccompPolicy, filters: [(name: String, program: Program)],
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let probes = oracleProbes(for: resolved)
    let mismatches = try compareDecisions(reference: resolved, filters: filters, probes: probes)
    let (known, unexpected) = partitionKnown(mismatches, resolved: resolved)
    let knownCount = known.values.reduce(0) { $0 + $1.count }
    print("oracle: \(label): \(probes.count) probes x \(filters.count) filters (\(filters.map(\.name).joined(separator: ", "))): "
          + "\(unexpected.count) unexpected disagreements, \(knownCount) known")
    for line in summarize(unexpected).prefix(20) { print("  " + line) }
    #expect(unexpected.isEmpty, "\(label): \(unexpected.count) unexpected disagreements", sourceLocation: sourceLocation)
    for kind in KnownDisagreement.allCases {
        guard let list = known[kind], let first = list.first else { continue }
        withKnownIssue(Comment(rawValue: kind.rawValue), isIntermittent: true, sourceLocation: sourceLocation) {
            Issue.record("\(label): \(list.count) probes, e.g. \(first)", sourceLocation: sourceLocation)
        }
    }
}

/// Policies libseccomp can build with the same meaning, in the text format.
let oraclePolicies: [(name: String, text: String)] = [
    ("x86_64 allow-list", """
        default kill-process
        arch x86_64
        allow read write close exit_group rt_sigreturn
        errno(EACCES) openat arg2 & 0x3 == 0x1
        allow openat arg2 & 0x3 == 0
        allow mmap arg2 & 0x4 == 0
        """),
    ("x86_64 comparisons on 64 bits", """
        default allow
        arch x86_64
        errno(1) getpid arg0 == 0x100000000
        errno(2) getppid arg0 != 5
        errno(3) gettid arg0 < 0x100000000
        errno(4) getuid arg0 <= 0xffffffff
        errno(5) getgid arg0 > 0xffffffff
        errno(6) geteuid arg0 >= 0x8000000000000000
        errno(7) getegid arg1 & 0xffff0000ffff0000 == 0x1234000056780000
        errno(8) getpgrp arg5 == 0xffffffffffffffff
        errno(9) getsid arg0 > 0xfffffffe && arg1 < 0x100000001 && arg2 >= 0xffffffff00000000
        errno(10) setsid arg3 <= 0x7fffffff && arg4 != 0xffffffff
        """),
    ("x86_64, x86 and x32", """
        default errno(EPERM)
        arch x86_64 x86 x32
        foreign-arch kill-thread
        allow read write close exit_group
        allow socket connect
        allow ioctl arg1 == 0x5401 && arg0 <= 2
        trace(9) kill arg1 == 9
        log kill arg1 == 15
        allow mmap arg2 & 0x4 == 0
        """),
    ("x86_64 and x32", """
        default errno(1)
        arch x86_64 x32
        foreign-arch log
        allow read write
        kill-thread ptrace
        user-notif openat arg1 & 0x40 == 0x40
        allow openat arg1 & 0x40 == 0
        """),
    ("x86_64 alone, trap default", """
        default trap
        arch x86_64
        foreign-arch errno(13)
        allow exit_group
        errno(22) mmap arg3 & 0x20 == 0x20 && arg2 > 3
        """),
    ("x32 alone", """
        default errno(1)
        arch x32
        foreign-arch kill-process
        allow read write exit_group
        allow ioctl arg1 == 0x5401
        errno(2) close arg0 < 3
        """),
    ("x86 alone, multiplexed calls", """
        default kill-process
        arch x86
        allow read write
        allow socket connect recv
        allow socketcall arg0 == 17
        errno(5) ipc arg0 == 1
        allow shmget
        """),
    ("aarch64 and arm", """
        default errno(EPERM)
        arch aarch64 arm
        foreign-arch trap
        allow @basic-io
        allow mmap arg2 & 0x4 == 0
        kill-thread ptrace
        trace(5) openat arg1 & 0x3 == 0x1
        log openat arg1 & 0x3 == 0x2
        """),
    ("aarch64 alone", """
        default kill-thread
        arch aarch64
        allow read write exit_group
        errno(2) openat arg0 == 0xffffff9c && arg2 >= 0x100000000
        """),
    ("arm alone", """
        default allow
        arch arm
        foreign-arch kill-process
        errno(1) getpid arg0 != 0
        kill-thread ptrace
        errno(3) write arg2 > 0x1000 && arg0 < 3
        """),
    ("riscv64", """
        default kill-process
        arch riscv64
        allow read write exit_group riscv_flush_icache
        log openat
        trace(7) execve arg0 == 0
        errno(13) kill arg1 >= 32 && arg2 <= 64
        """),
    ("s390x, big-endian", """
        default errno(1)
        arch s390x
        allow read write exit_group
        errno(2) getpid arg0 == 0x100000002
        errno(3) getppid arg1 > 0xffffffff
        allow mmap arg2 & 0x4 == 0
        """),
    ("s390x and s390", """
        default allow
        arch s390x s390
        kill-process ptrace
        errno(5) dup arg0 == 0xffffffff
        errno(6) dup2 arg1 >= 100
        """),
    ("ppc64le", """
        default errno(EPERM)
        arch ppc64le
        allow read write
        allow ioctl arg1 == 0x40087468
        allow mmap arg3 & 0x20 == 0x20 && arg2 <= 3
        """),
    ("ppc64 and ppc, big-endian", """
        default allow
        arch ppc64 ppc
        errno(9) getpid arg0 != 5
        errno(10) read arg2 > 4096
        """),
    ("ppc alone", """
        default kill-thread
        arch ppc
        allow read write exit
        allow socket
        """),
    ("mips64", """
        default errno(1)
        arch mips64
        allow read write exit_group
        errno(3) close arg0 < 3
        allow mmap arg2 & 0x4 == 0
        """),
    ("mips64, mips and mips64n32", """
        default kill-process
        arch mips64 mips mips64n32
        allow read write exit_group
        user-notif openat arg2 & 0x100 == 0x100
        """),
    ("mipsel64, mipsel and mipsel64n32", """
        default errno(1)
        arch mipsel64 mipsel mipsel64n32
        allow read
        errno(3) write arg0 > 2 && arg2 >= 0x1000
        allow write arg0 <= 2
        """),
    ("mips o32 alone", """
        default allow
        arch mips
        foreign-arch errno(1)
        errno(5) getpid arg0 == 7
        """),
    ("parisc", """
        default allow
        arch parisc
        errno(1) getpid arg0 == 1
        """),
    ("parisc64", """
        default errno(1)
        arch parisc64
        allow read write
        """),
    ("every action on one call", """
        default errno(1)
        arch x86_64
        allow fcntl arg1 == 1
        log fcntl arg1 == 2
        trace(3) fcntl arg1 == 3
        kill-thread fcntl arg1 == 4
        kill-process fcntl arg1 == 5
        user-notif fcntl arg1 == 6
        trap fcntl arg1 == 7
        errno(4094) fcntl arg1 == 8
        errno(0) fcntl arg1 == 9
        """),
    ("disjoint orderings on one argument", """
        default errno(1)
        arch x86_64
        allow prctl arg0 < 16
        log prctl arg0 == 0x80000000
        errno(5) madvise arg0 >= 0x100000000
        errno(6) mremap arg1 > 0x7fffffff
        allow mremap arg1 < 5
        """),
    ("groups carved out", """
        default log
        arch x86_64 x32
        foreign-arch kill-thread
        errno(EPERM) @privileged
        allow @system-service
        """),
    ("no rules", """
        default errno(38)
        arch x86_64 x86
        """),
    ("user-notif default", """
        default user-notif
        arch x86_64
        allow read write exit_group
        """),
    ("trace default on s390x", """
        default trace(3)
        arch s390x
        allow read arg0 >= 0x100000000
        """),
]

/// Policies excluded from the libseccomp comparison, each with (part of) its reason.
let excludedPolicies: [(name: String, text: String, reason: String)] = [
    ("ENOSYS for unknown numbers", """
        default errno(1)
        arch x86_64 x86
        unknown-syscalls enosys
        allow read
        """, "ENOSYS"),
    ("32-bit comparison on x86_64", """
        default errno(1)
        arch x86_64
        allow ioctl arg1.lo32 == 0x5401
        """, "32-bit comparison on a 64-bit architecture"),
    ("range on one argument", """
        default errno(1)
        arch x86_64
        allow read arg0 > 1 && arg0 < 9
        """, "two comparisons of one argument"),
    ("TRAP with data", """
        default allow
        arch x86_64
        trap(5) ptrace
        """, "TRAP with data"),
    ("raw number on two architectures", """
        default errno(1)
        arch x86_64 x86
        allow 451
        """, "raw number"),
    ("specific rule before an unconditional one", """
        default errno(1)
        arch x86_64
        errno(EAFNOSUPPORT) socket arg0 == 10
        allow socket
        """, "libseccomp keeps only the unconditional rule"),
    ("overlapping conditional rules", """
        default errno(1)
        arch x86_64
        errno(5) write arg0 == 3
        allow write arg1 == 4
        """, "does not try them in order"),
    ("ERRNO(4095)", """
        default allow
        arch x86_64
        errno(4095) ptrace
        """, "up to 4094"),
    ("architectures of both byte orders", """
        default errno(1)
        arch x86_64 s390x
        allow read
        """, "both byte orders"),
    ("masked value outside its mask", """
        default errno(1)
        arch x86_64
        allow dup2 arg0 & 0xf0 == 0x13
        """, "bits outside the mask"),
]

/// What libseccomp 2.5.4 does where it differs from the reference, or refuses: each observed on
/// the filters it exports, run by ``Interpreter``.
@Suite("libseccomp quirks (oracle)")
struct LibseccompQuirkTests {
    typealias Oracle = LibseccompOracle

    static let is254 = LibseccompVersion.current == LibseccompVersion(major: 2, minor: 5, micro: 4)

    func rule(_ name: String, _ action: SeccompAction, _ comparisons: [scmp_arg_cmp] = []) -> Oracle.Rule {
        Oracle.Rule(
            name: name, number: seccomp_syscall_resolve_name(name), action: action.returnValue, comparisons: comparisons,
            origin: name)
    }

    func compare(_ argument: UInt32, _ op: scmp_compare, _ a: UInt64, _ b: UInt64 = 0) -> scmp_arg_cmp {
        scmp_arg_cmp(arg: argument, op: op, datum_a: a, datum_b: b)
    }

    func build(
        _ rules: [Oracle.Rule], default defaultAction: SeccompAction = .errno(1),
        architectures: [SeccompArchitecture] = [.x86_64], foreign: SeccompAction = .killProcess
    ) throws -> Interpreter {
        try Interpreter(
            Oracle.program(
                defaultAction: defaultAction, architectures: architectures, foreignAction: foreign, rules: rules,
                optimization: 2),
            for: .seccomp)
    }

    func run(_ filter: Interpreter, _ architecture: AuditArchitecture, _ number: Int32, _ arguments: [UInt64] = [])
        -> SeccompAction
    {
        SeccompAction(
            returnValue: filter.run(
                packet: OracleProbe(architecture: architecture.rawValue, number: number, arguments: arguments).bytes))
    }

    func reference(_ text: String, _ architecture: AuditArchitecture, _ number: Int32, _ arguments: [UInt64] = [])
        throws -> SeccompAction
    {
        try SeccompPolicy(parsing: text).resolve().action(
            for: SeccompData(number: number, architecture: architecture.rawValue, arguments: arguments))
    }

    /// Rule order means nothing to libseccomp: the first unconditional rule of a call wins over
    /// every other rule for it, before or after.
    @Test func theFirstUnconditionalRuleWins() throws {
        let filter = try build([
            rule("socket", .errno(97), [compare(0, SCMP_CMP_EQ, 10)]),
            rule("socket", .allow),
            rule("socket", .log),
        ])
        #expect(run(filter, .x86_64, 41, [10]) == .allow)
        #expect(try reference("default errno(1)\narch x86_64\nerrno(97) socket arg0 == 10\nallow socket", .x86_64, 41, [10])
            == .errno(97))
    }

    /// `SCMP_CMP_MASKED_EQ` compares with `datum_b & datum_a`: `(arg & 0xf0) == 0x13`, which can
    /// never hold, holds for 0x10 in libseccomp's filter.
    @Test func theMaskedValueIsMasked() throws {
        let filter = try build([rule("dup2", .allow, [compare(0, SCMP_CMP_MASKED_EQ, 0xf0, 0x13)])])
        #expect(run(filter, .x86_64, 33, [0x10]) == .allow)
        #expect(run(filter, .x86_64, 33, [0x1f]) == .allow)
        #expect(run(filter, .x86_64, 33, [0x20]) == .errno(1))
        for value: UInt64 in [0x10, 0x13, 0x1f] {
            #expect(try reference("default errno(1)\narch x86_64\nallow dup2 arg0 & 0xf0 == 0x13", .x86_64, 33, [value])
                == .errno(1))
        }
    }

    /// Overlapping conditional rules with different actions are decided by the tree libseccomp
    /// builds (here the higher argument is tested first), in either order.
    @Test func overlappingRulesFollowTheTree() throws {
        for order in [[0, 1], [1, 0]] {
            let rules = [rule("write", .errno(5), [compare(0, SCMP_CMP_EQ, 3)]), rule("write", .allow, [compare(1, SCMP_CMP_EQ, 4)])]
            let filter = try build(order.map { rules[$0] })
            #expect(run(filter, .x86_64, 1, [3, 4]) == .allow)
        }
        #expect(try reference("default errno(1)\narch x86_64\nerrno(5) write arg0 == 3\nallow write arg1 == 4", .x86_64, 1, [3, 4])
            == .errno(5))
        // A rule that holds wherever an earlier one with another action does is refused.
        #expect(throws: Oracle.Failure.self) {
            try build([
                rule("dup2", .errno(5), [compare(0, SCMP_CMP_EQ, 4), compare(1, SCMP_CMP_EQ, 4)]),
                rule("dup2", .allow, [compare(0, SCMP_CMP_EQ, 4)]),
            ])
        }
    }

    /// libseccomp 2.5.4 miscompiles a `<` and a `>=` on one 64-bit argument in two rules: its
    /// pseudo-code is right, but the BPF jumps from a test of the low word into a test that
    /// expects the high word in the accumulator, so `prctl(16)` gets the `>=` rule's action.
    @Test func orderingsOnOneArgumentAreMiscompiled() throws {
        let filter = try build([
            rule("prctl", .allow, [compare(0, SCMP_CMP_LT, 16)]),
            rule("prctl", .errno(5), [compare(0, SCMP_CMP_GE, 0x1_0000_0000)]),
        ])
        let text = "default errno(1)\narch x86_64\nallow prctl arg0 < 16\nerrno(5) prctl arg0 >= 0x100000000"
        #expect(try reference(text, .x86_64, 157, [16]) == .errno(1))
        #expect(try reference(text, .x86_64, 157, [15]) == .allow)
        #expect(try reference(text, .x86_64, 157, [0x1_0000_0000]) == .errno(5))
        #expect(run(filter, .x86_64, 157, [15]) == .allow)
        #expect(run(filter, .x86_64, 157, [0x1_0000_0000]) == .errno(5))
        if Self.is254 {
            #expect(run(filter, .x86_64, 157, [16]) == .errno(5))
            #expect(run(filter, .x86_64, 157, [0xffff_ffff]) == .errno(5))
        }
        // The same with one action: runc's two rules for an entry with `>= max` and `<= 5` on
        // one argument let 0xffffffff through.
        let either = try build([
            rule("fcntl", .trace(3), [compare(0, SCMP_CMP_GE, .max)]),
            rule("fcntl", .trace(3), [compare(0, SCMP_CMP_LE, 5)]),
        ])
        #expect(run(either, .x86_64, 72, [5]) == .trace(3))
        #expect(run(either, .x86_64, 72, [6]) == .errno(1))
        if Self.is254 { #expect(run(either, .x86_64, 72, [0xffff_ffff]) == .trace(3)) }
        #expect(try reference(
            "default errno(1)\narch x86_64\ntrace(3) fcntl arg0 >= 0xffffffffffffffff\ntrace(3) fcntl arg0 <= 5",
            .x86_64, 72, [0xffff_ffff]) == .errno(1))
    }

    /// What libseccomp refuses that a policy can say.
    @Test func refusals() throws {
        func refusal(_ body: () throws -> Interpreter) -> String {
            do {
                _ = try body()
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal { try build([rule("ptrace", .trap(5))]) }.hasSuffix("EINVAL"))
        #expect(refusal { try build([rule("ptrace", .errno(4095))]) }.hasSuffix("EINVAL"))
        #expect(refusal { try build([rule("ptrace", .errno(4094))]) } == "accepted")
        #expect(refusal { try build([rule("ptrace", .errno(1))]) }.hasSuffix("EACCES"))  // the default action
        #expect(refusal {
            try build([rule("read", .allow, [compare(0, SCMP_CMP_GT, 1), compare(0, SCMP_CMP_LT, 9)])])
        }.hasSuffix("EINVAL"))
        #expect(refusal {
            try build([Oracle.Rule(name: "-1", number: -1, action: SeccompAction.allow.returnValue, comparisons: [], origin: "-1")])
        }.hasSuffix("EINVAL"))
        // A raw number is translated through the native architecture's names: unknown, it fails
        // on any other architecture.
        #expect(refusal {
            try build([Oracle.Rule(name: "500", number: 500, action: SeccompAction.allow.returnValue, comparisons: [], origin: "500")],
                      architectures: [.x86_64, .x86])
        }.hasSuffix("EFAULT"))
        #expect(refusal { try build([rule("read", .allow)], architectures: [.x86_64, .s390x]) }.contains("error -33"))  // EDOM
    }

    /// On x86, `socket` is also `socketcall(SYS_SOCKET, args)`: libseccomp checks the rule's
    /// conditions on the direct call (359); on socketcall it puts `arg0 == 1` in place of the
    /// condition on argument 0 and keeps the others, which then test socketcall's own arguments
    /// (argument 1 is the pointer to the real ones).
    @Test func socketcallReplacesTheFirstCondition() throws {
        let filter = try build([rule("socket", .allow, [compare(0, SCMP_CMP_EQ, 2)])], architectures: [.x86])
        #expect(run(filter, .x86, 359, [2]) == .allow)
        #expect(run(filter, .x86, 359, [10]) == .errno(1))
        #expect(run(filter, .x86, 102, [1]) == .allow)  // any family
        #expect(run(filter, .x86, 102, [3]) == .errno(1))
        let two = try build(
            [rule("socket", .allow, [compare(0, SCMP_CMP_EQ, 2), compare(1, SCMP_CMP_EQ, 1)])], architectures: [.x86])
        #expect(run(two, .x86, 359, [2, 1]) == .allow)
        #expect(run(two, .x86, 102, [1, 1]) == .allow)  // args pointer == 1
        #expect(run(two, .x86, 102, [1, 0xbf00_0000]) == .errno(1))  // a real pointer
    }

    /// On 32-bit architectures libseccomp compares the low word only, and silently drops the
    /// high word of a datum (a policy refuses such a value there).
    @Test func thirtyTwoBitArchitecturesDropTheHighWord() throws {
        let filter = try build([rule("close", .log, [compare(0, SCMP_CMP_EQ, 0x1_0000_0005)])], architectures: [.x86_64, .x86])
        #expect(run(filter, .x86, 6, [5]) == .log)
        #expect(run(filter, .x86, 6, [0x7_0000_0005]) == .log)
        #expect(run(filter, .x86_64, 3, [5]) == .errno(1))
        #expect(run(filter, .x86_64, 3, [0x1_0000_0005]) == .log)
        #expect(throws: SeccompPolicyError.self) {
            try SeccompPolicy(parsing: "default errno(1)\narch x86_64 x86\nlog close arg0 == 0x100000005", validate: false)
                .resolve()
        }
    }

    /// Without `SCMP_FLTATR_ACT_BADARCH`, a foreign architecture gets `SCMP_ACT_KILL`, which is
    /// `KILL_THREAD`: what runc and crun install.
    @Test func foreignArchitecturesGetKillThreadByDefault() throws {
        let context = try #require(seccomp_init(SeccompAction.allow.returnValue))
        defer { seccomp_release(context) }
        let built = try Oracle.export(context, bigEndian: false, actions: [])
        let filter = try Interpreter(built.program, for: .seccomp)
        #expect(run(filter, .aarch64, 0) == .killThread)
        #expect(run(filter, .x86_64, 0) == .allow)
    }

    /// libseccomp tells x32 from x86_64 by `nr >= 0x40000000` (unsigned), and lets -1 (a call
    /// skipped by a tracer) through to x86_64 only.
    @Test func x32IsTheUpperHalfOfTheNumbers() throws {
        let x86_64 = try build([], default: .allow, architectures: [.x86_64])
        #expect(run(x86_64, .x86_64, 0x3fff_ffff) == .allow)
        #expect(run(x86_64, .x86_64, 0x4000_0000) == .killProcess)
        #expect(run(x86_64, .x86_64, Int32(bitPattern: 0x8000_0000)) == .killProcess)
        #expect(run(x86_64, .x86_64, -1) == .allow)
        let x32 = try build([], default: .allow, architectures: [.x32])
        #expect(run(x32, .x86_64, 0x3fff_ffff) == .killProcess)
        #expect(run(x32, .x86_64, Int32(bitPattern: 0x8000_0000)) == .allow)
        #expect(run(x32, .x86_64, -1) == .allow)
        // The reference splits at bit 30 and keeps -1 for x86_64.
        #expect(try reference("default allow\narch x86_64", .x86_64, Int32(bitPattern: 0x8000_0000)) == .allow)
        #expect(try reference("default allow\narch x32", .x86_64, -1) == .killProcess)
        // And treats bit 30 as x32's on every architecture, which libseccomp does not.
        let aarch64 = try build([], default: .allow, architectures: [.aarch64])
        #expect(run(aarch64, .aarch64, 0x4000_0000) == .allow)
        #expect(try reference("default allow\narch aarch64", .aarch64, 0x4000_0000) == .killProcess)
    }

    /// `seccomp_export_bpf` writes a big-endian filter big-endian, but libseccomp 2.5.4 leaves
    /// the `ret` copies it places near far jumps in this machine's order.
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func bigEndianExportsMixByteOrders() throws {
        var profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
        profile.syscalls.removeAll { $0.names == ["socket"] }
        let policy = try profile.policy(options: .init(architecture: .s390x, kernelVersion: ociTestKernel)).policy
        let built = try Oracle.build(
            defaultAction: policy.defaultAction, architectures: policy.architectures,
            foreignAction: policy.foreignArchitectureAction, rules: try Oracle.rules(for: policy), optimization: 1)
        print("oracle: libseccomp's s390x export of Docker's profile: \(built.program.count) instructions, "
              + "\(built.hostOrderReturns) ret in this machine's byte order")
        if Self.is254 { #expect(built.hostOrderReturns > 0) }
        // A short big-endian filter comes out consistent.
        let short = try Oracle.build(
            defaultAction: .errno(1), architectures: [.s390x], foreignAction: .killProcess,
            rules: [rule("read", .allow)], optimization: 1)
        #expect(short.hostOrderReturns == 0)
    }
}
