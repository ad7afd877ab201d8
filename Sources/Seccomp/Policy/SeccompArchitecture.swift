import CBPF
import CSeccomp

/// A system-call convention a seccomp policy can cover: an architecture as libseccomp names it.
///
/// The kernel tells a filter which convention a call uses through `seccomp_data.arch`, an
/// `AUDIT_ARCH_*` value (``auditArchitecture``). x32 is the exception: it shares x86_64's
/// `AUDIT_ARCH_X86_64`, and every x32 number carries bit 30 (``x32SyscallBit``). libseccomp
/// therefore gives x32 a token of its own (`SCMP_ARCH_X32`, `0x4000003e`) that is not an audit
/// value.
///
/// On `AUDIT_ARCH_X86_64` a number from `0x40000000` up (unsigned) is x32's, and a smaller one
/// x86_64's, as libseccomp 2.5.4's filters split them (`jge #0x40000000`). `-1`, which tracers
/// use to skip a call, is x86_64's when the policy covers x86_64, else x32's
/// (``isX32Number(_:coversX86_64:)``). A number of the convention the policy does not cover gets
/// the foreign-architecture action. Bit 30 means nothing on any other audit value.
///
/// Architectures the installed libseccomp does not know (``isSupportedByLibseccomp``) cannot be
/// resolved: libseccomp 2.5.4 knows every architecture listed in ``all`` except `loongarch64`,
/// which upstream libseccomp supports from 2.6.0 (some distributions backport it to 2.5.5).
public struct SeccompArchitecture: Hashable, Sendable, CustomStringConvertible {
    /// The name libseccomp uses (`seccomp_arch_resolve_name`): `x86_64`, `x32`, `mipsel64`.
    public let name: String
    /// The libseccomp token, `SCMP_ARCH_*`. It equals the audit value except for x32.
    public let token: UInt32
    /// The value the kernel puts in `seccomp_data.arch` for calls in this convention.
    public let auditArchitecture: AuditArchitecture
    /// Whether every system-call number of this convention carries ``x32SyscallBit`` (x32 only).
    public let usesX32SyscallBit: Bool
    /// Whether system-call arguments are 64 bits wide as libseccomp sees them.
    ///
    /// On the others (x86, x32, arm, ppc, s390, mips, mipsel, the MIPS n32 ABIs, parisc)
    /// libseccomp compares only the low 32 bits of an argument, and so does a resolved policy:
    /// every condition becomes a 32-bit comparison there.
    public let hasSixtyFourBitArguments: Bool
    /// The value of `ENOSYS` in this architecture's errno numbering: 38, but 89 on MIPS and 251
    /// on PA-RISC.
    public let enosys: UInt16
    /// Where this convention's system-call numbers start: 4000 for MIPS o32, 5000 for n64,
    /// 6000 for n32, `0x40000000` for x32, 0 elsewhere.
    let numberBase: Int32
    /// Extra number ranges libseccomp knows beyond `numberBase ..< numberBase + 1024`
    /// (ARM's private calls at `0x0f0001...`).
    let extraNumberRanges: [Range<Int32>]

    /// Bit 30, set in every x32 system-call number (`__X32_SYSCALL_BIT`).
    public static let x32SyscallBit: UInt32 = 0x4000_0000

    /// Whether a number on `AUDIT_ARCH_X86_64` is x32's rather than x86_64's: from `0x40000000`
    /// up (unsigned), except `-1`, which is x86_64's when the policy covers x86_64.
    public static func isX32Number(_ number: UInt32, coversX86_64: Bool) -> Bool {
        number >= x32SyscallBit && (number != 0xffff_ffff || !coversX86_64)
    }

    init(
        _ name: String, token: UInt32, audit: AuditArchitecture, sixtyFourBit: Bool,
        x32: Bool = false, enosys: UInt16 = 38, numberBase: Int32 = 0, extra: [Range<Int32>] = []
    ) {
        self.name = name
        self.token = token
        self.auditArchitecture = audit
        self.usesX32SyscallBit = x32
        self.hasSixtyFourBitArguments = sixtyFourBit
        self.enosys = enosys
        self.numberBase = numberBase
        self.extraNumberRanges = extra
    }

