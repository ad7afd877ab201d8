import CBPF

/// The decisions of a filter for one set of architecture values.
public struct SeccompArchitectureDecisions: Hashable, Sendable {
    /// The `seccomp_data.arch` values of the row, as ascending ranges.
    public var auditValues: [ClosedRange<UInt32>]
    /// Every number from 0 to `UInt32.max`, in ascending ranges with their decisions; adjacent
    /// ranges decide differently.
    public var numberRanges: [SeccompNumberRangeDecision]

    /// A row from its architecture values and number ranges.
    public init(auditValues: [ClosedRange<UInt32>], numberRanges: [SeccompNumberRangeDecision]) {
        self.auditValues = auditValues
        self.numberRanges = numberRanges
    }

    /// The architecture, when the row has a single value.
    public var auditArchitecture: AuditArchitecture? {
        guard auditValues.count == 1, let only = auditValues.first, only.lowerBound == only.upperBound else { return nil }
        return AuditArchitecture(rawValue: only.lowerBound)
    }

    /// Whether the row's architecture is big-endian (its audit value lacks `__AUDIT_ARCH_LE`),
    /// which decides which word of an argument is its high half; this machine's order for rows
    /// of several values.
    public var isBigEndian: Bool {
        if let auditArchitecture { return auditArchitecture.rawValue & 0x4000_0000 == 0 }
        return UInt16(bigEndian: 1) == 1
    }

    /// The decision for a number.
    public func decision(forNumber number: UInt32) -> SeccompArgumentDecision {
        var low = 0
        var high = numberRanges.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if numberRanges[middle].numbers.lowerBound <= number { low = middle } else { high = middle - 1 }
        }
        return numberRanges[low].decision
    }
}

/// A range of system-call numbers that a filter decides alike.
public struct SeccompNumberRangeDecision: Hashable, Sendable {
    /// The numbers.
    public var numbers: ClosedRange<UInt32>
    /// What the filter does with them.
    public var decision: SeccompArgumentDecision

    /// A range and its decision.
    public init(numbers: ClosedRange<UInt32>, decision: SeccompArgumentDecision) {
        self.numbers = numbers
        self.decision = decision
    }
}
