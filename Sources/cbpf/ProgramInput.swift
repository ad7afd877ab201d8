import ArgumentParser
import CBPF
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

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
    try parseProgramText(argument == "-" ? readStandardInput() : argument)
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

func readStandardInput() -> String {
    String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
}

/// Reads a file named on the command line, or standard input for `-`.
///
/// - Throws: ``InputError`` `cannot read PATH: REASON`, with the system's reason
///   (`No such file or directory`, `Permission denied`, `Is a directory`).
func readFile(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    func failure(_ code: Int32) -> InputError {
        InputError("cannot read \(path): \(String(cString: strerror(code)))")
    }
    guard !path.isEmpty else { throw failure(ENOENT) }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(errno) }
    defer { close(descriptor) }
    var bytes = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count == 0 { return bytes }
        if count < 0 {
            if errno == EINTR { continue }
            throw failure(errno)
        }
        bytes.append(contentsOf: buffer[0 ..< count])
    }
}

/// ``readFile(_:)`` as UTF-8 text (invalid sequences become U+FFFD).
func readText(_ path: String) throws -> String {
    String(decoding: try readFile(path), as: UTF8.self)
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
