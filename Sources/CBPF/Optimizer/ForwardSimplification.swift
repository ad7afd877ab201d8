/// One pass over the blocks in topological order that tracks what is known about every value
/// (value numbering plus facts learned from branches) and uses it to
///
/// - drop loads, stores and computations whose result is already in place,
/// - fold constants (arithmetic, `ret a`, branches with a known outcome, X operands),
/// - end a block with `ret #0` where an instruction always ends the program with 0,
/// - thread jumps: an edge into a block whose statements can be skipped and whose branch is
///   decided on that edge goes straight to where the branch leads.
///
/// Transforming while analysing is sound here because the graph is acyclic and visited in
/// topological order: when a block is reached, everything above it is final, and a block's
/// state is the merge of the states on the edges that really enter it after threading.
struct ForwardSimplification {
    let target: AttachTarget
    var table = ValueTable()
    /// Whether the last ``run(on:)`` changed the graph.
    private(set) var changedGraph = false
    /// The states on the edges into each block: most blocks have one, kept apart from the
    /// rest so that it needs no array.
    private var firstIncoming: [AbstractState?] = []
    private var moreIncoming: [[AbstractState]] = []

    /// How far a jump is threaded, in blocks, to bound the work on long programs.
    private static let threadingLimit = 256

    init(target: AttachTarget) {
        self.target = target
    }

