/// Block-local rewrites that need liveness rather than values, in the spirit of libpcap's
/// `opt_peep`:
///
/// - a branch on `A op c` when the result is not used afterwards becomes a branch on A
///   (`sub #c; jeq #k` is `jeq #(k + c)`, `and #m; jeq #0` is `jset #m` with the targets
///   swapped, `rsh #s; jset #m` is `jset #(m << s)`, `sub x; jeq #0` is `jeq x`, ...);
/// - `tax` of `X + c` whose only readers are indirect loads folds `c` into their offsets
///   (`ld #c; add x; tax; ldb [x + k]` is `ldb [x + (k + c)]`).
enum Peephole {
    /// Rewrites every block; returns whether anything changed.
    static func run(on graph: inout ControlFlowGraph) -> Bool {
        let live = Liveness.entryLiveness(of: graph)
        var changed = false
        for index in graph.blocks.indices {
            if foldIntoBranch(&graph.blocks[index], entryLiveness: live) { changed = true }
            if foldIndexOffsets(&graph.blocks[index], entryLiveness: live) { changed = true }
        }
        return changed
    }

    /// Folds the last statements of a block into its branch while A is dead after it.
    private static func foldIntoBranch(_ block: inout BasicBlock, entryLiveness live: [LocationSet]) -> Bool {
        var changed = false
        while case .branch(let test, let operand, let ifTrue, let ifFalse) = block.terminator,
              let last = block.statements.last,
              !live[ifTrue].contains(.a), !live[ifFalse].contains(.a),
              let folded = fold(last, into: test, operand, ifTrue: ifTrue, ifFalse: ifFalse) {
            block.statements.removeLast()
            block.terminator = folded
            changed = true
        }
        return changed
    }

    /// The branch on A before `statement` that takes the same way as `test operand` after it.
    private static func fold(
        _ statement: Instruction, into test: JumpTest, _ operand: Operand, ifTrue: Int, ifFalse: Int
    ) -> Terminator? {
        func branch(_ test: JumpTest, _ operand: Operand, swapped: Bool = false) -> Terminator {
            swapped
                ? .branch(test, operand, ifTrue: ifFalse, ifFalse: ifTrue)
                : .branch(test, operand, ifTrue: ifTrue, ifFalse: ifFalse)
        }
        switch (statement, test, operand) {
        // Equality survives adding, subtracting, xoring or negating the same thing on both sides.
        case (.arithmetic(.add, .constant(let c)), .equal, .constant(let k)):
            return branch(.equal, .constant(k &- c))
        case (.arithmetic(.subtract, .constant(let c)), .equal, .constant(let k)):
            return branch(.equal, .constant(k &+ c))
        case (.arithmetic(.xor, .constant(let c)), .equal, .constant(let k)):
            return branch(.equal, .constant(k ^ c))
        case (.negate, .equal, .constant(let k)):
            return branch(.equal, .constant(0 &- k))
        case (.arithmetic(.subtract, .x), .equal, .constant(0)), (.arithmetic(.xor, .x), .equal, .constant(0)):
            return branch(.equal, .x)
        // A zero test of a mask is a bit test.
        case (.arithmetic(.and, .constant(let c)), .equal, .constant(0)):
            return branch(.bitsSet, .constant(c), swapped: true)
        case (.arithmetic(.and, .x), .equal, .constant(0)):
            return branch(.bitsSet, .x, swapped: true)
        case (.arithmetic(.and, .constant(let c)), .bitsSet, .constant(let m)):
            return branch(.bitsSet, .constant(c & m))
        case (.arithmetic(.or, .constant(let c)), .bitsSet, .constant(let m)) where c & m == 0:
            return branch(.bitsSet, .constant(m))
        case (.arithmetic(.shiftRight, .constant(let s)), .bitsSet, .constant(let m)) where (m << s) >> s == m:
            return branch(.bitsSet, .constant(m << s))
        case (.arithmetic(.shiftLeft, .constant(let s)), .bitsSet, .constant(let m)):
            return branch(.bitsSet, .constant(m >> s))
        default:
            return nil
        }
    }

    /// Removes `tax` where A is X + c and X is only read by indirect loads until it is next
    /// written or dies, adding c to their offsets instead.
    private static func foldIndexOffsets(_ block: inout BasicBlock, entryLiveness live: [LocationSet]) -> Bool {
        var changed = false
        let xLiveAtExit = Liveness.liveAtExit(of: block, entryLiveness: live).contains(.x)
        // A = X + accumulatorOffset, where X is the current X; nil when unknown.
        var accumulatorOffset: UInt32? = nil
        var accumulatorConstant: UInt32? = nil
        var position = 0
        while position < block.statements.count {
            let statement = block.statements[position]
            switch statement {
            case .loadImmediate(.a, let k):
                accumulatorConstant = k
                accumulatorOffset = nil
            case .arithmetic(.add, .x):
                accumulatorOffset = accumulatorConstant
                accumulatorConstant = nil
            case .txa:
                accumulatorOffset = 0
                accumulatorConstant = nil
            case .arithmetic(.add, .constant(let c)):
                accumulatorOffset = accumulatorOffset.map { $0 &+ c }
                accumulatorConstant = accumulatorConstant.map { $0 &+ c }
            case .arithmetic(.subtract, .constant(let c)):
                accumulatorOffset = accumulatorOffset.map { $0 &- c }
                accumulatorConstant = accumulatorConstant.map { $0 &- c }
            case .tax:
                if let offset = accumulatorOffset,
                   let readers = indirectLoadsReadingX(after: position, in: block, xLiveAtExit: xLiveAtExit) {
                    for reader in readers {
                        guard case .loadIndirect(let size, let k) = block.statements[reader] else { continue }
                        block.statements[reader] = .loadIndirect(size, offset: k &+ offset)
                    }
                    block.statements.remove(at: position)
                    changed = true
                    // X is unchanged, so A is still X + offset.
                    continue
                }
                accumulatorOffset = 0
                accumulatorConstant = nil
            default:
                let written = AbstractState.locationsWritten(by: statement)
                if written.contains(.a) || written.contains(.x) { accumulatorOffset = nil }
                if written.contains(.a) { accumulatorConstant = nil }
            }
            position += 1
        }
        return changed
    }

    /// The positions of the statements after `position` that read X, if they are all indirect
    /// loads and X is rewritten or dead before anything else reads it.
    private static func indirectLoadsReadingX(after position: Int, in block: BasicBlock, xLiveAtExit: Bool) -> [Int]? {
        var readers = [Int]()
        for later in (position + 1)..<block.statements.count {
            let statement = block.statements[later]
            if AbstractState.locationsRead(by: statement).contains(.x) {
                guard case .loadIndirect = statement else { return nil }
                readers.append(later)
            }
            if AbstractState.locationsWritten(by: statement).contains(.x) { return readers }
        }
        return xLiveAtExit ? nil : readers
    }
}
