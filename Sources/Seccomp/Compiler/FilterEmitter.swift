import CBPF

/// Lays out a filter with the builder DSL's labels, so that the shared label resolver computes
/// the jump offsets and inserts a `ja` for any conditional jump longer than 255 instructions.
///
/// The layout is: the architecture checks; then for each section `ld [0]`, its search tree in
/// preorder, the argument checks its leaves lead to, and one `ret` for each
/// distinct return value the section (and, for the first, the architecture checks) uses, shared
/// by every jump that ends there. A `ret` for each section keeps jumps short: one pool at the end
/// would be out of a conditional jump's reach from the first sections of a multi-architecture
/// filter, and cost a `ja` per far jump.
struct FilterEmitter {
    private var fragments: [ProgramFragment] = []
    /// The `ret`s of the section being emitted, in the order first used.
    private var returnLabels: [UInt32: Label] = [:]
    private var returnOrder: [UInt32] = []
    private var labelCount = 0
    /// The instructions emitted so far, before any long jumps are added.
    private(set) var instructionCount = 0

    /// `ld [4]`, then one `jeq` per section to its label, the last one falling to `foreign`.
    mutating func emitArchitectureChecks(_ sections: [(AuditArchitecture, Label)], foreign: SeccompAction) {
        emit(Load.absolute(.word, 4))
        for (index, (architecture, label)) in sections.enumerated() {
            let isLast = index == sections.count - 1
            emit(Jump(if: .equal, architecture.rawValue, then: label, else: isLast ? returnLabel(foreign) : nil))
        }
    }

    /// One section: `ld [0]`, the planned dispatch, and the leaf code it needs. Subtrees that a
    /// later section also has are left to it, when `sharing` says so.
    mutating func emitSection(
        _ section: Int, at sectionLabel: Label, partition: SyscallNumberPartition, tree: DispatchTree,
        blocks: [Int: ArgumentCheckBlock], sharing: inout SubtreeSharing?
    ) {
        var leaves = SectionLeaves(partition: partition, blocks: blocks)
        emit(sectionLabel)
        guard case .node = tree.root else {
            guard case .outcome(let outcome) = tree.root else { return }
            if case .action(let action) = partition.outcomes[outcome] {
                // Every number gets the same action: the number need not even be loaded.
                emit(CBPF.Return(action.returnValue))
            } else {
                emit(Load.absolute(.word, 0))
                leaves.placeHere(outcome, emitter: &self)
            }
            leaves.emitPending(emitter: &self)
            return
        }
        emit(Load.absolute(.word, 0))
        // Each node's label, or the label of the later copy it is left to.
        var nodeLabels = [Label?](repeating: nil, count: tree.nodes.count)
        func label(_ child: DispatchTree.Child) -> Label {
            switch child {
            case .outcome(let outcome): return leaves.label(outcome, emitter: &self)
            case .node(let index):
                if let label = nodeLabels[index] { return label }
                let label = sharing?.laterCopy(ofNode: index, inSection: section, emitter: &self) ?? newLabel()
                nodeLabels[index] = label
                return label
            }
        }
        var index = 0
        while index < tree.nodes.count {
            let own = label(.node(index))
            if index > 0, sharing?.laterCopy(ofNode: index, inSection: section, emitter: &self) != nil {
                index += tree.subtreeSizes[index]  // the later section emits it
                continue
            }
            if index > 0 { emit(own) }
            if let shared = sharing?.sharedLabel(ofNode: index, inSection: section), shared != own { emit(shared) }
            switch tree.nodes[index] {
            case .split(let constant, let below, let above):
                emit(Jump(if: .greaterOrEqual, constant, then: label(above), else: label(below)))
            case .chain(let exceptions, let otherwise):
                for (position, exception) in exceptions.enumerated() {
                    let other = position == exceptions.count - 1 ? leaves.label(otherwise, emitter: &self) : nil
                    emit(Jump(if: .equal, exception.constant, then: leaves.label(exception.outcome, emitter: &self),
                              else: other))
                }
            }
            index += 1
        }
        leaves.emitPending(emitter: &self)
    }

    /// The `ret`s used since the last call, each once; later jumps get new ones.
    mutating func emitReturns() {
        for value in returnOrder {
            emit(returnLabels[value]!)
            emit(CBPF.Return(value))
        }
        returnLabels = [:]
        returnOrder = []
    }

    /// Resolves labels into a program.
    func program() throws(AssemblyError) -> Program {
        try Program {
            for fragment in fragments { fragment }
        }
    }

    // MARK: Pieces

