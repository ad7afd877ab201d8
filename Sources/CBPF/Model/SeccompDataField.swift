/// A 32-bit field of `struct seccomp_data`, the input of a seccomp filter, which loads only
/// aligned 32-bit words of it:
///
///     Load.seccomp(.arch)                      // ld [4]
///     Load.seccomp(.arg(1, .low))              // ld [24] on a little-endian machine
///
/// The 64-bit instruction pointer and arguments are two loads each. `seccomp_data` is in the
/// machine's byte order, so which half comes first depends on it: ``offset(bigEndian:)``
/// says where each half is for either order; ``offset`` uses this machine's.
public enum SeccompDataField: Hashable, Sendable {
    /// Half of a 64-bit field: bits 0-31 or 32-63.
    public enum Half: Hashable, Sendable {
        /// Bits 0-31 or bits 32-63.
        case low, high
    }

    /// `nr`: the system-call number.
    case nr
    /// `arch`: the `AUDIT_ARCH_*` value of the calling convention (``AuditArchitecture``).
    case arch
    /// `instruction_pointer`.
    case instructionPointer(Half)
    /// `args[n]`, `n` from 0 to 5.
    case arg(Int, Half)

    /// The byte offset in `seccomp_data` on a machine of this byte order.
    public func offset(bigEndian: Bool) -> UInt32 {
        func half(_ base: UInt32, _ half: Half) -> UInt32 { base + ((half == .high) != bigEndian ? 4 : 0) }
        switch self {
        case .nr: return 0
        case .arch: return 4
        case .instructionPointer(let which): return half(8, which)
        case .arg(let index, let which):
            precondition((0 ..< 6).contains(index), "seccomp_data has args[0] to args[5], not args[\(index)]")
            return half(16 + 8 * UInt32(index), which)
        }
    }

    /// The byte offset in `seccomp_data` on this machine.
    public var offset: UInt32 { offset(bigEndian: UInt16(bigEndian: 1) == 1) }
}

extension Load {
    /// `ld [offset]` of a `seccomp_data` field, at its offset on this machine.
    public static func seccomp(_ field: SeccompDataField) -> Load {
        absolute(.word, field.offset)
    }
}

extension Return {
    /// `ret #action`: a seccomp action, as the kernel reads the return value.
    public init(_ action: SeccompAction) {
        self.init(action.returnValue)
    }
}
