import CBPF

/// A conditional jump of a seccomp filter, as a test of one 32-bit word of `seccomp_data`:
/// `((word & mask) ^ flip) + addend`, compared with ``value`` by ``test``.
///
/// The mask, flip and addend are what the filter computed from the word before the jump
/// (`and`, `or`, `xor`, `add` and `sub` with constants); a plain load leaves them at
/// `0xffffffff`, 0 and 0. A jump whose constant is in `A` and whose word is in `X` is turned
/// around, so the word is always on the left.
public struct SeccompWordTest: Hashable, Sendable, CustomStringConvertible {
    /// The byte offset of the word in `seccomp_data` (0 the number, 4 the architecture, 8 and 12
    /// the instruction pointer, 16 to 60 the arguments).
    public var offset: UInt32
    /// The bits of the word that are kept.
    public var mask: UInt32
    /// The bits flipped after masking.
    public var flip: UInt32
    /// What is added (modulo 2^32) after flipping.
    public var addend: UInt32
    /// The comparison: `jeq`, `jgt`, `jge` (unsigned) or `jset`.
    public var test: JumpTest
    /// The constant compared with.
    public var value: UInt32

    /// A test of a word as the filter computed it.
    public init(offset: UInt32, mask: UInt32 = .max, flip: UInt32 = 0, addend: UInt32 = 0, test: JumpTest, value: UInt32) {
        self.offset = offset
        self.mask = mask
        self.flip = flip
        self.addend = addend
        self.test = test
        self.value = value
    }

    /// Whether the test holds when the word is `word`.
    public func holds(forWord word: UInt32) -> Bool {
        test.holds(((word & mask) ^ flip) &+ addend, value)
    }

    /// Whether the word is compared as it was loaded.
    var isPlain: Bool { mask == .max && flip == 0 && addend == 0 }

    /// The test in the filter's terms, with the word named as on a little-endian machine:
    /// `arg1.lo32 & 0x4 == 0`. ``SeccompWordLiteral/description(bigEndian:)`` names halves for
    /// a given byte order.
    public var description: String { SeccompWordLiteral(test: self, holds: true).description(bigEndian: false) }

    /// The values of the word for which the test holds (`holds`) or fails, when they have a
    /// shape the analysis models.
    func shape(holds: Bool) -> WordShape {
        let full = UInt32.max
        if addend == 0 {
            switch test {
            case .equal:
                let target = value ^ flip
                if target & ~mask != 0 { return holds ? .never : .always }
                return holds ? .pattern(mask: mask, value: target) : .notPattern(mask: mask, value: target)
            case .bitsSet:
                if flip & value & ~mask != 0 { return holds ? .always : .never }
                let bits = value & mask
                if bits == 0 { return holds ? .never : .always }
                let pattern = flip & bits
                return holds ? .notPattern(mask: bits, value: pattern) : .pattern(mask: bits, value: pattern)
            case .greaterThan, .greaterOrEqual:
                guard mask == full, flip == 0 else { return .unmodelled }
                return Self.orderingShape(test, value, addend: 0, holds: holds)
            }
        }
        guard mask == full, flip == 0 else { return .unmodelled }
        switch test {
        case .equal:
            let target = value &- addend
            return holds ? .pattern(mask: full, value: target) : .notPattern(mask: full, value: target)
        case .greaterThan, .greaterOrEqual:
            return Self.orderingShape(test, value, addend: addend, holds: holds)
        case .bitsSet:
            return .unmodelled
        }
    }

    /// `word + addend > value` (or `>=`), or its negation, as ranges of the word.
    private static func orderingShape(_ test: JumpTest, _ value: UInt32, addend: UInt32, holds: Bool) -> WordShape {
        // The sums that pass, as one range of sums.
        let passing: ClosedRange<UInt32>?
        if test == .greaterThan {
            passing = value == .max ? nil : value + 1 ... .max
        } else {
            passing = value ... .max
        }
        var sums = passing.map { NumberSet(ranges: [$0]) } ?? .empty
        if !holds { sums = sums.complement }
        if sums.isEmpty { return .never }
        if sums.ranges == [0 ... .max] { return .always }
        // Subtracting the addend shifts each range, and a range that wraps splits in two.
        var words = [ClosedRange<UInt32>]()
        for range in sums.ranges {
            let low = range.lowerBound &- addend
            let high = range.upperBound &- addend
            if low <= high {
                words.append(low ... high)
            } else {
                words.append(0 ... high)
                words.append(low ... .max)
            }
        }
        words.sort { $0.lowerBound < $1.lowerBound }
        var merged = [ClosedRange<UInt32>]()
        for range in words {
            if let last = merged.last, UInt64(last.upperBound) + 1 >= UInt64(range.lowerBound) {
                merged[merged.count - 1] = last.lowerBound ... max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return .ranges(merged)
    }
}

extension SeccompWordTest {
    /// `nr`, `arch`, `ip.lo32`, `arg2.hi32`: the word at `offset` of `seccomp_data` on a machine
    /// of that byte order.
    static func fieldName(offset: UInt32, bigEndian: Bool) -> String {
        switch offset {
        case 0: return "nr"
        case 4: return "arch"
        case 8, 12: return "ip." + ((offset == 12) != bigEndian ? "hi32" : "lo32")
        default:
            let index = (offset - 16) / 8
            let second = offset % 8 == 4
            return "arg\(index)." + (second != bigEndian ? "hi32" : "lo32")
        }
    }
}
