/// Turns the path tree into rows: the architecture values are cut where some path's set of
/// them starts or ends, and so are the numbers within each piece; each piece's decision is the
/// tree with the architecture and number tests decided for one value of the piece (every value
/// of a piece takes the same branches). Pieces that decide alike are merged.
struct DecisionTableBuilder {
    private let exploration: FilterExploration
    private var interner = DecisionInterner()
    /// Whether the deadline passed while building: what was left is undetermined.
    private(set) var ranOutOfTime = false
    private var checks = 0

    private mutating func pastDeadline() -> Bool {
        if ranOutOfTime { return true }
        checks += 1
        if checks & 63 == 0, ContinuousClock.now >= exploration.deadline { ranOutOfTime = true }
        return ranOutOfTime
    }

    private mutating func timeGap() -> Int {
        interner.intern(.outcome(.undetermined(SeccompAnalysisGap(
            instruction: nil, reason: "building the table took longer than the analysis's time bound"))))
    }

    init(_ exploration: FilterExploration) {
        self.exploration = exploration
    }

    mutating func rows() -> [SeccompArchitectureDecisions] {
        var architecturePoints = Set<UInt32>()
        for case .leaf(_, let architectures, _) in exploration.nodes {
            architecturePoints.formUnion(architectures.boundaries)
        }
        var rows = ArchitectureRows()
        for piece in ArchitectureRows.pieces(cutAt: architecturePoints) {
            let ranges = pastDeadline()
                ? [SeccompNumberRangeDecision(numbers: 0 ... .max, decision: interner.decision(timeGap()))]
                : numberRanges(architecture: piece.lowerBound)
            rows.add(piece, ranges)
        }
        return rows.rows
    }

    private mutating func numberRanges(architecture: UInt32) -> [SeccompNumberRangeDecision] {
        // The numbers' cut points, from the leaves this architecture value can reach.
        var points = Set<UInt32>()
        var stack = [exploration.root]
        while let index = stack.popLast() {
            switch exploration.nodes[index] {
            case .leaf(_, _, let numbers): points.formUnion(numbers.boundaries)
            case .test(let test, let ifTrue, let ifFalse):
                if test.offset == 4 {
                    stack.append(test.holds(forWord: architecture) ? ifTrue : ifFalse)
                } else {
                    stack.append(ifTrue)
                    stack.append(ifFalse)
                }
            }
        }
        var ranges = [(numbers: ClosedRange<UInt32>, root: Int)]()
        for piece in ArchitectureRows.pieces(cutAt: points) {
            let root = pastDeadline() ? timeGap() : restricted(architecture: architecture, number: piece.lowerBound)
            if let last = ranges.last, last.root == root {
                ranges[ranges.count - 1].numbers = last.numbers.lowerBound ... piece.upperBound
            } else {
                ranges.append((piece, root))
            }
        }
        return ranges.map { SeccompNumberRangeDecision(numbers: $0.numbers, decision: interner.decision($0.root)) }
    }

    /// The tree with the architecture and number decided, as an interned graph.
    private mutating func restricted(architecture: UInt32, number: UInt32) -> Int {
        var results = [Int: Int]()
        var stack = [(exploration.root, false)]
        while let (index, expanded) = stack.popLast() {
            switch exploration.nodes[index] {
            case .leaf(let outcome, _, _):
                results[index] = interner.intern(.outcome(outcome))
            case .test(let test, let ifTrue, let ifFalse):
                if test.offset == 0 || test.offset == 4 {
                    let taken = test.holds(forWord: test.offset == 0 ? number : architecture) ? ifTrue : ifFalse
                    if expanded {
                        results[index] = results[taken]
                    } else {
                        stack.append((index, true))
                        stack.append((taken, false))
                    }
                } else if expanded {
                    results[index] = interner.intern(.test(test, ifTrue: results[ifTrue]!, ifFalse: results[ifFalse]!))
                } else {
                    stack.append((index, true))
                    stack.append((ifFalse, false))
                    stack.append((ifTrue, false))
                }
            }
        }
        return results[exploration.root]!
    }
}
