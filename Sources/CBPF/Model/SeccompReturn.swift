/// What a seccomp filter's return value asks the kernel to do (`SECCOMP_RET_*`).
///
/// The kernel reads the top 16 bits as the action and the low 16 bits as its data. A value
/// whose action it does not know is treated as ``killProcess``.
public enum SeccompAction: Hashable, Sendable, CustomStringConvertible {
    case killProcess
    case killThread
    /// Deliver SIGSYS; the data is in `si_errno`.
    case trap(UInt16)
    /// Fail the call with this errno. The kernel caps it at 4095 (`MAX_ERRNO`).
    case errno(UInt16)
    case userNotification
    /// Notify a ptrace tracer with this message; without one the call fails with ENOSYS.
    case trace(UInt16)
    case log
    case allow

    public static let killProcessValue: UInt32 = 0x8000_0000
    public static let killThreadValue: UInt32 = 0x0000_0000
    public static let trapValue: UInt32 = 0x0003_0000
    public static let errnoValue: UInt32 = 0x0005_0000
    public static let userNotificationValue: UInt32 = 0x7fc0_0000
    public static let traceValue: UInt32 = 0x7ff0_0000
    public static let logValue: UInt32 = 0x7ffc_0000
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

/// `AUDIT_ARCH_*` values that identify a system-call convention in `seccomp_data.arch`.
public struct AuditArchitecture: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let x86_64 = AuditArchitecture(rawValue: 0xc000_003e)
    public static let x86 = AuditArchitecture(rawValue: 0x4000_0003)
    public static let aarch64 = AuditArchitecture(rawValue: 0xc000_00b7)
    public static let arm = AuditArchitecture(rawValue: 0x4000_0028)
    public static let riscv64 = AuditArchitecture(rawValue: 0xc000_00f3)
    public static let s390x = AuditArchitecture(rawValue: 0x8000_0016)
    public static let s390 = AuditArchitecture(rawValue: 0x0000_0016)
    public static let ppc64le = AuditArchitecture(rawValue: 0xc000_0015)
    public static let ppc64 = AuditArchitecture(rawValue: 0x8000_0015)
    public static let ppc = AuditArchitecture(rawValue: 0x0000_0014)
    public static let mips = AuditArchitecture(rawValue: 0x0000_0008)
    public static let mipsel = AuditArchitecture(rawValue: 0x4000_0008)
    public static let mips64 = AuditArchitecture(rawValue: 0x8000_0008)
    public static let mips64el = AuditArchitecture(rawValue: 0xc000_0008)
    public static let loongarch64 = AuditArchitecture(rawValue: 0xc000_0102)

    /// Names as libseccomp spells them. x32 shares x86_64's value; its system calls set bit 30.
    public static let byName: [(name: String, architecture: AuditArchitecture)] = [
        ("x86_64", .x86_64), ("x32", .x86_64), ("x86", .x86), ("aarch64", .aarch64), ("arm", .arm),
        ("riscv64", .riscv64), ("s390x", .s390x), ("s390", .s390), ("ppc64le", .ppc64le),
        ("ppc64", .ppc64), ("ppc", .ppc), ("mips", .mips), ("mipsel", .mipsel), ("mips64", .mips64),
        ("mips64el", .mips64el), ("loongarch64", .loongarch64),
    ]

    /// Looks up a name (`x86_64`, `i386` is accepted for `x86`) or a number (`0xc000003e`).
    public init?(name: String) {
        let lowered = name.lowercased()
        if let match = Self.byName.first(where: { $0.name == lowered }) {
            self = match.architecture
        } else if lowered == "i386" || lowered == "i686" {
            self = .x86
        } else if let value = try? parseInteger(lowered, style: .c(binary: true), as: UInt32.self) {
            self.init(rawValue: value)
        } else {
            return nil
        }
    }

    public var description: String {
        Self.byName.first(where: { $0.architecture == self })?.name ?? "0x" + String(rawValue, radix: 16)
    }
}
