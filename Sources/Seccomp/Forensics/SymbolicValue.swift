import CBPF

/// A register or scratch slot during the symbolic run of a seccomp filter: a constant, a word
/// of `seccomp_data` as the filter transformed it, or a value the analysis does not follow.
enum SymbolicValue: Hashable, Sendable {
    case constant(UInt32)
    /// `((word & mask) ^ flip) + addend` of the word at `offset`.
    case word(offset: UInt32, mask: UInt32, flip: UInt32, addend: UInt32)
    /// Computed in a way the analysis does not follow, first at `instruction`.
    case computed(instruction: Int, reason: String)

    static func loaded(_ offset: UInt32) -> SymbolicValue {
        .word(offset: offset, mask: .max, flip: 0, addend: 0)
    }

    /// `A op operand` with the kernel's semantics for constants; transforms of a word that stay
    /// of the form `((word & mask) ^ flip) + addend`; anything else is ``computed(instruction:reason:)``.
    func applying(_ operation: ArithmeticOperation, _ operand: SymbolicValue, at instruction: Int) -> SymbolicValue {
        switch (self, operand) {
        case (.computed, _):
            return self
        case (_, .computed):
            return operand
        case (.constant(let a), .constant(let k)):
            return .constant(operation.apply(a, k))
        case (.constant, .word), (.word, .word):
            return .computed(
                instruction: instruction, reason: "\(operation.mnemonic) combines a word of seccomp_data with another value")
        case (.word(let offset, var mask, var flip, var addend), .constant(let k)):
            switch operation {
            case .add: addend &+= k
            case .subtract: addend &-= k
            case .and, .or, .xor:
                guard addend == 0 else { return Self.unfollowed(operation, offset, instruction) }
                switch operation {
                case .and:
                    mask &= k
                    flip &= k
                case .or:
                    mask &= ~k
                    flip = (flip & ~k) | k
                default:
                    flip ^= k
                }
            case .multiply where k == 1, .divide where k == 1, .shiftLeft where k & 31 == 0,
                .shiftRight where k & 31 == 0:
                break
            case .multiply where k == 0:
                return .constant(0)
            default:
                return Self.unfollowed(operation, offset, instruction)
            }
            if mask == 0 { return .constant(flip &+ addend) }
            return .word(offset: offset, mask: mask, flip: flip, addend: addend)
        }
    }

    private static func unfollowed(_ operation: ArithmeticOperation, _ offset: UInt32, _ instruction: Int) -> SymbolicValue {
        .computed(
            instruction: instruction,
            reason: "\(operation.mnemonic) on \(SeccompWordTest.fieldName(offset: offset, bigEndian: false)), which the "
                + "analysis does not follow (it follows and, or, xor, add and sub with constants)")
    }

    /// `neg`.
    func negated(at instruction: Int) -> SymbolicValue {
        switch self {
        case .constant(let value): .constant(0 &- value)
        case .computed: self
        case .word(let offset, _, _, _):
            .computed(
                instruction: instruction,
                reason: "neg of \(SeccompWordTest.fieldName(offset: offset, bigEndian: false)), which the analysis does not follow")
        }
    }
}
