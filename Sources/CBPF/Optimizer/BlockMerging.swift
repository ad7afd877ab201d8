/// Structural clean-ups of the control-flow graph that need no knowledge of values: shortcut
/// jumps, straight-line merging, sharing identical blocks and identical tails.
enum BlockMerging {
    /// Runs every clean-up to a fixed point and normalizes the graph.
    static func run(on graph: inout ControlFlowGraph) {
        var previous: ControlFlowGraph
        repeat {
            previous = graph
            shortcutJumps(in: &graph)
            graph.normalize()
            mergeStraightLines(in: &graph)
            graph.normalize()
            shareIdenticalBlocks(in: &graph)
            graph.normalize()
            shareIdenticalTails(in: &graph)
            graph.normalize()
        } while graph != previous
    }

    /// Jumps to empty blocks go where those blocks go; a branch whose targets agree becomes a
    /// jump. (A jump to a bare return stays: the layout either falls through into the return
    /// or emits a copy of it instead of the `ja`.)
    static func shortcutJumps(in graph: inout ControlFlowGraph) {
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
            graph.blocks[index].terminator = terminator
        }
    }

    /// A block that only its predecessor's jump enters is appended to that predecessor.
    static func mergeStraightLines(in graph: inout ControlFlowGraph) {
        let predecessorCounts = graph.predecessorCounts()
        var absorbed = [Bool](repeating: false, count: graph.blocks.count)
        for index in graph.blocks.indices where !absorbed[index] {
            while case .jump(let target) = graph.blocks[index].terminator, target != index,
                  predecessorCounts[target] == 1, !absorbed[target] {
                graph.blocks[index].statements += graph.blocks[target].statements
                graph.blocks[index].terminator = graph.blocks[target].terminator
                absorbed[target] = true
            }
        }
    }

    /// Blocks with the same statements and the same terminator (after sharing their
    /// successors) become one. Such blocks can never both run on one path, so sharing them
    /// keeps the graph acyclic.
    static func shareIdenticalBlocks(in graph: inout ControlFlowGraph) {
        var representative = Array(graph.blocks.indices)
        var seen = [BasicBlock: Int]()
        for index in graph.blocks.indices.reversed() {
            var block = graph.blocks[index]
            block.terminator = block.terminator.mapSuccessors { representative[$0] }
            if case .branch(_, _, let ifTrue, let ifFalse) = block.terminator, ifTrue == ifFalse {
                block.terminator = .jump(ifTrue)
            }
            graph.blocks[index] = block
            if let existing = seen[block] {
                representative[index] = existing
            } else {
                seen[block] = index
            }
        }
        // The entry has no predecessor, so it is nobody's copy; copies become unreachable.
        for index in graph.blocks.indices {
            graph.blocks[index].terminator = graph.blocks[index].terminator.mapSuccessors { representative[$0] }
        }
    }

    /// Blocks that end with the same statements and terminator share that tail when it saves
    /// instructions: each of `n` blocks gives up a tail of `t` instructions for one `ja`.
    static func shareIdenticalTails(in graph: inout ControlFlowGraph) {
        var groups = [Terminator: [Int]]()
        for index in graph.blocks.indices where !graph.blocks[index].statements.isEmpty {
            groups[graph.blocks[index].terminator, default: []].append(index)
        }
        for (terminator, members) in groups.sorted(by: { $0.value[0] < $1.value[0] }) where members.count > 1 {
            // Cluster by last statement, then find the common suffix of each cluster.
            var clusters = [Instruction: [Int]]()
            for member in members {
                clusters[graph.blocks[member].statements.last!, default: []].append(member)
            }
            for cluster in clusters.values.sorted(by: { $0[0] < $1[0] }) where cluster.count > 1 {
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
            }
        }
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
