/// A raw opcode that the Linux kernel does not accept (`chk_code_allowed` fails).
public struct UnknownOpcodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The instruction whose opcode is not allowed.
    public var instruction: RawInstruction
    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        "unknown opcode 0x\(String(instruction.code, radix: 16)) (not an instruction the Linux kernel accepts)"
    }
}

extension Instruction {
    /// The kernel encoding. Fields the kernel ignores for this kind are zero.
    public var raw: RawInstruction {
        switch self {
        case .loadAbsolute(let size, let offset):
            RawInstruction(code: Opcode.ld | size.opcodeBits | Opcode.abs, k: offset)
        case .loadIndirect(let size, let offset):
            RawInstruction(code: Opcode.ld | size.opcodeBits | Opcode.ind, k: offset)
        case .loadAncillary(let field, let size):
            RawInstruction(code: Opcode.ld | size.opcodeBits | Opcode.abs, k: field.offset)
        case .loadImmediate(let register, let value):
            RawInstruction(code: register.loadClass | Opcode.imm, k: value)
        case .loadScratch(let register, let slot):
            RawInstruction(code: register.loadClass | Opcode.mem, k: slot)
        case .loadLength(let register):
            RawInstruction(code: register.loadClass | Opcode.w | Opcode.len)
        case .loadIPv4HeaderLength(let offset):
            RawInstruction(code: Opcode.ldx | Opcode.b | Opcode.msh, k: offset)
        case .store(let register, let slot):
            RawInstruction(code: register == .a ? Opcode.st : Opcode.stx, k: slot)
        case .arithmetic(let operation, .constant(let k)):
            RawInstruction(code: Opcode.alu | operation.opcodeBits | Opcode.k, k: k)
        case .arithmetic(let operation, .x):
            RawInstruction(code: Opcode.alu | operation.opcodeBits | Opcode.x)
        case .negate:
            RawInstruction(code: Opcode.alu | Opcode.neg)
        case .jump(let offset):
            RawInstruction(code: Opcode.jmp | Opcode.ja, k: offset)
        case .conditionalJump(let test, .constant(let k), let jt, let jf):
            RawInstruction(code: Opcode.jmp | test.opcodeBits | Opcode.k, jt: jt, jf: jf, k: k)
        case .conditionalJump(let test, .x, let jt, let jf):
            RawInstruction(code: Opcode.jmp | test.opcodeBits | Opcode.x, jt: jt, jf: jf)
        case .returnConstant(let k):
            RawInstruction(code: Opcode.ret | Opcode.k, k: k)
        case .returnA:
            RawInstruction(code: Opcode.ret | Opcode.retA)
        case .tax:
            RawInstruction(code: Opcode.misc | Opcode.tax)
        case .txa:
            RawInstruction(code: Opcode.misc | Opcode.txa)
        }
    }

    /// Decodes a kernel instruction.
    ///
    /// Accepts exactly the opcodes of the kernel's `chk_code_allowed`. Fields that the kernel
    /// ignores for an opcode (such as `k` of `ret a`, or `jt`/`jf` of a non-jump) are dropped,
    /// as the kernel drops them, so `Instruction(raw: r).raw == r` when they are zero.
    ///
    /// - Throws: ``UnknownOpcodeError`` naming the opcode.
    public init(raw: RawInstruction) throws(UnknownOpcodeError) {
        let code = raw.code
        let k = raw.k
        func size(_ code: UInt16) -> LoadSize? {
            switch code & 0x18 {
            case Opcode.w: .word
            case Opcode.h: .halfword
            case Opcode.b: .byte
            default: nil
            }
        }
        switch code {
        case Opcode.ld | Opcode.w | Opcode.abs, Opcode.ld | Opcode.h | Opcode.abs, Opcode.ld | Opcode.b | Opcode.abs:
            if let field = AncillaryField(offset: k) {
                self = .loadAncillary(field, size: size(code)!)
            } else {
                self = .loadAbsolute(size(code)!, offset: k)
            }
        case Opcode.ld | Opcode.w | Opcode.ind, Opcode.ld | Opcode.h | Opcode.ind, Opcode.ld | Opcode.b | Opcode.ind:
            self = .loadIndirect(size(code)!, offset: k)
        case Opcode.ld | Opcode.imm: self = .loadImmediate(.a, k)
        case Opcode.ldx | Opcode.imm: self = .loadImmediate(.x, k)
        case Opcode.ld | Opcode.mem: self = .loadScratch(.a, slot: k)
        case Opcode.ldx | Opcode.mem: self = .loadScratch(.x, slot: k)
        case Opcode.ld | Opcode.w | Opcode.len: self = .loadLength(.a)
        case Opcode.ldx | Opcode.w | Opcode.len: self = .loadLength(.x)
        case Opcode.ldx | Opcode.b | Opcode.msh: self = .loadIPv4HeaderLength(offset: k)
        case Opcode.st: self = .store(.a, slot: k)
        case Opcode.stx: self = .store(.x, slot: k)
        case Opcode.alu | Opcode.neg: self = .negate
        case Opcode.jmp | Opcode.ja: self = .jump(offset: k)
        case Opcode.ret | Opcode.k: self = .returnConstant(k)
        case Opcode.ret | Opcode.retA: self = .returnA
        case Opcode.misc | Opcode.tax: self = .tax
        case Opcode.misc | Opcode.txa: self = .txa
        default:
            let source: Operand = code & Opcode.x != 0 ? .x : .constant(k)
            if code & 0x07 == Opcode.alu, let operation = ArithmeticOperation.allCases.first(where: {
                code & ~Opcode.x == Opcode.alu | $0.opcodeBits
            }) {
                self = .arithmetic(operation, source)
            } else if code & 0x07 == Opcode.jmp, let test = JumpTest.allCases.first(where: {
                code & ~Opcode.x == Opcode.jmp | $0.opcodeBits
            }) {
                self = .conditionalJump(test, source, ifTrue: raw.jt, ifFalse: raw.jf)
            } else {
                throw UnknownOpcodeError(instruction: raw)
            }
        }
    }
}

extension Register {
    var loadClass: UInt16 { self == .a ? Opcode.ld : Opcode.ldx }
}
