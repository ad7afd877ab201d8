import CLinuxShims

/// The flags of `seccomp(SECCOMP_SET_MODE_FILTER, flags, ...)`, `SECCOMP_FILTER_FLAG_*`.
///
/// A kernel that does not know a flag fails the installation with `EINVAL`; ask
/// ``SeccompInstaller/supportedFlags()`` first when the program must run on old kernels.
public struct SeccompFilterFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The `SECCOMP_FILTER_FLAG_*` bits.
    public let rawValue: UInt32

    /// Flags with these `SECCOMP_FILTER_FLAG_*` bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `SECCOMP_FILTER_FLAG_TSYNC` (Linux 3.17): install the filter on every thread of the
    /// process, not only the calling one. It fails, naming a thread, when some thread has a
    /// filter that is not an ancestor of the caller's.
    public static let synchronizeThreads = Self(rawValue: UInt32(SECCOMP_FILTER_FLAG_TSYNC))
    /// `SECCOMP_FILTER_FLAG_LOG` (Linux 4.14): log every action except `ALLOW`.
    public static let log = Self(rawValue: UInt32(SECCOMP_FILTER_FLAG_LOG))
    /// `SECCOMP_FILTER_FLAG_SPEC_ALLOW` (Linux 4.17): do not turn on the Speculative Store
    /// Bypass mitigation for the filtered threads, as kernels booted with
    /// `spec_store_bypass_disable=seccomp` (the default before Linux 5.16) otherwise do.
    public static let allowSpeculation = Self(rawValue: UInt32(SECCOMP_FILTER_FLAG_SPEC_ALLOW))
    /// `SECCOMP_FILTER_FLAG_NEW_LISTENER` (Linux 5.0): return a file descriptor on which a
    /// supervisor receives the calls that the filter answers with `USER_NOTIF`. At most one
    /// filter in a thread's chain may have a listener (`EBUSY`).
    public static let newListener = Self(rawValue: UInt32(SECCOMP_FILTER_FLAG_NEW_LISTENER))
    /// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH` (Linux 5.7): a failed ``synchronizeThreads`` reports
    /// `ESRCH` instead of the blocking thread's id, which lets it be combined with
    /// ``newListener`` (whose success also returns a positive number).
    public static let synchronizationFailsWithESRCH = Self(rawValue: UInt32(SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
    /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (Linux 5.19): once the supervisor has received
    /// a notification, the waiting thread ignores all but fatal signals. Needs ``newListener``.
    public static let waitKillableAfterReceive = Self(rawValue: UInt32(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))

    /// Every flag with the name the kernel headers use, in bit order.
    public static let allWithNames: [(flag: SeccompFilterFlags, name: String)] = [
        (.synchronizeThreads, "TSYNC"), (.log, "LOG"), (.allowSpeculation, "SPEC_ALLOW"),
        (.newListener, "NEW_LISTENER"), (.synchronizationFailsWithESRCH, "TSYNC_ESRCH"),
        (.waitKillableAfterReceive, "WAIT_KILLABLE_RECV"),
    ]

    /// The kernel names joined by `|`, such as `TSYNC|LOG`, or `0` for no flags.
    public var description: String {
        var names = Self.allWithNames.filter { contains($0.flag) }.map(\.name)
        let known = Self.allWithNames.reduce(into: SeccompFilterFlags()) { $0.formUnion($1.flag) }
        let unknown = rawValue & ~known.rawValue
        if unknown != 0 { names.append("0x" + String(unknown, radix: 16)) }
        return names.isEmpty ? "0" : names.joined(separator: "|")
    }
}