    /// Simplifies `graph` and returns, for each statement of each block, whether it is known
    /// never to end the program (which ``DeadCodeElimination`` needs to remove it when unused).
    mutating func run(on graph: inout ControlFlowGraph) -> NeverExitFlags {
        let count = graph.blocks.count
        // Probes return a constant: nothing is live in them.
        var liveAtEntry = Liveness.entryLiveness(of: graph)
        let scratchSlots = graph.scratchSlotsUsed
        firstIncoming = [AbstractState?](repeating: nil, count: count)
        moreIncoming = [[AbstractState]](repeating: [], count: count)
        var neverExits = NeverExitFlags(blockCount: count)
        // Kept up to date as edges are threaded, for the chains of tests.
        var predecessorCounts = graph.predecessorCounts()
        var scanned = [Bool](repeating: false, count: count)

        // Chains of tests may append probes, after every block.
        var index = -1
        while index + 1 < graph.blocks.count {
            index += 1
            guard index == 0 || firstIncoming[index] != nil else {
                // No longer reachable: its edges no longer enter anything.
                for successor in graph.blocks[index].terminator.successors { predecessorCounts[successor] -= 1 }
                continue
            }
            defer { (firstIncoming[index], moreIncoming[index]) = (nil, []) }
            // `ret #k` needs no state, and a shared one may have many incoming edges.
            if graph.blocks[index].isBareReturn, case .returnConstant = graph.blocks[index].terminator { continue }
            var state: AbstractState
            if index == 0 {
                state = initialState(scratchSlots: scratchSlots)
            } else if moreIncoming[index].isEmpty {
                state = firstIncoming[index].take()!
            } else {
                state = AbstractState.merging([firstIncoming[index].take()!] + moreIncoming[index], table: &table)
            }

            if reorderTestChain(
                at: index, entry: state, graph: &graph, liveAtEntry: liveAtEntry,
                predecessorCounts: &predecessorCounts, scanned: &scanned) {
                changedGraph = true
                let added = graph.blocks.count - firstIncoming.count
                if added > 0 {
                    firstIncoming += [AbstractState?](repeating: nil, count: added)
                    moreIncoming += [[AbstractState]](repeating: [], count: added)
                    scanned += [Bool](repeating: false, count: added)
                    neverExits.addBlocks(added)
                    liveAtEntry += [LocationSet](repeating: [], count: added)
                }
            }
            let block = graph.blocks[index]
            // The block's statements are rebuilt only once one of them changes.
            var statements: [Instruction]? = nil
            neverExits.startBlock(index)
            var terminator = block.terminator
            let entry = (accumulator: state.accumulator, index: state.index, scratch: state.scratch)
            var everyKeptStatementNeverExits = true
            for (position, statement) in block.statements.enumerated() {
                let effect = state.execute(statement, table: &table, target: target)
                let unchanged = !effect.isRedundant && effect.exit != .always && effect.replacement == nil
                if !unchanged, statements == nil { statements = Array(block.statements[..<position]) }
                if effect.isRedundant { continue }
                if effect.exit == .always {
                    terminator = .returnConstant(0)
                    break
                }
                statements?.append(effect.replacement ?? statement)
                neverExits.append(effect.exit == .never)
                if effect.exit != .never { everyKeptStatementNeverExits = false }
            }
            // Statements that cannot end the program and leave A, X and every slot holding the
            // values they held on entry (`ldb [0]; and #0xf0` again after a test of that value)
            // change nothing: drop them together.
            if terminator == block.terminator, everyKeptStatementNeverExits,
                !(statements ?? block.statements).isEmpty,
                state.accumulator == entry.accumulator, state.index == entry.index,
                state.scratch.holdsTheSameValues(as: entry.scratch) {
                statements = []
                neverExits.discardCurrentBlock()
            }

            switch terminator {
            case .returnConstant:
                break
            case .returnA:
                if let k = state.constant(state.accumulator, table: table) { terminator = .returnConstant(k) }
            case .jump(let successor):
                terminator = .jump(deliver(state, entering: successor, graph: graph, liveAtEntry: liveAtEntry))
            case .branch(let test, var operand, let ifTrue, let ifFalse):
                if case .x = operand, let k = state.constant(state.index, table: table) { operand = .constant(k) }
                let right = state.operandValue(operand, table: &table)
                let left = state.accumulator
                var decided: Int? = nil
                if ifTrue == ifFalse {
                    decided = ifTrue
                } else if let outcome = state.evaluate(test, left, right, table: table) {
                    decided = outcome ? ifTrue : ifFalse
                }
                if let decided {
                    terminator = .jump(deliver(state, entering: decided, graph: graph, liveAtEntry: liveAtEntry))
                    break
                }
                var whenTrue = state
                var whenFalse = state
                let trueFeasible = whenTrue.assume(test, left, right, outcome: true, table: table)
                let falseFeasible = whenFalse.assume(test, left, right, outcome: false, table: table)
                switch (trueFeasible, falseFeasible) {
                case (true, false):
                    terminator = .jump(deliver(state, entering: ifTrue, graph: graph, liveAtEntry: liveAtEntry))
                case (false, true):
                    terminator = .jump(deliver(state, entering: ifFalse, graph: graph, liveAtEntry: liveAtEntry))
                default:
                    // Thread each edge as far as the facts on it decide the way.
                    let trueDestination = deliver(whenTrue, entering: ifTrue, graph: graph, liveAtEntry: liveAtEntry)
                    let falseDestination = deliver(whenFalse, entering: ifFalse, graph: graph, liveAtEntry: liveAtEntry)
                    terminator = trueDestination == falseDestination
                        ? .jump(trueDestination)
                        : .branch(test, operand, ifTrue: trueDestination, ifFalse: falseDestination)
                }
            }
            if terminator != block.terminator {
                for successor in block.terminator.successors { predecessorCounts[successor] -= 1 }
                for successor in terminator.successors { predecessorCounts[successor] += 1 }
            }
            if let statements {
                graph.blocks[index] = BasicBlock(statements: statements, terminator: terminator)
                changedGraph = true
            } else if terminator != block.terminator {
                graph.blocks[index].terminator = terminator
                changedGraph = true
            }
        }
        return neverExits
    }

