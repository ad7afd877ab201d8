import CBPF
import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// Installs seccomp filters on the calling thread, or on every thread of the process.
///
/// ```swift
/// try SeccompInstaller().install(program)
/// let listener = try SeccompInstaller(flags: .newListener).install(program)  // closes when it goes
/// ```
///
/// A filter cannot be removed: it stays for the life of the thread and is inherited by the
/// threads and processes it creates afterwards. Without ``SeccompFilterFlags/synchronizeThreads``
/// only the calling thread is filtered. From async code that is whichever pool thread ran the
/// call, shared with other tasks and not where the code resumes: install at start-up, on a
/// thread of your own, or with that flag.
public struct SeccompInstaller: Hashable, Sendable {
    /// Whether to set `PR_SET_NO_NEW_PRIVS` before installing.
    public enum NoNewPrivileges: Hashable, Sendable {
        /// Set it, so that no later `execve` can gain privileges (setuid, file capabilities).
        /// The kernel requires this of callers without `CAP_SYS_ADMIN`.
        case set
        /// Leave it as it is. The kernel then requires `CAP_SYS_ADMIN` in the caller's user
        /// namespace and fails with `EACCES` otherwise.
        case leaveUnchanged
    }

    /// The `SECCOMP_FILTER_FLAG_*` flags passed to the kernel.
    public var flags: SeccompFilterFlags
    /// Whether to set `PR_SET_NO_NEW_PRIVS` first. ``NoNewPrivileges/set`` by default.
    public var noNewPrivileges: NoNewPrivileges

    /// An installer with these flags that sets `PR_SET_NO_NEW_PRIVS` unless told otherwise.
    public init(flags: SeccompFilterFlags = [], noNewPrivileges: NoNewPrivileges = .set) {
        self.flags = flags
        self.noNewPrivileges = noNewPrivileges
    }

    /// Checks `program` with `Verifier` for `AttachTarget.seccomp` and installs it.
    ///
    /// The program is checked before anything changes, so a program the kernel would refuse
    /// fails with ``SeccompInstallError/verification(_:)`` and leaves the thread as it was.
    ///
    /// The corresponding C functions are `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` and
    /// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`.
    ///
    /// - Returns: The listener's descriptor when ``flags`` contain
    ///   ``SeccompFilterFlags/newListener``, owned by the caller: it closes when the value goes
    ///   away; otherwise `nil`.
    @discardableResult
    public func install(_ program: Program) throws(SeccompInstallError) -> OwnedFileDescriptor? {
        let verified: VerifiedProgram
        do {
            verified = try VerifiedProgram(program, for: .seccomp)
        } catch {
            throw .verification(error)
        }
        return try install(verified)
    }

    /// Installs a program verified for seccomp (such as
    /// what ``SeccompCompiler`` compiles) without checking it again; a
    /// program verified for another attach point is checked first.
    ///
    /// The corresponding C functions are `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` and
    /// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`.
    ///
    /// - Returns: The listener's descriptor when ``flags`` contain
    ///   ``SeccompFilterFlags/newListener``, owned by the caller: it closes when the value goes
    ///   away; otherwise `nil`.
    @discardableResult
    public func install(_ program: VerifiedProgram) throws(SeccompInstallError) -> OwnedFileDescriptor? {
        let checked: VerifiedProgram
        do {
            checked = try program.verified(for: .seccomp)
        } catch {
            throw .verification(error)
        }
        return try install(raw: checked.raw)
    }

