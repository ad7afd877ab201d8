/// What a seccomp filter's return value asks the kernel to do (`SECCOMP_RET_*`).
///
/// The kernel reads the top 16 bits as the action and the low 16 bits as its data. A value
/// whose action it does not know is treated as ``killProcess``.
public enum SeccompAction: Hashable, Sendable, CustomStringConvertible {
    /// `SECCOMP_RET_KILL_PROCESS`: end the whole process with SIGSYS.
    case killProcess
    /// `SECCOMP_RET_KILL_THREAD`: end the calling thread with SIGSYS.
    case killThread
    /// Deliver SIGSYS; the data is in `si_errno`.
    case trap(UInt16)
    /// Fail the call with this errno. The kernel caps it at 4095 (`MAX_ERRNO`).
    case errno(UInt16)
    /// `SECCOMP_RET_USER_NOTIF`: let a supervisor decide, through the listener descriptor.
    case userNotification
    /// Notify a ptrace tracer with this message; without one the call fails with ENOSYS.
    case trace(UInt16)
    /// `SECCOMP_RET_LOG`: allow the call and log it.
    case log
    /// `SECCOMP_RET_ALLOW`: run the call.
    case allow

    /// The return value of `SECCOMP_RET_KILL_PROCESS`.
    public static let killProcessValue: UInt32 = 0x8000_0000
    /// The return value of `SECCOMP_RET_KILL_THREAD`.
    public static let killThreadValue: UInt32 = 0x0000_0000
    /// The action bits of `SECCOMP_RET_TRAP`; the data goes in the low 16 bits.
    public static let trapValue: UInt32 = 0x0003_0000
    /// The action bits of `SECCOMP_RET_ERRNO`; the errno goes in the low 16 bits.
    public static let errnoValue: UInt32 = 0x0005_0000
    /// The return value of `SECCOMP_RET_USER_NOTIF`.
    public static let userNotificationValue: UInt32 = 0x7fc0_0000
    /// The action bits of `SECCOMP_RET_TRACE`; the message goes in the low 16 bits.
    public static let traceValue: UInt32 = 0x7ff0_0000
    /// The return value of `SECCOMP_RET_LOG`.
    public static let logValue: UInt32 = 0x7ffc_0000
    /// The return value of `SECCOMP_RET_ALLOW`.
    public static let allowValue: UInt32 = 0x7fff_0000

    /// The largest errno the kernel returns (`MAX_ERRNO`): `ERRNO` data above it fails the call
    /// with 4095.
    public static let maximumErrno: UInt16 = 4095

    /// Decodes a filter's return value as the kernel does (`SECCOMP_RET_ACTION_FULL`), with
    /// `ERRNO` data capped at ``maximumErrno`` as `__seccomp_filter` caps it: `0x0005ffff` is
    /// `.errno(4095)`.
    public init(returnValue: UInt32) {
        let data = UInt16(truncatingIfNeeded: returnValue)
        switch returnValue & 0xffff_0000 {
        case Self.killThreadValue: self = .killThread
        case Self.trapValue: self = .trap(data)
        case Self.errnoValue: self = .errno(min(data, Self.maximumErrno))
        case Self.userNotificationValue: self = .userNotification
        case Self.traceValue: self = .trace(data)
        case Self.logValue: self = .log
        case Self.allowValue: self = .allow
        default: self = .killProcess
        }
    }

    /// The return value that requests this action.
    public var returnValue: UInt32 {
        switch self {
        case .killProcess: Self.killProcessValue
        case .killThread: Self.killThreadValue
        case .trap(let data): Self.trapValue | UInt32(data)
        case .errno(let data): Self.errnoValue | UInt32(data)
        case .userNotification: Self.userNotificationValue
        case .trace(let data): Self.traceValue | UInt32(data)
        case .log: Self.logValue
        case .allow: Self.allowValue
        }
    }

    /// The name seccomp(2) uses, with data: `ALLOW`, `ERRNO(1)`, `KILL_PROCESS`, `TRAP(5)`.
    public var description: String {
        switch self {
        case .killProcess: "KILL_PROCESS"
        case .killThread: "KILL_THREAD"
        case .trap(let data): "TRAP(\(data))"
        case .errno(let data): "ERRNO(\(data))"
        case .userNotification: "USER_NOTIF"
        case .trace(let data): "TRACE(\(data))"
        case .log: "LOG"
        case .allow: "ALLOW"
        }
    }
}