    mutating func newLabel() -> Label {
        labelCount += 1
        return Label("L\(labelCount)")
    }

    /// The label of the shared `ret` for `action`.
    mutating func returnLabel(_ action: SeccompAction) -> Label {
        let value = action.returnValue
        if let label = returnLabels[value] { return label }
        let label = newLabel()
        returnLabels[value] = label
        returnOrder.append(value)
        return label
    }

    mutating func emit(_ component: some ProgramComponent) {
        if !(component is Label) { instructionCount += 1 }
        fragments.append(component.fragment)
    }
}

/// The leaf code of one section: which argument checks its dispatch reaches, in the
/// order they were first reached, each emitted once after the dispatch.
private struct SectionLeaves {
    let partition: SyscallNumberPartition
    let blocks: [Int: ArgumentCheckBlock]
    private var leafLabels: [Int: Label] = [:]
    /// Argument checks by their code: different decisions can compile to the same code (a
    /// 64-bit mask whose high half is 0 and its 32-bit twin), which is then emitted once.
    private var blockLabels: [ArgumentCheckBlock: Label] = [:]
    private var pending: [Int] = []
    private var placed: Set<Int> = []

    init(partition: SyscallNumberPartition, blocks: [Int: ArgumentCheckBlock]) {
        self.partition = partition
        self.blocks = blocks
    }

    /// The label of an outcome's code: a shared `ret`, or argument checks to emit later.
    mutating func label(_ outcome: Int, emitter: inout FilterEmitter) -> Label {
        if case .action(let action) = partition.outcomes[outcome] {
            return emitter.returnLabel(action)
        }
        if let label = leafLabels[outcome] { return label }
        if let block = blocks[outcome], let label = blockLabels[block] {
            leafLabels[outcome] = label
            return label
        }
        let label = emitter.newLabel()
        leafLabels[outcome] = label
        if let block = blocks[outcome] { blockLabels[block] = label }
        pending.append(outcome)
        return label
    }

    /// Emits an outcome's code at the current position.
    mutating func placeHere(_ outcome: Int, emitter: inout FilterEmitter) {
        if case .action(let action) = partition.outcomes[outcome] {
            emitter.emit(CBPF.Return(action.returnValue))
            return
        }
        let label = label(outcome, emitter: &emitter)
        pending.removeAll { $0 == outcome }
        emitLeaf(outcome, at: label, emitter: &emitter)
    }

    /// Emits the argument checks reached so far.
    mutating func emitPending(emitter: inout FilterEmitter) {
        while !pending.isEmpty {
            let outcome = pending.removeFirst()
            emitLeaf(outcome, at: leafLabels[outcome]!, emitter: &emitter)
        }
    }

    private mutating func emitLeaf(_ outcome: Int, at label: Label, emitter: inout FilterEmitter) {
        guard placed.insert(outcome).inserted else { return }
        emitter.emit(label)
        switch partition.outcomes[outcome] {
        case .action(let action):
            emitter.emit(CBPF.Return(action.returnValue))
        case .argumentChecks:
            emitBlock(blocks[outcome]!, emitter: &emitter)
        }
    }

    private func emitBlock(_ block: ArgumentCheckBlock, emitter: inout FilterEmitter) {
        if case .action(let action) = block.entry {
            emitter.emit(CBPF.Return(action.returnValue))
            return
        }
        // The entry is the first node: every other node is reached from it, and jumps go forward.
        precondition(block.entry == .node(0), "argument checks start at their first node")
        let labels = block.nodes.indices.map { $0 == 0 ? nil : emitter.newLabel() }
        func label(_ target: ArgumentCheckBlock.Target) -> Label {
            switch target {
            case .node(let index): labels[index]!
            case .action(let action): emitter.returnLabel(action)
            }
        }
        for (index, node) in block.nodes.enumerated() {
            if let own = labels[index] { emitter.emit(own) }
            if node.loadsWord { emitter.emit(Load.absolute(.word, node.test.offset)) }
            if node.masks { emitter.emit(Arithmetic(.and, node.test.mask)) }
            emitter.emit(Jump(
                if: JumpCondition(node.test.test), node.test.constant,
                then: label(node.ifTrue), else: label(node.ifFalse)
            ))
        }
    }
}

extension JumpCondition {
    /// The builder's condition for a kernel test.
    fileprivate init(_ test: JumpTest) {
        switch test {
        case .equal: self = .equal
        case .greaterThan: self = .greaterThan
        case .greaterOrEqual: self = .greaterOrEqual
        case .bitsSet: self = .bitsSet
        }
    }
}
