import CBPF

/// The decision table of filters stacked on one thread: the filters' rows and number ranges
/// cut where any of them changes, and each cell's decisions joined into one graph whose
/// outcomes are the kernel's choice among the filters' actions.
struct StackCombination {
    /// The filters in the kernel's evaluation order: the newest first.
    private let filters: [SeccompFilterAnalysis]
    /// Per filter, in evaluation order: whether its `KILL_PROCESS` outcomes are exactly `SECCOMP_RET_KILL_PROCESS`.
    /// A filter that returns a value of no known action (the kernel kills the process for it)
    /// or a computed value is ranked by that value among the others, which the outcome no
    /// longer holds.
    private let killRankIsExact: [Bool]
    private var interner = DecisionInterner()
    private var combined = [[SeccompArgumentDecision]: SeccompArgumentDecision]()
    private(set) var undecidedBranches = 0

    /// The most steps the join of one cell's decisions may take.
    static let stepLimit = 200_000

    /// The filters in the order they were installed.
    init(_ installed: [SeccompFilterAnalysis]) {
        let filters = Array(installed.reversed())
        self.filters = filters
        killRankIsExact = filters.map { filter in
            filter.program.instructions.allSatisfy { instruction in
                switch instruction {
                case .returnConstant(let value):
                    SeccompAction(returnValue: value).returnValue & 0xffff_0000 == value & 0xffff_0000
                case .returnA: false
                default: true
                }
            }
        }
    }

    /// The filter's index in the order of installation, as messages name it.
    private func installedIndex(_ evaluationIndex: Int) -> Int { filters.count - 1 - evaluationIndex }

    mutating func rows() -> [SeccompArchitectureDecisions] {
        var architecturePoints = Set<UInt32>()
        for filter in filters {
            for row in filter.architectures {
                for range in row.auditValues {
                    architecturePoints.insert(range.lowerBound)
                    if range.upperBound < .max { architecturePoints.insert(range.upperBound + 1) }
                }
            }
        }
        var rows = ArchitectureRows()
        for piece in ArchitectureRows.pieces(cutAt: architecturePoints) {
            rows.add(piece, numberRanges(filters.map { $0.row(forArchitecture: piece.lowerBound) }))
        }
        return rows.rows
    }

    private mutating func numberRanges(_ rows: [SeccompArchitectureDecisions]) -> [SeccompNumberRangeDecision] {
        var points = Set<UInt32>()
        for row in rows {
            for range in row.numberRanges { points.insert(range.numbers.lowerBound) }
        }
        var ranges = [SeccompNumberRangeDecision]()
        for piece in ArchitectureRows.pieces(cutAt: points) {
            let decision = joined(rows.map { $0.decision(forNumber: piece.lowerBound) })
            if let last = ranges.last, last.decision == decision {
                ranges[ranges.count - 1].numbers = last.numbers.lowerBound ... piece.upperBound
            } else {
                ranges.append(SeccompNumberRangeDecision(numbers: piece, decision: decision))
            }
        }
        return ranges
    }

