import CBPF

extension ProgramGenerator {
    /// Opcodes close to valid ones: other size or source bits, eBPF-only operations, and the
    /// `ldx [k]` (0x21) that seccomp produces internally. Some of them are valid.
    static let nearMissOpcodes: [UInt16] = [
        0x08, 0x10, 0x18, 0x0e, 0x1e, 0x0d, 0x8c, 0x21, 0x29, 0x31, 0x39, 0x41, 0x49, 0x51, 0x61, 0x68,
        0x70, 0x81, 0x89, 0x90, 0xa0, 0xa1, 0xa9, 0xb1, 0xb4, 0xbc, 0xc4, 0xd4, 0xe4, 0xf4, 0x55, 0x65,
        0x75, 0xa5, 0xb5, 0xc5, 0xd5, 0x0a, 0x12, 0x1a, 0x0b, 0x0f, 0x17, 0x27, 0x47, 0x87, 0x8f, 0x107,
        0x8006, 0x106, 0x104, 0xffff, 0x2e, 0x26, 0x96, 0x9c, 0x94, 0x3c, 0x44, 0x4c, 0x66, 0x76, 0x0c,
    ]

    /// A random program for the checker of `target`, often deliberately broken: jumps past the
    /// end, scratch slots read before they are written on one path only, division by the
    /// constant 0, shifts by 32 or more, unknown opcodes, lengths of 0 and above 4096, unknown
    /// ancillary offsets, scratch slots of 16 and more, a last instruction that is not a return,
    /// seccomp's load rules, and (for sockets) programs so long that the kernel cannot encode
    /// their jumps after translating them to eBPF.
    package mutating func verifierCase(for target: AttachTarget) -> [RawInstruction] {
        let seccompFlavour = target == .seccomp ? random.chance(1, in: 2) : random.chance(1, in: 5)
        switch random.weighted([(28, 0), (47, 1), (10, 2), (10, 3), (5, 4)]) {
        case 0:
            return validProgram(seccompFlavour: seccompFlavour).raw
        case 1:
            var program = validProgram(seccompFlavour: seccompFlavour).raw
            for _ in 0 ..< random.weighted([(70, 1), (22, 2), (8, 3)]) {
                mutate(&program)
            }
            return program
        case 2:
            return instructionSoup()
        case 3:
            return unusualLength()
        default:
            if target == .seccomp {
                return validProgram(seccompFlavour: true, length: random.int(in: 1000 ... 4096)).raw
            }
            return longSocketProgram().raw
        }
    }

    mutating func validProgram(seccompFlavour: Bool, length: Int? = nil) -> Program {
        let length = length ?? random.int(in: random.weighted([
            (50, 1 ... 12), (35, 13 ... 60), (12, 61 ... 400), (3, 401 ... 2000),
        ]))
        if seccompFlavour {
            let call = systemCall()
            let data = call.seccompData(architecture: 0xc000_003e, instructionPointer: random.next())
            return seccompProgram(length: length, data: data)
        }
        return socketProgram(length: length, packet: makePacket())
    }

    /// A random instruction of any kind the kernel accepts (its fields may still be invalid).
    mutating func randomKnownInstruction(count: Int) -> RawInstruction {
        let codes: [UInt16] = [
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1c, 0x1d, 0x20, 0x24,
            0x25, 0x28, 0x2c, 0x2d, 0x30, 0x34, 0x35, 0x3c, 0x3d, 0x40, 0x44, 0x45, 0x48, 0x4c, 0x4d, 0x50,
            0x54, 0x5c, 0x60, 0x61, 0x64, 0x6c, 0x74, 0x7c, 0x80, 0x81, 0x84, 0x87, 0x94, 0x9c, 0xa4, 0xac,
            0xb1,
        ]
        return RawInstruction(
            code: random.element(of: codes), jt: UInt8(random.below(min(256, count + 2))),
            jf: UInt8(random.below(min(256, count + 2))), k: fieldValue(count: count))
    }

