import ArgumentParser
import CBPF
import Foundation
import Seccomp

struct SeccompCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp",
        abstract: "Compile, evaluate and measure seccomp policies and Docker/OCI profiles; read, explain, compare and audit filters.",
        subcommands: [
            SeccompCompileCommand.self, SeccompEvalCommand.self, SeccompStatsCommand.self,
            SeccompExportCommand.self, SeccompDumpCommand.self, SeccompExplainCommand.self, SeccompDiffCommand.self,
            SeccompAuditCommand.self,
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
        var source = if let profile {
            SeccompPolicySource(ociProfile: try readText(profile, limit: .policy), name: sourceName)
        } else {
            SeccompPolicySource(policyText: try readText(policy ?? "-", limit: .policy), name: sourceName)
        }
        source.architectures = architectures
        source.capabilities = try capabilities()
        do {
            let (policy, warnings) = try source.load()
            for warning in warnings { printError("\(sourceName): warning: \(warning)") }
            return policy
        } catch where error.concernsArchitectures {
            throw InputError("--arch \(architectures?.map(\.name).joined(separator: ",") ?? ""): \(error.message)")
        } catch {
            throw InputError("\(error)")
        }
    }

    /// The capabilities `--caps` names, as profiles write them (`CAP_SYS_ADMIN`).
    func capabilities() throws -> Set<String> {
        do {
            return try LinuxCapabilities.parse(caps ?? "docker-default")
        } catch {
            throw ValidationError("--caps: \(error)")
        }
    }
}

/// `unknown architecture "sparc"`, with the names that are known (and for `run`, the
/// `AUDIT_ARCH_*` numbers it also takes).
func unknownArchitecture(_ name: String, acceptsNumbers: Bool = false) -> InputError {
    guard acceptsNumbers else { return InputError("--arch: \(ArchitectureListError.unknown(name))") }
    return InputError(
        "--arch: unknown architecture \(quotedExcerpt(name)): expected one of "
            + AuditArchitecture.byName.map(\.name).joined(separator: ", ")
            + ", or an AUDIT_ARCH_* value such as 0xc000003e")
}

/// Parses `x86_64,x86,x32`.
func parseArchitectures(_ list: String?) throws -> [SeccompArchitecture]? {
    guard let list else { return nil }
    do {
        return try SeccompArchitecture.list(parsing: list)
    } catch {
        throw InputError("--arch: \(error)")
    }
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
