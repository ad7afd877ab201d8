/// How a basic block ends. Successors are block indices.
enum Terminator: Hashable {
    case returnConstant(UInt32)
    case returnA
    case jump(Int)
    case branch(JumpTest, Operand, ifTrue: Int, ifFalse: Int)

    var successors: Successors {
        switch self {
        case .returnConstant, .returnA: Successors(count: 0, first: 0, second: 0)
        case .jump(let target): Successors(count: 1, first: target, second: 0)
        case .branch(_, _, let ifTrue, let ifFalse): Successors(count: 2, first: ifTrue, second: ifFalse)
        }
    }

    /// A terminator's successors, without allocating: every pass walks them.
    struct Successors: RandomAccessCollection {
        let count: Int
        let first: Int
        let second: Int

        var startIndex: Int { 0 }
        var endIndex: Int { count }
        subscript(position: Int) -> Int { position == 0 ? first : second }
    }

    var isReturn: Bool {
        switch self {
        case .returnConstant, .returnA: true
        case .jump, .branch: false
        }
    }

    func mapSuccessors(_ transform: (Int) -> Int) -> Terminator {
        switch self {
        case .returnConstant, .returnA: self
        case .jump(let target): .jump(transform(target))
        case .branch(let test, let operand, let ifTrue, let ifFalse):
            .branch(test, operand, ifTrue: transform(ifTrue), ifFalse: transform(ifFalse))
        }
    }

    /// The return instruction, for a terminator that is one.
    var returnInstruction: Instruction? {
        switch self {
        case .returnConstant(let k): .returnConstant(k)
        case .returnA: .returnA
        default: nil
        }
    }
}

/// Straight-line instructions (no jumps, no returns) and how they end.
struct BasicBlock: Hashable {
    var statements: [Instruction]
    var terminator: Terminator

    /// A block that is only a return.
    var isBareReturn: Bool { statements.isEmpty && terminator.isReturn }
}

/// A classic BPF program as a graph of basic blocks. Classic BPF only jumps forward, so the
/// graph is acyclic; after ``normalize()`` block 0 is the entry, every block is reachable and
/// every edge goes from a lower index to a higher one.
struct ControlFlowGraph: Hashable {
    var blocks: [BasicBlock]

    /// Splits a verified program into basic blocks.
    init(_ program: Program) {
        let instructions = program.instructions
        let count = instructions.count
        var isLeader = [Bool](repeating: false, count: count + 1)
        isLeader[0] = true
        for (pc, instruction) in instructions.enumerated() {
            switch instruction {
            case .jump(let offset):
                isLeader[pc + 1 + Int(offset)] = true
                isLeader[pc + 1] = true
            case .conditionalJump(_, _, let jt, let jf):
                isLeader[pc + 1 + Int(jt)] = true
                isLeader[pc + 1 + Int(jf)] = true
                isLeader[pc + 1] = true
            case .returnA, .returnConstant:
                isLeader[pc + 1] = true
            default:
                break
            }
        }
        var blockIndex = [Int](repeating: -1, count: count)
        var starts = [Int]()
        for pc in 0..<count where isLeader[pc] {
            blockIndex[pc] = starts.count
            starts.append(pc)
        }
        var blocks = [BasicBlock]()
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1] : count
            var statements = [Instruction]()
            var terminator: Terminator?
            for pc in start..<end {
                switch instructions[pc] {
                case .jump(let offset):
                    terminator = .jump(blockIndex[pc + 1 + Int(offset)])
                case .conditionalJump(let test, let operand, let jt, let jf):
                    terminator = .branch(
                        test, operand, ifTrue: blockIndex[pc + 1 + Int(jt)], ifFalse: blockIndex[pc + 1 + Int(jf)])
                case .returnConstant(let k):
                    terminator = .returnConstant(k)
                case .returnA:
                    terminator = .returnA
                case let statement:
                    statements.append(statement)
                }
            }
            // A verified program ends with a return, so only a block that falls into the next
            // leader lacks a terminator.
            blocks.append(BasicBlock(statements: statements, terminator: terminator ?? .jump(index + 1)))
        }
        self.blocks = blocks
        normalize()
    }

    init(blocks: [BasicBlock]) {
        self.blocks = blocks
    }

    /// One more than the highest scratch slot any statement reads or writes; 0 when none does.
    var scratchSlotsUsed: Int {
        var count = 0
        for block in blocks {
            for statement in block.statements {
                switch statement {
                case .loadScratch(_, let slot), .store(_, let slot): count = max(count, Int(slot) + 1)
                default: break
                }
            }
        }
        return count
    }

    /// How many edges enter each block (a branch with two equal targets counts twice).
    func predecessorCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: blocks.count)
        for block in blocks {
            for successor in block.terminator.successors { counts[successor] += 1 }
        }
        return counts
    }

    /// Whether every edge goes forward and every block but the entry has a predecessor: then
    /// every block is reachable and the current order is the one ``normalize()`` makes.
    var isNormal: Bool {
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: blocks.count) { entered in
            entered.initialize(repeating: false)
            for (index, block) in blocks.enumerated() {
                if index > 0, !entered[index] { return false }
                switch block.terminator {
                case .returnConstant, .returnA:
                    break
                case .jump(let target):
                    guard target > index else { return false }
                    entered[target] = true
                case .branch(_, _, let ifTrue, let ifFalse):
                    guard ifTrue > index, ifFalse > index else { return false }
                    entered[ifTrue] = true
                    entered[ifFalse] = true
                }
            }
            return true
        }
    }

    /// Drops blocks that the entry cannot reach and renumbers the rest in a topological order
    /// that keeps the current order where it already is one.
    /// Returns whether it changed the graph.
    @discardableResult
    mutating func normalize() -> Bool {
        if isNormal { return false }
        var reachable = [Bool](repeating: false, count: blocks.count)
        var stack = [0]
        reachable[0] = true
        while let index = stack.popLast() {
            for successor in blocks[index].terminator.successors where !reachable[successor] {
                reachable[successor] = true
                stack.append(successor)
            }
        }
        // Kahn's algorithm, always taking the lowest ready index.
        var remaining = [Int](repeating: 0, count: blocks.count)
        for index in blocks.indices where reachable[index] {
            for successor in blocks[index].terminator.successors { remaining[successor] += 1 }
        }
        var ready = MinHeap()
        ready.insert(0)
        var order = [Int]()
        while let index = ready.popMinimum() {
            order.append(index)
            for successor in blocks[index].terminator.successors {
                remaining[successor] -= 1
                if remaining[successor] == 0 { ready.insert(successor) }
            }
        }
        var newIndex = [Int](repeating: -1, count: blocks.count)
        for (position, index) in order.enumerated() { newIndex[index] = position }
        blocks = order.map { index in
            var block = blocks[index]
            block.terminator = block.terminator.mapSuccessors { newIndex[$0] }
            return block
        }
        return true
    }
}

/// A small binary min-heap of indices.
struct MinHeap {
    private var elements: [Int] = []

    var isEmpty: Bool { elements.isEmpty }

    mutating func insert(_ element: Int) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMinimum() -> Int? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let minimum = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < elements.count, elements[left] < elements[smallest] { smallest = left }
            if right < elements.count, elements[right] < elements[smallest] { smallest = right }
            if smallest == parent { break }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}
