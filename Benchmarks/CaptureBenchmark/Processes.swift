import Glibc

/// A child process with its standard output and error in files, started with an empty signal
/// mask so that SIGINT stops it.
final class Child {
    let pid: pid_t
    let outputPath: String
    let errorPath: String
    /// User and system CPU seconds, once it has exited.
    private(set) var cpuSeconds = 0.0

    init(_ arguments: [String], directory: String, name: String) throws {
        outputPath = directory + "/\(name).out"
        errorPath = directory + "/\(name).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, arguments[0], &actions, &attributes, &cArguments, environ)
        guard result == 0 else { throw BenchmarkError("posix_spawn \(arguments[0]): \(String(cString: strerror(result)))") }
        pid = child
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
