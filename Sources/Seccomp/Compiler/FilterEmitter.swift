import CBPF

/// Lays out a filter with the builder DSL's labels, so that the shared label resolver computes
/// the jump offsets and inserts a `ja` for any conditional jump longer than 255 instructions.
///
/// The layout is: the architecture checks; for each section `ld [0]`, its search tree in
/// preorder, then the argument checks and x32 gates its leaves lead to; last, one `ret` for each
/// distinct return value, shared by every jump that ends there.
struct FilterEmitter {
    private var fragments: [ProgramFragment] = []
    private var returnLabels: [UInt32: Label] = [:]
    private var returnOrder: [UInt32] = []
    private var labelCount = 0

    /// `ld [4]`, then one `jeq` per section to its label, the last one falling to `foreign`.
    mutating func emitArchitectureChecks(_ sections: [(AuditArchitecture, Label)], foreign: SeccompAction) {
        emit(Load.absolute(.word, 4))
        for (index, (architecture, label)) in sections.enumerated() {
            let isLast = index == sections.count - 1
            emit(Jump(if: .equal, architecture.rawValue, then: label, else: isLast ? returnLabel(foreign) : nil))
        }
    }

    /// One section: `ld [0]`, the planned dispatch, and the leaf code it needs.
    mutating func emitSection(
        at label: Label, partition: SyscallNumberPartition, plan: SearchTreePlanner.Plan,
        blocks: [Int: ArgumentCheckBlock]
    ) {
        var section = SectionEmission(partition: partition, blocks: blocks)
        emit(label)
        if case .leaf(let range) = plan, case .action(let action) = partition.outcomes[partition.ranges[range].outcome] {
            // Every number gets the same action: the number need not even be loaded.
            emit(CBPF.Return(action.returnValue))
            return
        }
        emit(Load.absolute(.word, 0))
        if case .leaf(let range) = plan {
            // Place the leaf's code right here rather than jumping to it.
            section.placeHere(partition.ranges[range].outcome, emitter: &self)
        } else {
            emitPlan(plan, at: nil, section: &section)
        }
        section.emitPendingLeaves(emitter: &self)
    }

    /// The shared `ret`s.
    mutating func emitReturns() {
        for value in returnOrder {
            emit(returnLabels[value]!)
            emit(CBPF.Return(value))
        }
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
        let label = Label("ret_\(String(value, radix: 16))")
        returnLabels[value] = label
        returnOrder.append(value)
        return label
    }

    mutating func emit(_ component: some ProgramComponent) {
        fragments.append(component.fragment)
    }

    /// A plan's comparisons in preorder; `label`, when given, marks its first one.
    private mutating func emitPlan(_ plan: SearchTreePlanner.Plan, at label: Label?, section: inout SectionEmission) {
        if let label { emit(label) }
        let ranges = section.partition.ranges
        switch plan {
        case .leaf:
            preconditionFailure("leaves are jump targets, not code of their own")
        case .split(let at, let below, let above):
            let belowLabel = section.target(of: below, emitter: &self)
            let aboveLabel = section.target(of: above, emitter: &self)
            emit(Jump(if: .greaterOrEqual, ranges[at].lower, then: aboveLabel.label, else: belowLabel.label))
            if belowLabel.isSubtree { emitPlan(below, at: belowLabel.label, section: &section) }
            if aboveLabel.isSubtree { emitPlan(above, at: aboveLabel.label, section: &section) }
        case .exceptions(let exceptions, let otherwise, _):
            for (position, index) in exceptions.enumerated() {
                let isLast = position == exceptions.count - 1
                let match = section.leafLabel(ranges[index].outcome, emitter: &self)
                let other = isLast ? section.leafLabel(otherwise, emitter: &self) : nil
                emit(Jump(if: .equal, ranges[index].lower, then: match, else: other))
            }
        }
    }
}

/// The leaf code of one section: which argument checks and gates its dispatch reaches, in the
/// order they were first reached, each emitted once after the dispatch.
private struct SectionEmission {
    let partition: SyscallNumberPartition
    let blocks: [Int: ArgumentCheckBlock]
    private var leafLabels: [Int: Label] = [:]
    private var pending: [Int] = []
    private var placed: Set<Int> = []

    init(partition: SyscallNumberPartition, blocks: [Int: ArgumentCheckBlock]) {
        self.partition = partition
        self.blocks = blocks
    }

    /// Where a jump to a subplan goes: a new label for a subtree, the leaf's code for a leaf.
    mutating func target(of plan: SearchTreePlanner.Plan, emitter: inout FilterEmitter) -> (label: Label, isSubtree: Bool) {
        if case .leaf(let range) = plan {
            return (leafLabel(partition.ranges[range].outcome, emitter: &emitter), false)
        }
        return (emitter.newLabel(), true)
    }

    /// The label of an outcome's code: a shared `ret`, or argument checks or a gate to emit later.
    mutating func leafLabel(_ outcome: Int, emitter: inout FilterEmitter) -> Label {
        if case .action(let action) = partition.outcomes[outcome] {
            return emitter.returnLabel(action)
        }
        if let label = leafLabels[outcome] { return label }
        let label = emitter.newLabel()
        leafLabels[outcome] = label
        pending.append(outcome)
        return label
    }

    /// Emits an outcome's code at the current position.
    mutating func placeHere(_ outcome: Int, emitter: inout FilterEmitter) {
        if case .action(let action) = partition.outcomes[outcome] {
            emitter.emit(CBPF.Return(action.returnValue))
            return
        }
        let label = leafLabel(outcome, emitter: &emitter)
        pending.removeAll { $0 == outcome }
        emitLeaf(outcome, at: label, emitter: &emitter)
    }

    /// Emits the argument checks and gates reached so far, and those they reach.
    mutating func emitPendingLeaves(emitter: inout FilterEmitter) {
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
        case .x32Gate(let withBit, let withoutBit):
            let hasBit = emitter.newLabel()
            let without = leafLabel(withoutBit, emitter: &emitter)
            emitter.emit(Jump(if: .bitsSet, SeccompArchitecture.x32SyscallBit, then: hasBit, else: without))
            emitter.emit(hasBit)
            let with = leafLabel(withBit, emitter: &emitter)
            emitter.emit(Jump(if: .equal, 0xffff_ffff, then: without, else: with))
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
    init(_ test: JumpTest) {
        switch test {
        case .equal: self = .equal
        case .greaterThan: self = .greaterThan
        case .greaterOrEqual: self = .greaterOrEqual
        case .bitsSet: self = .bitsSet
        }
    }
}
