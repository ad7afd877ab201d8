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
