extension FilterExpression {
    /// The operands of the `and` chain this expression is, left to right, or itself alone.
    /// `a and b and c` is the tree `(a and b) and c`; the chain is one level of nesting (see
    /// ``maximumDepth``), so its operands are gathered without recursion.
    var andOperands: [FilterExpression] {
        var rights = [FilterExpression]()
        var node = self
        while case .and(let first, let second) = node {
            rights.append(second)
            node = first
        }
        return [node] + rights.reversed()
    }

    /// The operands of the `or` chain this expression is, left to right, or itself alone.
    var orOperands: [FilterExpression] {
        var rights = [FilterExpression]()
        var node = self
        while case .or(let first, let second) = node {
            rights.append(second)
            node = first
        }
        return [node] + rights.reversed()
    }
}
