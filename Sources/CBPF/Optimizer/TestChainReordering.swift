/// Reorders chains of tests that share an exit, so that tests of the same value stand together
/// and its load runs once (libpcap's optimizer gets there by moving loads regardless of the
/// packet's length; this does it only where no load can fail).
///
/// A chain is a run of blocks, each entered only from the one before, each ending with a branch
/// one way of which goes to a common exit while the other goes on to the next block. It means
/// "go to the exit if any test comes out its exit's way, otherwise go on". Where every statement
/// of the chain is known never to end the program (its loads are within bytes an earlier load
/// read) and the chain writes only locations dead at both ends, the order of its tests changes
/// nothing but which loads repeat: so they are grouped by the value they test, the value already
/// in A first. `port 1 or port 2 or ...` then loads each port field twice instead of once per
/// port.
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
    }

    /// Chains longer than this are split: the work per chain stays linear.
    private static let chainLimit = 4096

    /// Reorders the chain that starts at `head`, entered with `entry`; returns whether the graph
    /// changed. Marks the blocks it looked at in `scanned`, so that the blocks of a chain do not
    /// each scan the rest of it again.
    mutating func reorderTestChain(
        at head: Int, entry: AbstractState, graph: inout ControlFlowGraph, liveAtEntry: [LocationSet],
        predecessorCounts: [Int], scanned: inout [Bool]
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
        var end = -1  // where the last test goes on to
        collecting: while tests.count < Self.chainLimit {
            if current != head {
                guard predecessorCounts[current] == 1, !scanned[current] else { break }
            }
            let block = graph.blocks[current]
            guard case .branch(let test, let operand, let ifTrue, let ifFalse) = block.terminator, ifTrue != ifFalse,
                  ifTrue == exit || ifFalse == exit else { break }
            var simulated = state
            for statement in block.statements {
                guard simulated.execute(statement, table: &table, target: target).exit == .never else { break collecting }
            }
            let right = simulated.operandValue(operand, table: &table)
            tests.append(ChainTest(
                block: current, statements: block.statements, test: test, operand: operand,
                exitsWhenTrue: ifTrue == exit, left: simulated.accumulator, right: right))
            scanned[current] = true
            state = simulated
            end = ifTrue == exit ? ifFalse : ifTrue
            current = end
        }
        guard tests.count > 1 else { return false }

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
        if order == Array(tests.indices) { return false }

        // The chain's writes must not be seen where it leads.
        var written: LocationSet = []
        for test in tests {
            for statement in test.statements { written.formUnion(AbstractState.locationsWritten(by: statement)) }
        }
        guard written.isDisjoint(with: liveAtEntry[exit].union(liveAtEntry[end])) else { return false }

        // Each test takes the statements of the first test of its group that has any; the
        // copies are redundant where A already holds the value, and forward simplification
        // drops them. The new order must compute the same values without a statement that
        // may end the program.
        var provider = [Int](repeating: -1, count: tests.count)
        for group in groups {
            let source = group.members.first { !tests[$0].statements.isEmpty } ?? group.members[0]
            for member in group.members { provider[member] = source }
        }
        var reordered = [ChainTest]()
        var replay = entry
        for position in order {
            var test = tests[position]
            test.statements = tests[provider[position]].statements
            for statement in test.statements {
                guard replay.execute(statement, table: &table, target: target).exit == .never else { return false }
            }
            let right = replay.operandValue(test.operand, table: &table)
            guard replay.sameValue(replay.accumulator, test.left, table: table),
                  replay.sameValue(right, test.right, table: table) else { return false }
            reordered.append(test)
        }

        for (slot, test) in reordered.enumerated() {
            let next = slot + 1 < tests.count ? tests[slot + 1].block : end
            let terminator: Terminator = test.exitsWhenTrue
                ? .branch(test.test, test.operand, ifTrue: exit, ifFalse: next)
                : .branch(test.test, test.operand, ifTrue: next, ifFalse: exit)
            graph.blocks[tests[slot].block] = BasicBlock(statements: test.statements, terminator: terminator)
        }
        return true
    }
}
