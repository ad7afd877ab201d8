import Glibc
import SystemCalls

/// A child process with its standard output and error in files, started by `spawnProcess` so
/// that SIGINT stops it.
final class Child {
    let pid: pid_t
    let outputPath: String
    let errorPath: String
    /// User and system CPU seconds, once it has exited.
    private(set) var cpuSeconds = 0.0

    init(_ arguments: [String], directory: String, name: String) throws {
        outputPath = directory + "/\(name).out"
        errorPath = directory + "/\(name).err"
        do {
            pid = try spawnProcess(arguments, standardOutput: outputPath, standardError: errorPath)
        } catch {
            throw BenchmarkError("\(error)")
        }
    }

    var standardOutput: String { Self.read(outputPath) }
    var standardError: String { Self.read(errorPath) }

    /// Waits for the exit, up to `timeout` seconds (then kills); the exit status or nil.
    @discardableResult
    func wait(timeout: Double = 30) -> Int32? {
        let deadline = Sender.now() + timeout
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, WNOHANG, &usage) != pid {
            if Sender.now() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return nil
            }
            usleep(10_000)
        }
        cpuSeconds = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : nil
    }

    func waitForError(containing text: String, timeout: Double = 20) -> Bool {
        let deadline = Sender.now() + timeout
        while Sender.now() < deadline {
            if standardError.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs a command to its end; throws with its output when it fails.
func runCommand(_ arguments: [String]) throws {
    let child = try Child(arguments, directory: "/tmp", name: "capture-benchmark-\(getpid())")
    defer {
        unlink(child.outputPath)
        unlink(child.errorPath)
    }
    guard child.wait() == 0 else { throw BenchmarkError("\(arguments.joined(separator: " ")): \(child.standardError)") }
}