    /// Sends `state` along an edge into `target`, threaded as far as its facts decide the way;
    /// returns the block the edge now enters.
    private mutating func deliver(
        _ state: AbstractState, entering target: Int, graph: ControlFlowGraph, liveAtEntry: [LocationSet]
    ) -> Int {
        let destination = threadedDestination(from: state, entering: target, graph: graph, liveAtEntry: liveAtEntry)
        if firstIncoming[destination] == nil {
            firstIncoming[destination] = state
        } else {
            moreIncoming[destination].append(state)
        }
        return destination
    }

    /// The state before the first instruction, tracking the first `scratchSlots` slots (the
    /// program uses no others; tracking fewer keeps states small).
    private mutating func initialState(scratchSlots: Int) -> AbstractState {
        // The kernel clears A and X before the first instruction; the verifier rejects reads
        // of scratch slots that may be unwritten, so their initial values are never seen.
        let zero = table.constant(0)
        let scratch = (0..<scratchSlots).map { _ in table.opaque() }
        return AbstractState(accumulator: zero, index: zero, scratch: ScratchValues(scratch))
    }

    /// The furthest block that an edge with `state` can go to instead of `start`, skipping
    /// blocks whose branches the state decides and whose statements cannot end the program and
    /// only write locations that are dead where the edge lands.
    ///
    /// Statements that may end the program with 0 (a load past the end) may be skipped only
    /// when the edge lands on `ret #0`: the result is 0 either way.
    private mutating func threadedDestination(
        from state: AbstractState, entering start: Int, graph: ControlFlowGraph, liveAtEntry: [LocationSet]
    ) -> Int {
        var simulated = state
        var current = start
        var destination = start
        var mayEndWithZero = false
        for _ in 0..<Self.threadingLimit {
            let block = graph.blocks[current]
            for statement in block.statements {
                let effect = simulated.execute(statement, table: &table, target: target)
                switch effect.exit {
                case .never: break
                case .maybeWithZero: mayEndWithZero = true
                case .maybeWithAccumulator, .always: return destination
                }
            }
            let next: Int
            switch block.terminator {
            case .returnA, .returnConstant:
                return destination
            case .jump(let successor):
                next = successor
            case .branch(let test, let operand, let ifTrue, let ifFalse):
                if ifTrue == ifFalse {
                    next = ifTrue
                } else {
                    let right = simulated.operandValue(operand, table: &table)
                    guard let outcome = simulated.evaluate(test, simulated.accumulator, right, table: table) else {
                        return destination
                    }
                    next = outcome ? ifTrue : ifFalse
                }
            }
            current = next
            let changed = simulated.locationsDiffering(from: state, table: table)
            let landsOnZero = graph.blocks[next].terminator == .returnConstant(0) && graph.blocks[next].statements.isEmpty
            if changed.isDisjoint(with: liveAtEntry[next]), !mayEndWithZero || landsOnZero {
                destination = next
            }
        }
        return destination
    }
}

/// For each statement of each block, whether it is known never to end the program, in one
/// array for the whole graph.
struct NeverExitFlags {
    private var flags: [Bool] = []
    private var starts: [Int]
    private var counts: [Int]

    init(blockCount: Int) {
        starts = [Int](repeating: 0, count: blockCount)
        counts = [Int](repeating: 0, count: blockCount)
    }

    /// Makes room for blocks appended to the graph.
    mutating func addBlocks(_ count: Int) {
        starts += [Int](repeating: 0, count: count)
        counts += [Int](repeating: 0, count: count)
    }

    /// The flags appended next are the statements of `block`, in order.
    mutating func startBlock(_ block: Int) {
        starts[block] = flags.count
        current = block
    }

    private var current = 0

    /// The current block lost its statements: forget their flags.
    mutating func discardCurrentBlock() {
        counts[current] = 0
    }

    mutating func append(_ neverExits: Bool) {
        flags.append(neverExits)
        counts[current] += 1
    }

    subscript(block: Int, statement: Int) -> Bool {
        statement < counts[block] && flags[starts[block] + statement]
    }
}
