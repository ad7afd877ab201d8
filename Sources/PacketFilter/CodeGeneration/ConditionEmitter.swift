import CBPF

/// Lays a condition out as a program that returns `acceptValue` when it holds and 0 otherwise.
///
/// Tests are laid out in order, each branch going to numbered labels that are resolved in one
/// pass. Only when a conditional jump would reach further than 255 instructions does the
/// emitter hand the layout to ``ProgramBuilder``, which inserts the long jumps.
struct ConditionEmitter {
    private enum Item {
        case statement(Instruction)
        case branch(JumpCondition, Operand, ifTrue: Int, ifFalse: Int)
        case jump(to: Int)
        case label(Int)
    }

    private static let acceptLabel = 0
    private static let rejectLabel = 1

    private var items: [Item] = []
    private var labelCount = 2

    static func program(for condition: Condition, acceptValue: UInt32) throws(AssemblyError) -> Program {
        var emitter = ConditionEmitter()
        emitter.emit(condition, ifTrue: acceptLabel, ifFalse: rejectLabel)
        emitter.items += [
            .label(acceptLabel), .statement(.returnConstant(acceptValue)),
            .label(rejectLabel), .statement(.returnConstant(0)),
        ]
        if let program = emitter.resolvedProgram() { return program }
        return try emitter.builtProgram()
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
        case .and(let first, let second):
            let next = freshLabel()
            emit(first, ifTrue: next, ifFalse: ifFalse)
            items.append(.label(next))
            emit(second, ifTrue: ifTrue, ifFalse: ifFalse)
        case .or(let first, let second):
            let next = freshLabel()
            emit(first, ifTrue: ifTrue, ifFalse: next)
            items.append(.label(next))
            emit(second, ifTrue: ifTrue, ifFalse: ifFalse)
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

    /// The program with every jump resolved, or nil when a conditional jump is out of reach.
    private func resolvedProgram() -> Program? {
        var addresses = [Int](repeating: 0, count: labelCount)
        var address = 0
        for item in items {
            if case .label(let label) = item { addresses[label] = address } else { address += 1 }
        }
        var instructions = [Instruction]()
        instructions.reserveCapacity(address)
        for item in items {
            let next = instructions.count + 1
            switch item {
            case .label:
                continue
            case .statement(let instruction):
                instructions.append(instruction)
            case .jump(let label):
                instructions.append(.jump(offset: UInt32(addresses[label] - next)))
            case .branch(let condition, let operand, var ifTrue, var ifFalse):
                let (test, swapsTargets) = condition.lowered
                if swapsTargets { swap(&ifTrue, &ifFalse) }
                let (trueOffset, falseOffset) = (addresses[ifTrue] - next, addresses[ifFalse] - next)
                guard let jt = UInt8(exactly: trueOffset), let jf = UInt8(exactly: falseOffset) else { return nil }
                instructions.append(.conditionalJump(test, operand, ifTrue: jt, ifFalse: jf))
            }
        }
        return Program(instructions)
    }

    /// The program laid out by ``ProgramBuilder``, which reaches far labels with long jumps.
    private func builtProgram() throws(AssemblyError) -> Program {
        func label(_ number: Int) -> Label { Label("L\(number)") }
        let components: [any ProgramComponent] = items.map { item in
            switch item {
            case .statement(let instruction): Self.component(instruction)
            case .branch(let condition, let operand, let ifTrue, let ifFalse):
                Jump(if: condition, operand, then: label(ifTrue), else: label(ifFalse))
            case .jump(let target): Jump(to: label(target))
            case .label(let number): label(number)
            }
        }
        return try Program {
            for component in components { component.fragment }
        }
    }

    /// The builder component for a straight-line instruction.
    private static func component(_ instruction: Instruction) -> any ProgramComponent {
        switch instruction {
        case .loadAbsolute(let size, let offset): Load.absolute(size, offset)
        case .loadIndirect(let size, let offset): Load.indirect(size, offset)
        case .loadAncillary(let field, let size): Load.ancillary(field, size: size)
        case .loadImmediate(let register, let value): Load.immediate(value, into: register)
        case .loadScratch(let register, let slot): Load.scratch(slot, into: register)
        case .loadLength(let register): Load.length(into: register)
        case .loadIPv4HeaderLength(let offset): Load.ipv4HeaderLength(at: offset)
        case .store(let register, let slot): Store(slot: slot, from: register)
        case .arithmetic(let operation, let operand): Arithmetic(operation, operand)
        case .negate: Negate()
        case .tax: Transfer.aToX
        case .txa: Transfer.xToA
        case .returnConstant(let value): Return(value)
        case .returnA: Return.accumulator
        case .jump, .conditionalJump:
            preconditionFailure("conditions hold straight-line statements only")
        }
    }
}
