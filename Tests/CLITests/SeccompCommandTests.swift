import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Docker's default profile read with Foundation's JSON parser and decided the way moby and
/// libseccomp decide it, for x86_64 (moby's `amd64`): an entry applies unless `excludes` names the
/// architecture, a capability the container has, or a `minKernel` the kernel reaches, and only if
/// `includes` names the architecture (when it names any), only capabilities the container has,
/// and a `minKernel` the kernel reaches. An entry without `args` decides before any with them
/// (libseccomp keeps the unconditional rule of a call); otherwise the first whose `args` all
/// hold; otherwise the default action. Independent of the importer in `Sources/Seccomp`.
struct DockerProfilePeer {
    struct Filter {
        var caps: [String]
        var arches: [String]
        var minKernel: (Int, Int)?
    }

    struct Argument {
        var index: Int
        var value: UInt64
        var valueTwo: UInt64
        var op: String

        func holds(_ arguments: [UInt64]) -> Bool {
            let a = index < arguments.count ? arguments[index] : 0
            switch op {
            case "SCMP_CMP_EQ": return a == value
            case "SCMP_CMP_NE": return a != value
            case "SCMP_CMP_LT": return a < value
            case "SCMP_CMP_LE": return a <= value
            case "SCMP_CMP_GT": return a > value
            case "SCMP_CMP_GE": return a >= value
            case "SCMP_CMP_MASKED_EQ": return a & value == valueTwo
            default: return false
            }
        }
    }

    struct Entry {
        var names: [String]
        var action: String
        var errnoRet: Int?
        var args: [Argument]
        var includes: Filter?
        var excludes: Filter?
    }

    var defaultAction: String
    var defaultErrnoRet: Int?
    var entries: [Entry]

    /// moby's default capabilities for a container (`oci/caps/defaults.go`).
    static let dockerDefaultCapabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let action = root["defaultAction"] as? String, let syscalls = root["syscalls"] as? [[String: Any]]
        else { throw CLIError("\(path) is not a seccomp profile") }
        func filter(_ value: Any?) -> Filter? {
            guard let object = value as? [String: Any] else { return nil }
            let minKernel = (object["minKernel"] as? String).flatMap { text -> (Int, Int)? in
                let parts = text.split(separator: ".").compactMap { Int($0) }
                return parts.count >= 2 ? (parts[0], parts[1]) : nil
            }
            return Filter(
                caps: object["caps"] as? [String] ?? [], arches: object["arches"] as? [String] ?? [],
                minKernel: minKernel)
        }
        defaultAction = action
        defaultErrnoRet = (root["defaultErrnoRet"] as? NSNumber)?.intValue
        entries = syscalls.map { entry in
            let args = (entry["args"] as? [[String: Any]] ?? []).map { argument in
                Argument(
                    index: (argument["index"] as? NSNumber)?.intValue ?? 0,
                    value: (argument["value"] as? NSNumber)?.uint64Value ?? 0,
                    valueTwo: (argument["valueTwo"] as? NSNumber)?.uint64Value ?? 0,
                    op: argument["op"] as? String ?? "")
            }
            return Entry(
                names: entry["names"] as? [String] ?? [], action: entry["action"] as? String ?? "",
                errnoRet: (entry["errnoRet"] as? NSNumber)?.intValue, args: args, includes: filter(entry["includes"]),
                excludes: filter(entry["excludes"]))
        }
    }

    /// The running kernel's version, from uname.
    static let kernel: (Int, Int) = {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (0, 0)
    }()

    static func action(_ action: String, errnoRet: Int?) -> String {
        switch action {
        case "SCMP_ACT_ALLOW": "ALLOW"
        case "SCMP_ACT_ERRNO": "ERRNO(\(errnoRet ?? 1))"
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": "KILL_THREAD"
        case "SCMP_ACT_KILL_PROCESS": "KILL_PROCESS"
        case "SCMP_ACT_LOG": "LOG"
        default: action
        }
    }

    /// The action for a call on x86_64, as seccomp(2) names it: `ALLOW`, `ERRNO(1)`.
    func action(_ name: String, _ arguments: [UInt64] = [], capabilities: Set<String> = dockerDefaultCapabilities)
        -> String
    {
        let kernel = Self.kernel
        func reaches(_ minimum: (Int, Int)?) -> Bool {
            guard let minimum else { return false }
            return kernel.0 > minimum.0 || (kernel.0 == minimum.0 && kernel.1 >= minimum.1)
        }
        let applicable = entries.filter { entry in
            guard entry.names.contains(name) else { return false }
            if let excludes = entry.excludes {
                if excludes.arches.contains("amd64") || excludes.caps.contains(where: capabilities.contains)
                    || reaches(excludes.minKernel)
                {
                    return false
                }
            }
            if let includes = entry.includes {
                if !includes.arches.isEmpty && !includes.arches.contains("amd64") { return false }
                if !includes.caps.allSatisfy(capabilities.contains) { return false }
                if includes.minKernel != nil && !reaches(includes.minKernel) { return false }
            }
            return true
        }
        if let unconditional = applicable.first(where: { $0.args.isEmpty }) {
            return Self.action(unconditional.action, errnoRet: unconditional.errnoRet)
        }
        for entry in applicable {
            let indices = entry.args.map(\.index)
            // Two conditions on one argument: each is a rule of its own (runc).
            let holds = Set(indices).count == indices.count
                ? entry.args.allSatisfy { $0.holds(arguments) } : entry.args.contains { $0.holds(arguments) }
            if holds { return Self.action(entry.action, errnoRet: entry.errnoRet) }
        }
        return Self.action(defaultAction, errnoRet: defaultErrnoRet)
    }
}

