/// A test of a word with the outcome a path took: the test held, or it did not.
public struct SeccompWordLiteral: Hashable, Sendable {
    /// The test.
    public var test: SeccompWordTest
    /// Whether the path took the test's true branch.
    public var holds: Bool

    /// A test and its outcome.
    public init(test: SeccompWordTest, holds: Bool) {
        self.test = test
        self.holds = holds
    }

    /// Whether the literal holds when the word is `word`.
    public func holds(forWord word: UInt32) -> Bool {
        test.holds(forWord: word) == holds
    }

    /// The literal in the filter's terms: `arg1.hi32 == 0`, `arg0.lo32 & 0x4 != 0`,
    /// `nr > 335`, `ip.lo32 == 0x401000`, with the halves of 64-bit fields named for a machine of
    /// that byte order.
    public func description(bigEndian: Bool) -> String {
        let name = SeccompWordTest.fieldName(offset: test.offset, bigEndian: bigEndian)
        var left = name
        if test.mask != .max { left += " & " + hex(test.mask) }
        if test.flip != 0 { left = "(\(left)) ^ " + hex(test.flip) }
        if test.addend != 0 { left = "(\(left)) + " + hex(test.addend) }
        switch (test.test, holds) {
        case (.equal, true): return "\(left) == \(hex(test.value))"
        case (.equal, false): return "\(left) != \(hex(test.value))"
        case (.greaterThan, true): return "\(left) > \(hex(test.value))"
        case (.greaterThan, false): return "\(left) <= \(hex(test.value))"
        case (.greaterOrEqual, true): return "\(left) >= \(hex(test.value))"
        case (.greaterOrEqual, false): return "\(left) < \(hex(test.value))"
        case (.bitsSet, true): return "\(left) & \(hex(test.value)) != 0"
        case (.bitsSet, false): return "\(left) & \(hex(test.value)) == 0"
        }
    }

    private func hex(_ value: UInt32) -> String {
        value < 10 ? String(value) : "0x" + String(value, radix: 16)
    }
}
