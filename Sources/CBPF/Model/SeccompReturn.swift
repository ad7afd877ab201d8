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

/// `AUDIT_ARCH_*` values that identify a system-call convention in `seccomp_data.arch`.
public struct AuditArchitecture: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `AUDIT_ARCH_*` value.
    public var rawValue: UInt32
    /// The architecture with this `AUDIT_ARCH_*` value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `AUDIT_ARCH_X86_64`, shared by x86_64 and x32.
    public static let x86_64 = AuditArchitecture(rawValue: 0xc000_003e)
    /// `AUDIT_ARCH_I386`.
    public static let x86 = AuditArchitecture(rawValue: 0x4000_0003)
    /// `AUDIT_ARCH_AARCH64`.
    public static let aarch64 = AuditArchitecture(rawValue: 0xc000_00b7)
    /// `AUDIT_ARCH_ARM`.
    public static let arm = AuditArchitecture(rawValue: 0x4000_0028)
    /// `AUDIT_ARCH_RISCV64`.
    public static let riscv64 = AuditArchitecture(rawValue: 0xc000_00f3)
    /// `AUDIT_ARCH_S390X`.
    public static let s390x = AuditArchitecture(rawValue: 0x8000_0016)
    /// `AUDIT_ARCH_S390`.
    public static let s390 = AuditArchitecture(rawValue: 0x0000_0016)
    /// `AUDIT_ARCH_PPC64LE`.
    public static let ppc64le = AuditArchitecture(rawValue: 0xc000_0015)
    /// `AUDIT_ARCH_PPC64`.
    public static let ppc64 = AuditArchitecture(rawValue: 0x8000_0015)
    /// `AUDIT_ARCH_PPC`.
    public static let ppc = AuditArchitecture(rawValue: 0x0000_0014)
    /// `AUDIT_ARCH_MIPS`.
    public static let mips = AuditArchitecture(rawValue: 0x0000_0008)
    /// `AUDIT_ARCH_MIPSEL`.
    public static let mipsel = AuditArchitecture(rawValue: 0x4000_0008)
    /// `AUDIT_ARCH_MIPS64`.
    public static let mips64 = AuditArchitecture(rawValue: 0x8000_0008)
    /// `AUDIT_ARCH_MIPSEL64`.
    public static let mips64el = AuditArchitecture(rawValue: 0xc000_0008)
    /// `AUDIT_ARCH_LOONGARCH64`.
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

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        Self.byName.first(where: { $0.architecture == self })?.name ?? "0x" + String(rawValue, radix: 16)
    }
}
