import CBPF

extension SeccompArchitecture {
    /// Whether the architecture's kernel is big-endian, which decides where the two 32-bit
    /// halves of each 64-bit argument sit in `seccomp_data` (libseccomp's `arch->endian`).
    var isBigEndian: Bool {
        switch name {
        case "s390x", "s390", "ppc64", "ppc", "mips", "mips64", "mips64n32", "parisc", "parisc64": true
        default: false
        }
    }

}

/// Where the 32-bit words of the arguments sit in `seccomp_data` for one byte order.
///
/// `args` are `__u64` in the kernel's byte order from offset 16: on a little-endian kernel
/// argument `i`'s low word is at `16 + 8i` and its high word at `16 + 8i + 4`; on a big-endian
/// kernel the other way round.
struct ArgumentWordLayout: Hashable, Sendable {
    var isBigEndian: Bool

    /// The offset of argument `index`'s low 32 bits.
    func lowWord(_ index: Int) -> UInt32 {
        UInt32(16 + 8 * index) + (isBigEndian ? 4 : 0)
    }

    /// The offset of argument `index`'s high 32 bits.
    func highWord(_ index: Int) -> UInt32 {
        UInt32(16 + 8 * index) + (isBigEndian ? 0 : 4)
    }

    /// The value of the word at `offset` when the arguments are `arguments` (missing ones are 0).
    func word(at offset: UInt32, arguments: [UInt64]) -> UInt32 {
        let index = Int(offset - 16) / 8
        let argument = index < arguments.count ? arguments[index] : 0
        let isHigh = (offset % 8 == 4) != isBigEndian
        return UInt32(truncatingIfNeeded: isHigh ? argument >> 32 : argument)
    }
}

/// Building the input of a seccomp filter for a call on any architecture.
extension SeccompData {
    /// The `seccomp_data` a kernel of `architecture` passes for this call, laid out so that
    /// `Interpreter` and ``CountingSeccompEvaluator``, which read words in this machine's byte
    /// order, load the words that kernel would.
    ///
    /// On a machine whose byte order differs from the architecture's (an s390x filter run on
    /// x86-64), each argument's two 32-bit halves are swapped, so that the word at the offset of
    /// the high half holds the high half. The number and the architecture are single words and
    /// stay as they are.
    public init(emulating architecture: SeccompArchitecture, number: Int32, arguments: [UInt64] = []) {
        let hostIsBigEndian = UInt16(bigEndian: 1) == 1
        let swapsHalves = architecture.isBigEndian != hostIsBigEndian
        self.init(
            number: number, architecture: architecture.auditArchitecture,
            arguments: swapsHalves ? arguments.map { $0 << 32 | $0 >> 32 } : arguments
        )
    }
}
