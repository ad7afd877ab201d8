import CBPF

/// Where two seccomp filters decide differently: for each architecture, range of numbers and
/// condition on the arguments, both outcomes, with an example call.
///
/// Both filters are analysed (``SeccompFilterAnalysis``); their architecture values and numbers
/// are cut where either filter's decisions change, and where two decisions differ, their graphs
/// are explored together over the argument words, keeping only combinations some input can take.
/// An outcome the analysis could not determine never counts as agreeing.
public struct SeccompFilterComparison: Sendable {
    /// The cells where the filters differ, ordered by architecture value and number.
    public let differences: [SeccompDecisionDifference]
    /// Whether the comparison stopped early: more than its limit of differences, or a pair of
    /// decisions whose joint exploration passed its step bound.
    public let limitReached: Bool

    /// Whether the filters decide every call alike, as far as the analysis can tell.
    public var isEquivalent: Bool { differences.isEmpty && !limitReached }

    /// Compares `first` with `second`, keeping at most `limit` differences.
    public init(_ first: SeccompFilterAnalysis, _ second: SeccompFilterAnalysis, limit: Int = 1000) {
        var differences = [SeccompDecisionDifference]()
        var limitReached = false
        var architecturePoints = Set<UInt32>([0])
        for row in first.architectures + second.architectures {
            for range in row.auditValues {
                architecturePoints.insert(range.lowerBound)
                if range.upperBound < .max { architecturePoints.insert(range.upperBound + 1) }
            }
        }
        let architecturePieces = ArchitectureRows.pieces(cutAt: architecturePoints)
        // Pieces of architecture values that differ alike are reported together.
        var cellsByPiece = [(values: ClosedRange<UInt32>, cells: [Cell])]()
        pieces: for piece in architecturePieces {
            let rowA = first.row(forArchitecture: piece.lowerBound)
            let rowB = second.row(forArchitecture: piece.lowerBound)
            var numberPoints = Set<UInt32>([0])
            for range in rowA.numberRanges + rowB.numberRanges { numberPoints.insert(range.numbers.lowerBound) }
            var cells = [Cell]()
            for numbers in ArchitectureRows.pieces(cutAt: numberPoints) {
                let a = rowA.decision(forNumber: numbers.lowerBound)
                let b = rowB.decision(forNumber: numbers.lowerBound)
                if a == b, a.outcomes.allSatisfy({ $0.action != nil }) { continue }
                let joint = JointExploration(a, b)
                if joint.limitReached { limitReached = true }
                for found in joint.cells {
                    if let last = cells.last, last.numbers.upperBound &+ 1 == numbers.lowerBound,
                        last.conditions == found.conditions, last.first == found.first, last.second == found.second
                    {
                        cells[cells.count - 1].numbers = last.numbers.lowerBound ... numbers.upperBound
                    } else {
                        cells.append(Cell(numbers: numbers, conditions: found.conditions, first: found.first,
                                          second: found.second, words: found.words))
                    }
                }
                if cells.count > limit {
                    limitReached = true
                    cellsByPiece.append((piece, cells))
                    break pieces
                }
            }
            if !cells.isEmpty { cellsByPiece.append((piece, cells)) }
        }
        // Merge architecture pieces with the same cells.
        var groups = [(values: [ClosedRange<UInt32>], cells: [Cell])]()
        for (values, cells) in cellsByPiece {
            let key = cells.map { [$0.numbers.lowerBound, $0.numbers.upperBound] }
            if let index = groups.firstIndex(where: { group in
                group.cells.map { [$0.numbers.lowerBound, $0.numbers.upperBound] } == key
                    && zip(group.cells, cells).allSatisfy { $0.conditions == $1.conditions && $0.first == $1.first && $0.second == $1.second }
            }) {
                groups[index].values.append(values)
            } else {
                groups.append(([values], cells))
            }
        }
        for group in groups {
            let values = Self.merged(group.values)
            for cell in group.cells {
                differences.append(SeccompDecisionDifference(
                    auditValues: values, numbers: cell.numbers, conditions: cell.conditions, first: cell.first,
                    second: cell.second,
                    example: cell.words.map { Self.example(architecture: values[0].lowerBound, number: cell.numbers.lowerBound, words: $0) }))
                if differences.count >= limit {
                    self.differences = differences
                    self.limitReached = true
                    return
                }
            }
        }
        self.differences = differences
        self.limitReached = limitReached
    }

    private struct Cell {
        var numbers: ClosedRange<UInt32>
        var conditions: [SeccompWordLiteral]
        var first: SeccompDecisionOutcome
        var second: SeccompDecisionOutcome
        var words: [UInt32: UInt32]?
    }

    private static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result = [ClosedRange<UInt32>]()
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, UInt64(last.upperBound) + 1 == UInt64(range.lowerBound) {
                result[result.count - 1] = last.lowerBound ... range.upperBound
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// A call with these words, laid out in this machine's byte order as the filter reads it.
    /// Tests and benchmarks build their probes with it too.
    package static func example(architecture: UInt32, number: UInt32, words: [UInt32: UInt32]) -> SeccompData {
        let littleEndian = UInt16(littleEndian: 1) == 1
        func pair(_ offset: UInt32) -> UInt64 {
            let first = UInt64(words[offset] ?? 0)
            let second = UInt64(words[offset + 4] ?? 0)
            return littleEndian ? second << 32 | first : first << 32 | second
        }
        return SeccompData(
            number: Int32(bitPattern: number), architecture: AuditArchitecture(rawValue: architecture),
            instructionPointer: pair(8), arguments: (0 ..< 6).map { pair(16 + 8 * UInt32($0)) })
    }
}
