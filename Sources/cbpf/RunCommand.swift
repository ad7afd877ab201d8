import ArgumentParser
import CBPF

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program on a packet, or on a system call for --target seccomp.",
        discussion: """
            Packet targets print the return value. With --target seccomp the program runs on a \
            seccomp_data built from --arch, --nr, --args and --ip, and the action is printed \
            after the value, for example: 0x00050001 ERRNO(1)
            """
    )

    @OptionGroup var target: TargetOption

    @Option(help: "The packet bytes in hexadecimal (spaces and colons are ignored).")
    var packet: String?
    @Option(help: "What `ld #len` returns (default: the packet's length).")
    var wirelen: UInt32?

    @Option(help: "seccomp: the architecture (x86_64, x86, x32, aarch64, ... or a number).")
    var arch: String?
    // `.unconditional`: a negative number (`--nr -1`) is the value, not an option.
    @Option(parsing: .unconditional, help: "seccomp: the system call number (negative numbers too: --nr -1).")
    var nr: Int32?
    @Option(parsing: .unconditional, help: "seccomp: up to six comma-separated arguments (negative numbers are two's complement).")
    var args: String?
    @Option(help: "seccomp: the instruction pointer.")
    var ip: String?

    @OptionGroup var input: ProgramInput

    func validate() throws {
        if target.target == .seccomp {
            guard arch != nil, nr != nil else { throw ValidationError("--target seccomp needs --arch and --nr") }
            if packet != nil || wirelen != nil { throw ValidationError("--packet and --wirelen are for packet targets") }
        } else {
            guard packet != nil else { throw ValidationError("--packet is required for packet targets") }
            if arch != nil || nr != nil || args != nil || ip != nil {
                throw ValidationError("--arch, --nr, --args and --ip need --target seccomp")
            }
        }
    }

    func run() throws {
        let interpreter = try Interpreter(input.program(), for: target.target)
        if target.target == .seccomp {
            let value = interpreter.run(seccomp: try seccompData())
            print("\(hex32(value)) \(SeccompAction(returnValue: value))")
        } else {
            let bytes = try parseHex(packet ?? "")
            print(interpreter.run(packet: bytes, wireLength: wirelen))
        }
    }

    func seccompData() throws -> SeccompData {
        guard let name = arch, let architecture = AuditArchitecture(name: name) else {
            throw unknownArchitecture(arch ?? "", acceptsNumbers: true)
        }
        var number = nr ?? 0
        if name.lowercased() == "x32" { number |= 0x4000_0000 }
        let arguments = try parseSystemCallArguments(args)
        let pointer = try ip.map { text -> UInt64 in
            guard let value = parseUnsigned64(text) else { throw InputError("--ip \(quotedExcerpt(text)) is not a number") }
            return value
        } ?? 0
        return SeccompData(number: number, architecture: architecture.rawValue,
                           instructionPointer: pointer, arguments: arguments)
    }
}

func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

/// `--args a0,...,a5`: at most six 64-bit numbers. An empty field is an error, not a number
/// left out: `,5` would otherwise read as arg0 = 5.
func parseSystemCallArguments(_ text: String?) throws -> [UInt64] {
    guard let text else { return [] }
    let fields = text.split(separator: ",", omittingEmptySubsequences: false)
    guard fields.count <= 6 else {
        throw InputError("--args \(quotedExcerpt(text)): \(fields.count) arguments: a system call has at most six")
    }
    return try fields.enumerated().map { index, field -> UInt64 in
        let trimmed = field.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw InputError(
                "--args \(quotedExcerpt(text)): argument \(index) is empty: give a number for each of arg0 to arg\(fields.count - 1), "
                    + "or leave out the arguments at the end")
        }
        guard let value = parseUnsigned64(trimmed) else {
            throw InputError("--args \(quotedExcerpt(text)): argument \(index) \(quotedExcerpt(field)) is not a 64-bit number "
                + "(decimal, 0x, 0o or 0b, optionally negative; no leading zero, which C would read as octal)")
        }
        return value
    }
}

func parseUnsigned64(_ text: String) -> UInt64? {
    try? parseInteger(text, style: .prefixed)
}

func parseHex(_ text: String) throws -> [UInt8] {
    let digits = text.filter { !" :\t\n".contains($0) }
    let lowered = digits.hasPrefix("0x") ? String(digits.dropFirst(2)) : digits
    guard lowered.count % 2 == 0 else {
        throw InputError("--packet has an odd number of hex digits (\(lowered.count))")
    }
    var bytes = [UInt8]()
    var index = lowered.startIndex
    while index < lowered.endIndex {
        let next = lowered.index(index, offsetBy: 2)
        guard let byte = UInt8(lowered[index ..< next], radix: 16) else {
            throw InputError("--packet: \"\(lowered[index ..< next])\" at byte \(bytes.count) is not hexadecimal")
        }
        bytes.append(byte)
        index = next
    }
    return bytes
}
