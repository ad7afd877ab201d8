import CBPF

/// A boolean test over a packet, before layout: libpcap's blocks joined by `gen_and`,
/// `gen_or` and `gen_not`. Tests run left to right and stop as soon as the result is known,
/// which decides which loads run, and so which truncated packets are rejected, as in libpcap.
indirect enum Condition: Sendable {
    /// Runs the statements (no jumps), then compares A with the operand.
    case test([Instruction], JumpCondition, Operand)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
    case constant(Bool)

    /// Folds constants the way libpcap's optimizer does: a test whose outcome is known is
    /// dropped together with its loads, even a load that would have read past the packet.
    /// libpcap treats loads as free of effects, so its verdicts on truncated packets follow.
    var simplified: Condition {
        switch self {
        case .test(let statements, let condition, .constant(let k)):
            guard statements.count == 1, case .loadImmediate(.a, let value) = statements[0] else { return self }
            return .constant(condition.holds(value, k))
        case .test, .constant:
            return self
        case .not(let inner):
            let inner = inner.simplified
            if case .constant(let value) = inner { return .constant(!value) }
            return .not(inner)
        case .and(let first, let second):
            let (first, second) = (first.simplified, second.simplified)
            if case .constant(let value) = first { return value ? second : .constant(false) }
            if case .constant(let value) = second { return value ? first : .constant(false) }
            return .and(first, second)
        case .or(let first, let second):
            let (first, second) = (first.simplified, second.simplified)
            if case .constant(let value) = first { return value ? .constant(true) : second }
            if case .constant(let value) = second { return value ? .constant(true) : first }
            return .or(first, second)
        }
    }

    static func all(_ conditions: [Condition]) -> Condition {
        conditions.dropFirst().reduce(conditions.first ?? .constant(true)) { .and($0, $1) }
    }

    static func any(_ conditions: [Condition]) -> Condition {
        conditions.dropFirst().reduce(conditions.first ?? .constant(false)) { .or($0, $1) }
    }

    /// `ld size [offset]; jeq value`, with `and mask` between when the mask isn't all ones.
    /// A mask of 0 makes the outcome known without the load, as libpcap's optimizer finds.
    static func compare(_ size: LoadSize, at offset: UInt32, _ value: UInt32, mask: UInt32? = nil) -> Condition {
        if mask == 0 { return .constant(value == 0) }
        var statements: [Instruction] = [.loadAbsolute(size, offset: offset)]
        if let mask, mask != size.allOnes { statements.append(.arithmetic(.and, .constant(mask))) }
        return .test(statements, .equal, .constant(value))
    }

    /// `ld size [offset]` compared with `value` by `condition`.
    static func compare(_ size: LoadSize, at offset: UInt32, _ condition: JumpCondition, _ value: UInt32) -> Condition {
        .test([.loadAbsolute(size, offset: offset)], condition, .constant(value))
    }

    /// Like ``compare(_:at:_:_:)`` with the offset relative to X, loaded by `loadX`.
    static func compareIndirect(
        loadX: [Instruction], _ size: LoadSize, at offset: UInt32, _ condition: JumpCondition, _ value: UInt32
    ) -> Condition {
        .test(loadX + [.loadIndirect(size, offset: offset)], condition, .constant(value))
    }
}

extension JumpCondition {
    func holds(_ a: UInt32, _ k: UInt32) -> Bool {
        switch self {
        case .equal: a == k
        case .notEqual: a != k
        case .greaterThan: a > k
        case .greaterOrEqual: a >= k
        case .lessThan: a < k
        case .lessOrEqual: a <= k
        case .bitsSet: a & k != 0
        case .bitsClear: a & k == 0
        }
    }
}

extension LoadSize {
    var allOnes: UInt32 {
        switch self {
        case .byte: 0xff
        case .halfword: 0xffff
        case .word: 0xffff_ffff
        }
    }
}

/// Lays a condition out as a program that returns `acceptValue` when it holds and 0 otherwise.
struct ConditionEmitter {
    private var components: [any ProgramComponent] = []
    private var nextLabel = 0

    static func program(for condition: Condition, acceptValue: UInt32) throws(AssemblyError) -> Program {
        var emitter = ConditionEmitter()
        emitter.emit(condition, ifTrue: "accept", ifFalse: "reject")
        emitter.components.append(Label("accept"))
        emitter.components.append(Return(acceptValue))
        emitter.components.append(Label("reject"))
        emitter.components.append(Return(0))
        let components = emitter.components
        return try Program {
            for component in components { component.fragment }
        }
    }

    private mutating func freshLabel() -> Label {
        nextLabel += 1
        return Label("L\(nextLabel)")
    }

    private mutating func emit(_ condition: Condition, ifTrue: Label, ifFalse: Label) {
        switch condition {
        case .test(let statements, let jump, let operand):
            components.append(contentsOf: statements.map(Self.component))
            components.append(Jump(if: jump, operand, then: ifTrue, else: ifFalse))
        case .and(let first, let second):
            let next = freshLabel()
            emit(first, ifTrue: next, ifFalse: ifFalse)
            components.append(next)
            emit(second, ifTrue: ifTrue, ifFalse: ifFalse)
        case .or(let first, let second):
            let next = freshLabel()
            emit(first, ifTrue: ifTrue, ifFalse: next)
            components.append(next)
            emit(second, ifTrue: ifTrue, ifFalse: ifFalse)
        case .not(let inner):
            emit(inner, ifTrue: ifFalse, ifFalse: ifTrue)
        case .constant(let value):
            components.append(Jump(to: value ? ifTrue : ifFalse))
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