    /// x86-64 (`SCMP_ARCH_X86_64`, `AUDIT_ARCH_X86_64`).
    public static let x86_64 = SeccompArchitecture("x86_64", token: 0xc000_003e, audit: .x86_64, sixtyFourBit: true)
    /// 32-bit x86, i386 (`SCMP_ARCH_X86`, `AUDIT_ARCH_I386`).
    public static let x86 = SeccompArchitecture("x86", token: 0x4000_0003, audit: .x86, sixtyFourBit: false)
    /// x32: x86_64's audit value, its own libseccomp token, numbers with bit 30 set.
    public static let x32 = SeccompArchitecture(
        "x32", token: 0x4000_003e, audit: .x86_64, sixtyFourBit: false, x32: true, numberBase: 0x4000_0000
    )
    /// 64-bit ARM (`SCMP_ARCH_AARCH64`).
    public static let aarch64 = SeccompArchitecture("aarch64", token: 0xc000_00b7, audit: .aarch64, sixtyFourBit: true)
    /// 32-bit ARM EABI (`SCMP_ARCH_ARM`); its private calls sit at `0x0f0001...`.
    public static let arm = SeccompArchitecture(
        "arm", token: 0x4000_0028, audit: .arm, sixtyFourBit: false, extra: [0x0f_0000 ..< 0x0f_0010]
    )
    /// 64-bit RISC-V (`SCMP_ARCH_RISCV64`).
    public static let riscv64 = SeccompArchitecture("riscv64", token: 0xc000_00f3, audit: .riscv64, sixtyFourBit: true)
    /// 64-bit IBM Z (`SCMP_ARCH_S390X`).
    public static let s390x = SeccompArchitecture("s390x", token: 0x8000_0016, audit: .s390x, sixtyFourBit: true)
    /// 31-bit IBM S/390 (`SCMP_ARCH_S390`).
    public static let s390 = SeccompArchitecture("s390", token: 0x0000_0016, audit: .s390, sixtyFourBit: false)
    /// 64-bit little-endian POWER (`SCMP_ARCH_PPC64LE`).
    public static let ppc64le = SeccompArchitecture("ppc64le", token: 0xc000_0015, audit: .ppc64le, sixtyFourBit: true)
    /// 64-bit big-endian POWER (`SCMP_ARCH_PPC64`).
    public static let ppc64 = SeccompArchitecture("ppc64", token: 0x8000_0015, audit: .ppc64, sixtyFourBit: true)
    /// 32-bit PowerPC (`SCMP_ARCH_PPC`).
    public static let ppc = SeccompArchitecture("ppc", token: 0x0000_0014, audit: .ppc, sixtyFourBit: false)
    /// MIPS o32, big-endian. Numbers start at 4000.
    public static let mips = SeccompArchitecture(
        "mips", token: 0x0000_0008, audit: .mips, sixtyFourBit: false, enosys: 89, numberBase: 4000
    )
    /// MIPS o32, little-endian. Numbers start at 4000.
    public static let mipsel = SeccompArchitecture(
        "mipsel", token: 0x4000_0008, audit: .mipsel, sixtyFourBit: false, enosys: 89, numberBase: 4000
    )
    /// MIPS n64, big-endian. Numbers start at 5000.
    public static let mips64 = SeccompArchitecture(
        "mips64", token: 0x8000_0008, audit: .mips64, sixtyFourBit: true, enosys: 89, numberBase: 5000
    )
    /// MIPS n64, little-endian (`mips64el`; libseccomp spells it `mipsel64`). Numbers start at 5000.
    public static let mipsel64 = SeccompArchitecture(
        "mipsel64", token: 0xc000_0008, audit: .mips64el, sixtyFourBit: true, enosys: 89, numberBase: 5000
    )
    /// MIPS n32, big-endian. Numbers start at 6000.
    public static let mips64n32 = SeccompArchitecture(
        "mips64n32", token: 0xa000_0008, audit: AuditArchitecture(rawValue: 0xa000_0008), sixtyFourBit: false,
        enosys: 89, numberBase: 6000
    )
    /// MIPS n32, little-endian. Numbers start at 6000.
    public static let mipsel64n32 = SeccompArchitecture(
        "mipsel64n32", token: 0xe000_0008, audit: AuditArchitecture(rawValue: 0xe000_0008), sixtyFourBit: false,
        enosys: 89, numberBase: 6000
    )
    /// 32-bit PA-RISC (`SCMP_ARCH_PARISC`). `ENOSYS` is 251.
    public static let parisc = SeccompArchitecture(
        "parisc", token: 0x0000_000f, audit: AuditArchitecture(rawValue: 0x0000_000f), sixtyFourBit: false, enosys: 251
    )
    /// 64-bit PA-RISC (`SCMP_ARCH_PARISC64`). `ENOSYS` is 251.
    public static let parisc64 = SeccompArchitecture(
        "parisc64", token: 0x8000_000f, audit: AuditArchitecture(rawValue: 0x8000_000f), sixtyFourBit: true,
        enosys: 251
    )
    /// LoongArch 64. Needs libseccomp 2.6.0 or later (2.5.5 with distribution backports).
    public static let loongarch64 = SeccompArchitecture(
        "loongarch64", token: 0xc000_0102, audit: .loongarch64, sixtyFourBit: true
    )

