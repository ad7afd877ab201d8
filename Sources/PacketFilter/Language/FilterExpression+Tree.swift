/// A node of an expression tree, either kind, for the walks that use a stack of their own
/// instead of recursion: equality, hashing and depth work on a tree of any depth (the Swift DSL
/// can build one deeper than ``FilterExpression/maximumDepth``, which synthesized conformances
/// would recurse through, about 800 bytes of stack per level in a debug build).
enum FilterTreeNode {
    case expression(FilterExpression)
    case arithmetic(FilterArithmetic)

    /// The node without its children: what equality and hashing compare at each node.
    enum Shape: Hashable {
        case primitive(FilterPrimitive)
        case comparison(FilterRelation)
        case not, and, or
        case constant(UInt32)
        case length
        case load(FilterProtocol, size: Int)
        case binary(FilterArithmeticOperator)
        case negate
    }

    var shape: Shape {
        switch self {
        case .expression(.primitive(let primitive)): .primitive(primitive)
        case .expression(.comparison(_, let relation, _)): .comparison(relation)
        case .expression(.not): .not
        case .expression(.and): .and
        case .expression(.or): .or
        case .arithmetic(.constant(let value)): .constant(value)
        case .arithmetic(.length): .length
        case .arithmetic(.load(let proto, _, let size)): .load(proto, size: size)
        case .arithmetic(.binary(let op, _, _)): .binary(op)
        case .arithmetic(.negate): .negate
        }
    }

    /// The node's children, left to right.
    var children: [FilterTreeNode] {
        switch self {
        case .expression(.primitive), .arithmetic(.constant), .arithmetic(.length): []
        case .expression(.comparison(let left, _, let right)): [.arithmetic(left), .arithmetic(right)]
        case .expression(.not(let inner)): [.expression(inner)]
        case .expression(.and(let first, let second)), .expression(.or(let first, let second)):
            [.expression(first), .expression(second)]
        case .arithmetic(.load(_, let index, _)): [.arithmetic(index)]
        case .arithmetic(.binary(_, let left, let right)): [.arithmetic(left), .arithmetic(right)]
        case .arithmetic(.negate(let inner)): [.arithmetic(inner)]
        }
    }

    /// Whether two trees have the same shapes in the same places.
    static func equal(_ first: FilterTreeNode, _ second: FilterTreeNode) -> Bool {
        var pending = [(first, second)]
        while let (left, right) = pending.popLast() {
            guard left.shape == right.shape else { return false }
            let leftChildren = left.children
            let rightChildren = right.children
            guard leftChildren.count == rightChildren.count else { return false }
            pending += zip(leftChildren, rightChildren)
        }
        return true
    }

    /// Feeds every node's shape to `hasher`, in a fixed order.
    func hash(into hasher: inout Hasher) {
        var pending = [self]
        while let node = pending.popLast() {
            hasher.combine(node.shape)
            pending += node.children
        }
    }
}

extension FilterExpression {
    /// Whether the two trees are the same, compared without recursion so that deep trees do not exhaust the stack.
    public static func == (lhs: FilterExpression, rhs: FilterExpression) -> Bool {
        FilterTreeNode.equal(.expression(lhs), .expression(rhs))
    }

    /// Hashes the tree without recursion, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        FilterTreeNode.expression(self).hash(into: &hasher)
    }
}

extension FilterArithmetic {
    /// Whether the two trees are the same, compared without recursion so that deep trees do not exhaust the stack.
    public static func == (lhs: FilterArithmetic, rhs: FilterArithmetic) -> Bool {
        FilterTreeNode.equal(.arithmetic(lhs), .arithmetic(rhs))
    }

    /// Hashes the tree without recursion, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        FilterTreeNode.arithmetic(self).hash(into: &hasher)
    }
}
