import CBPF
import CBPFFuzz
import CSeccomp
import LibseccompReference
import Seccomp
import Testing

/// libseccomp as the oracle for the seccomp policy work: for each policy, the reference
/// (``ResolvedSeccompPolicy/action(for:)``), libseccomp's filter (both optimisation levels) and
/// our compiled filter (``SeccompCompiler``), run by ``Interpreter``, must decide every probe of
/// ``oracleProbes(for:seed:)`` alike.
@Suite("libseccomp oracle")
struct LibseccompOracleTests {
    // MARK: Handwritten policies

    /// The handwritten policies libseccomp builds with the same meaning.
    static let agreeing = handwrittenPolicies.filter { if case .agrees = $0.libseccomp { true } else { false } }

    @Test(arguments: agreeing)
    func handwrittenPolicyAgreesWithLibseccomp(_ handwritten: HandwrittenPolicy) throws {
        let name = handwritten.name
        let policy = try handwritten.policy
        let reasons = LibseccompOracle.exclusionReasons(policy)
        #expect(reasons.isEmpty, "\(name): \(reasons)")
        let resolved = try policy.resolve()
        try expectAgreement(
            name, resolved: resolved,
            filters: [
                ("libseccomp -O1", try LibseccompFilter.program(for: policy, optimization: 1)),
                ("libseccomp -O2", try LibseccompFilter.program(for: policy, optimization: 2)),
                ("SeccompCompiler", try SeccompCompiler().compile(resolved)),
            ])
    }

