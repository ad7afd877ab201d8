/// Reorders chains of tests that share an exit, so that tests of the same value stand together
/// and its load runs once, without changing a verdict on any packet, truncated ones included.
///
/// A chain is a run of blocks, each entered only from the one before, each ending with a branch
/// one way of which goes to a common exit while the other goes on to the next block. It means
/// "go to the exit if any test comes out its exit's way, otherwise go on"; a load outside the
/// packet on the way ends the program with 0. Where the chain writes only locations dead at
/// both ends, its tests are grouped by the value they test, the value already in A first, so
/// that `port 1 or port 2 or ...` loads each port field once. Two rules keep every verdict:
///
/// - a statement that may end the program runs only once every test before it in the chain's
///   order has run (and come out the way that goes on): then it ends the program exactly where
///   the original order would;
/// - a test moved before loads of earlier tests that may fail goes to the exit through a probe,
///   a copy of those loads that then returns what the exit returns: `src == 1001` tested before
///   the destination port is loaded accepts only if that load succeeds, as in the original
///   order. This needs the exit to be a bare `ret #k`, and the loads skipped to be those of one
///   test (the others known to succeed once it has), which is what `port` and `host` chains
///   give: `ldh [s]; jeq #1 exit; jeq #2 probe; ldh [d]; jeq #1 exit; jeq #2 exit`, the
///   probe being `ldh [d]; ret #k`. Chains of different protocol families then end with the
///   same tests, which block merging shares, and probes that imply each other are chained by
///   ``ProbeChaining``.
extension ForwardSimplification {
    /// One test of a chain: the statements that compute its value, the branch, and the values
    /// it compares.
    private struct ChainTest {
        var block: Int
        var statements: [Instruction]
        var test: JumpTest
        var operand: Operand
        /// Whether the test's true way is the exit.
        var exitsWhenTrue: Bool
        var left: ValueNumber
        var right: ValueNumber
        /// Whether its statements may end the program where it stands in the chain.
        var mayFail: Bool
        /// Loads to run on the way to the exit; empty when it goes there directly.
        var probe: [Instruction] = []
    }

    /// Chains longer than this are split: the work per chain stays linear.
    private static let chainLimit = 4096

    /// Reorders the chain that starts at `head`, entered with `entry`; returns whether the graph
    /// changed. Marks the blocks it looked at in `scanned`, so that the blocks of a chain do not
    /// each scan the rest of it again. Probes are appended to the graph, after every block,
    /// and counted in `predecessorCounts`.
    mutating func reorderTestChain(
        at head: Int, entry: AbstractState, graph: inout ControlFlowGraph, liveAtEntry: [LocationSet],
        predecessorCounts: inout [Int], scanned: inout [Bool]
    ) -> Bool {
        guard !scanned[head], case .branch(_, _, let firstTrue, let firstFalse) = graph.blocks[head].terminator,
              firstTrue != firstFalse else { return false }
        // The exit is the target the head shares with the block after it.
        func continues(_ next: Int, sharing exit: Int) -> Bool {
            guard next != head, predecessorCounts[next] == 1,
                  case .branch(_, _, let ifTrue, let ifFalse) = graph.blocks[next].terminator else { return false }
            return ifTrue == exit || ifFalse == exit
        }
        let exit: Int
        if continues(firstFalse, sharing: firstTrue) {
            exit = firstTrue
        } else if continues(firstTrue, sharing: firstFalse) {
            exit = firstFalse
        } else {
            return false
        }

        var tests = [ChainTest]()
        var state = entry
        var current = head
        collecting: while tests.count < Self.chainLimit {
            if current != head {
                guard current < predecessorCounts.count, predecessorCounts[current] == 1, !scanned[current] else { break }
            }
            let block = graph.blocks[current]
            guard case .branch(let test, let operand, let ifTrue, let ifFalse) = block.terminator, ifTrue != ifFalse,
                  ifTrue == exit || ifFalse == exit else { break }
            var simulated = state
            var mayFail = false
            for statement in block.statements {
                switch simulated.execute(statement, table: &table, target: target).exit {
                case .never: break
                case .maybeWithZero: mayFail = true
                case .maybeWithAccumulator, .always: break collecting
                }
            }
            let right = simulated.operandValue(operand, table: &table)
            tests.append(ChainTest(
                block: current, statements: block.statements, test: test, operand: operand,
                exitsWhenTrue: ifTrue == exit, left: simulated.accumulator, right: right, mayFail: mayFail))
            scanned[current] = true
            state = simulated
            current = ifTrue == exit ? ifFalse : ifTrue
        }
        // The chain without tests that may fail, from the first one on, is what can be
        // reordered without probes; its blocks after that start chains of their own.
        let safeCount = tests.firstIndex(where: \.mayFail) ?? tests.count
        guard tests.count > 1 else { return false }

        var written: LocationSet = []
        for test in tests {
            for statement in test.statements { written.formUnion(AbstractState.locationsWritten(by: statement)) }
        }
        // A probe changes A: it may only end with a constant return.
        let exitReturns: Terminator? = if graph.blocks[exit].isBareReturn, case .returnConstant = graph.blocks[exit].terminator {
            graph.blocks[exit].terminator
        } else {
            nil
        }
        var plan = safeCount < tests.count
            ? reordering(tests, entry: entry, exitReturns: exitReturns, written: written) : nil
        if plan == nil {
            for test in tests[safeCount...] { scanned[test.block] = false }
            tests.removeLast(tests.count - safeCount)
            guard tests.count > 1 else { return false }
            plan = reordering(tests, entry: entry, exitReturns: nil, written: written)
        }
        guard let reordered = plan else { return false }
        let end: Int = if case .branch(_, _, let ifTrue, let ifFalse) = graph.blocks[tests[tests.count - 1].block].terminator {
            ifTrue == exit ? ifFalse : ifTrue
        } else {
            preconditionFailure("a chain's blocks end with branches")
        }

        // The chain's writes must not be seen where it leads.
        var writtenNow: LocationSet = []
        for test in tests {
            for statement in test.statements { writtenNow.formUnion(AbstractState.locationsWritten(by: statement)) }
        }
        guard writtenNow.isDisjoint(with: liveAtEntry[exit].union(liveAtEntry[end])) else { return false }

        var probes = [[Instruction]: Int]()
        for (slot, test) in reordered.enumerated() {
            let next = slot + 1 < tests.count ? tests[slot + 1].block : end
            var target = exit
            if !test.probe.isEmpty, let exitReturns {
                if let existing = probes[test.probe] {
                    target = existing
                } else {
                    target = graph.blocks.count
                    graph.blocks.append(BasicBlock(statements: test.probe, terminator: exitReturns))
                    predecessorCounts.append(0)
                    probes[test.probe] = target
                }
            }
            let terminator: Terminator = test.exitsWhenTrue
                ? .branch(test.test, test.operand, ifTrue: target, ifFalse: next)
                : .branch(test.test, test.operand, ifTrue: next, ifFalse: target)
            let block = tests[slot].block
            for successor in graph.blocks[block].terminator.successors { predecessorCounts[successor] -= 1 }
            for successor in terminator.successors { predecessorCounts[successor] += 1 }
            graph.blocks[block] = BasicBlock(statements: test.statements, terminator: terminator)
        }
        return true
    }

