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
    @Option(help: "A Docker/OCI seccomp profile (JSON).")
    var profile: String?
    @Option(help: "A policy in the native text format (docs/seccomp-policy-format.md).")
    var policy: String?
    @Option(help: "Capabilities for a profile's includes and excludes: docker-default, none, or CAP_A,CAP_B.")
    var caps = "docker-default"

    func validate() throws {
        if (profile == nil) == (policy == nil) {
            throw ValidationError("give exactly one of --profile and --policy")
        }
    }

    /// Loads the policy. `architectures`, when given, is the list the filter covers; for a
    /// profile the first is the target and the others must come from its `archMap`.
    func load(architectures: [SeccompArchitecture]?) throws -> SeccompPolicy {
        if let path = profile {
            var options = OCIProfileImportOptions()
            options.capabilities = try capabilities()
            if let architectures {
                options.architecture = architectures[0]
                options.includesSubArchitectures = architectures.count > 1
            }
            let imported = try OCISeccompProfile(json: readText(path)).policy(options: options)
            for warning in imported.warnings { printError("warning: \(warning)") }
            var policy = imported.policy
            if let architectures {
                for architecture in architectures where !policy.architectures.contains(architecture) {
                    throw InputError("the profile does not cover \(architecture.name) with target \(architectures[0].name)")
                }
                policy.architectures = architectures
            }
            return policy
        }
        var policy = try SeccompPolicy(parsing: readText(policy ?? ""))
        if let architectures { policy.architectures = architectures }
        return policy
    }

    func capabilities() throws -> Set<String> {
        switch caps.lowercased() {
        case "docker-default": return OCIProfileImportOptions.dockerDefaultCapabilities
        case "none", "": return []
        default: return Set(caps.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
    }
}

/// Parses `x86_64,x86,x32`.
func parseArchitectures(_ list: String?) throws -> [SeccompArchitecture]? {
    guard let list else { return nil }
    let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !names.isEmpty else { throw InputError("--arch is empty") }
    return try names.map { name in
        guard let architecture = SeccompArchitecture(name: name) else {
            throw InputError("unknown architecture \"\(name)\"")
        }
        return architecture
    }
}

func readText(_ path: String) throws -> String {
    if path == "-" { return readStandardInput() }
    guard let data = FileManager.default.contents(atPath: path) else { throw InputError("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self)
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
        let program = try SeccompCompiler().compile(input.load(architectures: parseArchitectures(arch)))
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
    @Option(help: "The system call, by name or number.")
    var syscall: String
    @Option(help: "Up to six comma-separated arguments.")
    var args: String?

    func run() throws {
        guard let architecture = SeccompArchitecture(name: arch) else {
            throw InputError("unknown architecture \"\(arch)\"")
        }
        let number: Int32
        if let value = Int32(syscall) {
            number = architecture.usesX32SyscallBit ? value | 0x4000_0000 : value
        } else {
            switch try architecture.resolve(syscall) {
            case .number(let value): number = value
            case .multiplexed(let call):
                guard let direct = call.directNumber else {
                    throw InputError("\(syscall) on \(architecture.name) is only reachable through a multiplexer; give its number")
                }
                number = direct
            case .unavailable:
                throw InputError("\(syscall) does not exist on \(architecture.name)")
            }
        }
        let arguments = try parseSystemCallArguments(args)
        let program = try SeccompCompiler().compile(input.load(architectures: nil))
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
        let resolved = try policy.resolve()
        let program = try SeccompCompiler().compile(resolved)
        print(try SeccompFilterStatistics(program: program, policy: resolved))
    }
}

struct SeccompExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-profile", abstract: "Write a policy or profile as Docker/OCI seccomp JSON.")

    @OptionGroup var input: PolicyInput
    @Option(help: "Comma-separated architectures (default: the input's).")
    var arch: String?

    func run() throws {
        print(try input.load(architectures: parseArchitectures(arch)).ociProfileJSON())
    }
}
