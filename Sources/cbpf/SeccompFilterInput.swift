import ArgumentParser
import CBPF
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Seccomp

/// Where the seccomp forensics commands take a filter from: a program (text, a file or
/// standard input), the filters of a running process, or a policy or profile compiled here.
struct SeccompFilterInput: ParsableArguments {
    @Argument(help: ArgumentHelp(
        """
        The filter: a bytecode string ("4,32 0 0 4,..."), tcpdump -dd or -ddd text, a file holding \
        one of those or raw struct sock_filter bytes (cbpf seccomp compile --format raw), or - for \
        standard input.
        """, valueName: "program"))
    var program: String?
    @Option(help: "Read the filters of this running process (or thread) instead (needs root); several are analysed together, as the kernel applies them.")
    var pid: Int32?
    @Option(help: "With --pid: only the filter with this index (0 is the oldest, the first installed), on its own.")
    var index: Int?
    @OptionGroup var policyInput: OptionalPolicyInput

    func validate() throws {
        let given = [program != nil, pid != nil, policyInput.isGiven].filter { $0 }.count
        if given != 1 {
            throw ValidationError("give exactly one of a program, --pid, --policy and --profile")
        }
        if index != nil, pid == nil { throw ValidationError("--index goes with --pid") }
        if let index, index < 0 { throw ValidationError("--index: expected 0 or more, got \(index)") }
    }

    /// The filter analysed: a process's filters combined as the kernel applies them, or the one
    /// `--index` picks.
    func analysed(_ limits: AnalysisLimitOptions, command: String) throws -> AnalysedFilter {
        if let pid { return try limits.analyseFilters(ofProcess: pid, index: index, command: command) }
        let (label, program) = try filters()[0]
        return AnalysedFilter(label: label, header: nil, analysis: try limits.analyse(program, label: label))
    }

    /// The filters, each with a label for headers: `process 1234, filter 1 of 2 (the newest)`.
    func filters() throws -> [(label: String, program: Program)] {
        if let program {
            return [(displayName(ofPath: program), try readSeccompProgram(program))]
        }
        if let pid {
            return try readFilters(ofProcess: pid, index: index)
        }
        let policy = try policyInput.compile()
        return [(policyInput.sourceName, policy)]
    }
}

/// `--policy FILE | --profile FILE` with `--caps` and `--arch`, where a program may be given
/// instead.
struct OptionalPolicyInput: ParsableArguments {
    @Option(help: "A policy in the native text format, compiled with SeccompCompiler.")
    var policy: String?
    @Option(help: "A Docker/OCI seccomp profile (JSON), compiled with SeccompCompiler.")
    var profile: String?
    @Option(help: "With --profile: the container's capabilities (docker-default, all, none, or a list).")
    var caps: String?
    @Option(help: "With --policy or --profile: the architectures the filter covers (default: the input's).")
    var arch: String?

    var isGiven: Bool { policy != nil || profile != nil }

    init() {}

    /// One of a policy and a profile, as `diff` takes each side.
    init(policy: String?, profile: String?, caps: String?, arch: String?) {
        self.policy = policy
        self.profile = profile
        self.caps = caps
        self.arch = arch
    }

    func validate() throws {
        if policy != nil, profile != nil { throw ValidationError("give one of --policy and --profile") }
        if !isGiven, caps != nil || arch != nil { throw ValidationError("--caps and --arch go with --policy or --profile") }
    }

    var sourceName: String { displayName(ofPath: profile ?? policy ?? "-") }

    func compile() throws -> Program {
        let input = try PolicyInput.parse(
            (policy.map { ["--policy", $0] } ?? []) + (profile.map { ["--profile", $0] } ?? [])
                + (caps.map { ["--caps", $0] } ?? []))
        return try input.compile(architectures: parseArchitectures(arch))
    }
}

/// A program from the command line: the text itself, `-` for standard input, or a file of text
/// or raw `struct sock_filter` bytes.
func readSeccompProgram(_ argument: String) throws -> Program {
    let raw: [RawInstruction]
    if argument == "-" {
        raw = try parseProgramText(try readText("-", limit: .programText))
    } else if FileManager.default.fileExists(atPath: argument) {
        let bytes = try readFile(argument, limit: .programText)
        if let text = String(validating: bytes, as: UTF8.self), let parsed = try? parseProgramText(text) {
            raw = parsed
        } else if bytes.count % 8 == 0, !bytes.isEmpty {
            raw = try RawInstruction.instructions(fromBytes: bytes)
        } else {
            do {
                raw = try parseProgramText(String(decoding: bytes, as: UTF8.self))
            } catch {
                throw InputError("\(argument): neither a program text (bytecode, tcpdump -dd or -ddd) nor raw "
                    + "struct sock_filter bytes (a multiple of 8 bytes): \(error)")
            }
        }
    } else {
        do {
            raw = try parseProgramText(argument)
        } catch {
            if argument.contains("/") || !argument.contains(",") {
                throw InputError("cannot read \(argument): \(String(cString: strerror(ENOENT))) (and it is not a program "
                    + "text either: \(error))")
            }
            throw error
        }
    }
    do {
        return try Program(raw: raw)
    } catch {
        throw InputError("\(displayName(ofPath: argument)): \(error)")
    }
}

/// The filters of a process, labelled.
func readFilters(ofProcess pid: Int32, index: Int?) throws -> [(label: String, program: Program)] {
    let programs: [Program]
    do {
        programs = try SeccompFilterReader.filters(ofProcess: pid)
    } catch {
        throw InputError("\(error)")
    }
    return try select(programs, index: index, owner: "process \(pid)")
}

func select(_ programs: [Program], index: Int?, owner: String) throws -> [(label: String, program: Program)] {
    let labelled = programs.enumerated().map { offset, program in
        ("\(owner), filter \(offset) of \(programs.count)"
            + (programs.count > 1 && offset == programs.count - 1 ? " (the newest)" : "")
            + (programs.count > 1 && offset == 0 ? " (the oldest)" : ""), program)
    }
    guard let index else { return labelled }
    guard index < programs.count else {
        throw InputError("--index \(index): \(owner) has \(programs.count) filter\(programs.count == 1 ? "" : "s") (0 to \(programs.count - 1))")
    }
    return [labelled[index]]
}