    /// A `k` for a raw instruction: small, at a limit, or anything.
    mutating func fieldValue(count: Int) -> UInt32 {
        random.weighted([
            (30, UInt32(random.below(20))), (10, UInt32(random.below(count + 3))),
            (15, random.element(of: [15, 16, 31, 32, 63, 64, 0xffff_ffff, 0x8000_0000, 0x7fff_ffff])),
            (10, SpecialOffset.ancillary &+ UInt32(random.below(70))),
            (5, SpecialOffset.network &+ UInt32(random.below(64))), (5, SpecialOffset.linkLayer &+ UInt32(random.below(64))),
            (25, random.word()),
        ])
    }

    /// A few random instructions, valid opcodes mostly, with random fields.
    mutating func instructionSoup() -> [RawInstruction] {
        let count = random.int(in: 1 ... 10)
        var program = (0 ..< count).map { _ -> RawInstruction in
            switch random.weighted([(70, 0), (20, 1), (10, 2)]) {
            case 0: randomKnownInstruction(count: count)
            case 1: RawInstruction(code: random.element(of: Self.nearMissOpcodes), k: fieldValue(count: count))
            default: RawInstruction(code: UInt16(truncatingIfNeeded: random.word()), jt: UInt8(random.below(4)),
                                    jf: UInt8(random.below(4)), k: fieldValue(count: count))
            }
        }
        if random.chance(7, in: 10) {
            program[count - 1] = random.chance(1, in: 2)
                ? RawInstruction(code: 0x06, k: fieldValue(count: count)) : RawInstruction(code: 0x16, k: 0)
        }
        return program
    }

    /// Lengths at and around the limits: 0, 4095, 4096, 4097, more, and (rarely) 65535.
    mutating func unusualLength() -> [RawInstruction] {
        let count = random.weighted([
            (15, 0), (15, 4095), (25, 4096), (20, 4097), (20, random.int(in: 4098 ... 6000)), (5, 65535),
        ])
        guard count > 0 else { return [] }
        var program = (0 ..< count - 1).map { _ -> RawInstruction in
            switch random.below(5) {
            case 0: RawInstruction(code: 0x00, k: random.word())  // ld #k
            case 1: RawInstruction(code: 0x01, k: random.word())  // ldx #k
            case 2: RawInstruction(code: 0x04, k: random.word())  // add #k
            case 3: RawInstruction(code: 0x07)  // tax
            default: RawInstruction(code: 0x87)  // txa
            }
        }
        program.append(RawInstruction(code: 0x06, k: random.word()))
        if random.chance(1, in: 4) { mutate(&program) }
        if program.count > Int(UInt16.max) { program.removeFirst(program.count - Int(UInt16.max)) }
        return program
    }

