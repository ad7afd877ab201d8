import CBPF

/// A section's planned dispatch as comparison nodes in preorder, the order they are emitted in.
struct DispatchTree {
    /// Where a comparison leads: another node, or an outcome's code.
    enum Child: Hashable {
        case node(Int)
        case outcome(Int)
    }

    enum Node {
        /// `jge #constant`: `above` if it holds, `below` if not.
        case split(constant: UInt32, below: Child, above: Child)
        /// `jeq #constant` for each exception in order, then `otherwise`.
        case chain(exceptions: [(constant: UInt32, outcome: Int)], otherwise: Int)
    }

    /// In preorder: a node's subtree is the nodes from it to `index + subtreeSizes[index]`.
    private(set) var nodes: [Node] = []
    private(set) var subtreeSizes: [Int] = []
    /// The whole dispatch: the first node, or an outcome when there is nothing to compare.
    private(set) var root: Child = .outcome(0)

    init(_ plan: SearchTreePlanner.Plan, ranges: [SyscallNumberPartition.Range]) {
        root = add(plan, ranges)
    }

    private mutating func add(_ plan: SearchTreePlanner.Plan, _ ranges: [SyscallNumberPartition.Range]) -> Child {
        switch plan {
        case .leaf(let range):
            return .outcome(ranges[range].outcome)
        case .exceptions(let exceptions, let otherwise):
            nodes.append(.chain(exceptions: exceptions.map { (ranges[$0].lower, ranges[$0].outcome) }, otherwise: otherwise))
            subtreeSizes.append(1)
            return .node(nodes.count - 1)
        case .split(let at, let below, let above):
            let index = nodes.count
            nodes.append(.chain(exceptions: [], otherwise: 0))  // replaced below, once the children are known
            subtreeSizes.append(0)
            let belowChild = add(below, ranges)
            let aboveChild = add(above, ranges)
            nodes[index] = .split(constant: ranges[at].lower, below: belowChild, above: aboveChild)
            subtreeSizes[index] = nodes.count - index
            return .node(index)
        }
    }
}

/// Identical subtrees of different sections, emitted once.
///
/// Architectures share many numbers (x86 and x86_64 number every call added since Linux 4.18
/// alike), so the dispatch trees of a multi-architecture filter often contain the same subtree
/// with the same outcomes. Jumps only go forward, so an earlier section jumps to the copy in
/// the last section that has it; a subtree's identity covers its comparisons and the code of
/// its leaves, which each section emits the same way.
struct SubtreeSharing {
    /// What a leaf does, independent of the section: a return value, or argument checks by
    /// their code.
    enum LeafKey: Hashable {
        case returns(UInt32)
        case checks(ArgumentCheckBlock)
    }

    private enum ChildKey: Hashable {
        case subtree(Int)
        case leaf(LeafKey)
    }

    private enum NodeKey: Hashable {
        case split(UInt32, ChildKey, ChildKey)
        case chain([UInt32], [LeafKey], LeafKey)
    }

    /// Per section, per node: the identity of the node's subtree.
    private var identities: [[Int]] = []
    /// Per identity: the last section whose tree has it.
    private var lastSections: [Int] = []
    /// Per identity referred to by an earlier section: its label.
    private var labels: [Int: Label] = [:]
    private var placed: Set<Int> = []

    /// Identifies the subtrees of every section's tree.
    init(trees: [DispatchTree], partitions: [SyscallNumberPartition], blocks: [[Int: ArgumentCheckBlock]]) {
        var interned: [NodeKey: Int] = [:]
        for (section, tree) in trees.enumerated() {
            func leaf(_ outcome: Int) -> LeafKey {
                switch partitions[section].outcomes[outcome] {
                case .action(let action): .returns(action.returnValue)
                case .argumentChecks: .checks(blocks[section][outcome]!)
                }
            }
            var ids = [Int](repeating: 0, count: tree.nodes.count)
            func child(_ child: DispatchTree.Child) -> ChildKey {
                switch child {
                case .node(let index): .subtree(ids[index])
                case .outcome(let outcome): .leaf(leaf(outcome))
                }
            }
            // Children come after their parent in preorder, so their identities are known first.
            for index in tree.nodes.indices.reversed() {
                let key: NodeKey = switch tree.nodes[index] {
                case .split(let constant, let below, let above): .split(constant, child(below), child(above))
                case .chain(let exceptions, let otherwise):
                    .chain(exceptions.map(\.constant), exceptions.map { leaf($0.outcome) }, leaf(otherwise))
                }
                if let id = interned[key] {
                    ids[index] = id
                    lastSections[id] = section
                } else {
                    ids[index] = lastSections.count
                    interned[key] = lastSections.count
                    lastSections.append(section)
                }
            }
            identities.append(ids)
        }
    }

    /// The label of a later section's copy when node `index` of `section` is emitted there
    /// instead, else `nil`.
    mutating func laterCopy(ofNode index: Int, inSection section: Int, emitter: inout FilterEmitter) -> Label? {
        let id = identities[section][index]
        guard lastSections[id] > section else { return nil }
        if let label = labels[id] { return label }
        let label = emitter.newLabel()
        labels[id] = label
        return label
    }

    /// The label earlier sections jump to, when node `index` of `section` is the copy they
    /// share and is not yet placed.
    mutating func sharedLabel(ofNode index: Int, inSection section: Int) -> Label? {
        let id = identities[section][index]
        guard lastSections[id] == section, let label = labels[id], placed.insert(id).inserted else { return nil }
        return label
    }
}