/// The action part of `cbpf seccomp eval` or `cbpf run --target seccomp` output
/// (`0x00050001 ERRNO(1)` gives `ERRNO(1)`), checking that the value and the name agree.
func seccompAction(_ run: CLIRun) -> String? {
    let fields = run.trimmedOutput.split(separator: " ")
    guard run.succeeded, fields.count == 2, fields[0].hasPrefix("0x"), let value = UInt32(fields[0].dropFirst(2), radix: 16)
    else { return nil }
    let expected: String
    switch value & 0xffff_0000 {
    case 0x7fff_0000: expected = "ALLOW"
    case 0x0005_0000: expected = "ERRNO(\(min(value & 0xffff, 4095)))"  // the kernel caps it at MAX_ERRNO
    case 0x8000_0000: expected = "KILL_PROCESS"
    case 0x0000_0000: expected = "KILL_THREAD"
    case 0x7ffc_0000: expected = "LOG"
    case 0x0003_0000: expected = "TRAP(\(value & 0xffff))"
    case 0x7ff0_0000: expected = "TRACE(\(value & 0xffff))"
    case 0x7fc0_0000: expected = "USER_NOTIF"
    default: expected = "?"
    }
    return String(fields[1]) == expected ? expected : "mismatch \(fields[1]) for \(fields[0])"
}

/// What the kernel did with a call under a filter, checked against the action the filter should
/// take, given what the same call does under a filter that allows everything.
func kernelOutcomeMatches(
    _ action: String, filtered: (result: Int64, errno: Int32), unfiltered: (result: Int64, errno: Int32)
) -> Bool {
    if action == "ALLOW" {
        // A new descriptor or address differs from run to run; what matters is success or the errno.
        return filtered.errno == unfiltered.errno && (filtered.result >= 0) == (unfiltered.result >= 0)
    }
    if action.hasPrefix("ERRNO("), let errno = Int32(action.dropFirst(6).dropLast()) {
        return filtered.result == -1 && filtered.errno == errno
    }
    return false
}

