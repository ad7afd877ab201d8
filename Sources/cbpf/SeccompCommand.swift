import ArgumentParser
import CBPF
import Foundation
import Seccomp

struct SeccompCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp",
        abstract: "Compile, evaluate and measure seccomp policies and Docker/OCI profiles.",
        subcommands: [
            SeccompCompileCommand.self, SeccompEvalCommand.self, SeccompStatsCommand.self,
            SeccompExportCommand.self,
        ]
    )
}

/// `--profile FILE.json | --policy FILE` and `--caps`, shared by the seccomp commands.
struct PolicyInput: ParsableArguments {
    @Option(help: "A Docker/OCI seccomp profile (JSON), or - for standard input.")
    var profile: String?
    @Option(help: "A policy in the native text format (docs/seccomp-policy-format.md), or - for standard input.")
    var policy: String?
    @Option(help: ArgumentHelp(
        """
        With --profile: the container's capabilities, for the profile's includes.caps and \
        excludes.caps: docker-default (the default), all, none, or a list such as \
        CAP_SYS_ADMIN,NET_ADMIN (the CAP_ prefix is optional).
        """, valueName: "caps"))
    var caps: String?

    func validate() throws {
        if (profile == nil) == (policy == nil) {
            throw ValidationError("give exactly one of --profile and --policy")
        }
        if policy != nil, let caps {
            throw ValidationError(
                "--caps \"\(caps)\" has no effect with --policy: capabilities select the includes and excludes "
                    + "of a Docker/OCI --profile, and a policy has none")
        }
        _ = try capabilities()
    }

    /// The input as messages name it: the path, or `<stdin>`.
    var sourceName: String { displayName(ofPath: profile ?? policy ?? "-") }

    /// Loads the policy and checks that it resolves. `architectures`, when given, is the list
    /// the filter covers, in place of the input's; for a profile the first is the target and
    /// the others must come from its `archMap`.
    ///
    /// Errors in the input start with its name: `FILE:LINE:COLUMN: what: why`.
    func load(architectures: [SeccompArchitecture]?) throws -> SeccompPolicy {
        if let path = profile {
            var options = OCIProfileImportOptions()
            options.capabilities = try capabilities()
            if let architectures { options.cover(exactly: architectures) }
            let imported: OCIProfileImport
            do {
                imported = try OCISeccompProfile(json: readText(path, limit: .policy)).policy(options: options)
            } catch let error as OCIProfileError {
                throw InputError(located(error))
            }
            for warning in imported.warnings { printError("\(sourceName): warning: \(warning)") }
            let policy = imported.policy
            do {
                try policy.validate()
            } catch {
                throw InputError("\(sourceName): \(error)")
            }
            return policy
        }
        let parsed = try loadText(architectures: architectures)
        for warning in parsed.warnings { printError("\(sourceName): warning: \(warning)") }
        return parsed
    }

    /// The policy of `--policy`, with `architectures` in place of its own when given.
    private func loadText(architectures: [SeccompArchitecture]?) throws -> SeccompPolicy {
        let text = try readText(policy ?? "-", limit: .policy)
        let parsed: SeccompPolicy
        do {
            // Syntax errors where the file has them; without --arch, the rules too.
            parsed = try SeccompPolicy(parsing: text, validate: architectures == nil)
        } catch {
            throw InputError(located(error))
        }
        guard let architectures else { return parsed }
        // The rules checked against --arch, at their lines in the file.
        let (overridden, archLine) = Self.replacingArchitectures(in: text, with: architectures)
        do {
            return try SeccompPolicy(parsing: overridden)
        } catch {
            guard error.line == archLine else { throw InputError(located(error)) }
            throw InputError("--arch \(architectures.map(\.name).joined(separator: ",")): \(error.what): \(error.why)")
        }
    }