    /// The handwritten policies use every operator, every action (as a rule, a default and a
    /// foreign-architecture action), and every architecture libseccomp 2.5.4 supports, alone and
    /// in the combinations Docker uses.
    @Test func handwrittenPoliciesCoverOperatorsActionsAndArchitectures() throws {
        let policies = try Self.agreeing.map { try $0.policy }
        #expect(policies.count >= 30)
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
        // socket through socketcall too: on x86 (above, with x86_64 and x32), s390x, s390 and ppc64le.
        (.s390x, "default capabilities", OCIProfileImportOptions.dockerDefaultCapabilities),
        (.ppc64le, "default capabilities", OCIProfileImportOptions.dockerDefaultCapabilities),
        (.x86, "default capabilities", OCIProfileImportOptions.dockerDefaultCapabilities),
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

    func compareDocker(
        _ profile: OCISeccompProfile, target: SeccompArchitecture, label: String, capabilities: Set<String>
    ) throws {
        let imported = try profile.policy(
            options: .init(architecture: target, capabilities: capabilities, kernelVersion: ociTestKernel))
        let policy = imported.policy
        // Every architecture of the archMap entry is kept, multiplexing ones included.
        let subArchitectures = profile.archMap.first { SeccompArchitecture(ociName: $0.architecture) == target }?
            .subArchitectures.compactMap(SeccompArchitecture.init(ociName:)) ?? []
        #expect(policy.architectures == [target] + subArchitectures)
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
        filters.append(("policy/libseccomp -O2", try LibseccompFilter.program(for: policy, optimization: 2)))
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
        var generator = FuzzRandom(seed: 0x9a7)
        func pick<T>(_ values: [T]) -> T { generator.element(of: values) }
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
                // The import warns that libseccomp may refuse a rule that never holds.
                if imported.warnings.contains(where: { if case .conditionNeverHolds = $0 { true } else { false } }) {
                    skipped += 1
                } else {
                    Issue.record("libseccomp refused a profile the import took: \(error)\n\(json)")
                }
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
              + "(overlapping entries, refused by the import, or by libseccomp after a warning)")
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
    @Test(arguments: handwrittenPolicies.filter { if case .excluded = $0.libseccomp { true } else { false } })
    func excludedPoliciesSayWhy(_ handwritten: HandwrittenPolicy) throws {
        guard case .excluded(let reason) = handwritten.libseccomp else { return }
        let name = handwritten.name
        let policy = try handwritten.policy
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

/// What libseccomp 2.5.4 does where it differs from the reference, or refuses: each observed on
/// the filters it exports, run by ``Interpreter``.
@Suite("libseccomp quirks (oracle)")
struct LibseccompQuirkTests {
    typealias Oracle = LibseccompFilter

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
            for: SeccompData(number: number, architecture: architecture, arguments: arguments))
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
        #expect(refusal { try build([rule("read", .allow)], architectures: [.x86_64, .s390x]) }.hasSuffix("EDOM"))
    }

    /// On x86, `socket` is also `socketcall(SYS_SOCKET, args)`: libseccomp checks the rule's
    /// conditions on the direct call (359); on socketcall it puts `arg0 == 1` in place of the
    /// condition on argument 0 and keeps the others, which then test socketcall's own arguments
    /// (argument 1 is the pointer to the real ones). The reference means the same for conditions
    /// on argument 0, and refuses the others; rules whose socketcall parts clash are refused by
    /// both (libseccomp: EEXIST).
    @Test func socketcallReplacesTheFirstCondition() throws {
        let filter = try build([rule("socket", .allow, [compare(0, SCMP_CMP_EQ, 2)])], architectures: [.x86])
        let text = "default errno(1)\narch x86\nallow socket arg0 == 2"
        for (number, arguments) in [(359, [2]), (359, [10]), (102, [1]), (102, [1, 0xbf00_0000]), (102, [3]),
                                    (102, [2])] as [(Int32, [UInt64])]
        {
            #expect(try reference(text, .x86, number, arguments) == run(filter, .x86, number, arguments))
        }
        #expect(run(filter, .x86, 359, [2]) == .allow)
        #expect(run(filter, .x86, 359, [10]) == .errno(1))
        #expect(run(filter, .x86, 102, [1]) == .allow)  // any family
        #expect(run(filter, .x86, 102, [3]) == .errno(1))
        // s390x and ppc64le too, with 64-bit arguments.
        for (architecture, direct) in [(SeccompArchitecture.s390x, Int32(359)), (.ppc64le, 326)] {
            let filter = try build([rule("socket", .allow, [compare(0, SCMP_CMP_LT, 38)])], architectures: [architecture])
            let text = "default errno(1)\narch \(architecture)\nallow socket arg0 < 38"
            for (number, arguments) in [(direct, [2]), (direct, [40]), (direct, [0x1_0000_0002]), (102, [1, 7]),
                                        (102, [0x1_0000_0001]), (102, [2])] as [(Int32, [UInt64])]
            {
                let audit = architecture.auditArchitecture
                #expect(try reference(text, audit, number, arguments) == run(filter, audit, number, arguments),
                        "\(architecture) \(number) \(arguments)")
            }
        }
        let two = try build(
            [rule("socket", .allow, [compare(0, SCMP_CMP_EQ, 2), compare(1, SCMP_CMP_EQ, 1)])], architectures: [.x86])
        #expect(run(two, .x86, 359, [2, 1]) == .allow)
        #expect(run(two, .x86, 102, [1, 1]) == .allow)  // args pointer == 1
        #expect(run(two, .x86, 102, [1, 0xbf00_0000]) == .errno(1))  // a real pointer
        #expect {
            try SeccompPolicy(parsing: "default errno(1)\narch x86\nallow socket arg0 == 2 && arg1 == 1", validate: false)
                .resolve()
        } throws: { error in
            guard case .conditionsOnMultiplexedSyscall(_, 0, "socket", "socketcall", .x86)? = error as? SeccompPolicyError
            else { return false }
            return true
        }
        // Two rules with different actions: both hold for every socketcall(SYS_SOCKET, ...).
        #expect(throws: Oracle.Failure.self) {
            try build([rule("socket", .allow, [compare(0, SCMP_CMP_EQ, 2)]),
                       rule("socket", .errno(97), [compare(0, SCMP_CMP_EQ, 10)])], architectures: [.x86])
        }
        #expect {
            try SeccompPolicy(
                parsing: "default errno(1)\narch x86\nallow socket arg0 == 2\nerrno(97) socket arg0 == 10",
                validate: false
            ).resolve()
        } throws: { error in
            guard case .multiplexedContradiction(_, 0, _, 1, "socket", "socketcall", .x86)? = error as? SeccompPolicyError
            else { return false }
            return true
        }
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
    /// skipped by a tracer) through to x86_64, or to x32 when the filter has no x86_64; bit 30
    /// means nothing on other architectures. The reference does the same.
    @Test func x32IsTheUpperPartOfTheNumbers() throws {
        let x86_64 = try build([], default: .allow, architectures: [.x86_64])
        let x32 = try build([], default: .allow, architectures: [.x32])
        let both = try build([rule("read", .log)], default: .allow, architectures: [.x86_64, .x32])
        for number: Int32 in [0, 0x3fff_ffff, 0x4000_0000, 0x7fff_ffff, Int32(bitPattern: 0x8000_0000),
                              Int32(bitPattern: 0xbfff_ffff), Int32(bitPattern: 0xc000_0000), -2, -1]
        {
            let isX32 = number < 0 || number >= 0x4000_0000
            #expect(run(x86_64, .x86_64, number) == (isX32 && number != -1 ? .killProcess : .allow))
            #expect(run(x32, .x86_64, number) == (isX32 ? .allow : .killProcess))
            #expect(try reference("default allow\narch x86_64", .x86_64, number) == run(x86_64, .x86_64, number))
            #expect(try reference("default allow\narch x32", .x86_64, number) == run(x32, .x86_64, number))
            #expect(try reference("default allow\narch x86_64 x32\nlog read", .x86_64, number) == run(both, .x86_64, number))
        }
        #expect(run(both, .x86_64, 0) == .log)
        #expect(run(both, .x86_64, 0x4000_0000) == .log)
        let aarch64 = try build([], default: .allow, architectures: [.aarch64])
        #expect(run(aarch64, .aarch64, 0x4000_0000) == .allow)
        #expect(try reference("default allow\narch aarch64", .aarch64, 0x4000_0000) == .allow)
    }

    /// `seccomp_export_bpf` writes a big-endian filter big-endian, but libseccomp 2.5.4 leaves
    /// the `ret` copies it places near far jumps in this machine's order.
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func bigEndianExportsMixByteOrders() throws {
        let profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
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
