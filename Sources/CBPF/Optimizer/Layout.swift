/// Turns a control-flow graph back into instructions.
///
/// Blocks are placed in a topological order that puts a block right after the one that jumps
/// to it where it can, so that the jump costs nothing; bare returns go last, where branches
/// share them. A jump to a bare return that cannot fall through becomes a copy of the return.
///
/// Conditional jumps reach only 255 instructions. Instructions are assembled from the end
/// backwards, so a branch whose target is further away gets, right after it, a copy of the
/// target's return or a `ja` to the target, which earlier branches in reach then share.
///
/// The kernel's check of scratch memory (`check_load_and_stores`) lets the set of written slots
/// flow from a `ret` into the next instruction. The layout simulates that check and does not
/// place a block after a return whose written set would make one of the block's reads fail; if
/// no block fits, it puts a `ja` to the last instruction after the return, which resets the set.
/// Copies of returns are only emitted where the next block reads no scratch memory.
enum Layout {
    static func emit(_ graph: ControlFlowGraph) -> Program {
        // Done here, after the rounds, whose jump threading would undo it.
        var graph = graph
        ProbeChaining.run(on: &graph)
        let liveAtEntry = Liveness.entryLiveness(of: graph)
        let order = placementOrder(graph, liveAtEntry: liveAtEntry)
        return assemble(graph, order: order, liveAtEntry: liveAtEntry)
    }

    private struct Placement {
        var block: Int
        /// Emit `ja <last instruction>` after this block to stop the written-slot set of its
        /// `ret` from reaching the next block.
        var needsGuard = false
    }

    private static func placementOrder(_ graph: ControlFlowGraph, liveAtEntry: [LocationSet]) -> [Placement] {
        let blocks = graph.blocks
        let count = blocks.count
        var remaining = graph.predecessorCounts()
        var isReady = [Bool](repeating: false, count: count)
        isReady[0] = true
        var placed = [Bool](repeating: false, count: count)
        let scratchNeeded = liveAtEntry.map { $0.intersection(.allScratch) }

        // The kernel's written-slot sets: what each block's entry receives through jumps, and
        // what flows out of the last placed block when it does not end with a jump.
        var written = [LocationSet](repeating: .allScratch, count: count)
        written[0] = []  // nothing is written before the first instruction
        var fallingThrough: LocationSet? = nil

        var order = [Placement]()
        var last: Int? = nil
        while order.count < count {
            func fits(_ candidate: Int) -> Bool {
                guard let leaked = fallingThrough else { return true }
                return scratchNeeded[candidate].isSubset(of: leaked.intersection(written[candidate]))
            }
            var preferred = [Int]()
            if let last {
                switch blocks[last].terminator {
                case .jump(let target): preferred = [target]
                case .branch(_, _, let ifTrue, let ifFalse): preferred = [ifFalse, ifTrue]
                default: break
                }
            }
            // A bare return is worth placing right after a jump to it, not after a branch: bare
            // returns go last, together, so that branches can share them.
            let jumpTarget: Int? = if let last, case .jump(let target) = blocks[last].terminator { target } else { nil }
            preferred = preferred.filter {
                isReady[$0] && !placed[$0] && (!blocks[$0].isBareReturn || $0 == jumpTarget)
            }
            var next = preferred.first(where: fits)
            if next == nil {
                // Bare returns go last, together, so that their branches can share them.
                let candidates = (0..<count).filter { isReady[$0] && !placed[$0] }
                next = candidates.first { !blocks[$0].isBareReturn && fits($0) } ?? candidates.first(where: fits)
                if next == nil, let candidate = candidates.first {
                    order[order.count - 1].needsGuard = true
                    fallingThrough = nil
                    next = candidate
                }
            }
            guard let index = next else { preconditionFailure("a normalized graph is acyclic and reachable") }

            placed[index] = true
            order.append(Placement(block: index))
            var current = written[index].intersection(fallingThrough ?? .allScratch)
            for statement in blocks[index].statements {
                if case .store(_, let slot) = statement { current.insert(.scratch(slot)) }
            }
            switch blocks[index].terminator {
            case .jump(let target):
                written[target].formIntersection(current)
                fallingThrough = nil
            case .branch(_, _, let ifTrue, let ifFalse):
                written[ifTrue].formIntersection(current)
                written[ifFalse].formIntersection(current)
                fallingThrough = nil
            case .returnA, .returnConstant:
                fallingThrough = current
            }
            for successor in blocks[index].terminator.successors {
                remaining[successor] -= 1
                if remaining[successor] == 0 { isReady[successor] = true }
            }
            last = index
        }
        return order
    }

