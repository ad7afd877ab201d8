// A result-builder DSL for writing classic BPF programs by hand, with symbolic labels:
//
//     let program = try Program {
//         Load.absolute(.halfword, 12)
//         Jump(if: .equal, 0x800, else: "drop")
//         Return(0xffff)
//         Label("drop")
//         Return(0)
//     }
//
// Labels resolve exactly as in the assembler (LabelResolution.swift): jumps go forward only,
// and a conditional jump farther than 255 instructions goes through an inserted `ja`.

/// Something that contributes instructions and labels to a program built with ``ProgramBuilder``.
///
/// Conform your own types to package reusable pieces of a program:
///
///     struct DropUnlessIPv4: ProgramComponent {
///         var fragment: ProgramFragment {
///             ProgramFragment {
///                 Load.absolute(.halfword, 12)
///                 Jump(if: .notEqual, 0x800, then: "drop")
///             }
///         }
///     }
public protocol ProgramComponent: Sendable {
    /// The instructions and labels of this component, in order.
    var fragment: ProgramFragment { get }
}

/// A piece of a program: instructions and the labels between them, with jumps not yet resolved.
///
/// Labels resolve when the fragment becomes a ``Program``, so a fragment may jump to labels
/// that only the enclosing program defines.
public struct ProgramFragment: ProgramComponent, Hashable {
    var items: [SymbolicItem]

    init(items: [SymbolicItem]) {
        self.items = items
    }

    init(_ instruction: SymbolicInstruction) {
        items = [.instruction(instruction)]
    }

    /// An empty fragment.
    public init() {
        items = []
    }

    /// A fragment written with the builder DSL.
    public init(@ProgramBuilder _ content: () -> ProgramFragment) {
        self = content()
    }

    /// The fragment itself.
    public var fragment: ProgramFragment { self }
}

/// The result builder behind `Program { ... }` and `ProgramFragment { ... }`.
///
/// Besides components, blocks may use `if`, `if`/`else`, `switch` and `for` loops; a loop
/// repeats its body, so labels inside it must differ from one iteration to the next.
@resultBuilder
public enum ProgramBuilder {
    /// A component: an instruction, a label or a fragment.
    public static func buildExpression(_ component: some ProgramComponent) -> ProgramFragment {
        component.fragment
    }

    /// The statements of a block, in order.
    public static func buildBlock(_ fragments: ProgramFragment...) -> ProgramFragment {
        ProgramFragment(items: fragments.flatMap(\.items))
    }

    /// An `if` without `else`: nothing when the condition is false.
    public static func buildOptional(_ fragment: ProgramFragment?) -> ProgramFragment {
        fragment ?? ProgramFragment()
    }

    /// The first branch of an `if`/`else` or `switch`.
    public static func buildEither(first fragment: ProgramFragment) -> ProgramFragment {
        fragment
    }

    /// The second branch of an `if`/`else` or `switch`.
    public static func buildEither(second fragment: ProgramFragment) -> ProgramFragment {
        fragment
    }

    /// A `for` loop: the fragments of every iteration, in order.
    public static func buildArray(_ fragments: [ProgramFragment]) -> ProgramFragment {
        ProgramFragment(items: fragments.flatMap(\.items))
    }

    /// An `if #available` branch.
    public static func buildLimitedAvailability(_ fragment: ProgramFragment) -> ProgramFragment {
        fragment
    }
}

extension Program {
    /// Builds a program with the DSL, resolving labels to jump offsets.
    ///
    /// - Throws: ``AssemblyError`` for an undefined or duplicate label, a jump to a label that
    ///   is not after it, or a label with no instruction after it. Kernel rules beyond those
    ///   are checked by ``Verifier``.
    public init(@ProgramBuilder _ content: () -> ProgramFragment) throws(AssemblyError) {
        self = try LabelResolver.resolve(content().items)
    }
}

// MARK: - Labels

/// A name for the position of the next instruction, and the target of jumps.
///
/// Written on its own in a builder block, a label marks the instruction that follows it.
/// Given to ``Jump``, it names where to go. String literals convert, so `"drop"` works in
/// both places.
public struct Label: ProgramComponent, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The name; labels with the same name are the same label.
    public var name: String

    /// A label called `name`.
    public init(_ name: String) {
        self.name = name
    }

    /// A label called by the literal, as in `Jump(to: "drop")`.
    public init(stringLiteral name: String) {
        self.init(name)
    }

    /// The name.
    public var description: String { name }

    /// The label as a definition: it marks the instruction that follows.
    public var fragment: ProgramFragment {
        ProgramFragment(items: [.label(name, position: nil)])
    }

    var reference: LabelReference { LabelReference(name: name, position: nil) }
}

// MARK: - Instructions

/// Loads into a register: `ld`, `ldh`, `ldb`, `ldx`, `ldxb`.
public struct Load: ProgramComponent, Hashable {
    /// The instruction this load encodes.
    public let instruction: Instruction

