/// Structural clean-ups of the control-flow graph that need no knowledge of values: shortcut
/// jumps, straight-line merging, sharing identical blocks and identical tails.
enum BlockMerging {
    /// Runs every clean-up to a fixed point and normalizes the graph; returns whether it
    /// changed anything. Each clean-up says whether it changed the graph and leaves it
    /// normalized.
    static func run(on graph: inout ControlFlowGraph) -> Bool {
        var changedAtAll = false
        var changed: Bool
        repeat {
            changed = false
            if shortcutJumps(in: &graph) { changed = true }
            if mergeStraightLines(in: &graph) { changed = true }
            if shareIdenticalBlocks(in: &graph) { changed = true }
            if shareIdenticalTails(in: &graph) { changed = true }
            if changed { changedAtAll = true }
        } while changed
        return changedAtAll
    }

    /// Jumps to empty blocks go where those blocks go; a branch whose targets agree becomes a
    /// jump. (A jump to a bare return stays: the layout either falls through into the return
    /// or emits a copy of it instead of the `ja`.)
    private static func shortcutJumps(in graph: inout ControlFlowGraph) -> Bool {
        var changed = false
        func destination(_ start: Int) -> Int {
            var current = start
            while graph.blocks[current].statements.isEmpty, case .jump(let next) = graph.blocks[current].terminator {
                current = next
            }
            return current
        }
        for index in graph.blocks.indices {
            var terminator = graph.blocks[index].terminator.mapSuccessors(destination)
            if case .branch(_, _, let ifTrue, let ifFalse) = terminator, ifTrue == ifFalse {
                terminator = .jump(ifTrue)
            }
            if terminator != graph.blocks[index].terminator {
                graph.blocks[index].terminator = terminator
                changed = true
            }
        }
        if changed { graph.normalize() }
        return changed
    }

    /// A block that only its predecessor's jump enters is appended to that predecessor.
    private static func mergeStraightLines(in graph: inout ControlFlowGraph) -> Bool {
        let predecessorCounts = graph.predecessorCounts()
        var changed = false
        var absorbed = [Bool](repeating: false, count: graph.blocks.count)
        for index in graph.blocks.indices where !absorbed[index] {
            while case .jump(let target) = graph.blocks[index].terminator, target != index,
                  predecessorCounts[target] == 1, !absorbed[target] {
                graph.blocks[index].statements += graph.blocks[target].statements
                graph.blocks[index].terminator = graph.blocks[target].terminator
                absorbed[target] = true
                changed = true
            }
        }
        if changed { graph.normalize() }
        return changed
    }

