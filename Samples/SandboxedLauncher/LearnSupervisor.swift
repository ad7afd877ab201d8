import CBPF
import CLinuxShims
import Glibc
import Seccomp
import SystemCalls
import SystemPackage

/// How the learned command ended, and what it did.
struct LearnOutcome: Sendable {
    var learned: LearnedCalls
    /// The exit status, when it exited.
    var exitStatus: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?
    /// A signal the launcher received (and forwarded) while the command ran.
    var interruption: Int32?
    /// Whether processes the command left behind were still running when the launcher stopped
    /// answering (after a signal): their calls then fail with `ENOSYS`.
    var abandonedDescendants = false
    /// Whether the supervisor stopped on an error: what was recorded is then incomplete.
    var supervisionFailed = false

    /// The launcher's exit status: the command's, or 128 + the signal that ended it, as shells
    /// report it.
    var launcherExitStatus: Int32 {
        if let signal { return 128 + signal }
        return exitStatus ?? 1
    }
}

/// Learn mode's supervisor: starts the command through `learn-exec`, takes its listener, and
/// answers every notification with `SECCOMP_USER_NOTIF_FLAG_CONTINUE` at once, recording it,
/// until the command and every process it started have ended.
///
/// It waits in `poll` on the listener and on a signalfd; nothing else blocks. `SIGINT`,
/// `SIGTERM`, `SIGHUP` and `SIGQUIT` are forwarded to the command (not a terminal's, which the
/// command got itself, as the whole foreground group does), and answering goes on, so that the
/// command can end as it would: a supervisor that stopped answering would leave its calls
/// waiting. `SIGCHLD` says the command ended; answering goes on while processes it started still
/// run (the listener reports `POLLHUP` when no filtered process is left, Linux 5.8). A signal
/// after the command ended stops the wait for those.
struct LearnSupervisor {
    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    let executable: String
    let command: [String]
    let recordsArguments: Bool

    func run() throws(LaunchError) -> LearnOutcome {
        let signalDescriptor = try Self.blockSignals()
        let sockets: OwnedFileDescriptor.SocketPair
        do {
            sockets = try OwnedFileDescriptor.socketPair()
        } catch {
            throw LaunchError("socketpair: \(error.errno)")
        }
        let pid = try spawn(passing: sockets.second.descriptor)
        try? sockets.second.close()
        // The child's socket closes when it exits, so a child that fails ends this wait too.
        let received = DescriptorPassing.receive(over: sockets.first.descriptor, timeout: 30_000)
        try? sockets.first.close()
        guard let listener = received else {
            var signal: Int32 = 0
            var status: Int32 = 0
            if (try? valueOrErrno { cbpf_poll_child(pid, &signal, &status) }) == 0 {
                kill(pid, SIGKILL)  // alive, but it sent nothing in 30 s
            }
            _ = try? valueOrErrno { cbpf_wait_child(pid, &signal, &status) }
            throw LaunchError(
                "the command's process ended before it handed over its listener (\(signal == 0 ? "exit \(status)" : "signal \(signal)")); nothing was learned",
                exitCode: signal == 0 && status > 0 ? status : 1)
        }
        var outcome = supervise(SeccompNotificationListener(listener.descriptor), pid: pid, signals: signalDescriptor.descriptor)
        // Closed before waiting: calls still waiting, and any later ones, then fail with ENOSYS
        // instead of waiting for an answer that would never come.
        try? listener.close()
        if outcome.exitStatus == nil && outcome.signal == nil {
            var signal: Int32 = 0
            var status: Int32 = 0
            // Fails only when the command was reaped already (ECHILD): its status is unknown.
            if (try? valueOrErrno { cbpf_wait_child(pid, &signal, &status) }) != nil {
                outcome.exitStatus = signal == 0 ? status : nil
                outcome.signal = signal == 0 ? nil : signal
            }
        }
        return outcome
    }

