@testable import CBPF
import Testing

/// The one integer parser of the text formats, in each format's style. The C style's meaning is
/// checked against tcpdump and bpf_asm where those formats are tested; here are its edges.
@Suite struct IntegerLiteralTests {
    @Test func cStyle() throws {
        #expect(try parseInteger("0x1F", style: .c(binary: false), as: UInt32.self) == 31)
        #expect(try parseInteger("010", style: .c(binary: false), as: UInt32.self) == 8)
        #expect(try parseInteger("0", style: .c(binary: false), as: UInt32.self) == 0)
        #expect(try parseInteger("0b101", style: .c(binary: true), as: UInt32.self) == 5)
        #expect(throws: IntegerLiteralError.notANumber) { try parseInteger("0b101", style: .c(binary: false), as: UInt32.self) }
        #expect(throws: IntegerLiteralError.nonOctalDigit) { try parseInteger("09", style: .c(binary: false), as: UInt32.self) }
        #expect(throws: IntegerLiteralError.tooLarge) { try parseInteger("0x100000000", style: .c(binary: false), as: UInt32.self) }
        // Swift's own parser takes these; the formats do not.
        for text in ["+5", "0x+5", "0x", "-1", "1_000", " 1", ""] {
            #expect(throws: IntegerLiteralError.notANumber, "\(text)") { try parseInteger(text, style: .c(binary: true), as: UInt32.self) }
        }
    }

    @Test func prefixedStyle() throws {
        #expect(try parseInteger("0o17", style: .prefixed, as: UInt64.self) == 15)
        #expect(try parseInteger("-1", style: .prefixed, as: UInt64.self) == .max)
        #expect(try parseInteger("-0x8000000000000000", style: .prefixed, as: UInt64.self) == 1 << 63)
        #expect(throws: IntegerLiteralError.tooLarge) { try parseInteger("-0x8000000000000001", style: .prefixed, as: UInt64.self) }
        #expect(throws: IntegerLiteralError.leadingZero) { try parseInteger("010", style: .prefixed, as: UInt64.self) }
        #expect(try parseInteger("0", style: .prefixed, as: UInt64.self) == 0)
    }

    @Test func decimalStyle() throws {
        #expect(try parseInteger("4294967295", style: .decimal, as: UInt32.self) == .max)
        #expect(throws: IntegerLiteralError.tooLarge) { try parseInteger("4294967296", style: .decimal, as: UInt32.self) }
        #expect(throws: IntegerLiteralError.notANumber) { try parseInteger("0x1", style: .decimal, as: UInt32.self) }
    }
}
