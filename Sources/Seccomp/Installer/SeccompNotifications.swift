import CBPF
import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// A system call that a filter answered with `USER_NOTIF` and that waits for the supervisor,
/// `struct seccomp_notif`.
public struct SeccompNotification: Hashable, Sendable {
    /// Identifies the waiting call; valid until it is answered or the caller gives up.
    public typealias ID = UInt64

    /// The call's id, to answer it with.
    public var id: ID
    /// The id of the calling thread in the listener's pid namespace, or 0 when it has none there.
    public var pid: pid_t
    /// `seccomp_notif.flags`; the kernel defines none yet.
    public var flags: UInt32
    /// What the filter saw: number, architecture, instruction pointer and arguments.
    public var data: SeccompData

    /// A notification with these values.
    public init(id: ID, pid: pid_t, flags: UInt32 = 0, data: SeccompData) {
        self.id = id
        self.pid = pid
        self.flags = flags
        self.data = data
    }
}

/// The supervisor's answer to a ``SeccompNotification``, `struct seccomp_notif_resp`.
public enum SeccompNotificationResponse: Hashable, Sendable {
    /// The call fails with this errno and does not run.
    case error(Errno)
    /// The call returns this value and does not run. Values from -4095 to -1 look like errors
    /// to the C library.
    case value(Int64)
    /// The call runs as if the filter had allowed it (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`,
    /// Linux 5.5). Its arguments are read again by the kernel, so this is no security check
    /// on pointers that the caller's other threads can change in between.
    case continueCall
}

/// The sizes of the notification structures in the running kernel, which may be newer and
/// larger than the headers this module was built with.
public struct SeccompNotificationSizes: Hashable, Sendable {
    /// `sizeof(struct seccomp_notif)`.
    public var notification: Int
    /// `sizeof(struct seccomp_notif_resp)`.
    public var response: Int
    /// `sizeof(struct seccomp_data)`.
    public var data: Int

    /// Asks the kernel.
    ///
    /// The corresponding C function is `seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes)`.
    public static func current() throws(Errno) -> SeccompNotificationSizes {
        var sizes = seccomp_notif_sizes()
        _ = try valueOrErrno { cbpf_seccomp_get_notif_sizes(&sizes) }
        return SeccompNotificationSizes(
            notification: Int(sizes.seccomp_notif), response: Int(sizes.seccomp_notif_resp),
            data: Int(sizes.seccomp_data))
    }

    /// Asked once per process: the sizes cannot change while the kernel runs.
    static let cached: Result<SeccompNotificationSizes, Errno> = Result { () throws(Errno) in try current() }
}

/// The supervisor's end of a filter installed with ``SeccompFilterFlags/newListener``.
///
/// ``receive(retryOnInterrupt:)`` blocks until a call is waiting, so supervise from a thread of
/// your own, or poll ``fileDescriptor`` for `POLLIN` first; `POLLHUP` says that every filtered
/// thread has exited (Linux 5.8). The listener borrows the descriptor: the `OwnedFileDescriptor`
/// that ``SeccompInstaller/install(_:)-(Program)`` returned owns it and must outlive the
/// listener. Calls still waiting when the descriptor is closed fail with `ENOSYS`.
public struct SeccompNotificationListener: Hashable, Sendable {
    /// The listener's descriptor, from ``SeccompInstaller/install(_:)-(Program)`` with ``SeccompFilterFlags/newListener``.
    public let fileDescriptor: FileDescriptor

    /// A listener on this descriptor, borrowed: its owner closes it.
    public init(_ fileDescriptor: FileDescriptor) {
        self.fileDescriptor = fileDescriptor
    }

    /// Waits for the next call to supervise.
    ///
    /// Fails with `ENOENT` when the waiting caller went away before it could be delivered
    /// (receive again), and with `EINTR` on a signal when `retryOnInterrupt` is `false`.
    ///
    /// The corresponding C function is `ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &notif)`.
    public func receive(retryOnInterrupt: Bool = true) throws(Errno) -> SeccompNotification {
        let size = max(try SeccompNotificationSizes.cached.get().notification, MemoryLayout<seccomp_notif>.size)
        // Sized for the kernel's structure, which may be the larger; zeroed, because the kernel
        // refuses (EINVAL) a buffer with anything in it.
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: size, alignment: MemoryLayout<seccomp_notif>.alignment)
        defer { buffer.deallocate() }
        _ = try valueOrErrno(retryOnInterrupt: retryOnInterrupt) {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            return cbpf_seccomp_notif_recv(fileDescriptor.rawValue, buffer.baseAddress)
        }
        let notification = buffer.load(as: seccomp_notif.self)
        let data = notification.data
        let arguments = withUnsafeBytes(of: data.args) { Array($0.bindMemory(to: UInt64.self)) }
        return SeccompNotification(
            id: notification.id, pid: pid_t(bitPattern: notification.pid), flags: notification.flags,
            data: SeccompData(
                number: data.nr, architecture: AuditArchitecture(rawValue: data.arch), instructionPointer: data.instruction_pointer,
                arguments: arguments))
    }

    /// Answers a call. Fails with `ENOENT` when the id is no longer valid: the caller was killed,
    /// or a signal interrupted the call (which then comes again as a new notification if it
    /// restarts).
    ///
    /// The corresponding C function is `ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp)`.
    public func respond(to id: SeccompNotification.ID, with response: SeccompNotificationResponse) throws(Errno) {
        var answer = seccomp_notif_resp()
        answer.id = id
        switch response {
        case .error(let errno): answer.error = -errno.rawValue
        case .value(let value): answer.val = value
        case .continueCall: answer.flags = UInt32(SECCOMP_USER_NOTIF_FLAG_CONTINUE)
        }
        let size = max(try SeccompNotificationSizes.cached.get().response, MemoryLayout<seccomp_notif_resp>.size)
        // The kernel reads its own size of structure: fields it has and we do not stay zero.
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: size, alignment: MemoryLayout<seccomp_notif_resp>.alignment)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.storeBytes(of: answer, as: seccomp_notif_resp.self)
        _ = try valueOrErrno { cbpf_seccomp_notif_send(fileDescriptor.rawValue, buffer.baseAddress) }
    }

    /// Whether the call is still waiting for an answer. Check it after reading the caller's
    /// memory (`/proc/<pid>/mem`), so that a recycled pid cannot pass for the caller.
    ///
    /// The corresponding C function is `ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id)`.
    public func isValid(_ id: SeccompNotification.ID) throws(Errno) -> Bool {
        do {
            _ = try valueOrErrno { cbpf_seccomp_notif_id_valid(fileDescriptor.rawValue, id) }
            return true
        } catch .noSuchFileOrDirectory {
            return false
        }
    }
}
