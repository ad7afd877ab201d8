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
    /// A `ja` whose offset wraps around 2^32 to an instruction at or before it, as libpcap's
    /// `protochain` loop does: the kernel takes the offset as too large.
    case backwardJump(target: Int)
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
    /// The kernel translates every classic program to eBPF (`bpf_convert_filter`), whose jump
    /// offsets are signed 16-bit numbers, and refuses a program with a jump it cannot encode.
    /// `offset` is the eBPF offset that does not fit: positive for a jump that spans more than
    /// 32767 eBPF instructions, negative for one that is emitted past eBPF instruction 32767
    /// (the translator's first pass computes every forward offset as if the target were 0).
    case translatedJumpOutOfRange(offset: Int)

    var explanation: String {
        switch self {
        case .empty: "the program is empty"
        case .tooLong(let count, let limit): "\(count) instructions is more than the limit of \(limit)"
        case .unknownOpcode(let code): "opcode 0x\(String(code, radix: 16)) is not one the kernel accepts"
        case .divisionByZero: "division by the constant 0"
        case .shiftOutOfRange(let k): "shift by \(k); constant shifts must be below 32"
        case .scratchSlotOutOfRange(let k): "scratch slot \(k) does not exist (M[0] to M[15])"
        case .jumpOutOfRange(let target): "jump target \(target) is past the last instruction"
        case .backwardJump(let target):
            "the offset wraps around to instruction \(target), backwards; classic BPF jumps only forward"
        case .unknownAncillaryField(let k):
            "offset 0x\(String(k, radix: 16)) is in the ancillary area (SKF_AD_OFF) but names no field"
        case .lastInstructionNotReturn: "the last instruction is not a return"
        case .uninitializedScratchRead(let slot): "M[\(slot)] may be read before it is written on some path"
        case .seccompLoadOutOfBounds(let k):
            "seccomp loads must be 32-bit aligned words inside seccomp_data (offset \(k))"
        case .notAllowedInSeccomp:
            "seccomp filters may not use this instruction: they read only seccomp_data, with 32-bit "
                + "loads at fixed offsets (ld [0] to ld [60]) and ld len; byte, halfword, X-relative and "
                + "ancillary loads, ldx msh and the modulo operation are refused (seccomp_check_filter)"
        case .translatedJumpOutOfRange(let offset) where offset < 0:
            "the kernel translates the program to eBPF and this jump would be emitted at eBPF "
                + "instruction \(-offset - 1), past the 32767 that its 16-bit offsets can reach"
        case .translatedJumpOutOfRange(let offset):
            "the kernel translates the program to eBPF and this jump would span \(offset) eBPF "
                + "instructions, more than the 32767 of a 16-bit offset"
        }
    }
}

/// A rejection: which instruction breaks which rule.
public struct VerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The index of the offending instruction, or `nil` for a rule about the whole program.
    public var index: Int?
    /// The offending instruction as encoded.
    public var instruction: RawInstruction?
    /// The rule the program breaks.
    public var rule: VerificationRule
    /// The attach point whose rules were applied.
    public var target: AttachTarget

    /// The text form, as messages and the `cbpf` tool print it.
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
/// `seccomp_check_filter` in kernel/seccomp.c, then the jump-offset limits of the kernel's
/// translation to eBPF (`bpf_convert_filter`). The first rule broken, in the kernel's order,
/// is reported.
public enum Verifier {
    /// Verifies a typed program for an attach point.
    public static func verify(_ program: Program, for target: AttachTarget) throws(VerificationError) {
        try verify(program, for: target, checksLength: true)
    }

    /// Verifies a typed program for an attach point; without `checksLength`, every rule but the
    /// ones about the program's length (the instruction limit and the translated jumps' reach),
    /// for a program that the optimizer is to shorten.
    static func verify(_ program: Program, for target: AttachTarget, checksLength: Bool) throws(VerificationError) {
        // A typed instruction always has an encoding, and reads back as itself but for absolute
        // loads in the ancillary area, which the kernel reads as the ancillary loads.
        let instructions = program.instructions
        try verify(count: instructions.count, for: target, checksLength: checksLength) { pc throws(VerificationError) in
            if case .loadAbsolute(let size, let offset) = instructions[pc], offset >= SpecialOffset.ancillary {
                return .absoluteLoad(size, offset: offset)
            }
            return instructions[pc]
        } raw: { instructions[$0].raw }
    }