/// A filter that allows every call: `ret #SECCOMP_RET_ALLOW`.
let allowEverything = SockFilter.encode([SockFilter(code: 6, jt: 0, jf: 0, k: 0x7fff_0000)])

@Suite("cbpf seccomp", .enabled(if: CLI.isAvailable, "skipped: the cbpf executable is not next to the test bundle"))
struct SeccompCommandTests {

    /// A policy whose meaning the docs fix (first match decides, masks, .lo32) and that leaves a
    /// Python process alive: everything not named is allowed.
    static let orderedPolicy = """
        # Rules for the kernel to check; the first that holds decides.
        default allow
        arch x86_64
        errno(EAFNOSUPPORT) socket arg0 == 10     # AF_INET6
        errno(EPROTONOSUPPORT) socket arg1 == 3   # SOCK_RAW
        errno(EACCES) getppid
        allow personality arg0 == 0xffffffff
        errno(EPERM) personality
        errno(EDOM) kexec_load
        errno(ERANGE) dup arg0.lo32 == 0xffffffff
        errno(EXDEV) mmap arg2 & 0x4 == 0x4       # PROT_EXEC
        """

    /// Calls on the ordered policy, with the action the policy text gives each.
    static let orderedCalls: [(name: String, arguments: [UInt64], action: String)] = [
        ("socket", [10, 1, 0], "ERRNO(97)"),  // the first rule
        ("socket", [10, 3, 0], "ERRNO(97)"),  // both hold: the first decides
        ("socket", [2, 3, 0], "ERRNO(93)"),
        ("socket", [1, 1, 0], "ALLOW"),
        ("getppid", [], "ERRNO(13)"),
        ("personality", [0xffff_ffff], "ALLOW"),
        ("personality", [0x1234], "ERRNO(1)"),
        ("kexec_load", [0, .max, 0, 0], "ERRNO(33)"),
        ("dup", [0xffff_ffff], "ERRNO(34)"),
        ("dup", [.max], "ERRNO(34)"),  // the low 32 bits are all that count
        ("dup", [0x1_0000_0001], "ALLOW"),
        ("mmap", [0, 4096, 0x5, 0x22, .max, 0], "ERRNO(18)"),
        ("mmap", [0, 4096, 0x3, 0x22, .max, 0], "ALLOW"),
        ("getpid", [], "ALLOW"),
    ]

    static func arguments(_ values: [UInt64]) -> [String] {
        values.isEmpty ? [] : ["--args", values.map { String($0) }.joined(separator: ",")]
    }

    // MARK: compile

