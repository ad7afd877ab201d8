import SystemCalls
import SystemPackage

/// The most bytes `cbpf` reads from one input file or standard input, by kind, so that an
/// endless or huge input (`< /dev/zero`) is refused as soon as it passes the bound instead of
/// filling memory. Each is far above what a valid input of the kind can need.
struct InputSizeLimit: Sendable {
    /// What the input is, as the refusal names it.
    var kind: String
    var bytes: Int

    /// Bytecode strings, tcpdump `-dd`/`-ddd` output and bpf_asm source: 1 MiB. The longest
    /// program the kernel takes, 4,096 instructions, is under 100 KiB in any of these.
    static let programText = InputSizeLimit(kind: "a program text", bytes: 1 << 20)
    /// Seccomp policies in the text format and Docker/OCI profiles: 16 MiB. Docker's default
    /// profile is 20 KiB, and 10,000 argument rules take 300 KiB.
    static let policy = InputSizeLimit(kind: "a seccomp policy or profile", bytes: 16 << 20)
}

/// Reads a file named on the command line, or standard input for `-`, up to `limit`.
///
/// - Throws: ``InputError`` `cannot read PATH: REASON`, with the system's reason
///   (`No such file or directory`, `Permission denied`, `Is a directory`), or
///   `PATH: more than 1 MiB (1048576 bytes), the most cbpf reads as a program text`.
func readFile(_ path: String, limit: InputSizeLimit) throws -> [UInt8] {
    let name = displayName(ofPath: path)
    do {
        return path == "-"
            ? try FileDescriptor.standardInput.readToEnd(limit: limit.bytes)
            : try readWholeFile(atPath: path, limit: limit.bytes)
    } catch {
        switch error {
        case .unreadable(let error):
            throw InputError("cannot read \(name): \(error.errno)")
        case .tooLarge:
            throw InputError(
                "\(name): more than \(limit.bytes >> 20) MiB (\(limit.bytes) bytes), the most cbpf reads as \(limit.kind)")
        }
    }
}

/// ``readFile(_:limit:)`` as UTF-8 text (invalid sequences become U+FFFD).
func readText(_ path: String, limit: InputSizeLimit) throws -> String {
    String(decoding: try readFile(path, limit: limit), as: UTF8.self)
}
