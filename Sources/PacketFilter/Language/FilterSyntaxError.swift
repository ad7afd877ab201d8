import CBPF

/// A malformed or unsupported filter expression: what is wrong and where.
public struct FilterSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, in libpcap's words where libpcap has words for it.
    public var message: String
    /// Where the problem starts (1-based line and column, as `1:13`); nil when it concerns the
    /// whole expression.
    public var location: SourcePosition?

    /// An error with its message and, when it concerns a place, its position.
    public init(_ message: String, at location: SourcePosition? = nil) {
        self.message = message
        self.location = location
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        location.map { "\($0): \(message)" } ?? message
    }
}