    /// Every architecture this module describes, whether or not the installed libseccomp knows it.
    public static let all: [SeccompArchitecture] = [
        .x86_64, .x86, .x32, .aarch64, .arm, .riscv64, .s390x, .s390, .ppc64le, .ppc64, .ppc,
        .mips, .mipsel, .mips64, .mipsel64, .mips64n32, .mipsel64n32, .parisc, .parisc64, .loongarch64,
    ]

    /// Other spellings accepted by ``init(name:)``.
    static let aliases: [String: String] = [
        "i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "amd64": "x86_64", "x86-64": "x86_64",
        "arm64": "aarch64", "mips64el": "mipsel64", "mips64-le": "mipsel64", "mips-le": "mipsel",
        "mips64-n32": "mips64n32", "mips64el-n32": "mipsel64n32", "mips64-le-n32": "mipsel64n32",
        "ppc64el": "ppc64le", "ppc64-le": "ppc64le", "loong64": "loongarch64", "hppa": "parisc", "hppa64": "parisc64",
    ]

    /// Looks up an architecture by libseccomp's name (`x86_64`, `mipsel64`), a common alias
    /// (`amd64`, `arm64`, `i386`, `mips64el`, `ppc64el`, `loong64`), or `native`.
    public init?(name: String) {
        let lowered = name.lowercased()
        if lowered == "native" {
            self = .native
            return
        }
        let canonical = Self.aliases[lowered] ?? lowered
        guard let match = Self.all.first(where: { $0.name == canonical }) else { return nil }
        self = match
    }

    /// Looks up an architecture by its libseccomp token (`SCMP_ARCH_*`).
    public init?(token: UInt32) {
        guard let match = Self.all.first(where: { $0.token == token }) else { return nil }
        self = match
    }

    /// The architecture of this process as libseccomp reports it (`seccomp_arch_native`).
    public static var native: SeccompArchitecture {
        if let match = SeccompArchitecture(token: seccomp_arch_native()) { return match }
        #if arch(x86_64)
            return .x86_64
        #elseif arch(arm64)
            return .aarch64
        #elseif arch(i386)
            return .x86
        #elseif arch(arm)
            return .arm
        #elseif arch(s390x)
            return .s390x
        #elseif arch(powerpc64le)
            return .ppc64le
        #elseif arch(riscv64)
            return .riscv64
        #else
            fatalError("the architecture of this process is unknown to libseccomp")
        #endif
    }

    /// Whether the installed libseccomp knows this architecture (`seccomp_arch_resolve_name`).
    public var isSupportedByLibseccomp: Bool {
        seccomp_arch_resolve_name(name) == token
    }

    /// The libseccomp name: `x86_64`.
    public var description: String { name }
}
