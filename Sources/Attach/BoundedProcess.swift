import Glibc
import SystemCalls
import SystemPackage

/// Runs a tool such as `iptables-restore` with its standard input given, its output read up to a
/// bound, and a time limit after which it is killed.
struct BoundedProcess {
    /// How a run ended and what it printed.
    struct Result {
        var status: Int32
        var output: [UInt8]
        var errorOutput: [UInt8]
        var outputText: String { String(decoding: output, as: UTF8.self) }
        var errorText: String { String(decoding: errorOutput, as: UTF8.self) }
    }

    /// Where tools are looked for after `$PATH`: the sbin directories a user's PATH may lack.
    static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The path of `tool` in `$PATH` or the usual directories, or nil.
    static func find(_ tool: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init) + fallbackDirectories
        return directories.map { "\($0)/\(tool)" }.first { access($0, X_OK) == 0 }
    }

    /// Runs `path` with `arguments`; fails when it runs longer than `timeout` or prints more than
    /// `outputLimit` bytes on either stream.
    static func run(
        _ path: String, _ arguments: [String], input: [UInt8] = [], timeout: Duration = .seconds(20),
        outputLimit: Int = 16 << 20
    ) throws(XtBPFError) -> Result {
        // Sockets rather than pipes: writing to a tool that exited early then fails with
        // EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE in this process. The first end of each
        // is ours, the second the tool's.
        func socketPair() throws(XtBPFError) -> OwnedFileDescriptor.SocketPair {
            do {
                return try OwnedFileDescriptor.socketPair()
            } catch {
                throw XtBPFError("socketpair: \(error.errno)")
            }
        }
        let inputSockets = try socketPair()
        let outputSockets = try socketPair()
        let errorSockets = try socketPair()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputSockets.second.descriptor.rawValue, 0)
        posix_spawn_file_actions_adddup2(&actions, outputSockets.second.descriptor.rawValue, 1)
        posix_spawn_file_actions_adddup2(&actions, errorSockets.second.descriptor.rawValue, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        // Only the tool keeps its ends, so that its exit is the end of its output.
        try? inputSockets.second.close()
        try? outputSockets.second.close()
        try? errorSockets.second.close()
        guard spawned == 0 else { throw XtBPFError("posix_spawn(\(path)): \(Errno(rawValue: spawned))") }
        var result = Result(status: -1, output: [], errorOutput: [])
        var pending = input[...]
        var descriptors = [
            pollfd(fd: inputSockets.first.descriptor.rawValue, events: Int16(POLLOUT), revents: 0),
            pollfd(fd: outputSockets.first.descriptor.rawValue, events: Int16(POLLIN), revents: 0),
            pollfd(fd: errorSockets.first.descriptor.rawValue, events: Int16(POLLIN), revents: 0),
        ]
        // Our ends, each closed (set to nil) when its stream is done.
        var inputEnd: OwnedFileDescriptor? = inputSockets.first
        var outputEnd: OwnedFileDescriptor? = outputSockets.first
        var errorEnd: OwnedFileDescriptor? = errorSockets.first
        if pending.isEmpty { _ = inputEnd.take(); descriptors[0].fd = -1 }
        let deadline = ContinuousClock.now + timeout
        var failure: XtBPFError? = nil
        while descriptors[1].fd >= 0 || descriptors[2].fd >= 0 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                failure = XtBPFError("\(path) \(arguments.joined(separator: " ")) ran longer than \(timeout) and was killed")
                break
            }
            let milliseconds = Int32(min(1000, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            do {
                _ = try valueOrErrno { poll(&descriptors, nfds_t(descriptors.count), milliseconds) }
            } catch {
                failure = XtBPFError("poll: \(error)")
                break
            }
            if descriptors[0].fd >= 0 && descriptors[0].revents != 0 {
                let written = try? valueOrErrno {
                    pending.withUnsafeBytes { send(descriptors[0].fd, $0.baseAddress, min($0.count, 4096), Int32(MSG_NOSIGNAL)) }
                }
                if let written, written > 0 { pending = pending.dropFirst(written) }
                if (written ?? 0) <= 0 || pending.isEmpty { _ = inputEnd.take(); descriptors[0].fd = -1 }
            }
            for index in 1...2 where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                let count = (try? valueOrErrno { buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) } }) ?? 0
                if count <= 0 {
                    _ = index == 1 ? outputEnd.take() : errorEnd.take()
                    descriptors[index].fd = -1
                } else if index == 1 {
                    result.output += buffer[..<count]
                } else {
                    result.errorOutput += buffer[..<count]
                }
            }
            if result.output.count > outputLimit || result.errorOutput.count > outputLimit {
                failure = XtBPFError("\(path) printed more than \(outputLimit) bytes and was killed")
                break
            }
        }
        _ = inputEnd.take()
        _ = outputEnd.take()
        _ = errorEnd.take()
        var status: Int32 = 0
        // A tool that closed its output may still run: it gets until the deadline too.
        while failure == nil {
            let waited: pid_t
            do {
                waited = try valueOrErrno { waitpid(pid, &status, WNOHANG) }
            } catch {
                failure = XtBPFError("waitpid: \(error)")
                break
            }
            if waited == pid { break }
            if ContinuousClock.now > deadline {
                failure = XtBPFError("\(path) \(arguments.joined(separator: " ")) ran longer than \(timeout) and was killed")
            } else {
                usleep(1_000)
            }
        }
        if let failure {
            kill(pid, SIGKILL)
            _ = try? valueOrErrno { waitpid(pid, &status, 0) }
            throw failure
        }
        // WIFEXITED / WEXITSTATUS, which are macros.
        result.status = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return result
    }
}