    /// Where one way of a branch goes.
    private enum BranchTarget {
        /// The target block itself.
        case block
        /// A copy of the target's return, or a `ja` to it, placed after an earlier-processed
        /// (later in the program) branch and shared; identified by its distance from the end.
        case shared(distanceFromEnd: Int)
        /// A copy or `ja` inserted right after this branch, at this index.
        case inserted(Int)
    }

    /// What is inserted right after a branch to reach a target more than 255 instructions away.
    private enum Insertion {
        case returnCopy(Instruction)
        case trampoline(block: Int)
    }

    /// Lays out instructions from the end backwards, so that every distance to a later
    /// instruction is final when a branch is placed: a target out of reach gets a copy of its
    /// return (when it is a bare return and the kernel's scratch check allows it) or a `ja`
    /// right after the branch, which earlier branches in reach then share.
    private static func assemble(_ graph: ControlFlowGraph, order: [Placement], liveAtEntry: [LocationSet]) -> Program {
        let blocks = graph.blocks
        let scratchNeeded = liveAtEntry.map { !$0.intersection(.allScratch).isEmpty }
        var nextBlock = [Int?](repeating: nil, count: blocks.count)
        for (slot, placement) in order.enumerated() where slot + 1 < order.count {
            nextBlock[placement.block] = placement.needsGuard ? nil : order[slot + 1].block
        }

        // A jump to a bare return that cannot fall through into it becomes a copy of the return,
        // unless the written-slot set the copy lets through would reach a block that reads
        // scratch memory.
        func copiesReturn(_ index: Int, _ target: Int) -> Bool {
            blocks[target].isBareReturn && !(nextBlock[index].map { scratchNeeded[$0] } ?? false)
        }

        // Distances from the end of the program, counted in instructions.
        var startDistance = [Int](repeating: 0, count: blocks.count)
        var returnCopies = [Instruction: [Int]]()  // distances, increasing
        var trampolines = [Int: [Int]]()  // by target block
        var branchTargets = [(BranchTarget, BranchTarget)?](repeating: nil, count: blocks.count)
        var insertions = [[Insertion]](repeating: [], count: blocks.count)
        var distance = 0

        for placement in order.reversed() {
            let index = placement.block
            let block = blocks[index]
            if placement.needsGuard { distance += 1 }
            switch block.terminator {
            case .returnA, .returnConstant:
                distance += 1
            case .jump(let target):
                if nextBlock[index] != target { distance += 1 }
            case .branch(_, _, let ifTrue, let ifFalse):
                // With `count` insertions after the branch, the branch is at `distance + count + 1`
                // from the end and reaches distance d with offset `distance + count - d`.
                func reach(_ target: Int, insertionCount: Int) -> BranchTarget? {
                    let limit = distance + insertionCount - 255
                    if startDistance[target] >= limit { return .block }
                    // The nearest shared copy is the one furthest from the end.
                    var nearest = trampolines[target]?.last ?? -1
                    if blocks[target].isBareReturn, let instruction = blocks[target].terminator.returnInstruction {
                        nearest = max(nearest, returnCopies[instruction]?.last ?? -1)
                    }
                    return nearest >= limit ? .shared(distanceFromEnd: nearest) : nil
                }
                var chosen: (BranchTarget, BranchTarget)?
                var inserted = [(insertion: Insertion, target: Int)]()
                // Usually both targets are in reach and nothing is inserted.
                if let whenTrue = reach(ifTrue, insertionCount: 0), let whenFalse = reach(ifFalse, insertionCount: 0) {
                    chosen = (whenTrue, whenFalse)
                }
                for count in 0...2 where chosen == nil {
                    let whenTrue = reach(ifTrue, insertionCount: count)
                    let whenFalse = reach(ifFalse, insertionCount: count)
                    guard (whenTrue == nil ? 1 : 0) + (whenFalse == nil ? 1 : 0) == count else { continue }
                    var targets = [BranchTarget]()
                    for (way, target) in [(whenTrue, ifTrue), (whenFalse, ifFalse)] {
                        if let way {
                            targets.append(way)
                        } else {
                            targets.append(.inserted(inserted.count))
                            inserted.append((insertion(reaching: target), target))
                        }
                    }
                    chosen = (targets[0], targets[1])
                    break
                }
                guard let chosen else { preconditionFailure("two insertions always reach both targets") }
                // A return copy lets the kernel's written-slot set fall into the next
                // instruction: only allowed where nothing after it reads scratch memory.
                let nextReadsScratch = nextBlock[index].map { scratchNeeded[$0] } ?? true
                for position in inserted.indices.reversed() {
                    guard case .returnCopy = inserted[position].insertion else { continue }
                    let onlyReturnsFollow = inserted[(position + 1)...].allSatisfy {
                        if case .returnCopy = $0.insertion { true } else { false }
                    }
                    if nextReadsScratch || !onlyReturnsFollow {
                        inserted[position].insertion = .trampoline(block: inserted[position].target)
                    }
                }
                for (position, entry) in inserted.enumerated() {
                    let insertedDistance = distance + inserted.count - position
                    switch entry.insertion {
                    case .returnCopy(let instruction): returnCopies[instruction, default: []].append(insertedDistance)
                    case .trampoline(let target): trampolines[target, default: []].append(insertedDistance)
                    }
                }
                distance += inserted.count + 1
                branchTargets[index] = chosen
                if !inserted.isEmpty { insertions[index] = inserted.map(\.insertion) }

                func insertion(reaching target: Int) -> Insertion {
                    if blocks[target].isBareReturn, let instruction = blocks[target].terminator.returnInstruction {
                        return .returnCopy(instruction)
                    }
                    return .trampoline(block: target)
                }
            }
            distance += block.statements.count
            startDistance[index] = distance
        }

        let total = distance
        func position(ofDistance distance: Int) -> Int { total - distance }
        var instructions = [Instruction]()
        instructions.reserveCapacity(total)
        for placement in order {
            let index = placement.block
            let block = blocks[index]
            instructions += block.statements
            let here = instructions.count
            switch block.terminator {
            case .returnConstant(let k):
                instructions.append(.returnConstant(k))
            case .returnA:
                instructions.append(.returnA)
            case .jump(let target):
                if nextBlock[index] != target {
                    if copiesReturn(index, target) {
                        instructions.append(blocks[target].terminator.returnInstruction!)
                    } else {
                        instructions.append(.jump(offset: UInt32(position(ofDistance: startDistance[target]) - (here + 1))))
                    }
                }
            case .branch(let test, let operand, let ifTrue, let ifFalse):
                let (whenTrue, whenFalse) = branchTargets[index]!
                func offset(_ way: BranchTarget, _ target: Int) -> UInt8 {
                    switch way {
                    case .block: UInt8(position(ofDistance: startDistance[target]) - (here + 1))
                    case .shared(let distance): UInt8(position(ofDistance: distance) - (here + 1))
                    case .inserted(let slot): UInt8(slot)
                    }
                }
                instructions.append(.conditionalJump(
                    test, operand, ifTrue: offset(whenTrue, ifTrue), ifFalse: offset(whenFalse, ifFalse)))
                for insertion in insertions[index] {
                    switch insertion {
                    case .returnCopy(let instruction):
                        instructions.append(instruction)
                    case .trampoline(let target):
                        let from = instructions.count + 1
                        instructions.append(.jump(offset: UInt32(position(ofDistance: startDistance[target]) - from)))
                    }
                }
            }
            if placement.needsGuard {
                let from = instructions.count + 1
                instructions.append(.jump(offset: UInt32(total - 1 - from)))
            }
        }
        return Program(instructions)
    }
}
