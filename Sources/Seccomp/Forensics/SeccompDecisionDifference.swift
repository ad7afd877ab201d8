import CBPF

/// One cell where two filters decide differently.
public struct SeccompDecisionDifference: Hashable, Sendable {
    /// The `seccomp_data.arch` values concerned.
    public var auditValues: [ClosedRange<UInt32>]
    /// The system-call numbers concerned.
    public var numbers: ClosedRange<UInt32>
    /// The conditions on the argument words under which the filters differ (none: for every call).
    public var conditions: [SeccompWordLiteral]
    /// What the first filter does.
    public var first: SeccompDecisionOutcome
    /// What the second filter does.
    public var second: SeccompDecisionOutcome
    /// A call of the cell, in this machine's byte order, when the solver found one.
    public var example: SeccompData?

    /// A cell from its parts.
    public init(
        auditValues: [ClosedRange<UInt32>], numbers: ClosedRange<UInt32>, conditions: [SeccompWordLiteral],
        first: SeccompDecisionOutcome, second: SeccompDecisionOutcome, example: SeccompData?
    ) {
        self.auditValues = auditValues
        self.numbers = numbers
        self.conditions = conditions
        self.first = first
        self.second = second
        self.example = example
    }
}