    private init(_ instruction: Instruction) {
        self.instruction = instruction
    }

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(.plain(instruction)) }

    /// `ld/ldh/ldb [offset]`: big-endian packet bytes into A. Offsets in the ancillary area
    /// (`SKF_AD_OFF` and up) load that ancillary field, as the kernel reads them.
    public static func absolute(_ size: LoadSize, _ offset: UInt32) -> Load {
        Load(.absoluteLoad(size, offset: offset))
    }

    /// `ld/ldh/ldb [x + offset]`: big-endian packet bytes at X plus an offset into A.
    public static func indirect(_ size: LoadSize, _ offset: UInt32) -> Load {
        Load(.loadIndirect(size, offset: offset))
    }

    /// `ld #proto` and friends: Linux ancillary data into A. The kernel ignores the size.
    public static func ancillary(_ field: AncillaryField, size: LoadSize = .word) -> Load {
        Load(.loadAncillary(field, size: size))
    }

    /// `ld #value` or `ldx #value`.
    public static func immediate(_ value: UInt32, into register: Register = .a) -> Load {
        Load(.loadImmediate(register, value))
    }

    /// `ld M[slot]` or `ldx M[slot]`: a scratch memory slot, 0 to 15.
    public static func scratch(_ slot: UInt32, into register: Register = .a) -> Load {
        Load(.loadScratch(register, slot: slot))
    }

    /// `ld #len`: the packet length into A.
    public static var length: Load { length(into: .a) }

    /// `ld #len` or `ldx #len`: the packet length.
    public static func length(into register: Register) -> Load {
        Load(.loadLength(register))
    }

    /// `ldxb 4*([offset]&0xf)`: the length of the IPv4 header at `offset` into X.
    public static func ipv4HeaderLength(at offset: UInt32) -> Load {
        Load(.loadIPv4HeaderLength(offset: offset))
    }
}

/// `st M[slot]` or `stx M[slot]`: stores a register into a scratch memory slot, 0 to 15.
public struct Store: ProgramComponent, Hashable {
    /// The register stored.
    public var register: Register
    /// The scratch memory slot written.
    public var slot: UInt32

    /// Stores `register`, A unless told otherwise, into `M[slot]`.
    public init(slot: UInt32, from register: Register = .a) {
        self.register = register
        self.slot = slot
    }

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(.plain(.store(register, slot: slot))) }
}

/// `add`, `sub`, `mul`, `div`, `mod`, `and`, `or`, `xor`, `lsh`, `rsh`: A = A op operand.
public struct Arithmetic: ProgramComponent, Hashable {
    /// What to compute.
    public var operation: ArithmeticOperation
    /// The right-hand side: a constant or X.
    public var operand: Operand

    /// The operation with X as its operand.
    public init(_ operation: ArithmeticOperation, _ operand: Operand) {
        self.operation = operation
        self.operand = operand
    }

    /// The operation with a constant operand.
    public init(_ operation: ArithmeticOperation, _ value: UInt32) {
        self.init(operation, .constant(value))
    }

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(.plain(.arithmetic(operation, operand))) }
}

/// `neg`: A = -A.
public struct Negate: ProgramComponent, Hashable {
    /// `neg`.
    public init() {}

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(.plain(.negate)) }
}

/// `tax` and `txa`: copies one register into the other.
public struct Transfer: ProgramComponent, Hashable {
    /// The register copied from; the other one is overwritten.
    public let source: Register

    /// `tax`: X = A.
    public static let aToX = Transfer(source: .a)
    /// `txa`: A = X.
    public static let xToA = Transfer(source: .x)

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(.plain(source == .a ? .tax : .txa)) }
}

/// `ret #value` or `ret a`: ends the program. For sockets the value is how many bytes of
/// the packet to keep (0 drops it); for seccomp it is the action.
public struct Return: ProgramComponent, Hashable {
    /// The instruction this return encodes.
    public let instruction: Instruction

    /// `ret #value`.
    public init(_ value: UInt32) {
        instruction = .returnConstant(value)
    }

    private init(instruction: Instruction) {
        self.instruction = instruction
    }

    /// `ret a`: returns the accumulator.
    public static let accumulator = Return(instruction: .returnA)

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(.plain(instruction)) }
}

/// A jump to a label: unconditional (`ja`), or conditional on a comparison of A with a
/// constant or with X.
///
/// A conditional jump goes to `then` when the condition holds and to `else` when it does not;
/// either left out means the next instruction. Negated conditions (``JumpCondition/notEqual``,
/// ``JumpCondition/lessThan``, ...) become the kernel's positive tests with the targets
/// swapped, as `bpf_asm`'s `jneq` does.
///
///     Jump(if: .equal, 0x800, else: "drop")        // jeq #0x800, next, drop
///     Jump(if: .notEqual, 17, then: "drop")        // jneq #17, drop
///     Jump(if: .greaterThan, .x, then: "big", else: "small")
///     Jump(to: "done")                             // ja done
public struct Jump: ProgramComponent, Hashable {
    private let instruction: SymbolicInstruction

    /// `ja label`: always jumps. Its offset is 32 bits, so it reaches any later instruction.
    public init(to label: Label) {
        instruction = .jump(to: label.reference)
    }

    /// A conditional jump comparing A with a constant.
    public init(if condition: JumpCondition, _ value: UInt32, then ifTrue: Label? = nil, else ifFalse: Label? = nil) {
        self.init(if: condition, .constant(value), then: ifTrue, else: ifFalse)
    }

    /// A conditional jump comparing A with an operand, the constant or X.
    public init(if condition: JumpCondition, _ operand: Operand, then ifTrue: Label? = nil, else ifFalse: Label? = nil) {
        func target(_ label: Label?) -> BranchTarget {
            label.map { .label($0.reference) } ?? .next
        }
        instruction = .conditional(condition, operand, ifTrue: target(ifTrue), ifFalse: target(ifFalse))
    }

    /// The one instruction.
    public var fragment: ProgramFragment { ProgramFragment(instruction) }
}
