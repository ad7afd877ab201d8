/// Decision graphs with shared, deduplicated nodes, from which ``SeccompArgumentDecision``s are
/// cut.
struct DecisionInterner {
    enum Node: Hashable {
        case outcome(SeccompDecisionOutcome)
        case test(SeccompWordTest, ifTrue: Int, ifFalse: Int)
    }

    private(set) var nodes: [Node] = []
    private var indices: [Node: Int] = [:]
    private var decisions: [Int: SeccompArgumentDecision] = [:]

    mutating func intern(_ node: Node) -> Int {
        if case .test(_, let ifTrue, let ifFalse) = node, ifTrue == ifFalse { return ifTrue }
        if let index = indices[node] { return index }
        nodes.append(node)
        indices[node] = nodes.count - 1
        return nodes.count - 1
    }

    /// The graph under `root` in canonical order: children before parents, true branch first.
    mutating func decision(_ root: Int) -> SeccompArgumentDecision {
        if let decision = decisions[root] { return decision }
        var order = [Int: Int]()
        var list = [SeccompArgumentDecision.Node]()
        var stack = [(root, false)]
        while let (index, expanded) = stack.popLast() {
            if order[index] != nil { continue }
            switch nodes[index] {
            case .outcome(let outcome):
                order[index] = list.count
                list.append(.outcome(outcome))
            case .test(let test, let ifTrue, let ifFalse):
                if expanded {
                    order[index] = list.count
                    list.append(.test(test, ifTrue: order[ifTrue]!, ifFalse: order[ifFalse]!))
                } else {
                    stack.append((index, true))
                    stack.append((ifFalse, false))
                    stack.append((ifTrue, false))
                }
            }
        }
        let decision = SeccompArgumentDecision(nodes: list)
        decisions[root] = decision
        return decision
    }
}