    /// Socket programs near the limits of the kernel's translation to eBPF: a jump emitted
    /// around eBPF instruction 32768, or a `ja` that spans about 32767 eBPF instructions.
    mutating func longSocketProgram() -> Program {
        func heavy(_ generator: inout ProgramGenerator) -> Instruction {
            switch generator.random.below(9) {
            case 0, 1: return .loadAbsolute(generator.random.element(of: LoadSize.allCases),
                                            offset: UInt32(generator.random.below(0x7fff)))
            case 2: return .loadAbsolute(generator.random.element(of: LoadSize.allCases),
                                         offset: generator.random.element(of: [0, 0x8000, 0x12345, 0xfff0_0010, 0xffe0_0000]))
            case 3: return .loadIndirect(generator.random.element(of: LoadSize.allCases),
                                         offset: generator.random.chance(1, in: 4) ? 0 : generator.random.word())
            case 4: return .loadIPv4HeaderLength(offset: generator.random.chance(1, in: 2) ? 14 : generator.random.word())
            case 5: return .loadAncillary(generator.random.element(of: AncillaryField.allCases), size: .word)
            case 6: return .arithmetic(generator.random.chance(1, in: 2) ? .divide : .modulo, .x)
            case 7: return .returnConstant(generator.random.word())
            default: return .loadImmediate(.a, generator.random.word())
            }
        }
        var body: [Instruction] = []
        var address = 7  // the prologue with packet loads
        if random.chance(1, in: 2) {
            // A jump whose translation ends just before or after eBPF instruction 32768.
            let goal = 32768 + random.int(in: -40 ... 40)
            while true {
                let next = heavy(&self)
                let size = Verifier.translatedLength(of: next, for: .socket)
                if address + size > goal || body.count > 4080 { break }
                body.append(next)
                address += size
            }
            let tail = random.int(in: 1 ... 4)
            let jt = UInt8(random.int(in: 0 ... tail)), jf = UInt8(random.int(in: 0 ... tail))
            body.append(random.weighted([
                (2, .jump(offset: UInt32(random.int(in: 0 ... tail)))),
                (3, .conditionalJump(random.element(of: JumpTest.allCases), .constant(random.word()), ifTrue: jt, ifFalse: jf)),
                (1, .conditionalJump(.equal, .x, ifTrue: jt, ifFalse: 0)),
            ]))
            for _ in 0 ..< tail { body.append(.loadImmediate(.a, random.word())) }
        } else {
            // A ja over about 32767 eBPF instructions.
            body.append(.loadAbsolute(.halfword, offset: 12))
            address += Verifier.translatedLength(of: body[0], for: .socket)
            let jumpIndex = body.count
            body.append(.jump(offset: 0))
            address += 1
            let start = address
            let goal = 32767 + random.int(in: -40 ... 40)
            while address - start < goal && body.count < 4080 {
                let next = heavy(&self)
                body.append(next)
                address += Verifier.translatedLength(of: next, for: .socket)
            }
            body[jumpIndex] = .jump(offset: UInt32(body.count - jumpIndex - 1))
            for _ in 0 ..< random.int(in: 0 ... 3) { body.append(.loadImmediate(.a, random.word())) }
        }
        body.append(.returnConstant(random.word()))
        return Program(body)
    }

