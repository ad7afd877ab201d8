import Glibc
import Seccomp
import SystemCalls

/// A failure to report on standard error before exiting with `exitCode`: 1 for a bad policy,
/// 64 for bad usage, 126 and 127 for a command that cannot run (as shells use them).
struct LaunchError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// Writes a line to standard error, unbuffered, so that it comes out before an `execve`.
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

/// Flushes what `print` buffered (every stdio stream): `execve` and `exit` paths would drop it.
func flushStandardOutput() {
    fflush(nil)
}

/// The system's message for an errno: `No such file or directory`.
func errorMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// `EPERM`, or the number when the name is unknown.
func errnoName(_ code: Int32) -> String {
    UInt16(exactly: code).map { ErrnoCode(rawValue: $0).description } ?? String(code)
}

/// The most bytes read from one file: 16 MiB, as `cbpf` reads policies and profiles, so that
/// `--policy /dev/zero` is refused at the bound instead of filling memory.
let maximumFileSize = 16 << 20

/// Reads a whole file, of at most ``maximumFileSize`` bytes.
///
/// - Throws: `cannot read PATH: REASON`, with the system's reason, or
///   `PATH: more than 16 MiB (16777216 bytes), the most sandbox-launch reads from a file`.
func readTextFile(_ path: String) throws(LaunchError) -> String {
    do {
        return String(decoding: try readWholeFile(atPath: path, limit: maximumFileSize), as: UTF8.self)
    } catch {
        switch error {
        case .unreadable(let error):
            throw LaunchError("cannot read \(path): \(error.errno)")
        case .tooLarge:
            throw LaunchError(
                "\(path): more than \(maximumFileSize >> 20) MiB (\(maximumFileSize) bytes), the most sandbox-launch reads from a file")
        }
    }
}

/// This executable's path, from `/proc/self/exe`.
func selfExecutablePath() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return CommandLine.arguments[0] }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Whether this kernel has seccomp filters: `Seccomp:` in `/proc/self/status` (Linux 3.8) and
/// the filter mode in `/proc/sys/kernel/seccomp/actions_avail` (Linux 4.14).
func seccompIsAvailable() -> Bool {
    let status = (try? readTextFile("/proc/self/status")) ?? ""
    return status.contains("\nSeccomp:") && access("/proc/sys/kernel/seccomp/actions_avail", R_OK) == 0
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines.
    var trimmed: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
