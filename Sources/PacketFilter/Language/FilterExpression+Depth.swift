import CBPF

extension FilterExpression {
    /// How many levels an expression may nest; deeper ones are refused with "expression nested too
    /// deeply", whether they come as text or as a tree (the Swift DSL).
    ///
    /// Each `not`, comparison, arithmetic operator, unary minus and `proto[...]` is a level above
    /// what it contains, and so is each pair of parentheses in the text and each chain of one
    /// logical operator: `not (tcp)` nests 2 levels, `a or b or c` 1 however long the chain (the
    /// compiler walks it in a loop), `a or b and c` 2 (it is `(a or b) and c`). The compiler's
    /// passes recurse once per level, so the limit keeps them within a small thread's stack.
    /// It is far above any real filter; tcpdump stops at about 10,000 (its parser's stack).
    public static let maximumDepth = 1000

    /// How many levels the tree nests, counted as ``maximumDepth`` counts them (without
    /// parentheses, which the tree does not keep), or nil when that is more than `limit`. Walks
    /// the tree without recursion, so any tree can be asked.
    func nestingDepth(atMost limit: Int) -> Int? {
        var deepest = 0
        var pending = [(node: FilterTreeNode.expression(self), depth: 0)]
        while let (node, depth) = pending.popLast() {
            if depth > limit { return nil }
            deepest = max(deepest, depth)
            switch node {
            case .expression(.and(let first, let second)), .expression(.or(let first, let second)):
                // The left operand of a chain of the same operator is the same level.
                let continuesChain = switch (node, first) {
                case (.expression(.and), .and), (.expression(.or), .or): true
                default: false
                }
                pending.append((.expression(first), continuesChain ? depth : depth + 1))
                pending.append((.expression(second), depth + 1))
            default:
                pending += node.children.map { ($0, depth + 1) }
            }
        }
        return deepest
    }
}

extension FilterSyntaxError {
    /// An expression deeper than ``FilterExpression/maximumDepth``, found at `location` (the
    /// token that went one level too deep), or in a tree that has no text.
    static func nestedTooDeeply(at location: SourcePosition?) -> FilterSyntaxError {
        FilterSyntaxError("expression nested too deeply (more than \(FilterExpression.maximumDepth) levels)", at: location)
    }
}