    /// Blocks the forwarded signals and `SIGCHLD`, which the supervisor reads from the returned
    /// descriptor instead.
    static func blockSignals() throws(LaunchError) -> OwnedFileDescriptor {
        let signals = forwardedSignals + [SIGCHLD]
        // Ignored, as a parent may leave it, the kernel would reap the command itself, and its
        // exit status would be lost.
        signal(SIGCHLD, SIG_DFL)
        do {
            let raw = try valueOrErrno { signals.withUnsafeBufferPointer { cbpf_block_signals_into_descriptor($0.baseAddress, Int32($0.count)) } }
            return OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
        } catch {
            throw LaunchError("signalfd: \(error)")
        }
    }

    /// Starts `sandbox-launch learn-exec PATH ARGV...` with the standard descriptors of
    /// this process, `socket` as descriptor 3, and the signals this process blocks unblocked
    /// and at their defaults.
    func spawn(passing socket: FileDescriptor) throws(LaunchError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, socket.rawValue, LearnExecCommand.supervisorSocket)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in Self.forwardedSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let me = selfExecutablePath()
        let argv: [UnsafeMutablePointer<CChar>?] = ([me, "learn-exec", executable] + command).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, me, &actions, &attributes, argv, environ)
        guard result == 0 else { throw LaunchError("posix_spawn \(me): \(errorMessage(result))") }
        return pid
    }

    /// Answers and records notifications until the command has ended and no filtered process
    /// is left, or a signal comes after the command ended.
    func supervise(_ listener: SeccompNotificationListener, pid: pid_t, signals: FileDescriptor) -> LearnOutcome {
        var outcome = LearnOutcome(learned: LearnedCalls(recordsArguments: recordsArguments))
        var descriptors = [
            pollfd(fd: listener.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.rawValue, events: Int16(POLLIN), revents: 0),
        ]
        var listenerOpen = true
        var commandEnded = false
        func checkCommand() {
            var ending: Int32 = 0
            var status: Int32 = 0
            do {
                guard try valueOrErrno({ cbpf_poll_child(pid, &ending, &status) }) == pid else { return }
                outcome.exitStatus = ending == 0 ? status : nil
                outcome.signal = ending == 0 ? nil : ending
            } catch {
                // ECHILD: reaped elsewhere, so its status is unknown; it has ended all the same.
                guard error == .noChildProcess else { return }
            }
            commandEnded = true
        }
        supervising: while listenerOpen || !commandEnded {
            guard (try? valueOrErrno { poll(&descriptors, 2, -1) }) != nil else {
                outcome.supervisionFailed = true
                break supervising
            }
            let listenerEvents = descriptors[0].revents
            if listenerEvents & Int16(POLLIN) != 0 {
                do {
                    let call = try listener.receive()
                    outcome.learned.record(call.data)
                    do {
                        try listener.respond(to: call.id, with: .continueCall)
                    } catch where error != .noSuchFileOrDirectory {
                        // ENOENT: the caller died or was interrupted. Anything else (EINVAL before
                        // Linux 5.5, which has no CONTINUE) leaves the call waiting: stop, so that
                        // closing the listener fails it with ENOSYS rather than leave it hanging.
                        printError("sandbox-launch learn: answering a notification: \(error); stopping")
                        outcome.supervisionFailed = true
                        break supervising
                    } catch {}
                } catch where error == .noSuchFileOrDirectory {
                    // The caller went away before it could be delivered.
                } catch {
                    printError("sandbox-launch learn: receiving a notification: \(error); stopping")
                    outcome.supervisionFailed = true
                    break supervising
                }
            } else if listenerEvents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                // Every filtered process has ended; poll ignores a negative descriptor.
                listenerOpen = false
                descriptors[0].fd = -1
                checkCommand()
            }
            guard descriptors[1].revents & Int16(POLLIN) != 0 else { continue }
            var signal: Int32 = 0
            var code: Int32 = 0
            guard (try? valueOrErrno { cbpf_read_signal(signals.rawValue, &signal, &code) }) != nil else { continue }
            if signal == SIGCHLD {
                checkCommand()
            } else if !commandEnded {
                outcome.interruption = signal
                // A terminal's signal went to the whole foreground group, the command included.
                if code != SI_KERNEL { kill(pid, signal) }
            } else {
                outcome.abandonedDescendants = listenerOpen
                break supervising
            }
        }
        return outcome
    }
}