    /// The chain's tests grouped by value, each with the statements it runs and its probe; nil
    /// when the order would change a verdict, or is the same.
    private mutating func reordering(
        _ tests: [ChainTest], entry: AbstractState, exitReturns: Terminator?, written: LocationSet
    ) -> [ChainTest]? {
        // Grouped by the value tested: the one already in A first, then in order of appearance.
        var groups = [(value: ValueNumber, members: [Int])]()
        for (position, test) in tests.enumerated() {
            if let group = groups.firstIndex(where: { entry.sameValue($0.value, test.left, table: table) }) {
                groups[group].members.append(position)
            } else {
                groups.append((test.left, [position]))
            }
        }
        if let inA = groups.firstIndex(where: { entry.sameValue($0.value, entry.accumulator, table: table) }), inA > 0 {
            groups.insert(groups.remove(at: inA), at: 0)
        }
        let order = groups.flatMap(\.members)
        if order == Array(tests.indices) { return nil }

        // Each test takes the statements of the first test of its group that has any; the
        // copies are redundant where A already holds the value, and forward simplification
        // drops them. The new order must compute the same values.
        var provider = [Int](repeating: -1, count: tests.count)
        for group in groups {
            let source = group.members.first { !tests[$0].statements.isEmpty } ?? group.members[0]
            for member in group.members { provider[member] = source }
        }
        var placed = [Bool](repeating: false, count: tests.count)
        var firstUnplaced = 0
        // The tests after the first unplaced one checked to be safe once its loads succeeded,
        // and the state that knows it.
        var checkedEnd = 0
        var afterProbe: AbstractState? = nil
        var reordered = [ChainTest]()
        var replay = entry
        for position in order {
            var test = tests[position]
            test.statements = tests[provider[position]].statements
            for statement in test.statements {
                switch replay.execute(statement, table: &table, target: target).exit {
                case .never: continue
                // Ends the program where the original order would: every earlier test has run.
                case .maybeWithZero where firstUnplaced == position: continue
                default: return nil
                }
            }
            let right = replay.operandValue(test.operand, table: &table)
            guard replay.sameValue(replay.accumulator, test.left, table: table),
                  replay.sameValue(right, test.right, table: table) else { return nil }

            if firstUnplaced < position {
                // The earlier tests not yet run: the first one's loads become the probe, and the
                // others' statements must not fail once they have succeeded.
                let first = tests[firstUnplaced]
                var probeState = replay
                var firstMayFail = false
                for statement in first.statements {
                    switch probeState.execute(statement, table: &table, target: target).exit {
                    case .never: continue
                    case .maybeWithZero: firstMayFail = true
                    default: return nil
                    }
                }
                if firstMayFail {
                    // The probe reruns them elsewhere: they must mean the same there.
                    guard exitReturns != nil,
                          Self.readsBeforeWriting(first.statements).isDisjoint(with: written) else { return nil }
                    test.probe = first.statements
                }
                if afterProbe == nil || checkedEnd <= firstUnplaced {
                    afterProbe = probeState
                    checkedEnd = firstUnplaced + 1
                }
                while checkedEnd < position {
                    if !placed[checkedEnd] {
                        for statement in tests[checkedEnd].statements {
                            guard afterProbe!.execute(statement, table: &table, target: target).exit == .never
                            else { return nil }
                        }
                    }
                    checkedEnd += 1
                }
            }
            placed[position] = true
            while firstUnplaced < tests.count, placed[firstUnplaced] {
                firstUnplaced += 1
                afterProbe = nil
            }
            reordered.append(test)
        }
        return reordered
    }

    /// The locations `statements` read before writing them.
    private static func readsBeforeWriting(_ statements: [Instruction]) -> LocationSet {
        var read: LocationSet = []
        var written: LocationSet = []
        for statement in statements {
            read.formUnion(AbstractState.locationsRead(by: statement).subtracting(written))
            written.formUnion(AbstractState.locationsWritten(by: statement))
        }
        return read
    }
}
