/// Two decision graphs explored together: each pair of outcomes some input reaches in both.
struct JointExploration {
    struct Found {
        var conditions: [SeccompWordLiteral]
        var first: SeccompDecisionOutcome
        var second: SeccompDecisionOutcome
        var words: [UInt32: UInt32]?
    }

    private(set) var cells: [Found] = []
    private(set) var limitReached = false
    static let stepLimit = 200_000

    init(_ a: SeccompArgumentDecision, _ b: SeccompArgumentDecision) {
        struct Item {
            var a: Int
            var b: Int
            var constraints: [UInt32: WordConstraint]
            var conditions: [SeccompWordLiteral]
        }
        var stack = [Item(a: a.root, b: b.root, constraints: [:], conditions: [])]
        var steps = 0
        while let item = stack.popLast() {
            steps += 1
            if steps > Self.stepLimit {
                limitReached = true
                return
            }
            let test: SeccompWordTest
            let next: (Bool) -> (Int, Int)
            switch (a.nodes[item.a], b.nodes[item.b]) {
            case (.test(let t, let ifTrue, let ifFalse), _):
                test = t
                next = { ($0 ? ifTrue : ifFalse, item.b) }
            case (.outcome, .test(let t, let ifTrue, let ifFalse)):
                test = t
                next = { (item.a, $0 ? ifTrue : ifFalse) }
            case (.outcome(let first), .outcome(let second)):
                if first == second, first.action != nil { continue }
                var words = [UInt32: UInt32]()
                var known = true
                for (offset, constraint) in item.constraints {
                    var budget = FilterExploration.solverBudget
                    switch constraint.witness(budget: &budget) {
                    case .value(let value): words[offset] = value
                    case .none, .unknown: known = false
                    }
                }
                cells.append(Found(conditions: item.conditions, first: first, second: second, words: known ? words : nil))
                continue
            }
            for holds in [false, true] {
                let literal = SeccompWordLiteral(test: test, holds: holds)
                var constraint = item.constraints[test.offset] ?? WordConstraint()
                guard constraint.add(literal) else { continue }
                var budget = FilterExploration.solverBudget
                if case .none = constraint.witness(budget: &budget) { continue }
                var constraints = item.constraints
                constraints[test.offset] = constraint
                let (nextA, nextB) = next(holds)
                // A literal already implied adds nothing to the description.
                let implied = item.conditions.contains(literal)
                stack.append(Item(a: nextA, b: nextB, constraints: constraints,
                                  conditions: implied ? item.conditions : item.conditions + [literal]))
            }
        }
    }
}
