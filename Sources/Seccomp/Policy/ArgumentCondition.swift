/// A test on one system-call argument: `arg0 == 1`, `arg2 & 0x4 == 0`, `arg0.lo32 == 5`.
///
/// Comparisons are unsigned, as the kernel and libseccomp make them. With ``Width/full`` all
/// 64 bits of the argument take part; with ``Width/low32`` only the low 32 bits of the argument,
/// the value and the mask do, which is what an `int` argument needs on a 64-bit architecture
/// (the upper half of its register is not defined). On architectures whose arguments are 32 bits
/// (``SeccompArchitecture/hasSixtyFourBitArguments``) every condition is a 32-bit one.
public struct ArgumentCondition: Hashable, Sendable, CustomStringConvertible {
    /// How the argument is compared with ``value``.
    public enum Comparison: Hashable, Sendable {
        /// `argument == value`.
        case equal
        /// `argument != value`.
        case notEqual
        /// `argument < value`.
        case less
        /// `argument <= value`.
        case lessOrEqual
        /// `argument > value`.
        case greater
        /// `argument >= value`.
        case greaterOrEqual
        /// `(argument & mask) == value`.
        case maskedEqual(mask: UInt64)
    }

    /// How many bits of the argument take part.
    public enum Width: Hashable, Sendable {
        /// All 64 bits.
        case full
        /// The low 32 bits only (`arg0.lo32` in the text format).
        case low32
    }

    /// Which argument, 0 to 5.
    public var argument: Int
    /// How the argument is compared.
    public var comparison: Comparison
    /// The value compared with, as an unsigned 64-bit number (negative numbers sign-extended).
    public var value: UInt64
    /// How many bits take part.
    public var width: Width

    /// `argN <comparison> value`, on `width` bits.
    public init(argument: Int, _ comparison: Comparison, _ value: UInt64, width: Width = .full) {
        self.argument = argument
        self.comparison = comparison
        self.value = value
        self.width = width
    }

    /// Whether the condition holds for this value of the argument.
    public func holds(for argumentValue: UInt64) -> Bool {
        let narrow: (UInt64) -> UInt64 = { self.width == .low32 ? $0 & 0xffff_ffff : $0 }
        let lhs = narrow(argumentValue)
        let rhs = narrow(value)
        switch comparison {
        case .equal: return lhs == rhs
        case .notEqual: return lhs != rhs
        case .less: return lhs < rhs
        case .lessOrEqual: return lhs <= rhs
        case .greater: return lhs > rhs
        case .greaterOrEqual: return lhs >= rhs
        case .maskedEqual(let mask): return lhs & narrow(mask) == rhs
        }
    }

    /// Whether the condition holds for these arguments (missing ones count as 0).
    public func holds(forArguments arguments: [UInt64]) -> Bool {
        holds(for: argument < arguments.count && argument >= 0 ? arguments[argument] : 0)
    }

    /// The operator as the text format writes it: `==`, `!=`, `<`, `<=`, `>`, `>=`.
    var operatorText: String {
        switch comparison {
        case .equal, .maskedEqual: "=="
        case .notEqual: "!="
        case .less: "<"
        case .lessOrEqual: "<="
        case .greater: ">"
        case .greaterOrEqual: ">="
        }
    }

    /// The text format: `arg0 == 1`, `arg2 & 0x4 == 0`, `arg0.lo32 != 5`.
    public var description: String {
        var text = "arg\(argument)" + (width == .low32 ? ".lo32" : "")
        if case .maskedEqual(let mask) = comparison {
            text += " & " + Self.format(mask, hex: true)
        }
        return text + " " + operatorText + " " + Self.format(value, hex: false)
    }

    /// Decimal below 65536, hexadecimal above; masks always hexadecimal.
    static func format(_ value: UInt64, hex: Bool) -> String {
        hex || value >= 0x1_0000 ? "0x" + String(value, radix: 16) : String(value)
    }

    /// Whether `number` survives narrowing to 32 bits: its upper half is zero, or a sign
    /// extension of bit 31 (as `-1` is).
    static func fitsIn32Bits(_ number: UInt64) -> Bool {
        number <= 0xffff_ffff || number >= 0xffff_ffff_8000_0000
    }

    /// The condition as a 32-bit one, or `nil` when its value or mask does not fit in 32 bits.
    func narrowedTo32Bits() -> ArgumentCondition? {
        guard Self.fitsIn32Bits(value) else { return nil }
        var narrowed = self
        narrowed.width = .low32
        narrowed.value = value & 0xffff_ffff
        if case .maskedEqual(let mask) = comparison {
            guard Self.fitsIn32Bits(mask) else { return nil }
            narrowed.comparison = .maskedEqual(mask: mask & 0xffff_ffff)
        }
        return narrowed
    }
}
