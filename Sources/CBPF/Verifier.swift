/// Why the kernel would reject a program.
public enum VerificationRule: Hashable, Sendable {
    /// The program has no instructions.
    case empty
    /// The program is longer than the attach point allows.
    case tooLong(count: Int, limit: Int)
    /// The opcode is not one the kernel accepts (`chk_code_allowed`).
    case unknownOpcode(UInt16)
    /// `div #0` or `mod #0`.
    case divisionByZero
    /// `lsh`/`rsh` by a constant of 32 or more.
    case shiftOutOfRange(UInt32)
    /// A scratch slot of 16 or more.
    case scratchSlotOutOfRange(UInt32)
    /// A jump past the last instruction.
    case jumpOutOfRange(target: Int)
    /// An absolute load in the ancillary area at an offset that names no field.
    case unknownAncillaryField(UInt32)
    /// The last instruction is not `ret`.
    case lastInstructionNotReturn
    /// A scratch slot read where some path reaches it with the slot unwritten.
    case uninitializedScratchRead(slot: UInt32)
    /// seccomp: a load that is not a 32-bit aligned load inside `struct seccomp_data`.
    case seccompLoadOutOfBounds(offset: UInt32)
    /// seccomp: an instruction kind seccomp does not allow.
    case notAllowedInSeccomp

    var explanation: String {
        switch self {
        case .empty: "the program is empty"
        case .tooLong(let count, let limit): "\(count) instructions is more than the limit of \(limit)"
        case .unknownOpcode(let code): "opcode 0x\(String(code, radix: 16)) is not one the kernel accepts"
        case .divisionByZero: "division by the constant 0"
        case .shiftOutOfRange(let k): "shift by \(k); constant shifts must be below 32"
        case .scratchSlotOutOfRange(let k): "scratch slot \(k) does not exist (M[0] to M[15])"
        case .jumpOutOfRange(let target): "jump target \(target) is past the last instruction"
        case .unknownAncillaryField(let k):
            "offset 0x\(String(k, radix: 16)) is in the ancillary area (SKF_AD_OFF) but names no field"
        case .lastInstructionNotReturn: "the last instruction is not a return"
        case .uninitializedScratchRead(let slot): "M[\(slot)] may be read before it is written on some path"
        case .seccompLoadOutOfBounds(let k):
            "seccomp loads must be 32-bit aligned words inside seccomp_data (offset \(k))"
        case .notAllowedInSeccomp: "seccomp filters may not use this instruction"
        }
    }
}

/// A rejection: which instruction breaks which rule.
public struct VerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The index of the offending instruction, or `nil` for a rule about the whole program.
    public var index: Int?
    /// The offending instruction as encoded.
    public var instruction: RawInstruction?
    public var rule: VerificationRule
    public var target: AttachTarget

    public var description: String {
        guard let index, let instruction else {
            return "\(target.rawValue): \(rule.explanation)"
        }
        let text = (try? Instruction(raw: instruction)).map { BPFAsmFormat.text(for: $0, at: index) }
            ?? "code 0x\(String(instruction.code, radix: 16))"
        return "\(target.rawValue): instruction \(index) (\(text)): \(rule.explanation)"
    }
}

/// Checks programs exactly as the Linux kernel does before it attaches them.
///
/// The rules and their order follow `bpf_check_basics_ok`, `bpf_check_classic`,
/// `chk_code_allowed` and `check_load_and_stores` in net/core/filter.c, and
/// `seccomp_check_filter` in kernel/seccomp.c. The first rule broken, in the kernel's order,
/// is reported.
public enum Verifier {
    /// Verifies a typed program for an attach point.
    public static func verify(_ program: Program, for target: AttachTarget) throws(VerificationError) {
        try verify(raw: program.raw, for: target)
    }

