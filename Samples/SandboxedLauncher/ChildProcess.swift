import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// How a child process ended and what it printed (standard output and error together).
struct ChildOutcome: Sendable {
    var output: String
    /// The exit status, when it exited.
    var exitStatus: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?

    /// `exit 0`, `killed by SIGSYS (signal 31)`.
    var ending: String {
        if let signal { return "killed by \(signalName(signal)) (signal \(signal))" }
        return "exit \(exitStatus ?? -1)"
    }
}

/// A child started with `posix_spawn`, whose output is read when it ends. It owns the read end
/// of the child's output, so it is `~Copyable` and ``finish()`` consumes it.
///
/// posix_spawn rather than fork: no Swift code runs between fork and exec, and the demo process
/// itself never installs a filter; each child (this executable again) installs its own.
struct ChildProcess: ~Copyable {
    let pid: pid_t
    private let output: OwnedFileDescriptor

    /// Starts `path` with `arguments` (`argv[1...]`); `descriptor`, when given, becomes the
    /// child's descriptor 3.
    init(_ path: String, _ arguments: [String], passing descriptor: FileDescriptor? = nil) throws(LaunchError) {
        // Neither end may stay open in the child (dup2 clears close-on-exec on its copies), or
        // the demo would never see the end of the output.
        let pipe: OwnedFileDescriptor.Pipe
        do {
            pipe = try OwnedFileDescriptor.pipe()
        } catch {
            throw LaunchError("pipe: \(error.errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe.writeEnd.descriptor.rawValue, 1)
        posix_spawn_file_actions_adddup2(&actions, pipe.writeEnd.descriptor.rawValue, 2)
        if let descriptor { posix_spawn_file_actions_adddup2(&actions, descriptor.rawValue, 3) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        try? pipe.writeEnd.close()
        guard result == 0 else { throw LaunchError("posix_spawn \(path): \(errorMessage(result))") }
        self.pid = pid
        output = pipe.readEnd
    }

    /// Reads the output to its end and waits for the child.
    consuming func finish() throws(LaunchError) -> ChildOutcome {
        let pid = self.pid
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = (try? valueOrErrno { chunk.withUnsafeMutableBytes { read(output.descriptor.rawValue, $0.baseAddress, $0.count) } }) ?? 0
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        try? output.close()
        var signal: Int32 = 0
        var status: Int32 = 0
        do {
            _ = try valueOrErrno { cbpf_wait_child(pid, &signal, &status) }
        } catch {
            throw LaunchError("waitpid: \(error)")
        }
        return ChildOutcome(
            output: String(decoding: bytes, as: UTF8.self), exitStatus: signal == 0 ? status : nil,
            signal: signal == 0 ? nil : signal)
    }

    /// Runs `path` with `arguments` to its end.
    static func run(_ path: String, _ arguments: [String]) throws(LaunchError) -> ChildOutcome {
        try ChildProcess(path, arguments).finish()
    }
}

/// `SIGSYS`, or `signal N`.
func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGSYS: "SIGSYS"
    case SIGKILL: "SIGKILL"
    case SIGSEGV: "SIGSEGV"
    case SIGABRT: "SIGABRT"
    case SIGTRAP: "SIGTRAP"
    case SIGILL: "SIGILL"
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    case SIGHUP: "SIGHUP"
    case SIGQUIT: "SIGQUIT"
    case SIGPIPE: "SIGPIPE"
    default: "signal \(signal)"
    }
}
