import CBPF

/// Lays a condition out as a program that returns `acceptValue` when it holds and 0 otherwise.
///
/// Tests are laid out in order, each branch going to numbered labels. A conditional jump reaches
/// only 255 instructions: a branch whose target is further away goes through a `ja` placed
/// right after it.
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

    static func program(for condition: Condition, acceptValue: UInt32) -> Program {
        var emitter = ConditionEmitter()
        emitter.emit(condition, ifTrue: acceptLabel, ifFalse: rejectLabel)
        emitter.items += [
            .label(acceptLabel), .statement(.returnConstant(acceptValue)),
            .label(rejectLabel), .statement(.returnConstant(0)),
        ]
        return emitter.resolvedProgram()
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

    /// The program with every jump resolved, with long jumps where branches cannot reach.
    private mutating func resolvedProgram() -> Program {
        while true {
            let addresses = labelAddresses()
            // Branch ways out of reach, last first so that insertions keep earlier positions.
            var outOfReach = [(position: Int, way: Way)]()
            var address = 0
            for (position, item) in items.enumerated() {
                switch item {
                case .label: continue
                case .branch(let condition, _, let ifTrue, let ifFalse):
                    let (whenTrue, whenFalse) = Self.kernelTargets(condition, ifTrue, ifFalse)
                    if addresses[whenTrue] - address - 1 > 255 { outOfReach.append((position, .kernelTrue)) }
                    if addresses[whenFalse] - address - 1 > 255 { outOfReach.append((position, .kernelFalse)) }
                default: break
                }
                address += 1
            }
            if outOfReach.isEmpty { break }
            for (position, way) in outOfReach.reversed() {
                guard case .branch(let condition, let operand, var ifTrue, var ifFalse) = items[position] else { continue }
                let trampoline = freshLabel()
                // The kernel's true way is the condition's false way when the test is negated.
                let swapsTargets = condition.lowered.swapsTargets
                let far: Int
                if (way == .kernelTrue) != swapsTargets {
                    (far, ifTrue) = (ifTrue, trampoline)
                } else {
                    (far, ifFalse) = (ifFalse, trampoline)
                }
                items[position] = .branch(condition, operand, ifTrue: ifTrue, ifFalse: ifFalse)
                items.insert(contentsOf: [.label(trampoline), .jump(to: far)], at: position + 1)
            }
        }

        let addresses = labelAddresses()
        var instructions = [Instruction]()
        instructions.reserveCapacity(addresses.last ?? 0)
        for item in items {
            let next = instructions.count + 1
            switch item {
            case .label:
                continue
            case .statement(let instruction):
                instructions.append(instruction)
            case .jump(let label):
                instructions.append(.jump(offset: UInt32(addresses[label] - next)))
            case .branch(let condition, let operand, let ifTrue, let ifFalse):
                let (whenTrue, whenFalse) = Self.kernelTargets(condition, ifTrue, ifFalse)
                instructions.append(.conditionalJump(
                    condition.lowered.test, operand,
                    ifTrue: UInt8(addresses[whenTrue] - next), ifFalse: UInt8(addresses[whenFalse] - next)))
            }
        }
        return Program(instructions)
    }

    private enum Way { case kernelTrue, kernelFalse }

    /// The labels the kernel's jump goes to when its test holds and when it does not.
    private static func kernelTargets(_ condition: JumpCondition, _ ifTrue: Int, _ ifFalse: Int) -> (Int, Int) {
        condition.lowered.swapsTargets ? (ifFalse, ifTrue) : (ifTrue, ifFalse)
    }

    /// The address of every label.
    private func labelAddresses() -> [Int] {
        var addresses = [Int](repeating: 0, count: labelCount)
        var address = 0
        for item in items {
            if case .label(let label) = item { addresses[label] = address } else { address += 1 }
        }
        return addresses
    }
}