    /// Verifies raw instructions for an attach point, as the kernel sees them.
    public static func verify(raw program: [RawInstruction], for target: AttachTarget) throws(VerificationError) {
        func fail(_ rule: VerificationRule, at index: Int? = nil) -> VerificationError {
            VerificationError(index: index, instruction: index.map { program[$0] }, rule: rule, target: target)
        }
        let count = program.count
        if count == 0 { throw fail(.empty) }
        if count > target.maximumInstructions {
            throw fail(.tooLong(count: count, limit: target.maximumInstructions))
        }
        // bpf_check_classic: per-instruction rules.
        var decoded = [Instruction]()
        decoded.reserveCapacity(count)
        for (pc, raw) in program.enumerated() {
            guard let instruction = try? Instruction(raw: raw) else {
                throw fail(.unknownOpcode(raw.code), at: pc)
            }
            decoded.append(instruction)
            switch instruction {
            case .arithmetic(.divide, .constant(0)), .arithmetic(.modulo, .constant(0)):
                throw fail(.divisionByZero, at: pc)
            case .arithmetic(.shiftLeft, .constant(let k)) where k >= 32,
                 .arithmetic(.shiftRight, .constant(let k)) where k >= 32:
                throw fail(.shiftOutOfRange(k), at: pc)
            case .loadScratch(_, let slot) where slot >= Limits.scratchSlots,
                 .store(_, let slot) where slot >= Limits.scratchSlots:
                throw fail(.scratchSlotOutOfRange(slot), at: pc)
            case .jump(let offset):
                // The kernel compares k >= flen - pc - 1 in unsigned arithmetic.
                if offset >= UInt32(count - pc - 1) {
                    throw fail(.jumpOutOfRange(target: pc + 1 + Int(offset)), at: pc)
                }
            case .conditionalJump(_, _, let jt, let jf):
                let target = pc + 1 + Int(max(jt, jf))
                if target >= count { throw fail(.jumpOutOfRange(target: target), at: pc) }
            case .loadAbsolute(_, let offset) where offset >= SpecialOffset.ancillary:
                throw fail(.unknownAncillaryField(offset), at: pc)
            default:
                break
            }
        }
        guard decoded[count - 1].isReturn else {
            throw fail(.lastInstructionNotReturn, at: count - 1)
        }
        try checkScratchInitialization(decoded, fail: fail)
        if target == .seccomp {
            try checkSeccomp(decoded, fail: fail)
        }
    }

    /// `check_load_and_stores`: a forward pass with a mask of written slots per instruction.
    /// Like the kernel, a `ret` does not reset the mask for the instruction after it.
    private static func checkScratchInitialization(
        _ program: [Instruction], fail: (VerificationRule, Int?) -> VerificationError
    ) throws(VerificationError) {
        var masks = [UInt16](repeating: 0xffff, count: program.count)
        var valid: UInt16 = 0
        for (pc, instruction) in program.enumerated() {
            valid &= masks[pc]
            switch instruction {
            case .store(_, let slot):
                valid |= 1 << slot
            case .loadScratch(_, let slot):
                if valid & (1 << slot) == 0 { throw fail(.uninitializedScratchRead(slot: slot), pc) }
            case .jump(let offset):
                masks[pc + 1 + Int(offset)] &= valid
                valid = 0xffff
            case .conditionalJump(_, _, let jt, let jf):
                masks[pc + 1 + Int(jt)] &= valid
                masks[pc + 1 + Int(jf)] &= valid
                valid = 0xffff
            default:
                break
            }
        }
    }

    /// `seccomp_check_filter`: runs after the classic checks have passed.
    private static func checkSeccomp(
        _ program: [Instruction], fail: (VerificationRule, Int?) -> VerificationError
    ) throws(VerificationError) {
        for (pc, instruction) in program.enumerated() {
            switch instruction {
            case .loadAbsolute(.word, let offset):
                if offset >= Limits.seccompDataSize || offset & 3 != 0 {
                    throw fail(.seccompLoadOutOfBounds(offset: offset), pc)
                }
            case .loadAncillary(let field, .word):
                throw fail(.seccompLoadOutOfBounds(offset: field.offset), pc)
            case .loadLength, .returnA, .returnConstant, .negate, .loadImmediate, .tax, .txa,
                 .loadScratch, .store, .jump, .conditionalJump:
                break
            case .arithmetic(let operation, _) where operation != .modulo:
                break
            default:
                throw fail(.notAllowedInSeccomp, pc)
            }
        }
    }
}
