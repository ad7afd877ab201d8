import CBPF

/// Lays a condition out as a program that returns `acceptValue` when it holds and 0 otherwise.
///
/// Tests are laid out in order, each branch naming labels; CBPF's one label resolver turns them
/// into offsets, with a `ja` after any branch whose target is more than 255 instructions away.
struct ConditionEmitter {
    private var items: [SymbolicItem] = []
    private var labelCount = 0

    static func program(for condition: Condition, acceptValue: UInt32) -> Program {
        var emitter = ConditionEmitter()
        let accept = emitter.freshLabel()
        let reject = emitter.freshLabel()
        emitter.emit(condition, ifTrue: accept, ifFalse: reject)
        emitter.place(accept)
        emitter.items.append(.instruction(.plain(.returnConstant(acceptValue))))
        emitter.place(reject)
        emitter.items.append(.instruction(.plain(.returnConstant(0))))
        do {
            return try LabelResolver.resolve(emitter.items)
        } catch {
            // Every label is placed once, after every jump to it, so resolution cannot fail.
            preconditionFailure("a condition's layout did not resolve: \(error)")
        }
    }

    private mutating func freshLabel() -> LabelReference {
        labelCount += 1
        return LabelReference(name: String(labelCount))
    }

    private mutating func place(_ label: LabelReference) {
        items.append(.label(label.name, position: nil))
    }

    private mutating func emit(_ condition: Condition, ifTrue: LabelReference, ifFalse: LabelReference) {
        switch condition {
        case .test(let statements, let jump, let operand):
            for statement in statements { items.append(.instruction(.plain(Self.normalized(statement)))) }
            items.append(.instruction(.conditional(jump, operand, ifTrue: .label(ifTrue), ifFalse: .label(ifFalse))))
        case .conjunction(let operands):
            for operand in operands.dropLast() {
                let next = freshLabel()
                emit(operand, ifTrue: next, ifFalse: ifFalse)
                place(next)
            }
            emit(operands[operands.count - 1], ifTrue: ifTrue, ifFalse: ifFalse)
        case .disjunction(let operands):
            for operand in operands.dropLast() {
                let next = freshLabel()
                emit(operand, ifTrue: ifTrue, ifFalse: next)
                place(next)
            }
            emit(operands[operands.count - 1], ifTrue: ifTrue, ifFalse: ifFalse)
        case .not(let inner):
            emit(inner, ifTrue: ifFalse, ifFalse: ifTrue)
        case .constant(let value):
            items.append(.instruction(.jump(to: value ? ifTrue : ifFalse)))
        }
    }

    /// An absolute load in the ancillary area is that ancillary load, as the kernel reads it.
    private static func normalized(_ statement: Instruction) -> Instruction {
        if case .loadAbsolute(let size, let offset) = statement { return Load.absolute(size, offset).instruction }
        return statement
    }
}
