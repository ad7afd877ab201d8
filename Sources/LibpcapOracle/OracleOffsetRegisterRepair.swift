import CBPF

/// libpcap 1.10.3 can overwrite the scratch slot that holds a variable offset (802.11's header
/// length, radiotap's length) with the temporary of an arithmetic relation: it allocates the
/// offset's slot only when a primitive first needs it, possibly after the relation freed the
/// same slot, and then computes the offset at the program's start. After the relation runs, the
/// primitives that follow read the relation's value as their offset; on a short packet that
/// offset can point past the end, and libpcap rejects what it means to accept.
///
/// `repaired` is libpcap's program with those temporaries moved to a slot nothing else uses:
/// what libpcap means. Where libpcap's own program and the repaired one disagree, the repaired
/// one is the reference.
struct OracleOffsetRegisterRepair {
    /// The repaired program, or nil when libpcap's program has no such clash.
    let repaired: Program?

    init(_ libpcap: [RawInstruction]) {
        repaired = (try? Program(raw: libpcap)).flatMap(Self.repair)
    }

    /// The offset computation at the start of the program: the instructions before the first
    /// point where every jump made so far lands, if the program starts with one.
    private static func prologueEnd(_ instructions: [Instruction]) -> Int? {
        var furthest = 0
        var joined = false
        for (index, instruction) in instructions.enumerated() {
            if index > 0, index == furthest, joined { return index }
            switch instruction {
            case .jump(let offset):
                furthest = max(furthest, index + 1 + Int(offset))
                joined = true
            case .conditionalJump(_, _, let jt, let jf):
                furthest = max(furthest, index + 1 + Int(max(jt, jf)))
                joined = true
            case .returnA, .returnConstant:
                return nil
            default:
                if !joined { furthest = index + 1 }
            }
        }
        return nil
    }

    private static func repair(_ program: Program) -> Program? {
        var instructions = program.instructions
        guard let end = prologueEnd(instructions) else { return nil }
        var prologueSlots = Set<UInt32>()
        var usedSlots = Set<UInt32>()
        for (index, instruction) in instructions.enumerated() {
            switch instruction {
            case .store(_, let slot):
                usedSlots.insert(slot)
                if index < end { prologueSlots.insert(slot) }
            case .loadScratch(_, let slot):
                usedSlots.insert(slot)
            default:
                break
            }
        }
        guard let spare = (0..<UInt32(16)).first(where: { !usedSlots.contains($0) }) else { return nil }
        var clashed = false
        var index = end
        while index < instructions.count {
            // A store into an offset slot after the prologue: a relation's temporary. Its reads
            // follow it in the same straight-line code; reads after a jump are the offset's.
            guard case .store(let register, let slot) = instructions[index], prologueSlots.contains(slot) else {
                index += 1
                continue
            }
            clashed = true
            instructions[index] = .store(register, slot: spare)
            index += 1
            while index < instructions.count, !instructions[index].isJump, !instructions[index].isReturn {
                if case .loadScratch(let register, slot) = instructions[index] {
                    instructions[index] = .loadScratch(register, slot: spare)
                }
                if case .store(_, slot) = instructions[index] { break }
                index += 1
            }
        }
        return clashed ? Program(instructions) : nil
    }
}