    /// Breaks (or, sometimes, harmlessly changes) one thing in a raw program.
    mutating func mutate(_ program: inout [RawInstruction]) {
        let count = program.count
        guard count > 0 else { return }
        let i = random.below(count)
        switch random.below(13) {
        case 0:  // a jump to the end or past it
            let past = count - i - 1
            if random.chance(1, in: 2) {
                let k: UInt32 = random.weighted([
                    (4, UInt32(past)), (3, UInt32(max(0, past - 1))), (2, UInt32(past + random.below(3))),
                    (1, 0xffff_ffff), (1, random.word()),
                ])
                program[i] = RawInstruction(code: 0x05, k: k)
            } else {
                let edge = UInt8(min(255, max(0, past + random.int(in: -1 ... 1))))
                let other = UInt8(random.below(min(256, max(1, past))))
                let (jt, jf) = random.chance(1, in: 2) ? (edge, other) : (other, edge)
                program[i] = RawInstruction(code: random.element(of: [0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d]),
                                            jt: jt, jf: jf, k: random.word())
            }
        case 1:  // a scratch slot read before it is written on one path (or, sometimes, not)
            let slot = UInt32(random.below(16))
            let st = RawInstruction(code: random.chance(1, in: 2) ? 0x02 : 0x03, k: slot)
            let ld = RawInstruction(code: random.chance(1, in: 2) ? 0x60 : 0x61, k: slot)
            let c = random.word()
            let templates: [[RawInstruction]] = [
                [RawInstruction(code: 0x15, jt: 0, jf: 1, k: c), st, ld],
                [RawInstruction(code: 0x15, jt: 0, jf: 1, k: c), st, st, ld],
                [RawInstruction(code: 0x25, jt: 1, jf: 0, k: c), st, ld],
                [RawInstruction(code: 0x15, jt: 0, jf: 2, k: c), st, RawInstruction(code: 0x06), ld],
                [st, RawInstruction(code: 0x06), ld],
                [RawInstruction(code: 0x05, k: 1), st, ld],
                [ld],
                [st, RawInstruction(code: 0x45, jt: 0, jf: 0, k: c), ld],
                [RawInstruction(code: 0x1d, jt: 1, jf: 1), st, ld],
            ]
            program.insert(contentsOf: random.element(of: templates), at: 0)
        case 2:  // division or modulo by the constant 0
            program[i] = RawInstruction(code: random.chance(1, in: 2) ? 0x34 : 0x94, k: random.chance(4, in: 5) ? 0 : 1)
        case 3:  // shifts by constants around 32
            program[i] = RawInstruction(code: random.chance(1, in: 2) ? 0x64 : 0x74,
                                        k: random.element(of: [31, 32, 33, 63, 0x8000_0000, 0xffff_ffff, 0x20]))
        case 4:  // unknown (or nearly known) opcodes
            let code = random.chance(3, in: 4)
                ? random.element(of: Self.nearMissOpcodes) : UInt16(truncatingIfNeeded: random.word())
            program[i] = RawInstruction(code: code, jt: program[i].jt, jf: program[i].jf, k: program[i].k)
        case 5:  // ancillary offsets, known and unknown
            let offset: UInt32 = random.weighted([
                (4, random.element(of: [64, 68, 1, 2, 3, 6, 0xffc, 0xfff])), (3, UInt32(random.int(in: 64 ... 0xfff))),
                (4, UInt32(4 * random.below(16))),
            ])
            program[i] = RawInstruction(code: random.element(of: [0x20, 0x28, 0x30]), k: SpecialOffset.ancillary &+ offset)
        case 6:  // scratch slots around 16
            program[i] = RawInstruction(code: random.element(of: [0x02, 0x03, 0x60, 0x61]),
                                        k: random.element(of: [15, 16, 17, 31, 0x8000_0000, 0xffff_ffff, random.word()]))
        case 7:  // the last instruction is not a return
            let last = randomKnownInstruction(count: count)
            if random.chance(1, in: 2) || last.code & 0x07 == 0x06 {
                program[count - 1] = RawInstruction(code: random.element(of: [0x00, 0x07, 0x87, 0x04, 0x20, 0x02]), k: 0)
            } else {
                program[count - 1] = last
            }
        case 8:  // what seccomp allows and forbids
            program[i] = random.weighted([
                (5, RawInstruction(code: 0x20, k: random.element(of: [1, 2, 3, 5, 62, 63, 64, 65, 68, 0xffff_fffc, random.word()]))),
                (5, RawInstruction(code: 0x20, k: UInt32(4 * random.below(16)))),
                (2, RawInstruction(code: random.element(of: [0x28, 0x30]), k: UInt32(random.below(64)))),
                (2, RawInstruction(code: random.element(of: [0x40, 0x48, 0x50, 0xb1]), k: UInt32(random.below(64)))),
                (2, RawInstruction(code: random.element(of: [0x94, 0x9c]), k: 3)),
                (2, RawInstruction(code: random.element(of: [0x80, 0x81]))),
                (2, RawInstruction(code: 0x20, k: SpecialOffset.ancillary &+ UInt32(4 * random.below(16)))),
            ])
        case 9:  // fields the kernel ignores
            var instruction = program[i]
            if instruction.code & 0x07 != 0x05 {
                instruction.jt = UInt8(random.below(256))
                instruction.jf = UInt8(random.below(256))
            }
            if [0x16, 0x07, 0x87, 0x84, 0x80, 0x81].contains(instruction.code) { instruction.k = random.word() }
            program[i] = instruction
        case 10:  // any field
            switch random.below(3) {
            case 0: program[i].k = fieldValue(count: count)
            case 1: program[i].jt = UInt8(random.below(min(256, count + 2)))
            default: program[i].jf = UInt8(random.below(min(256, count + 2)))
            }
        case 11:  // cut the program short
            program.removeLast(count - max(1, random.below(count + 1)))
        default:  // any valid kind of instruction, with random fields
            program[i] = randomKnownInstruction(count: count)
        }
    }
}
