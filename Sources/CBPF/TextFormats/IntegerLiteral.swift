/// The ways this package's text formats write integers, each as the peer that defines the format
/// reads them, and the one parser they all use: ASCII digits of the radix only (no `+`, `_` or
/// blanks), and a value that does not fit is an error, never truncated.
package enum IntegerLiteralStyle: Sendable {
    /// Decimal digits only: tc's and iptables' bytecode strings, `tcpdump -ddd`.
    case decimal
    /// C's: `0x` hexadecimal, a leading `0` octal, else decimal, as `tcpdump -dd` and libpcap's
    /// lexer (`stou`) read them; bpf_asm adds `0b` binary.
    case c(binary: Bool)
    /// `0x`, `0o`, `0b` or decimal, with an optional leading `-` for two's complement: the seccomp
    /// policy format and `cbpf --args`. A decimal with a leading zero is refused, since C would
    /// read `010` as 8.
    case prefixed
}

/// Why text is not an integer literal of its style.
package enum IntegerLiteralError: Error, Hashable, Sendable {
    /// Not digits of the radix, or no digits at all.
    case notANumber
    /// An octal literal with an 8 or a 9 in it.
    case nonOctalDigit
    /// More than the type holds.
    case tooLarge
    /// `010` in the prefixed style: octal in C, decimal elsewhere.
    case leadingZero
}

/// The value of `text`, written in `style`, as a `T`.
package func parseInteger<T: FixedWidthInteger & UnsignedInteger>(
    _ text: some StringProtocol, style: IntegerLiteralStyle, as type: T.Type = T.self
) throws(IntegerLiteralError) -> T {
    var digits = Substring(text)
    var negative = false
    var radix = 10
    func dropPrefix(_ prefix: String) -> Bool {
        guard digits.count > prefix.count, digits.lowercased().hasPrefix(prefix) else { return false }
        digits = digits.dropFirst(prefix.count)
        return true
    }
    switch style {
    case .decimal:
        break
    case .c(let binary):
        if dropPrefix("0x") { radix = 16 } else if binary && dropPrefix("0b") { radix = 2 } else if dropPrefix("0") { radix = 8 }
    case .prefixed:
        if digits.hasPrefix("-") {
            negative = true
            digits = digits.dropFirst()
        }
        if dropPrefix("0x") { radix = 16 } else if dropPrefix("0o") { radix = 8 } else if dropPrefix("0b") { radix = 2 }
        else if digits.count > 1, digits.hasPrefix("0") { throw .leadingZero }
    }
    guard !digits.isEmpty else { throw .notANumber }
    var magnitude: T = 0
    for character in digits.utf8 {
        let digit: Int
        switch character {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = Int(character - UInt8(ascii: "0"))
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = Int(character - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = Int(character - UInt8(ascii: "A")) + 10
        default: throw .notANumber
        }
        guard digit < radix else { throw radix == 8 && digit < 10 ? .nonOctalDigit : .notANumber }
        let (shifted, overflowA) = magnitude.multipliedReportingOverflow(by: T(radix))
        let (next, overflowB) = shifted.addingReportingOverflow(T(digit))
        guard !overflowA, !overflowB else { throw .tooLarge }
        magnitude = next
    }
    guard negative else { return magnitude }
    // Two's complement: down to -2^(bits-1).
    guard magnitude <= T(1) << (T.bitWidth - 1) else { throw .tooLarge }
    return 0 &- magnitude
}
