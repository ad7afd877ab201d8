/// Which registers and scratch slots may still be read.
enum Liveness {
    /// The locations live at each block's entry: read on some path before being written.
    static func entryLiveness(of graph: ControlFlowGraph) -> [LocationSet] {
        var live = [LocationSet](repeating: [], count: graph.blocks.count)
        for index in graph.blocks.indices.reversed() {
            var current = liveAtExit(of: graph.blocks[index], entryLiveness: live)
            for statement in graph.blocks[index].statements.reversed() {
                current = current.subtracting(AbstractState.locationsWritten(by: statement))
                    .union(AbstractState.locationsRead(by: statement))
            }
            live[index] = current
        }
        return live
    }

    /// The locations live just before a block's terminator runs.
    static func liveAtExit(of block: BasicBlock, entryLiveness live: [LocationSet]) -> LocationSet {
        switch block.terminator {
        case .returnConstant: []
        case .returnA: .a
        case .jump(let target): live[target]
        case .branch(_, let operand, let ifTrue, let ifFalse):
            live[ifTrue].union(live[ifFalse]).union(operand == .x ? [.a, .x] : .a)
        }
    }
}

/// Removes statements whose results are never read, and blocks whose every outcome is 0.
///
/// A statement that may end the program (a load past the end of the packet, a division by
/// X = 0, `ld #ifidx` without a device) is removed only when that cannot change the result:
/// either the forward analysis showed it cannot happen there, or every path from it returns 0
/// or runs a direct load at least as long before it could return anything else.
enum DeadCodeElimination {
    /// Removes unused statements known never to end the program. `neverExits` is the
    /// per-statement result of the ``ForwardSimplification`` that just ran on `graph`.
    /// Returns whether it removed anything.
    static func removeUnusedStatements(in graph: inout ControlFlowGraph, neverExits: NeverExitFlags) -> Bool {
        removeUnused(in: &graph) { block, statement, _ in
            neverExits[block, statement]
        }
    }

    /// Replaces blocks that can only return 0 with `ret #0`, then removes unused statements
    /// whose only possible effect, ending the program with 0, a later load would have anyway.
    /// Returns whether it changed anything.
    static func removeStatementsCoveredByLaterLoads(in graph: inout ControlFlowGraph) -> Bool {
        var changed = false
        var coverage = [UInt64](repeating: 0, count: graph.blocks.count)
        for index in graph.blocks.indices.reversed() {
            var current = coverageAtExit(of: graph.blocks[index], coverage: coverage)
            for statement in graph.blocks[index].statements.reversed() {
                current = Self.coverage(before: statement, after: current)
            }
            coverage[index] = current
            if current == .max, graph.blocks[index] != BasicBlock(statements: [], terminator: .returnConstant(0)) {
                graph.blocks[index] = BasicBlock(statements: [], terminator: .returnConstant(0))
                changed = true
            }
        }
        let removed = removeUnused(in: &graph) { _, _, information in
            guard case .load(let end) = loadRequirement(of: information.statement) else {
                return !mayExit(information.statement)
            }
            return end <= information.coverageAfter
        } coverageAtExit: { block in
            coverageAtExit(of: block, coverage: coverage)
        }
        return changed || removed
    }

    /// What the removal rules see of a statement.
    struct StatementContext {
        var statement: Instruction
        /// If the packet is shorter than this, every path from just after the statement returns 0.
        var coverageAfter: UInt64
    }

    /// Removes what `isRemovable` allows; returns whether it removed anything.
    private static func removeUnused(
        in graph: inout ControlFlowGraph,
        isRemovable: (_ block: Int, _ statement: Int, StatementContext) -> Bool,
        coverageAtExit: ((BasicBlock) -> UInt64)? = nil
    ) -> Bool {
        var changed = false
        var live = [LocationSet](repeating: [], count: graph.blocks.count)
        for index in graph.blocks.indices.reversed() {
            let block = graph.blocks[index]
            var current = Liveness.liveAtExit(of: block, entryLiveness: live)
            var coverage = coverageAtExit?(block) ?? 0
            // Positions of the statements removed, from the last; usually none.
            var removed = [Int]()
            for (position, statement) in block.statements.enumerated().reversed() {
                let written = AbstractState.locationsWritten(by: statement)
                let context = StatementContext(statement: statement, coverageAfter: coverage)
                if written.isDisjoint(with: current), isRemovable(index, position, context) {
                    removed.append(position)
                    continue  // removing it leaves the coverage as it was
                }
                current = current.subtracting(written).union(AbstractState.locationsRead(by: statement))
                coverage = self.coverage(before: statement, after: coverage)
            }
            for position in removed { graph.blocks[index].statements.remove(at: position) }
            if !removed.isEmpty { changed = true }
            live[index] = current
        }
        return changed
    }

    private enum Requirement {
        case load(end: UInt64)
        case impossible
        case other
    }

    /// The direct packet bytes a load needs, if it is a direct load.
    private static func loadRequirement(of statement: Instruction) -> Requirement {
        let k: UInt32
        let size: Int
        switch statement {
        case .loadAbsolute(let loadSize, let offset):
            (k, size) = (offset, loadSize.byteCount)
        case .loadIPv4HeaderLength(let offset):
            (k, size) = (offset, 1)
        default:
            return .other
        }
        if k < 0x8000_0000 { return .load(end: UInt64(k) + UInt64(size)) }
        if k < SpecialOffset.linkLayer { return .impossible }
        return .other
    }

    /// Whether a statement may end the program, knowing nothing about the state.
    static func mayExit(_ statement: Instruction) -> Bool {
        switch statement {
        case .loadAbsolute, .loadIndirect, .loadIPv4HeaderLength,
             .arithmetic(.divide, .x), .arithmetic(.modulo, .x):
            true
        case .loadAncillary(let field, _):
            field == .interfaceIndex || field == .hardwareType
        default:
            false
        }
    }

    /// "If the packet is shorter than the coverage, the program returns 0" before a statement,
    /// given the same after it. `UInt64.max` means every path returns 0.
    private static func coverage(before statement: Instruction, after: UInt64) -> UInt64 {
        switch statement {
        case .loadAncillary(.interfaceIndex, _), .loadAncillary(.hardwareType, _):
            return 0  // may return A, whatever it is
        default:
            switch loadRequirement(of: statement) {
            case .load(let end): return max(end, after)
            case .impossible: return .max
            case .other: return after
            }
        }
    }

    private static func coverageAtExit(of block: BasicBlock, coverage: [UInt64]) -> UInt64 {
        switch block.terminator {
        case .returnConstant(0): .max
        case .returnConstant, .returnA: 0
        case .jump(let target): coverage[target]
        case .branch(_, _, let ifTrue, let ifFalse): min(coverage[ifTrue], coverage[ifFalse])
        }
    }
}