    @Test func everyFormatCarriesTheSameVerifiedFilter() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("ordered.policy", Self.orderedPolicy)
        let bytecode = try CLI.succeed(["seccomp", "compile", "--policy", policy])
        let program = try #require(SockFilter.parse(bytecode.standardOutput), "\(bytecode)")
        #expect(try CLI.succeed(["seccomp", "compile", "--policy", policy, "--format", "bytecode"]).standardOutput
                == bytecode.standardOutput)
        // The policy from standard input.
        #expect(try CLI.succeed(["seccomp", "compile", "--policy", "-"], input: Array(Self.orderedPolicy.utf8))
                .standardOutput == bytecode.standardOutput)
        let raw = try CLI.succeed(["seccomp", "compile", "--policy", policy, "--format", "raw"])
        #expect(SockFilter.decode(raw: raw.standardOutputBytes) == program)
        let decimal = try CLI.succeed(["seccomp", "compile", "--policy", policy, "--format", "ddd"])
        #expect(SockFilter.parse(decimal.standardOutput) == program)
        let cArray = try CLI.succeed(["seccomp", "compile", "--policy", policy, "--format", "dd"])
        #expect(SockFilter.parseCArray(cArray.standardOutput) == program)
        // -d is libpcap's bpf_image() listing.
        let listing = try CLI.succeed(["seccomp", "compile", "--policy", policy, "--format", "d"])
        let lines = listing.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == program.count)
        for (index, (line, instruction)) in zip(lines, program).enumerated() {
            let expected = try #require(instruction.tcpdumpListingLine(at: index), "no listing for \(instruction)")
            #expect(line.trimmingCharacters(in: .whitespaces) == expected.trimmingCharacters(in: .whitespaces))
        }
        // The kernel's classic checker takes it, and so does our seccomp verifier.
        #expect(KernelSocket.accepts(program))
        #expect(try CLI.succeed(["verify", "--target", "seccomp", bytecode.trimmedOutput]).trimmedOutput == "ok")
    }

    @Test(.enabled(if: KernelSeccomp.isAvailable, "skipped: python3 or the kernel's asm/unistd headers are missing"))
    func theOrderedPolicyDecidesAsWrittenInEvalRunAndTheKernel() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("ordered.policy", Self.orderedPolicy)
        let bytecode = try CLI.succeed(["seccomp", "compile", "--policy", policy]).trimmedOutput
        let raw = try CLI.succeed(["seccomp", "compile", "--policy", policy, "--format", "raw"]).standardOutputBytes
        var calls = [[UInt64]]()
        for (name, arguments, expected) in Self.orderedCalls {
            let number = try #require(KernelHeaders.x86_64[name], "\(name) is not in asm/unistd_64.h")
            calls.append([UInt64(number)] + arguments)
            let byName = try CLI.run(
                ["seccomp", "eval", "--policy", policy, "--arch", "x86_64", "--syscall", name] + Self.arguments(arguments))
            #expect(seccompAction(byName) == expected, "\(name) \(arguments): \(byName)")
            let byNumber = try CLI.run(
                ["seccomp", "eval", "--policy", policy, "--arch", "x86_64", "--syscall", String(number)]
                    + Self.arguments(arguments))
            #expect(seccompAction(byNumber) == expected, "\(name) \(arguments): \(byNumber)")
            let run = try CLI.run(
                ["run", "--target", "seccomp", "--arch", "x86_64", "--nr", String(number)] + Self.arguments(arguments)
                    + [bytecode])
            #expect(seccompAction(run) == expected, "\(name) \(arguments): \(run)")
        }
        let filtered = try KernelSeccomp.observe(raw, calls: calls)
        let unfiltered = try KernelSeccomp.observe(allowEverything, calls: calls)
        for (index, call) in Self.orderedCalls.enumerated() {
            #expect(
                kernelOutcomeMatches(call.action, filtered: filtered[index], unfiltered: unfiltered[index]),
                "the kernel: \(call.name) \(call.arguments) gave \(filtered[index]) (without the filter \(unfiltered[index])), the policy says \(call.action)")
        }
    }

    // MARK: Docker's profile

    /// Calls on x86_64 whose outcome Docker's profile fixes; the kernel makes those marked safe.
    static let dockerCalls: [(name: String, arguments: [UInt64], kernel: Bool)] = [
        ("getppid", [], true), ("kexec_load", [0, .max, 0, 0], true), ("personality", [0xffff_ffff], true),
        ("personality", [8], false), ("personality", [0x1234], true), ("socket", [1, 1, 0], true),
        ("socket", [37, 1, 0], false), ("socket", [38, 5, 0], true), ("socket", [39, 1, 0], false),
        ("socket", [40, 1, 0], true), ("socket", [41, 1, 0], false), ("clone3", [0, 0], true),
        ("chroot", [0], true), ("mount", [0, 0, 0, 0, 0], true), ("open_by_handle_at", [0, 0, 0], true),
        ("arch_prctl", [0x1003, 0], false), ("ptrace", [0x4200, 0, 0, 0], false), ("read", [], false),
        ("bpf", [], false), ("init_module", [], false),
    ]

    @Test(.enabled(if: Paths.dockerProfile != nil && KernelSeccomp.isAvailable, "skipped: ../shared/corpus/seccomp/docker-default.json, python3 or the kernel's asm/unistd headers are missing"))
    func dockerProfileDecidesAsTheProfileSaysInEvalRunAndTheKernel() throws {
        let profile = try #require(Paths.dockerProfile)
        let peer = try DockerProfilePeer(path: profile)
        let compile = ["seccomp", "compile", "--profile", profile, "--arch", "x86_64"]
        let bytecode = try CLI.succeed(compile).trimmedOutput
        let raw = try CLI.succeed(compile + ["--format", "raw"]).standardOutputBytes
        #expect(SockFilter.decode(raw: raw).map(SockFilter.bytecodeString) == bytecode)
        var kernelCalls = [(call: [UInt64], expected: String)]()
        for (name, arguments, kernel) in Self.dockerCalls {
            let expected = peer.action(name, arguments)
            let number = try #require(KernelHeaders.x86_64[name], "\(name) is not in asm/unistd_64.h")
            let eval = try CLI.run(
                ["seccomp", "eval", "--profile", profile, "--arch", "x86_64", "--syscall", name] + Self.arguments(arguments))
            #expect(seccompAction(eval) == expected, "\(name) \(arguments): the profile says \(expected); \(eval)")
            let run = try CLI.run(
                ["run", "--target", "seccomp", "--arch", "x86_64", "--nr", String(number)] + Self.arguments(arguments)
                    + [bytecode])
            #expect(seccompAction(run) == expected, "\(name) \(arguments): the profile says \(expected); \(run)")
            if kernel { kernelCalls.append(([UInt64(number)] + arguments, expected)) }
        }
        let filtered = try KernelSeccomp.observe(raw, calls: kernelCalls.map(\.call))
        let unfiltered = try KernelSeccomp.observe(allowEverything, calls: kernelCalls.map(\.call))
        for (index, call) in kernelCalls.enumerated() {
            #expect(
                kernelOutcomeMatches(call.expected, filtered: filtered[index], unfiltered: unfiltered[index]),
                "the kernel: \(call.call) gave \(filtered[index]) (unfiltered \(unfiltered[index])), the profile says \(call.expected)")
        }
    }

    @Test(.enabled(if: Paths.dockerProfile != nil && KernelSeccomp.isAvailable, "skipped: ../shared/corpus/seccomp/docker-default.json, python3 or the kernel's asm/unistd headers are missing"))
    func capabilitiesSelectTheProfileEntries() throws {
        let profile = try #require(Paths.dockerProfile)
        let peer = try DockerProfilePeer(path: profile)
        let selections: [(option: String, capabilities: Set<String>)] = [
            ("docker-default", DockerProfilePeer.dockerDefaultCapabilities), ("none", []),
            ("CAP_SYS_ADMIN,SYS_CHROOT", ["CAP_SYS_ADMIN", "CAP_SYS_CHROOT"]),
        ]
        for (option, capabilities) in selections {
            for name in ["chroot", "clone3", "mount", "bpf"] {
                let expected = peer.action(name, [], capabilities: capabilities)
                let eval = try CLI.run(
                    ["seccomp", "eval", "--profile", profile, "--caps", option, "--arch", "x86_64", "--syscall", name])
                #expect(seccompAction(eval) == expected, "--caps \(option): \(name) should be \(expected); \(eval)")
            }
        }
        // The kernel: without CAP_SYS_CHROOT, chroot(NULL) fails with EPERM, not EFAULT.
        let chroot = try #require(KernelHeaders.x86_64["chroot"])
        let raw = try CLI.succeed(
            ["seccomp", "compile", "--profile", profile, "--caps", "none", "--arch", "x86_64", "--format", "raw"])
        let observed = try KernelSeccomp.observe(raw.standardOutputBytes, calls: [[UInt64(chroot), 0]])
        #expect(observed[0].result == -1 && observed[0].errno == EPERM, "\(observed)")
    }

    // MARK: stats

    /// Parses `N instructions` and `ARCH  LOW...HIGH  mean M  max X  min Y` lines.
    static func statistics(_ text: String) -> (count: Int, architectures: [String: (mean: Double, max: Int, min: Int)])? {
        let lines = text.split(separator: "\n")
        guard let first = lines.first, first.hasSuffix(" instructions"), let count = Int(first.split(separator: " ")[0])
        else { return nil }
        var architectures = [String: (mean: Double, max: Int, min: Int)]()
        for line in lines.dropFirst() {
            let words = line.split(separator: " ")
            guard words.count == 8, words[2] == "mean", words[4] == "max", words[6] == "min",
                let mean = Double(words[3]), let maximum = Int(words[5]), let minimum = Int(words[7])
            else { return nil }
            architectures[String(words[0])] = (mean, maximum, minimum)
        }
        return (count, architectures)
    }

    /// The targets for Docker's profile on x86_64: at most 90 instructions, a mean of at
    /// most 9.5 executed and a maximum of 14, over numbers 0-459 with zero arguments.
    @Test(.enabled(if: Paths.dockerProfile != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerStatisticsMeetTheTargets() throws {
        let profile = try #require(Paths.dockerProfile)
        let run = try CLI.succeed(["seccomp", "stats", "--profile", profile, "--arch", "x86_64"])
        let statistics = try #require(Self.statistics(run.standardOutput), "\(run)")
        let figures = try #require(statistics.architectures["x86_64"], "\(run)")
        #expect(statistics.count <= 90)
        #expect(figures.mean <= 9.5)
        #expect(figures.max <= 14)
        #expect(run.standardOutput.contains("0...459"))
        // The length is the compiled filter's.
        let compiled = try CLI.succeed(["seccomp", "compile", "--profile", profile, "--arch", "x86_64"])
        #expect(SockFilter.parse(compiled.standardOutput)?.count == statistics.count)
    }

    /// Docker installs x86_64, x86 and x32 together on x86_64.
    @Test(.enabled(if: Paths.dockerProfile != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileCoversX86AndX32Too() throws {
        let profile = try #require(Paths.dockerProfile)
        let arch = ["--arch", "x86_64,x86,x32"]
        let run = try CLI.succeed(["seccomp", "stats", "--profile", profile] + arch)
        let statistics = try #require(Self.statistics(run.standardOutput), "\(run)")
        #expect(Set(statistics.architectures.keys) == ["x86_64", "x86", "x32"], "\(run)")
        let bytecode = try CLI.succeed(["seccomp", "compile", "--profile", profile] + arch).trimmedOutput
        #expect(SockFilter.parse(bytecode)?.count == statistics.count)
        // The same decisions as the profile, through each convention's own numbers.
        let peer = try DockerProfilePeer(path: profile)
        // x86 reaches socket both through its own number (359) and through socketcall, which the
        // profile allows outright; Docker's socket conditions apply to the direct call.
        for (name, arguments) in [("socket", [UInt64(40), 1, 0]), ("socket", [2, 1, 0]), ("socketcall", [1, 0])] {
            let expected = peer.action(name, arguments)
            let number = try #require(KernelHeaders.x86[name])
            let run = try CLI.run(
                ["run", "--target", "seccomp", "--arch", "x86", "--nr", String(number)] + Self.arguments(arguments)
                    + [bytecode])
            #expect(seccompAction(run) == expected, "\(name) \(arguments) on x86: \(run)")
        }
        for (name, arguments) in [("getppid", [UInt64]()), ("kexec_load", []), ("personality", [0xffff_ffff])] {
            let expected = peer.action(name, arguments)
            for architecture in ["x86", "x32"] {
                let number = architecture == "x86" ? KernelHeaders.x86[name] : KernelHeaders.x32[name]
                let eval = try CLI.run(
                    ["seccomp", "eval", "--profile", profile, "--arch", architecture, "--syscall", name]
                        + Self.arguments(arguments))
                #expect(seccompAction(eval) == expected, "\(name) on \(architecture): \(eval)")
                guard let number else { continue }
                let run = try CLI.run(
                    ["run", "--target", "seccomp", "--arch", architecture, "--nr", String(number)]
                        + Self.arguments(arguments) + [bytecode])
                #expect(seccompAction(run) == expected, "\(name) on \(architecture): \(run)")
            }
        }
    }

    // MARK: export-profile

    @Test(.enabled(if: Paths.dockerProfile != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerExportReimportsToTheSameFilter() throws {
        let profile = try #require(Paths.dockerProfile)
        let exported = try CLI.succeed(["seccomp", "export-profile", "--profile", profile, "--arch", "x86_64"])
        let json = try JSONSerialization.jsonObject(with: Data(exported.standardOutputBytes)) as? [String: Any]
        #expect(json?["defaultAction"] as? String == "SCMP_ACT_ERRNO")
        #expect((json?["syscalls"] as? [Any])?.isEmpty == false)
        let directory = try TemporaryDirectory()
        let path = try directory.write("exported.json", exported.standardOutput)
        // The export carries the capability selection: the re-import needs none.
        let original = try CLI.succeed(["seccomp", "compile", "--profile", profile, "--arch", "x86_64"])
        let reimported = try CLI.succeed(["seccomp", "compile", "--profile", path, "--caps", "none", "--arch", "x86_64"])
        let peer = try DockerProfilePeer(path: profile)
        for (name, arguments, _) in Self.dockerCalls {
            let expected = peer.action(name, arguments)
            let number = try #require(KernelHeaders.x86_64[name])
            let run = try CLI.run(
                ["run", "--target", "seccomp", "--arch", "x86_64", "--nr", String(number)] + Self.arguments(arguments)
                    + [reimported.trimmedOutput])
            #expect(seccompAction(run) == expected, "re-imported: \(name) \(arguments): \(run)")
        }
        // Same decisions on every number: here, the same program.
        #expect(reimported.standardOutput == original.standardOutput)
    }

    @Test func policyExportReimportsWithTheSameDecisions() throws {
        let policy = """
            default errno(EPERM)
            arch x86_64
            allow read write close exit_group
            allow socket arg0 == 1
            allow mmap arg2 & 0x4 == 0
            kill-process ptrace
            errno(EACCES) openat
            """
        let calls: [(name: String, arguments: [UInt64], action: String)] = [
            ("read", [], "ALLOW"), ("socket", [1], "ALLOW"), ("socket", [2], "ERRNO(1)"), ("mmap", [0, 1, 3], "ALLOW"),
            ("mmap", [0, 1, 5], "ERRNO(1)"), ("ptrace", [], "KILL_PROCESS"), ("openat", [], "ERRNO(13)"),
            ("getppid", [], "ERRNO(1)"),
        ]
        let directory = try TemporaryDirectory()
        let policyPath = try directory.write("server.policy", policy)
        let exported = try CLI.succeed(["seccomp", "export-profile", "--policy", policyPath])
        #expect((try? JSONSerialization.jsonObject(with: Data(exported.standardOutputBytes))) != nil, "\(exported)")
        let profilePath = try directory.write("server.json", exported.standardOutput)
        for (name, arguments, action) in calls {
            for input in [["--policy", policyPath], ["--profile", profilePath]] {
                let eval = try CLI.run(
                    ["seccomp", "eval"] + input + ["--arch", "x86_64", "--syscall", name] + Self.arguments(arguments))
                #expect(seccompAction(eval) == action, "\(input[0]): \(name) \(arguments): \(eval)")
            }
        }
    }

    @Test func foreignArchAllowCompilesWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("open.policy", "default errno(EPERM)\narch x86_64\nforeign-arch allow\nallow read\n")
        let run = try CLI.run(["seccomp", "compile", "--policy", policy])
        #expect(run.succeeded && !run.trimmedOutput.isEmpty, "\(run)")
        #expect(run.standardError.contains("warning: foreign-arch allow opens the entry points of x86, x32"), "\(run)")
        // The default foreign-architecture action, kill-process, needs no warning.
        let closed = try directory.write("closed.policy", "default errno(EPERM)\narch x86_64\nallow read\n")
        let quiet = try CLI.run(["seccomp", "compile", "--policy", closed])
        #expect(quiet.succeeded && quiet.standardError.isEmpty, "\(quiet)")
    }

    // MARK: run --target seccomp and x32

    /// ERRNO data above 4095 is shown as the kernel applies it: `__seccomp_filter` caps it at
    /// `MAX_ERRNO`, so `ret #0x0005ffff` fails the call with errno 4095, as the kernel does here.
    @Test(.enabled(if: KernelSeccomp.isAvailable, "skipped: python3 or the kernel's asm/unistd headers are missing"))
    func errnoDataAboveMaxErrnoIsShownAsTheKernelCapsIt() throws {
        let alone = try CLI.run(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "39", "1,6 0 0 393215"])
        #expect(alone.trimmedOutput == "0x0005ffff ERRNO(4095)", "\(alone)")
        // The same return for getppid alone, so that the Python process can still report.
        let getppid = try #require(KernelHeaders.x86_64["getppid"])
        let program = [
            SockFilter(code: 0x20, jt: 0, jf: 0, k: 0),  // ld [0]: the number
            SockFilter(code: 0x15, jt: 0, jf: 1, k: UInt32(getppid)),
            SockFilter(code: 6, jt: 0, jf: 0, k: 0x0005_ffff),
            SockFilter(code: 6, jt: 0, jf: 0, k: 0x7fff_0000),
        ]
        let bytecode = "\(program.count)," + program.map(\.description).joined(separator: ",")
        let run = try CLI.run(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", String(getppid), bytecode])
        let kernel = try KernelSeccomp.observe(SockFilter.encode(program), calls: [[UInt64(getppid)]])
        #expect(kernel.first?.result == -1, "the kernel let getppid run: \(kernel)")
        #expect(run.trimmedOutput == "0x0005ffff ERRNO(\(kernel.first?.errno ?? -1))", "\(run), the kernel: \(kernel)")
    }

    @Test(.enabled(if: KernelHeaders.isAvailable, "skipped: python3 or the kernel's asm/unistd headers are missing"))
    func multiArchitecturePolicyDecidesPerConvention() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write(
            "multi.policy",
            """
            default errno(EPERM)
            arch x86_64 x86 x32
            foreign-arch kill-thread
            allow getppid
            errno(EACCES) kexec_load
            """)
        let bytecode = try CLI.succeed(["seccomp", "compile", "--policy", policy]).trimmedOutput
        let cases: [(architecture: String, number: Int32?, action: String)] = [
            ("x86_64", KernelHeaders.x86_64["getppid"], "ALLOW"), ("x86", KernelHeaders.x86["getppid"], "ALLOW"),
            ("x32", KernelHeaders.x32["getppid"], "ALLOW"),  // run and eval add bit 30
            ("x86_64", KernelHeaders.x86_64["kexec_load"], "ERRNO(13)"), ("x86", KernelHeaders.x86["kexec_load"], "ERRNO(13)"),
            ("x86_64", KernelHeaders.x86_64["gettid"], "ERRNO(1)"), ("aarch64", 172, "KILL_THREAD"),
        ]
        for (architecture, number, action) in cases {
            let number = try #require(number)
            let run = try CLI.run(
                ["run", "--target", "seccomp", "--arch", architecture, "--nr", String(number), bytecode])
            #expect(seccompAction(run) == action, "\(architecture) \(number): \(run)")
            let eval = try CLI.run(
                ["seccomp", "eval", "--policy", policy, "--arch", architecture, "--syscall", String(number)])
            #expect(seccompAction(eval) == action, "\(architecture) \(number): \(eval)")
        }
    }
}
