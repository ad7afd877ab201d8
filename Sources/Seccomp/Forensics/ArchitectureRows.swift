/// Rows of a decision table built piece by piece of architecture values: pieces with the same
/// number ranges share a row, and adjacent pieces of a row are merged into one range.
struct ArchitectureRows {
    private(set) var rows = [SeccompArchitectureDecisions]()

    /// The ranges from 0 to `UInt32.max` that start at 0 and at each point.
    static func pieces(cutAt points: Set<UInt32>) -> [ClosedRange<UInt32>] {
        let sorted = points.union([0]).sorted()
        return sorted.indices.map { index in sorted[index] ... (index + 1 < sorted.count ? sorted[index + 1] - 1 : .max) }
    }
    private var index = [[SeccompNumberRangeDecision]: Int]()

    /// Adds the next piece of architecture values (pieces come in ascending order).
    mutating func add(_ piece: ClosedRange<UInt32>, _ ranges: [SeccompNumberRangeDecision]) {
        guard let row = index[ranges] else {
            index[ranges] = rows.count
            rows.append(SeccompArchitectureDecisions(auditValues: [piece], numberRanges: ranges))
            return
        }
        if let last = rows[row].auditValues.last, UInt64(last.upperBound) + 1 == UInt64(piece.lowerBound) {
            rows[row].auditValues[rows[row].auditValues.count - 1] = last.lowerBound ... piece.upperBound
        } else {
            rows[row].auditValues.append(piece)
        }
    }
}