    /// The policy text with its `arch` lines blanked (so that lines keep their numbers) and one
    /// `arch` line for `architectures` added at the end, whose number is returned.
    static func replacingArchitectures(in text: String, with architectures: [SeccompArchitecture])
        -> (text: String, archLine: Int)
    {
        // Lines as the parser splits them.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let firstWord = line.drop { $0 == " " || $0 == "\t" }.prefix { !" \t#(".contains($0) }
            return firstWord.lowercased() == "arch" ? "" : String(line)
        }
        lines.append("arch " + architectures.map(\.name).joined(separator: " "))
        return (lines.joined(separator: "\n"), lines.count)
    }

    /// `FILE:LINE:COLUMN: what: why`, as compilers print errors.
    func located(_ error: PolicyFormatError) -> String {
        "\(sourceName):\(error.line):\(error.column): \(error.what): \(error.why)"
    }

    /// `FILE:LINE:COLUMN: json.path: what: why`, or `FILE: ...` without a place in the text.
    func located(_ error: OCIProfileError) -> String {
        if let line = error.line, let column = error.column {
            var plain = error
            plain.line = nil
            plain.column = nil
            return "\(sourceName):\(line):\(column): \(plain)"
        }
        return "\(sourceName): \(error)"
    }

    /// The capabilities `--caps` names, as profiles write them (`CAP_SYS_ADMIN`).
    ///
    /// - Throws: `ValidationError` naming each unknown capability.
    func capabilities() throws -> Set<String> {
        let value = caps ?? "docker-default"
        switch value.lowercased().trimmingCharacters(in: .whitespaces) {
        case "docker-default": return OCIProfileImportOptions.dockerDefaultCapabilities
        case "none", "": return []
        case "all": return Set(linuxCapabilities)
        default: break
        }
        var names = Set<String>()
        var unknown = [String]()
        for item in value.split(separator: ",") {
            let word = item.trimmingCharacters(in: .whitespaces)
            guard !word.isEmpty else { continue }
            let upper = word.uppercased()
            let name = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
            if linuxCapabilities.contains(name) {
                names.insert(name)
            } else {
                let guess = closestCapability(to: name).map { " (did you mean \($0)?)" } ?? ""
                unknown.append("\(quotedExcerpt(word))\(guess)")
            }
        }
        guard unknown.isEmpty else {
            throw ValidationError(
                "--caps: unknown capabilit\(unknown.count == 1 ? "y" : "ies") \(unknown.joined(separator: ", ")): "
                    + "expected docker-default, all, none, or Linux capability names (capabilities(7)): "
                    + linuxCapabilities.joined(separator: ", "))
        }
        return names
    }
}

/// The Linux capabilities, CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40), in bit order
/// (linux/capability.h).
let linuxCapabilities = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]

/// The capability within two edits of `name`, if exactly one is.
func closestCapability(to name: String) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0 ... b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let close = linuxCapabilities.filter { distance(Array($0), Array(name)) <= 2 }
    return close.count == 1 ? close[0] : nil
}

/// `unknown architecture "sparc"`, with the names that are known.
func unknownArchitecture(_ name: String, acceptsNumbers: Bool = false) -> InputError {
    let names = acceptsNumbers
        ? AuditArchitecture.byName.map(\.name) : ["native"] + SeccompArchitecture.all.map(\.name)
    return InputError(
        "--arch: unknown architecture \(quotedExcerpt(name)): expected one of \(names.joined(separator: ", "))"
            + (acceptsNumbers ? ", or an AUDIT_ARCH_* value such as 0xc000003e" : " (or amd64, arm64, i386)"))
}

/// Parses `x86_64,x86,x32`.
func parseArchitectures(_ list: String?) throws -> [SeccompArchitecture]? {
    guard let list else { return nil }
    let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !names.isEmpty else { throw InputError("--arch is empty: give one or more names, such as x86_64,x86,x32") }
    var architectures = [SeccompArchitecture]()
    for name in names {
        guard let architecture = SeccompArchitecture(name: name) else { throw unknownArchitecture(name) }
        guard !architectures.contains(architecture) else {
            throw InputError("--arch lists \(architecture.name) twice (\"\(list)\")")
        }
        architectures.append(architecture)
    }
    return architectures
}

extension PolicyInput {
    /// Loads and compiles the policy; errors name the input.
    func compile(architectures: [SeccompArchitecture]?) throws -> Program {
        let policy = try load(architectures: architectures)
        do {
            return try SeccompCompiler().compile(policy)
        } catch {
            throw InputError("\(sourceName): \(error)")
        }
    }
}

struct SeccompCompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile", abstract: "Compile a policy or profile to a verified seccomp filter.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case bytecode, d, dd, ddd, raw
    }

    @OptionGroup var input: PolicyInput
    @Option(help: "Comma-separated architectures the filter covers (default: the input's).")
    var arch: String?
    @Option(help: "bytecode (tc style), d, dd, ddd (tcpdump), or raw struct sock_filter bytes.")
    var format: Format = .bytecode

    func run() throws {
        let program = try input.compile(architectures: parseArchitectures(arch))
        switch format {
        case .bytecode: print(BytecodeString.format(program))
        case .d: print(TcpdumpFormat.format(program, style: .listing), terminator: "")
        case .dd: print(TcpdumpFormat.format(program, style: .cArray), terminator: "")
        case .ddd: print(TcpdumpFormat.format(program, style: .decimal), terminator: "")
        case .raw: FileHandle.standardOutput.write(Data(program.bytes))
        }
    }
}

