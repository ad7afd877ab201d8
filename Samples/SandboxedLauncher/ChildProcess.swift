import CLinuxShims
import Glibc

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

/// A child started with `posix_spawn`, whose output is read when it ends.
///
/// posix_spawn rather than fork: no Swift code runs between fork and exec, and the demo process
/// itself never installs a filter; each child (this executable again) installs its own.
struct ChildProcess {
    let pid: pid_t
    private let outputDescriptor: Int32

    /// Starts `path` with `arguments` (`argv[1...]`); `descriptor`, when given, becomes the
    /// child's descriptor 3.
    init(_ path: String, _ arguments: [String], passing descriptor: Int32? = nil) throws(LaunchError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw LaunchError("pipe: \(errorMessage(errno))") }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        // Neither end may stay open in the child (dup2 clears the flag on its copies), or the
        // demo would never see the end of the output.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        if let descriptor { posix_spawn_file_actions_adddup2(&actions, descriptor, 3) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(writeEnd)
        guard result == 0 else {
            close(readEnd)
            throw LaunchError("posix_spawn \(path): \(errorMessage(result))")
        }
        self.pid = pid
        outputDescriptor = readEnd
    }

    /// Reads the output to its end and waits for the child.
    func finish() throws(LaunchError) -> ChildOutcome {
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(outputDescriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        close(outputDescriptor)
        var signal: Int32 = 0
        var status: Int32 = 0
        guard cbpf_wait_child(pid, &signal, &status) == 0 else { throw LaunchError("waitpid: \(errorMessage(errno))") }
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
    default: "signal \(signal)"
    }
}