    /// Blocks with the same statements and the same terminator (after sharing their
    /// successors) become one. Such blocks can never both run on one path, so sharing them
    /// keeps the graph acyclic.
    private static func shareIdenticalBlocks(in graph: inout ControlFlowGraph) -> Bool {
        var changed = false
        let count = graph.blocks.count
        var representative = Array(0..<count)
        // An open-addressed table of the blocks seen, by fingerprint.
        var capacity = 4
        while capacity < 2 * count { capacity <<= 1 }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: capacity) { slots in
            slots.initialize(repeating: -1)
            for index in (0..<count).reversed() {
                let original = graph.blocks[index].terminator
                var terminator = original.mapSuccessors { representative[$0] }
                if case .branch(_, _, let ifTrue, let ifFalse) = terminator, ifTrue == ifFalse {
                    terminator = .jump(ifTrue)
                }
                if terminator != original {
                    graph.blocks[index].terminator = terminator
                    changed = true
                }
                var slot = Int(truncatingIfNeeded: Fingerprint.of(graph.blocks[index])) & (capacity - 1)
                while slots[slot] >= 0, graph.blocks[slots[slot]] != graph.blocks[index] {
                    slot = (slot + 1) & (capacity - 1)
                }
                if slots[slot] >= 0 {
                    representative[index] = slots[slot]
                    changed = true
                } else {
                    slots[slot] = index
                }
            }
        }
        // The entry has no predecessor, so it is nobody's copy; copies become unreachable.
        guard changed else { return false }
        for index in graph.blocks.indices {
            graph.blocks[index].terminator = graph.blocks[index].terminator.mapSuccessors { representative[$0] }
        }
        graph.normalize()
        return true
    }

    /// Blocks that end with the same statements and terminator share that tail when it saves
    /// instructions: each of `n` blocks gives up a tail of `t` instructions for one `ja`.
    private static func shareIdenticalTails(in graph: inout ControlFlowGraph) -> Bool {
        let blocks = graph.blocks
        // Groups of blocks with equal terminators, then clusters of a group with equal last
        // statements, each in increasing block order; sorting by fingerprint brings them together.
        var candidates = [(key: UInt64, index: Int)]()
        candidates.reserveCapacity(blocks.count)
        for index in blocks.indices where !blocks[index].statements.isEmpty {
            candidates.append((Fingerprint.of(blocks[index].terminator), index))
        }
        candidates.sort { ($0.key, $0.index) < ($1.key, $1.index) }
        var clusters = [(groupFirst: Int, members: [Int])]()
        var runStart = 0
        while runStart < candidates.count {
            var runEnd = runStart + 1
            while runEnd < candidates.count, candidates[runEnd].key == candidates[runStart].key { runEnd += 1 }
            guard runEnd - runStart > 1 else {
                runStart = runEnd
                continue
            }
            let run = candidates[runStart..<runEnd].map(\.index)
            runStart = runEnd
            for group in partition(run, by: { blocks[$0].terminator == blocks[$1].terminator }) where group.count > 1 {
                for cluster in partition(group, by: { blocks[$0].statements.last == blocks[$1].statements.last })
                where cluster.count > 1 {
                    clusters.append((group[0], cluster))
                }
            }
        }
        if clusters.isEmpty { return false }
        clusters.sort { ($0.groupFirst, $0.members[0]) < ($1.groupFirst, $1.members[0]) }

        var changed = false
        for (_, cluster) in clusters {
            let terminator = blocks[cluster[0]].terminator
            let suffixLength = commonSuffixLength(of: cluster.map { graph.blocks[$0].statements })
            // Instructions in the shared tail, with the terminator.
            let tailSize = suffixLength + (terminator.isReturn || isBranch(terminator) ? 1 : 0)
            // Each sharer but the one placed just before the tail pays a `ja`.
            let saving = (cluster.count - 1) * tailSize - (cluster.count - 1)
            guard saving >= 2 || (saving >= 1 && cluster.contains { graph.blocks[$0].statements.count == suffixLength })
            else { continue }
            let shared = graph.blocks.count
            let tail = Array(graph.blocks[cluster[0]].statements.suffix(suffixLength))
            graph.blocks.append(BasicBlock(statements: tail, terminator: terminator))
            for member in cluster {
                graph.blocks[member].statements.removeLast(suffixLength)
                graph.blocks[member].terminator = .jump(shared)
            }
            changed = true
        }
        if changed { graph.normalize() }
        return changed
    }

    /// Splits `indices` into classes of `equal` elements, keeping their order in each class and
    /// ordering the classes by their first element.
    private static func partition(_ indices: [Int], by equal: (Int, Int) -> Bool) -> [[Int]] {
        var classes = [[Int]]()
        for index in indices {
            if let position = classes.firstIndex(where: { equal($0[0], index) }) {
                classes[position].append(index)
            } else {
                classes.append([index])
            }
        }
        return classes
    }

    private static func isBranch(_ terminator: Terminator) -> Bool {
        if case .branch = terminator { return true }
        return false
    }

    private static func commonSuffixLength(of sequences: [[Instruction]]) -> Int {
        var length = 0
        let shortest = sequences.map(\.count).min() ?? 0
        while length < shortest {
            let candidate = sequences[0][sequences[0].count - 1 - length]
            guard sequences.allSatisfy({ $0[$0.count - 1 - length] == candidate }) else { break }
            length += 1
        }
        return length
    }
}

/// A cheap 64-bit summary of blocks and terminators: equal values have equal fingerprints,
/// so only blocks with equal fingerprints need comparing.
enum Fingerprint {
    private static func mix(_ hash: UInt64, _ value: UInt64) -> UInt64 {
        (hash ^ value) &* 0x100_0000_01b3
    }

    static func of(_ terminator: Terminator) -> UInt64 {
        switch terminator {
        case .returnConstant(let k): return mix(1, UInt64(k))
        case .returnA: return 2
        case .jump(let target): return mix(3, UInt64(target))
        case .branch(let test, let operand, let ifTrue, let ifFalse):
            let raw = Instruction.conditionalJump(test, operand, ifTrue: 0, ifFalse: 0).raw
            return mix(mix(mix(4, UInt64(raw.code) << 32 | UInt64(raw.k)), UInt64(ifTrue)), UInt64(ifFalse))
        }
    }

    static func of(_ block: BasicBlock) -> UInt64 {
        var hash = of(block.terminator)
        for statement in block.statements {
            let raw = statement.raw
            hash = mix(hash, UInt64(raw.code) << 32 | UInt64(raw.k))
        }
        return hash
    }
}