    /// Verifies raw instructions for an attach point, as the kernel sees them.
    public static func verify(raw program: [RawInstruction], for target: AttachTarget) throws(VerificationError) {
        try verify(count: program.count, for: target) { pc throws(VerificationError) in
            guard let instruction = try? Instruction(raw: program[pc]) else {
                throw VerificationError(
                    index: pc, instruction: program[pc], rule: .unknownOpcode(program[pc].code), target: target)
            }
            return instruction
        } raw: { program[$0] }
    }

    /// The kernel's checks over `count` instructions, which `decode` gives one at a time (in
    /// order, so that an unknown opcode is reported where the kernel reports it) and `raw` gives
    /// as encoded for error messages.
    private static func verify(
        count: Int, for target: AttachTarget, checksLength: Bool = true,
        decode: (Int) throws(VerificationError) -> Instruction,
        raw: (Int) -> RawInstruction
    ) throws(VerificationError) {
        func fail(_ rule: VerificationRule, at index: Int? = nil) -> VerificationError {
            VerificationError(index: index, instruction: index.map(raw), rule: rule, target: target)
        }
        if count == 0 { throw fail(.empty) }
        if checksLength, count > target.maximumInstructions {
            throw fail(.tooLong(count: count, limit: target.maximumInstructions))
        }
        // bpf_check_classic: per-instruction rules.
        var decoded = [Instruction]()
        decoded.reserveCapacity(count)
        for pc in 0..<count {
            let instruction = try decode(pc)
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
                    let wrapped = Int(UInt32(truncatingIfNeeded: pc + 1) &+ offset)
                    let rule = wrapped <= pc
                        ? VerificationRule.backwardJump(target: wrapped) : .jumpOutOfRange(target: pc + 1 + Int(offset))
                    throw fail(rule, at: pc)
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
        if checksLength { try checkTranslatedJumps(decoded, target: target, fail: fail) }
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

// MARK: - Translation to eBPF

extension Verifier {
    /// The number of eBPF instructions the kernel's `bpf_convert_filter` emits for a program,
    /// prologue included, on a little-endian architecture with efficient unaligned access
    /// (x86-64, arm64). Meaningful for programs that pass the other checks.
    ///
    /// The kernel charges a socket filter's translated size, about 8 bytes an instruction,
    /// against `net.core.optmem_max`, so a valid but very long program can still fail to attach
    /// with `ENOMEM`.
    public static func translatedLength(_ program: Program, for target: AttachTarget) -> Int {
        program.instructions.reduce(translatedPrologueLength(program.instructions, target: target)) {
            $0 + translatedLength(of: $1, for: target)
        }
    }

    /// `bpf_convert_filter` starts with `A = 0; X = 0; CTX = ARG1` and, when the program loads
    /// packet bytes (`seen_ld_abs`), caches `skb->data` and the linear length in 4 more.
    static func translatedPrologueLength(_ program: [Instruction], target: AttachTarget) -> Int {
        let loadsPacket = program.contains {
            switch $0 {
            case .loadAbsolute: target != .seccomp  // seccomp's word loads read seccomp_data
            case .loadIndirect, .loadIPv4HeaderLength: true
            default: false
            }
        }
        return loadsPacket ? 7 : 3
    }

    /// The eBPF instructions `bpf_convert_filter` emits for one classic instruction (see
    /// ``translatedLength(_:for:)``; the prologue is not included).
    public static func translatedLength(of instruction: Instruction, for target: AttachTarget) -> Int {
        switch instruction {
        case .loadAbsolute(.word, _) where target == .seccomp:
            return 1  // seccomp_check_filter rewrites it to a load from seccomp_data
        case .loadAbsolute(let size, let k):
            return translatedPacketLoadLength(size, k)
        case .loadIndirect(_, let k):
            return k == 0 ? 8 : 9  // helper call with ARG4 = X (+ k)
        case .loadAncillary(let field, _):
            switch field {
            case .mark, .queue, .rxHash, .vlanTag, .xorX: return 1
            case .protocol, .vlanProtocol: return 2  // load, byte swap
            case .packetType: return UInt16(littleEndian: 1) == 1 ? 2 : 3  // load, mask (, shift)
            case .vlanTagPresent: return 3  // load vlan_all, jeq, mov
            case .interfaceIndex, .hardwareType: return 4  // load dev, jne, exit, load
            case .netlinkAttribute, .netlinkAttributeNested, .payloadOffset, .cpu, .random:
                return 4  // three argument moves and a helper call
            }
        case .loadIPv4HeaderLength(let k):
            return 1 + translatedPacketLoadLength(.byte, k) + 5
        case .arithmetic(.divide, .x), .arithmetic(.modulo, .x):
            return 5  // X = (u32)X; if X != 0 skip; A = 0; exit; operation
        case .conditionalJump(let test, let operand, let jt, let jf):
            return (negativeImmediate(operand) ? 1 : 0) + (singleTranslatedJump(test, jt, jf) ? 1 : 2)
        case .returnConstant:
            return 2  // A = k; exit
        default:
            return 1
        }
    }

    /// `convert_bpf_ld_abs`: an inline fast path for offsets in the linear data, then the helper.
    static func translatedPacketLoadLength(_ size: LoadSize, _ k: UInt32) -> Int {
        let helperPath = 8  // four argument moves, call, jsge, A = 0, exit
        guard Int32(bitPattern: k) >= 0 else { return helperPath }
        let subtract = k == 0 ? 0 : 1
        let load = k <= 0x7fff ? 1 : 3  // an offset that does not fit the 16-bit field takes 3
        let byteSwap = size == .byte ? 0 : 1
        return 1 + subtract + 1 + load + byteSwap + 1 + helperPath
    }

    /// A comparison with a constant that is negative as `s32` first moves it to a register.
    static func negativeImmediate(_ operand: Operand) -> Bool {
        if case .constant(let k) = operand { return Int32(bitPattern: k) < 0 }
        return false
    }

    /// One eBPF jump when the false branch falls through, or when the true branch does and the
    /// test can be inverted (`jset` cannot); otherwise a conditional jump and a `ja`.
    static func singleTranslatedJump(_ test: JumpTest, _ jt: UInt8, _ jf: UInt8) -> Bool {
        jf == 0 || (jt == 0 && test != .bitsSet)
    }

    /// The jump offsets of `bpf_convert_filter`'s two remapping passes must fit in `s16`.
    ///
    /// In the first pass no forward target has an address yet, so each jump's offset is
    /// `-(its own eBPF address + 1)`: any jump emitted past eBPF instruction 32767 fails.
    /// In the second pass the offsets are the real forward distances.
    private static func checkTranslatedJumps(
        _ program: [Instruction], target: AttachTarget, fail: (VerificationRule, Int?) -> VerificationError
    ) throws(VerificationError) {
        var addresses = [Int]()
        addresses.reserveCapacity(program.count + 1)
        var address = translatedPrologueLength(program, target: target)
        for instruction in program {
            addresses.append(address)
            address += translatedLength(of: instruction, for: target)
        }
        addresses.append(address)
        let limit = Int(Int16.max)
        // No jump of a translation this short can reach further than the limit.
        if address <= limit { return }
        for (pc, instruction) in program.enumerated() where instruction.isJump {
            // The last eBPF jump of this instruction sits at addresses[pc + 1] - 1.
            if addresses[pc + 1] > limit + 1 {
                throw fail(.translatedJumpOutOfRange(offset: -addresses[pc + 1]), pc)
            }
        }
        for (pc, instruction) in program.enumerated() {
            // Each emitted jump: (index within this instruction's translation, classic target).
            var jumps: [(Int, Int)] = []
            switch instruction {
            case .jump(let k):
                jumps = [(0, pc + 1 + Int(k))]
            case .conditionalJump(let test, let operand, let jt, let jf):
                let first = negativeImmediate(operand) ? 1 : 0
                if jf == 0 {
                    jumps = [(first, pc + 1 + Int(jt))]
                } else if jt == 0 && test != .bitsSet {
                    jumps = [(first, pc + 1 + Int(jf))]
                } else {
                    jumps = [(first, pc + 1 + Int(jt)), (first + 1, pc + 1 + Int(jf))]
                }
            default:
                continue
            }
            for (slot, classicTarget) in jumps {
                let offset = addresses[classicTarget] - (addresses[pc] + slot) - 1
                if offset > limit { throw fail(.translatedJumpOutOfRange(offset: offset), pc) }
            }
        }
    }
}