    /// Installs raw instructions without checking them first: the kernel's own checker decides.
    ///
    /// `PR_SET_NO_NEW_PRIVS` cannot be cleared, so it stays set when `seccomp(2)` then fails.
    ///
    /// The corresponding C functions are `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` and
    /// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`.
    ///
    /// - Returns: The listener's descriptor when ``flags`` contain
    ///   ``SeccompFilterFlags/newListener``, owned by the caller: it closes when the value goes
    ///   away; otherwise `nil`.
    @discardableResult
    public func install(raw program: [RawInstruction]) throws(SeccompInstallError) -> OwnedFileDescriptor? {
        // `struct sock_fprog` counts instructions in an unsigned short.
        guard program.count <= Int(UInt16.max) else { throw .seccomp(.invalidArgument) }
        if noNewPrivileges == .set {
            do {
                _ = try valueOrErrno { cbpf_set_no_new_privs() }
            } catch {
                throw .noNewPrivileges(error)
            }
        }
        var filters = program.map(\.sockFilter)
        let result: Int
        do {
            result = try valueOrErrno {
                filters.withUnsafeMutableBufferPointer {
                    cbpf_seccomp_set_mode_filter(flags.rawValue, $0.baseAddress, UInt16($0.count))
                }
            }
        } catch {
            // With TSYNC, ESRCH can only come from the thread check: either TSYNC_ESRCH asked
            // for it, or the blocking thread has no id in the caller's pid namespace.
            if flags.contains(.synchronizeThreads), error == .noSuchProcess {
                throw .threadSynchronization(blockingThread: nil)
            }
            throw .seccomp(error)
        }
        if flags.contains(.newListener) {
            return OwnedFileDescriptor(owning: FileDescriptor(rawValue: CInt(result)))
        }
        // Without a listener, success is 0 and a positive result is a failed TSYNC's thread.
        if result > 0 {
            throw .threadSynchronization(blockingThread: pid_t(result))
        }
        return nil
    }
}

extension SeccompInstaller {
    /// The flags this kernel accepts, each asked about on its own (``SeccompFilterFlags/waitKillableAfterReceive``
    /// together with the ``SeccompFilterFlags/newListener`` it needs). Nothing is installed.
    ///
    /// The corresponding C function is `seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL)`: the
    /// kernel checks the flags before it reads the program, so `EFAULT` means the flag is known.
    public static func supportedFlags() -> SeccompFilterFlags {
        var supported = SeccompFilterFlags()
        for (flag, _) in SeccompFilterFlags.allWithNames {
            let probe = flag == .waitKillableAfterReceive ? flag.union(.newListener) : flag
            if cbpf_seccomp_probe_filter_flags(probe.rawValue) < 0, errno == EFAULT {
                supported.insert(flag)
            }
        }
        return supported
    }

    /// Whether this kernel knows the action (its data is ignored).
    ///
    /// The corresponding C function is `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action)`.
    public static func isAvailable(_ action: SeccompAction) -> Bool {
        cbpf_seccomp_get_action_avail(action.returnValue & 0xffff_0000) == 0
    }

    /// Whether `PR_SET_NO_NEW_PRIVS` is set on the calling thread.
    ///
    /// The corresponding C function is `prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)`.
    public static var noNewPrivilegesIsSet: Bool {
        cbpf_get_no_new_privs() == 1
    }
}

/// Why a filter was not installed.
public enum SeccompInstallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The program breaks a rule of the kernel's seccomp checker; nothing was changed.
    case verification(VerificationError)
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed; nothing was changed.
    case noNewPrivileges(Errno)
    /// `seccomp(2)` failed. Common causes: `EACCES` without no-new-privileges or
    /// `CAP_SYS_ADMIN`; `EINVAL` for flags the kernel does not know, flags that do not go
    /// together, or a program its checker refuses; `EBUSY` for a second listener in one
    /// chain; `ENOMEM` when the thread's filters together pass 32768 instructions.
    case seccomp(Errno)
    /// ``SeccompFilterFlags/synchronizeThreads`` failed because a thread has a filter that is
    /// not an ancestor of the caller's (or is exiting). Nothing was installed. The thread id is
    /// `nil` when the kernel reported `ESRCH` instead.
    case threadSynchronization(blockingThread: pid_t?)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .verification(let error): "seccomp filter refused: \(error)"
        case .noNewPrivileges(let errno): "prctl(PR_SET_NO_NEW_PRIVS): \(errno)"
        case .seccomp(let errno): "seccomp(SECCOMP_SET_MODE_FILTER): \(errno)"
        case .threadSynchronization(let thread?):
            "seccomp(SECCOMP_FILTER_FLAG_TSYNC): thread \(thread) has a different filter"
        case .threadSynchronization(nil):
            "seccomp(SECCOMP_FILTER_FLAG_TSYNC): another thread has a different filter"
        }
    }
}