    /// The decisions of one cell joined: the tests of each filter in turn, branches no input
    /// takes dropped, and at each end the kernel's choice among the filters' outcomes.
    private mutating func joined(_ decisions: [SeccompArgumentDecision]) -> SeccompArgumentDecision {
        if let known = combined[decisions] { return known }
        enum Task {
            case visit(positions: [Int], constraints: [UInt32: WordConstraint])
            case build(SeccompWordTest)
        }
        var tasks = [Task.visit(positions: decisions.map(\.root), constraints: [:])]
        var results = [Int]()
        var steps = 0
        while let task = tasks.popLast() {
            switch task {
            case .build(let test):
                let ifFalse = results.removeLast()
                let ifTrue = results.removeLast()
                results.append(interner.intern(.test(test, ifTrue: ifTrue, ifFalse: ifFalse)))
            case .visit(let positions, let constraints):
                steps += 1
                if steps > Self.stepLimit {
                    results.append(interner.intern(.outcome(.undetermined(SeccompAnalysisGap(
                        instruction: nil,
                        reason: "joining the filters' tests on arguments passed its bound of \(Self.stepLimit) steps")))))
                    continue
                }
                var outcomes = [SeccompDecisionOutcome]()
                var branch: (filter: Int, test: SeccompWordTest, ifTrue: Int, ifFalse: Int)?
                for (filter, decision) in decisions.enumerated() {
                    switch decision.nodes[positions[filter]] {
                    case .outcome(let outcome): outcomes.append(outcome)
                    case .test(let test, let ifTrue, let ifFalse): branch = (filter, test, ifTrue, ifFalse)
                    }
                    if branch != nil { break }
                }
                guard let branch else {
                    results.append(interner.intern(.outcome(outcome(of: outcomes))))
                    continue
                }
                var followed = [(positions: [Int], constraints: [UInt32: WordConstraint])]()
                for holds in [true, false] {
                    var constraint = constraints[branch.test.offset] ?? WordConstraint()
                    guard constraint.add(SeccompWordLiteral(test: branch.test, holds: holds)) else { continue }
                    var budget = FilterExploration.solverBudget
                    switch constraint.witness(budget: &budget) {
                    case .none: continue
                    case .unknown: undecidedBranches += 1
                    case .value: break
                    }
                    var next = constraints
                    next[branch.test.offset] = constraint
                    var nextPositions = positions
                    nextPositions[branch.filter] = holds ? branch.ifTrue : branch.ifFalse
                    followed.append((nextPositions, next))
                }
                switch followed.count {
                case 2:
                    tasks.append(.build(branch.test))
                    tasks.append(.visit(positions: followed[1].positions, constraints: followed[1].constraints))
                    tasks.append(.visit(positions: followed[0].positions, constraints: followed[0].constraints))
                case 1:
                    tasks.append(.visit(positions: followed[0].positions, constraints: followed[0].constraints))
                default:
                    // The filter's own analysis kept this path, so some input reaches it; the
                    // solver could not find one with the other filters' tests added.
                    results.append(interner.intern(.outcome(.undetermined(SeccompAnalysisGap(
                        instruction: nil, reason: "no input found for either branch of \(branch.test) in filter \(installedIndex(branch.filter))")))))
                }
            }
        }
        let decision = interner.decision(results[0])
        combined[decisions] = decision
        return decision
    }

    /// The kernel's choice among the filters' outcomes for one call, in evaluation order
    /// (`outcomes[0]` the newest filter's): the lowest action as a signed 32-bit value, the first on ties.
    func outcome(of outcomes: [SeccompDecisionOutcome]) -> SeccompDecisionOutcome {
        // SECCOMP_RET_KILL_PROCESS is the lowest value there is: nothing outranks it.
        if outcomes.indices.contains(where: { outcomes[$0].action == .killProcess && killRankIsExact[$0] }) {
            return .action(.killProcess)
        }
        if let index = outcomes.firstIndex(where: { $0.action == nil }), case .undetermined(let gap) = outcomes[index] {
            return .undetermined(SeccompAnalysisGap(instruction: nil, reason: "filter \(installedIndex(index)), \(gap)"))
        }
        let actions = outcomes.compactMap(\.action)
        if let inexact = actions.indices.first(where: { actions[$0] == .killProcess && !killRankIsExact[$0] }) {
            // A value of no known action kills the process; whether it outranks the others
            // depends on the value, unless they all allow (ALLOW is the highest value).
            if actions.allSatisfy({ $0 == .killProcess || $0 == .allow }) { return .action(.killProcess) }
            return .undetermined(SeccompAnalysisGap(
                instruction: nil,
                reason: "filter \(installedIndex(inexact)) returns a value of no known action here, which kills the process but ranks "
                    + "among the other filters' actions by its value"))
        }
        var chosen = actions[0]
        for action in actions.dropFirst() where Self.rank(action) < Self.rank(chosen) { chosen = action }
        return .action(chosen)
    }

    /// `ACTION_ONLY`: the action bits as a signed number, lower is more restrictive.
    static func rank(_ action: SeccompAction) -> Int32 {
        Int32(bitPattern: action.returnValue & 0xffff_0000)
    }
}
