// Symbolic programs (instructions whose jumps name labels) and their resolution into kernel
// jump offsets. The assembler and the builder DSL both lower to `SymbolicItem`s and share this
// one resolver, so labels, negated tests and long jumps behave the same in both; the
// packet-filter compiler numbers its instructions itself and shares the trampoline layout
// (package access).

/// The condition of a conditional jump, including the negated forms that `bpf_asm` offers and
/// the kernel does not encode: those become the positive test with the targets swapped.
public enum JumpCondition: Hashable, Sendable, CaseIterable {
    /// `jeq`: A == operand.
    case equal
    /// `jneq`/`jne`: A != operand (`jeq` with the targets swapped).
    case notEqual
    /// `jgt`: A > operand, unsigned.
    case greaterThan
    /// `jge`: A >= operand, unsigned.
    case greaterOrEqual
    /// `jlt`: A < operand, unsigned (`jge` with the targets swapped).
    case lessThan
    /// `jle`: A <= operand, unsigned (`jgt` with the targets swapped).
    case lessOrEqual
    /// `jset`: A & operand != 0.
    case bitsSet
    /// A & operand == 0 (`jset` with the targets swapped; `bpf_asm` has no mnemonic for it).
    case bitsClear

    /// The kernel test, and whether the targets must be swapped to express this condition.
    public var lowered: (test: JumpTest, swapsTargets: Bool) {
        switch self {
        case .equal: (.equal, false)
        case .notEqual: (.equal, true)
        case .greaterThan: (.greaterThan, false)
        case .greaterOrEqual: (.greaterOrEqual, false)
        case .lessThan: (.greaterOrEqual, true)
        case .lessOrEqual: (.greaterThan, true)
        case .bitsSet: (.bitsSet, false)
        case .bitsClear: (.bitsSet, true)
        }
    }
}

/// A use of a label, with where it was written for error messages.
struct LabelReference: Hashable, Sendable {
    var name: String
    var position: SourcePosition?
}

/// Where one side of a conditional jump goes.
enum BranchTarget: Hashable, Sendable {
    /// The instruction after the jump: a kernel offset of 0, before any trampolines.
    case next
    case label(LabelReference)
}

/// An instruction whose jumps name labels rather than offsets.
enum SymbolicInstruction: Hashable, Sendable {
    /// Any instruction but a jump.
    case plain(Instruction)
    /// `ja label`.
    case jump(to: LabelReference)
    /// A conditional jump in kernel form: the test has been lowered already.
    case branch(JumpTest, Operand, ifTrue: BranchTarget, ifFalse: BranchTarget)

    /// Lowers a possibly negated condition by swapping the targets.
    static func conditional(
        _ condition: JumpCondition, _ operand: Operand, ifTrue: BranchTarget, ifFalse: BranchTarget
    ) -> SymbolicInstruction {
        let (test, swapsTargets) = condition.lowered
        return swapsTargets
            ? .branch(test, operand, ifTrue: ifFalse, ifFalse: ifTrue)
            : .branch(test, operand, ifTrue: ifTrue, ifFalse: ifFalse)
    }
}

/// One element of a symbolic program: a label marking the next instruction, or an instruction.
enum SymbolicItem: Hashable, Sendable {
    case label(String, position: SourcePosition?)
    case instruction(SymbolicInstruction)
}

extension Instruction {
    /// An absolute load, as the kernel decodes it: offsets in the ancillary area are
    /// ``loadAncillary(_:size:)``, so that text, builder and raw decoding agree.
    static func absoluteLoad(_ size: LoadSize, offset: UInt32) -> Instruction {
        if let field = AncillaryField(offset: offset) {
            return .loadAncillary(field, size: size)
        }
        return .loadAbsolute(size, offset: offset)
    }
}

