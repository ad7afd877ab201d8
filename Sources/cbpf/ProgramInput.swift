import ArgumentParser
import CBPF
import Foundation

/// A program given on the command line: a tc-style bytecode string (`4,40 0 0 12,...`),
/// tcpdump's `-ddd` or `-dd` output, or `-` to read any of those from standard input.
struct ProgramInput: ParsableArguments {
    @Argument(help: "The program: a bytecode string such as \"2,40 0 0 12,6 0 0 0\", or - for standard input.")
    var bytecode: String

    func rawInstructions() throws -> [RawInstruction] {
        try cbpf.rawInstructions(fromArgument: bytecode)
    }

    func program() throws -> Program {
        try Program(raw: rawInstructions())
    }
}

/// A program argument as `ProgramInput` and `cbpf filter --bytecode` take it: the text itself,
/// or `-` for standard input.
func rawInstructions(fromArgument argument: String) throws -> [RawInstruction] {
    try parseProgramText(argument == "-" ? readText("-", limit: .programText) : argument)
}

/// Accepts the three numeric program encodings that tcpdump and tc print.
func parseProgramText(_ text: String) throws -> [RawInstruction] {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    // tcpdump -dd starts with "{"; -ddd has one instruction per line and no commas.
    if trimmed.hasPrefix("{") || (trimmed.contains("\n") && !trimmed.contains(",")) {
        return try TcpdumpFormat.parse(trimmed)
    }
    return try BytecodeString.parse(trimmed)
}

/// How messages name a file given on the command line: `<stdin>` for `-`.
func displayName(ofPath path: String) -> String {
    path == "-" ? "<stdin>" : path
}

/// The output encodings shared by commands that print a program.
struct OutputFormatOptions: ParsableArguments {
    @Flag(name: .customShort("d"), help: "Print tcpdump's -d listing.")
    var listing = false
    @Flag(name: .customLong("dd", withSingleDash: true), help: "Print tcpdump's -dd C array.")
    var cArray = false
    @Flag(name: .customLong("ddd", withSingleDash: true), help: "Print tcpdump's -ddd decimal form.")
    var decimal = false

    func validate() throws {
        if [listing, cArray, decimal].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of -d, -dd and -ddd")
        }
    }

    func render(_ program: Program) -> String {
        if listing { return TcpdumpFormat.format(program, style: .listing) }
        if cArray { return TcpdumpFormat.format(program, style: .cArray) }
        if decimal { return TcpdumpFormat.format(program, style: .decimal) }
        return BytecodeString.format(program) + "\n"
    }
}

/// `--target socket|seccomp|cls_bpf|xt_bpf`.
struct TargetOption: ParsableArguments {
    @Option(help: "The attach point whose rules apply: socket, seccomp, cls_bpf or xt_bpf.")
    var target: AttachTarget = .socket
}

extension AttachTarget: ExpressibleByArgument {}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Bad input found while running a command (as opposed to bad usage, which prints the usage).
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