struct SeccompEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Compile a policy and print the action it takes for one system call.")

    @OptionGroup var input: PolicyInput
    @Option(help: "The calling convention of the call (x86_64, x86, x32, aarch64, ...).")
    var arch: String
    // `.unconditional`: a negative number (`--syscall -1`) is the value, not an option.
    @Option(parsing: .unconditional, help: "The system call, by name or number (negative numbers too: --syscall -1).")
    var syscall: String
    @Option(parsing: .unconditional, help: "Up to six comma-separated arguments (negative numbers are two's complement).")
    var args: String?

    func run() throws {
        guard let architecture = SeccompArchitecture(name: arch) else { throw unknownArchitecture(arch) }
        let number: Int32
        if let value = Int32(syscall) {
            number = architecture.usesX32SyscallBit ? value | 0x4000_0000 : value
        } else {
            let resolution: SyscallResolution
            do {
                resolution = try architecture.resolve(syscall)
            } catch {
                throw InputError("--syscall \(syscall): \(error)")
            }
            switch resolution {
            case .number(let value): number = value
            case .multiplexed(let call):
                guard let direct = call.directNumber else {
                    throw InputError(
                        "--syscall \(syscall): \(architecture.name) has no number of its own for it, only "
                            + "\(call.multiplexer.rawValue)(\(call.subcall), ...), number \(call.multiplexerNumber); "
                            + "give that number and --args \(call.subcall)")
                }
                number = direct
            case .unavailable:
                throw InputError("--syscall \(syscall): the system call does not exist on \(architecture.name)")
            }
        }
        let arguments = try parseSystemCallArguments(args)
        let program = try input.compile(architectures: nil)
        let data = SeccompData(emulating: architecture, number: number, arguments: arguments)
        let value = try Interpreter(program, for: .seccomp).run(seccomp: data)
        print("\(hex32(value)) \(SeccompAction(returnValue: value))")
    }
}

struct SeccompStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a compiled filter's length and the instructions it executes per call.",
        discussion: "Executed instructions are counted for every number from 0 to 459 (or the architecture's highest known number), with all arguments zero."
    )

    @OptionGroup var input: PolicyInput
    @Option(help: "Comma-separated architectures the filter covers (default: the input's).")
    var arch: String?

    func run() throws {
        let policy = try input.load(architectures: parseArchitectures(arch))
        do {
            let resolved = try policy.resolve()
            let program = try SeccompCompiler().compile(resolved)
            print(try SeccompFilterStatistics(program: program, policy: resolved))
        } catch {
            throw InputError("\(input.sourceName): \(error)")
        }
    }
}

struct SeccompExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-profile", abstract: "Write a policy or profile as Docker/OCI seccomp JSON.",
        discussion: """
            A policy the format cannot express with the same meaning (groups, raw numbers, 32-bit \
            conditions, rules whose order matters) is refused, with every rule at fault. Two \
            settings of the whole policy have no place in the format, and runtimes choose for \
            themselves: the foreign-architecture action (runc and crun leave libseccomp's \
            default, kill-thread) and "unknown-syscalls enosys" (libseccomp gives unknown numbers \
            the default action; runc fails those above the profile's highest with ENOSYS). When \
            the policy sets them otherwise, the profile is still written and a warning on \
            standard error names what it leaves out; the exit status stays 0.
            """)

    @OptionGroup var input: PolicyInput
    @Option(help: "Comma-separated architectures (default: the input's).")
    var arch: String?

    func run() throws {
        let policy = try input.load(architectures: parseArchitectures(arch))
        let json: String
        do {
            json = try policy.ociProfileJSON()
        } catch {
            throw InputError(error.problems.map { problem in
                let rule = problem.ruleIndex.map { index in
                    index < policy.rules.count ? "rule \(index + 1) \"\(policy.rules[index])\": " : "rule \(index + 1): "
                } ?? ""
                return "\(input.sourceName): \(rule)\(problem.what): \(problem.why)"
            }.joined(separator: "\n"))
        }
        for warning in Self.lostSettings(of: policy) { printError("\(input.sourceName): warning: \(warning)") }
        print(json)
    }

    /// What the profile cannot carry of `policy`: the settings in which it differs from what
    /// runtimes do with a profile.
    static func lostSettings(of policy: SeccompPolicy) -> [String] {
        var lost = [String]()
        if policy.foreignArchitectureAction != .killThread {
            lost.append(
                "the profile cannot carry \"foreign-arch \(SeccompPolicyFormat.format(policy.foreignArchitectureAction))\": "
                    + "runc and crun give calls of other architectures kill-thread (libseccomp's default, SCMP_ACT_KILL)")
        }
        if policy.unknownSyscallsFailWithENOSYS {
            lost.append(
                "the profile cannot carry \"unknown-syscalls enosys\": libseccomp gives numbers it does not know "
                    + "the default action (runc fails those above the profile's highest number with ENOSYS)")
        }
        return lost
    }
}