/// Turns symbolic programs into kernel programs.
package enum LabelResolver {
    /// The farthest a conditional jump reaches: `jt` and `jf` are 8 bits.
    static let maximumBranchOffset = Int(UInt8.max)

    /// Resolves labels to offsets. A conditional jump whose target is more than 255
    /// instructions away jumps to an unconditional `ja` (32-bit offset) inserted right after it.
    /// Each insertion moves later code, which can push other jumps out of reach, so the layout
    /// is repeated until no jump needs a new trampoline. Trampolines are only ever added, so
    /// this ends after at most two rounds per conditional jump.
    ///
    /// With `backwardJumps`, `ja` may name a label at or before itself and its offset wraps
    /// around, as bpf_asm computes it (libpcap's protochain loops so); the assembler reads such
    /// text back, while the builder DSL, which builds programs for the kernel, refuses it.
    static func resolve(_ items: [SymbolicItem], backwardJumps: Bool = false) throws(AssemblyError) -> Program {
        let (instructions, labels) = try collectLabels(items)
        let resolved = try resolveTargets(instructions, labels: labels, backwardJumps: backwardJumps)
        return layOut(resolved)
    }

    /// An instruction with its jump targets as indices into the instruction list (forward, or
    /// wrapping backward for `ja` when backward jumps are allowed).
    package enum IndexedInstruction {
        case plain(Instruction)
        case jump(to: Int)
        case branch(JumpTest, Operand, ifTrue: Int, ifFalse: Int)
    }

    private static func collectLabels(
        _ items: [SymbolicItem]
    ) throws(AssemblyError) -> ([SymbolicInstruction], [String: (index: Int, position: SourcePosition?)]) {
        var instructions = [SymbolicInstruction]()
        var labels = [String: (index: Int, position: SourcePosition?)]()
        var pending: (name: String, position: SourcePosition?)?
        for item in items {
            switch item {
            case .label(let name, let position):
                if let first = labels[name] {
                    throw AssemblyError(.duplicateLabel(name, firstDefinition: first.position), at: position)
                }
                labels[name] = (instructions.count, position)
                pending = (name, position)
            case .instruction(let instruction):
                instructions.append(instruction)
                pending = nil
            }
        }
        if let pending {
            throw AssemblyError(.labelWithoutInstruction(pending.name), at: pending.position)
        }
        return (instructions, labels)
    }

    private static func resolveTargets(
        _ instructions: [SymbolicInstruction], labels: [String: (index: Int, position: SourcePosition?)],
        backwardJumps: Bool
    ) throws(AssemblyError) -> [IndexedInstruction] {
        func index(
            of reference: LabelReference, from source: Int, backwardAllowed: Bool = false
        ) throws(AssemblyError) -> Int {
            guard let target = labels[reference.name]?.index else {
                throw AssemblyError(.undefinedLabel(reference.name), at: reference.position)
            }
            guard target > source || backwardAllowed else {
                throw AssemblyError(.backwardJump(label: reference.name), at: reference.position)
            }
            return target
        }
        func index(of target: BranchTarget, from source: Int) throws(AssemblyError) -> Int {
            switch target {
            case .next: source + 1
            case .label(let reference): try index(of: reference, from: source)
            }
        }
        var resolved = [IndexedInstruction]()
        resolved.reserveCapacity(instructions.count)
        for (source, instruction) in instructions.enumerated() {
            switch instruction {
            case .plain(let plain):
                resolved.append(.plain(plain))
            case .jump(let reference):
                resolved.append(.jump(to: try index(of: reference, from: source, backwardAllowed: backwardJumps)))
            case .branch(let test, let operand, let ifTrue, let ifFalse):
                resolved.append(.branch(
                    test, operand,
                    ifTrue: try index(of: ifTrue, from: source),
                    ifFalse: try index(of: ifFalse, from: source)
                ))
            }
        }
        return resolved
    }

    /// Places trampolines until every conditional offset fits in 8 bits, then encodes. Code
    /// generators that number their instructions themselves start here, with no label names.
    package static func layOut(_ instructions: [IndexedInstruction]) -> Program {
        let branches: [(source: Int, targets: [Int])] = instructions.enumerated().compactMap { source, instruction in
            guard case .branch(_, _, let ifTrue, let ifFalse) = instruction else { return nil }
            return (source, [ifTrue, ifFalse])
        }
        // The far targets of each conditional jump, in the order their trampolines follow it.
        var farTargets = [Int: [Int]]()
        var trampolineCounts = [Int](repeating: 0, count: instructions.count)
        var addresses = [Int]()
        while true {
            addresses = finalAddresses(trampolineCounts)
            var grew = false
            for (source, targets) in branches {
                for target in targets where addresses[target] - addresses[source] - 1 > maximumBranchOffset {
                    if farTargets[source, default: []].contains(target) { continue }
                    farTargets[source, default: []].append(target)
                    trampolineCounts[source] += 1
                    grew = true
                }
            }
            if !grew { break }
        }

        var output = [Instruction]()
        output.reserveCapacity(addresses[instructions.count])
        func jump(from address: Int, to target: Int) -> Instruction {
            // Programs are far shorter than 2^32 instructions, so the offset always fits; a
            // backward one wraps around.
            .jump(offset: UInt32(truncatingIfNeeded: addresses[target] - address - 1))
        }
        for (source, instruction) in instructions.enumerated() {
            let address = addresses[source]
            switch instruction {
            case .plain(let plain):
                output.append(plain)
            case .jump(let target):
                output.append(jump(from: address, to: target))
            case .branch(let test, let operand, let ifTrue, let ifFalse):
                let far = farTargets[source] ?? []
                func offset(to target: Int) -> UInt8 {
                    let distance = far.firstIndex(of: target) ?? (addresses[target] - address - 1)
                    return UInt8(truncatingIfNeeded: distance)
                }
                output.append(.conditionalJump(test, operand, ifTrue: offset(to: ifTrue), ifFalse: offset(to: ifFalse)))
                for (slot, target) in far.enumerated() {
                    output.append(jump(from: address + 1 + slot, to: target))
                }
            }
        }
        return Program(output)
    }

    /// The output index of each symbolic instruction, plus one entry for the end of the program.
    private static func finalAddresses(_ trampolineCounts: [Int]) -> [Int] {
        var addresses = [Int]()
        addresses.reserveCapacity(trampolineCounts.count + 1)
        var address = 0
        for count in trampolineCounts {
            addresses.append(address)
            address += 1 + count
        }
        addresses.append(address)
        return addresses
    }
}
