import CBPF

/// Lays a condition out as a program that returns `acceptValue` when it holds and 0 otherwise.
///
/// Tests are laid out in order, each branch naming numbered labels. Once every label's place is
/// known, CBPF's one layout (`LabelResolver.layOut`) places a `ja` after any branch whose target
/// is more than 255 instructions away and encodes the offsets. Labels are numbers, not names,
/// because this runs on every compile.
struct ConditionEmitter {
    private enum Item {
        case statement(Instruction)
        case branch(JumpCondition, Operand, ifTrue: Int, ifFalse: Int)
        case jump(to: Int)
        case label(Int)
    }

    private var items: [Item] = []
    private var labelCount = 0

    static func program(for condition: Condition, acceptValue: UInt32) -> Program {
        var emitter = ConditionEmitter()
        let accept = emitter.freshLabel()
        let reject = emitter.freshLabel()
        emitter.emit(condition, ifTrue: accept, ifFalse: reject)
        emitter.items += [
            .label(accept), .statement(.returnConstant(acceptValue)),
            .label(reject), .statement(.returnConstant(0)),
        ]
        return LabelResolver.layOut(emitter.indexedInstructions())
    }

    private mutating func freshLabel() -> Int {
        labelCount += 1
        return labelCount - 1
    }

    private mutating func emit(_ condition: Condition, ifTrue: Int, ifFalse: Int) {
        switch condition {
        case .test(let statements, let jump, let operand):
            for statement in statements { items.append(.statement(Self.normalized(statement))) }
            items.append(.branch(jump, operand, ifTrue: ifTrue, ifFalse: ifFalse))
        case .conjunction(let operands):
            for operand in operands.dropLast() {
                let next = freshLabel()
                emit(operand, ifTrue: next, ifFalse: ifFalse)
                items.append(.label(next))
            }
            emit(operands[operands.count - 1], ifTrue: ifTrue, ifFalse: ifFalse)
        case .disjunction(let operands):
            for operand in operands.dropLast() {
                let next = freshLabel()
                emit(operand, ifTrue: ifTrue, ifFalse: next)
                items.append(.label(next))
            }
            emit(operands[operands.count - 1], ifTrue: ifTrue, ifFalse: ifFalse)
        case .not(let inner):
            emit(inner, ifTrue: ifFalse, ifFalse: ifTrue)
        case .constant(let value):
            items.append(.jump(to: value ? ifTrue : ifFalse))
        }
    }

    /// An absolute load in the ancillary area is that ancillary load, as the kernel reads it.
    private static func normalized(_ statement: Instruction) -> Instruction {
        if case .loadAbsolute(let size, let offset) = statement { return Load.absolute(size, offset).instruction }
        return statement
    }

    /// The instructions with every label replaced by the index of the instruction it marks, and
    /// negated tests lowered to the kernel's by swapping targets. Every label is placed after
    /// every jump to it, so all jumps go forward.
    private func indexedInstructions() -> [LabelResolver.IndexedInstruction] {
        var labelIndices = [Int](repeating: 0, count: labelCount)
        var count = 0
        for item in items {
            if case .label(let label) = item { labelIndices[label] = count } else { count += 1 }
        }
        var instructions = [LabelResolver.IndexedInstruction]()
        instructions.reserveCapacity(count)
        for item in items {
            switch item {
            case .label:
                continue
            case .statement(let instruction):
                instructions.append(.plain(instruction))
            case .jump(let label):
                instructions.append(.jump(to: labelIndices[label]))
            case .branch(let condition, let operand, let ifTrue, let ifFalse):
                let (test, swapsTargets) = condition.lowered
                let (whenTrue, whenFalse) = swapsTargets ? (ifFalse, ifTrue) : (ifTrue, ifFalse)
                instructions.append(.branch(test, operand, ifTrue: labelIndices[whenTrue], ifFalse: labelIndices[whenFalse]))
            }
        }
        return instructions
    }
}
