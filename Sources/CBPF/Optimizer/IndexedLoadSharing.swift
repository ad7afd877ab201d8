/// Shares code that differs only in where its loads are based: a region that loads `[k + c]`
/// does what a region of the same shape that loads `[x + k]` does once X holds `c`. So the first
/// becomes `ldx #c` and a jump into the second, where X is free to take that value.
///
/// This is how the IPv6 tests of `port` and `tcp port` (`[54]`, `[56]` on Ethernet) share the
/// IPv4 ones (`[x + 14]`, `[x + 16]`, X the IPv4 header length): with X = 40 both read the same
/// bytes. Matching walks the two regions in step, block by block, until they reach the same
/// blocks; both regions' statements must agree except for the loads' base, must not otherwise
/// read or write X, and X must be dead where the copy starts, so that its new value is seen
/// only by the indirect loads. A load outside the packet fails in both forms alike, so
/// truncated packets keep their verdicts.
enum IndexedLoadSharing {
    /// The most pairs of blocks compared in one pass, relative to the graph's size: the pass
    /// stays linear whatever the program.
    private static let workPerBlock = 4
    /// Candidate regions tried for each copy.
    private static let candidatesPerCopy = 8

    /// Replaces one copy by a jump into the region it matches, where that makes the program
    /// shorter; returns whether it changed the graph (then normalized).
    static func run(on graph: inout ControlFlowGraph) -> Bool {
        let blocks = graph.blocks
        // Where an indexed region may start: a position in a block from which an indirect load
        // comes first and nothing after it writes X.
        var starts = [Key: [(block: Int, position: Int)]]()
        for (index, block) in blocks.enumerated() {
            guard !block.terminatorReadsX else { continue }
            for position in block.statements.indices.reversed() {
                let statement = block.statements[position]
                if case .loadIndirect = statement {
                    starts[Key(block, from: position), default: []].append((index, position))
                } else if AbstractState.locationsWritten(by: statement).contains(.x) {
                    break
                }
            }
        }
        if starts.isEmpty { return false }

        let liveAtEntry = Liveness.entryLiveness(of: graph)
        var budget = workPerBlock * blocks.count + 64
        for (index, block) in blocks.enumerated() {
            guard index > 0, !liveAtEntry[index].contains(.x),
                  case .loadAbsolute(_, let offset)? = block.statements.first, offset < 0x8000_0000,
                  let candidates = starts[Key(block, from: 0)] else { continue }
            for candidate in candidates.prefix(candidatesPerCopy) where candidate.block != index {
                guard let base = matchedBase(
                    copy: index, region: candidate.block, position: candidate.position, in: graph, budget: &budget)
                else {
                    if budget <= 0 { return false }
                    continue
                }
                var shared = graph
                let target: Int
                if candidate.position == 0 {
                    target = candidate.block
                } else {
                    target = shared.blocks.count
                    let original = shared.blocks[candidate.block]
                    shared.blocks.append(BasicBlock(
                        statements: Array(original.statements[candidate.position...]), terminator: original.terminator))
                    shared.blocks[candidate.block] = BasicBlock(
                        statements: Array(original.statements[..<candidate.position]), terminator: .jump(target))
                }
                // The region must not lead back to the copy.
                guard !reaches(index, from: target, in: shared) else { continue }
                shared.blocks[index] = BasicBlock(statements: [.loadImmediate(.x, base)], terminator: .jump(target))
                shared.normalize()
                guard shared.instructionEstimate < graph.instructionEstimate else { continue }
                graph = shared
                return true
            }
        }
        return false
    }

    /// What must agree for a region to be tried at all: statement count and terminator kind.
    private struct Key: Hashable {
        var statements: Int
        var terminator: UInt64

        init(_ block: BasicBlock, from position: Int) {
            statements = block.statements.count - position
            terminator = switch block.terminator {
            case .returnConstant(let k): UInt64(k) << 8 | 1
            case .returnA: 2
            case .jump: 3
            case .branch(let test, let operand, _, _):
                UInt64(Instruction.conditionalJump(test, operand, ifTrue: 0, ifFalse: 0).raw.k) << 8
                    | UInt64(Instruction.conditionalJump(test, operand, ifTrue: 0, ifFalse: 0).raw.code) << 40 | 4
            }
        }
    }

    /// The value of X with which the region at `region` (from `position`) does what the copy
    /// does, or nil when the two differ.
    private static func matchedBase(
        copy: Int, region: Int, position: Int, in graph: ControlFlowGraph, budget: inout Int
    ) -> UInt32? {
        var base: UInt32?
        var partner = [Int: Int]()  // copy's blocks to the region's
        var pending = [(copy: Int, region: Int, position: Int)]()
        pending.append((copy, region, position))
        partner[copy] = region
        while let (copyBlock, regionBlock, from) = pending.popLast() {
            budget -= 1
            if budget <= 0 { return nil }
            let mine = graph.blocks[copyBlock]
            let theirs = graph.blocks[regionBlock]
            guard mine.statements.count == theirs.statements.count - from, !theirs.terminatorReadsX else { return nil }
            for (statement, counterpart) in zip(mine.statements, theirs.statements[from...]) {
                switch (statement, counterpart) {
                case (.loadAbsolute(let size, let offset), .loadIndirect(let otherSize, let otherOffset)):
                    guard size == otherSize, offset < 0x8000_0000, offset >= otherOffset else { return nil }
                    let difference = offset - otherOffset
                    if base == nil { base = difference }
                    guard base == difference else { return nil }
                default:
                    guard statement == counterpart,
                          AbstractState.locationsRead(by: statement).union(AbstractState.locationsWritten(by: statement))
                            .isDisjoint(with: .x) else { return nil }
                }
            }
            let mySuccessors = mine.terminator.successors
            let theirSuccessors = theirs.terminator.successors
            guard mine.terminator.mapSuccessors({ _ in 0 }) == theirs.terminator.mapSuccessors({ _ in 0 }) else {
                return nil
            }
            for (next, counterpart) in zip(mySuccessors, theirSuccessors) where next != counterpart {
                if let known = partner[next] {
                    guard known == counterpart else { return nil }
                } else {
                    partner[next] = counterpart
                    pending.append((next, counterpart, 0))
                }
            }
        }
        return base
    }

    /// Whether `target` can be reached from `start`.
    private static func reaches(_ target: Int, from start: Int, in graph: ControlFlowGraph) -> Bool {
        var seen = [Bool](repeating: false, count: graph.blocks.count)
        var pending = [start]
        seen[start] = true
        while let block = pending.popLast() {
            if block == target { return true }
            for next in graph.blocks[block].terminator.successors where !seen[next] {
                seen[next] = true
                pending.append(next)
            }
        }
        return false
    }
}

extension BasicBlock {
    fileprivate var terminatorReadsX: Bool {
        if case .branch(_, .x, _, _) = terminator { return true }
        return false
    }
}

extension ControlFlowGraph {
    /// The instructions the graph takes, counting every jump: the layout may save some.
    fileprivate var instructionEstimate: Int {
        blocks.reduce(0) { $0 + $1.statements.count + 1 }
    }
}
