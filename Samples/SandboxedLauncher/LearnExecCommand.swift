import ArgumentParser
import CBPF
import Glibc
import Seccomp
import Synchronization
import SystemCalls
import SystemPackage

/// The supervised side of learn mode: this executable again, started by `sandbox-launch learn`
/// with a Unix socket as descriptor 3. It installs a filter that notifies every call, hands the
/// listener to the supervisor, and execs the command.
///
/// The filter exempts nothing. The listener travels from a second thread, which is not
/// filtered: a filter applies to the thread that installs it (no `TSYNC`). The main thread
/// installs it, stores the descriptor's number in memory (no system call), and calls `execve`,
/// which waits for the supervisor. The second thread sees the number, sends the descriptor over
/// the socket (`SCM_RIGHTS`), and is ended by the `execve`, which keeps only the calling
/// thread. The supervisor can answer the `execve` only once it has the listener, so the send
/// always comes first. Nothing the command does can reach the socket: it is close-on-exec.
struct LearnExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn-exec",
        abstract: "(learn helper) exec a command under a filter that notifies every call, supervised through descriptor 3.",
        shouldDisplay: false
    )

    // PATH has a slash and comes first, so nothing here is read as an option.
    @Argument(parsing: .captureForPassthrough, help: "The executable's path, then argv.")
    var command: [String] = []

    /// The listener's number for the sending thread: -1 until the filter is in.
    static let listener = Atomic<Int32>(-1)
    static let supervisorSocket: Int32 = 3

    func run() throws {
        guard command.count >= 2 else { throw ValidationError("learn-exec takes PATH ARGV0 [ARGS...]") }
        // The socket must not reach the command.
        guard fcntl(Self.supervisorSocket, F_SETFD, FD_CLOEXEC) == 0 else {
            printError("sandbox-launch learn: descriptor 3 is not the supervisor's socket: \(errorMessage(errno))")
            throw ExitCode(1)
        }
        let program: VerifiedProgram
        do {
            program = try SeccompCompiler().compileVerified(LearnFilter.policy)
        } catch {
            printError("sandbox-launch learn: cannot compile the notifying filter: \(error)")
            throw ExitCode(1)
        }
        guard let path = strdup(command[0]) else { throw ExitCode(1) }
        let arguments = Executable.cArguments(Array(command.dropFirst()))
        var sender = pthread_t()
        guard pthread_create(&sender, nil, { _ in LearnExecCommand.sendListener() }, nil) == 0 else {
            printError("sandbox-launch learn: cannot start the thread that sends the listener")
            throw ExitCode(1)
        }
        flushStandardOutput()
        LauncherSyscalls.resetCaughtSignals()
        let descriptor: FileDescriptor
        do {
            // This thread only: the sender stays unfiltered.
            guard let owned = try SeccompInstaller(flags: .newListener, noNewPrivileges: .set).install(program) else {
                printError("sandbox-launch learn: the kernel returned no listener")
                _exit(1)
            }
            descriptor = owned.release()
        } catch {
            printError("sandbox-launch learn: cannot install the notifying filter: \(error)")
            _exit(1)
        }
        // From here every call of this thread waits for the supervisor.
        Self.listener.store(descriptor.rawValue, ordering: .releasing)
        Executable.exec(path, arguments: arguments)
    }

    /// The sending thread: waits for the listener's number, sends it, and waits to be ended by
    /// the `execve` (or by the main thread's `_exit`).
    static func sendListener() -> UnsafeMutableRawPointer? {
        var number = listener.load(ordering: .acquiring)
        while number < 0 {
            usleep(20)
            number = listener.load(ordering: .acquiring)
        }
        do {
            try DescriptorPassing.send(FileDescriptor(rawValue: number), over: FileDescriptor(rawValue: supervisorSocket))
        } catch {
            // The main thread waits in execve for an answer that cannot come: end the process.
            printError("sandbox-launch learn: cannot hand the listener to the supervisor: \(error)")
            _exit(1)
        }
        while true { pause() }
    }
}

/// The filter of learn mode.
enum LearnFilter {
    /// `SECCOMP_RET_USER_NOTIF` for every call of every architecture: `default user-notif` with
    /// `foreign-arch user-notif`, so that calls of other conventions (x86's `int 0x80` and x32
    /// on x86_64) are notified and recorded with their architecture too.
    static let policy = SeccompPolicy(
        defaultAction: .userNotification, architectures: [.native], foreignArchitectureAction: .userNotification)
}
