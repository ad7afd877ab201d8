import CBPF

/// A valid socket-filter program and a datagram to run it on.
package struct SocketCase: Hashable, Sendable {
    package var program: Program
    package var packet: [UInt8]

    package init(program: Program, packet: [UInt8]) {
        self.program = program
        self.packet = packet
    }
}

/// A system call that is harmless when a filter allows it: a number no kernel assigns, or one
/// of `getpid`, `getppid`, `gettid`, `getuid` and `sched_yield`, with arbitrary arguments.
package struct SystemCallProbe: Hashable, Sendable {
    /// `seccomp_data.nr`.
    package var number: Int32
    /// The six arguments.
    package var arguments: [UInt64]

    package init(number: Int32, arguments: [UInt64] = []) {
        self.number = number
        self.arguments = Array((arguments + Array(repeating: 0, count: 6)).prefix(6))
    }

    /// x86-64 numbers of the real system calls a probe may make.
    package static let harmlessSystemCalls: [Int32] = [39, 110, 186, 102, 24]  // getpid, getppid, gettid, getuid, sched_yield

    /// What a filter sees for this call.
    package func seccompData(architecture: UInt32, instructionPointer: UInt64) -> SeccompData {
        SeccompData(
            number: number, architecture: AuditArchitecture(rawValue: architecture), instructionPointer: instructionPointer,
            arguments: arguments)
    }
}

/// A valid seccomp program and the system call to probe it with.
package struct SeccompCase: Hashable, Sendable {
    package var program: Program
    package var call: SystemCallProbe

    package init(program: Program, call: SystemCallProbe) {
        self.program = program
        self.call = call
    }
}

/// Generates random classic BPF programs, packets and system calls, deterministically from a
/// ``FuzzRandom``.
///
/// The programs are biased toward the places where implementations differ: loads at and past
/// the end of the packet, `[x + k]` offsets that wrap or go negative, `SKF_NET_OFF` and
/// `SKF_LL_OFF` loads, every ancillary field, netlink attribute searches on packets shaped
/// like attributes, division and modulo by an `X` of 0, shifts by an `X` of 32 or more,
/// scratch memory, comparisons with constants that are negative as `s32`, and `ret a` of
/// computed values.
package struct ProgramGenerator: Sendable {
    package var random: FuzzRandom

    package init(random: FuzzRandom) {
        self.random = random
    }

    package init(seed: UInt64) {
        self.init(random: FuzzRandom(seed: seed))
    }

    // MARK: Socket cases

    /// A valid socket program (without `ld #rand` reaching its return value) and a packet.
    package mutating func socketCase() -> SocketCase {
        let packet = makePacket()
        let length = random.weighted([(30, 2 ... 6), (45, 7 ... 16), (25, 17 ... 40)])
        let program = socketProgram(length: random.int(in: length), packet: packet)
        return SocketCase(program: program, packet: packet.bytes)
    }

    /// A packet and what the program generator may aim at in it.
    struct PacketSketch {
        var bytes: [UInt8]
        /// Offsets of netlink attribute headers (outer and nested).
        var attributeOffsets: [UInt32] = []
        /// Their types, as written (with flag bits) and masked.
        var attributeTypes: [UInt32] = []
    }

    mutating func makePacket() -> PacketSketch {
        let range = random.weighted([
            (3, 0 ... 0), (10, 1 ... 8), (40, 9 ... 64), (30, 65 ... 300), (14, 301 ... 1500), (3, 1501 ... 4000),
        ])
        let length = random.int(in: range)
        switch random.weighted([(40, 0), (8, 1), (32, 2), (20, 3)]) {
        case 1:
            return PacketSketch(bytes: Array(repeating: random.chance(1, in: 2) ? 0 : 0xff, count: length))
        case 2:
            return netlinkPacket(length: length)
        case 3:
            var bytes = random.bytes(length)
            // An Ethernet-like header and an IPv4-like version/IHL byte, at 0 or 14.
            let ip = random.chance(1, in: 2) ? 0 : 14
            if ip + 1 <= length { bytes[ip] = 0x40 | UInt8(random.below(16)) }
            if ip == 14, length >= 14 { bytes[12] = 0x08; bytes[13] = 0x00 }
            return PacketSketch(bytes: bytes)
        default:
            return PacketSketch(bytes: random.bytes(length))
        }
    }

    /// Netlink attributes (`struct nlattr`: 16-bit length and type in host order, payload padded
    /// to 4 bytes), some nested, some with broken lengths, cut at `length`.
    mutating func netlinkPacket(length: Int) -> PacketSketch {
        var sketch = PacketSketch(bytes: [])
        if random.chance(1, in: 2) { sketch.bytes = random.bytes(random.element(of: [4, 16, 20])) }
        func appendAttribute(_ generator: inout ProgramGenerator, into bytes: inout [UInt8], depth: Int,
                             sketch: inout PacketSketch) {
            let start = bytes.count
            var type = UInt16(generator.random.below(13))
            let nested = depth < 2 && generator.random.chance(1, in: 5)
            if nested || generator.random.chance(1, in: 12) { type |= 0x8000 }
            if generator.random.chance(1, in: 20) { type |= 0x4000 }
            sketch.attributeOffsets.append(UInt32(start))
            sketch.attributeTypes.append(UInt32(type))
            sketch.attributeTypes.append(UInt32(type & 0x3fff))
            bytes += [0, 0, UInt8(truncatingIfNeeded: type), UInt8(truncatingIfNeeded: type >> 8)]
            if nested {
                for _ in 0 ..< generator.random.int(in: 1 ... 3) {
                    appendAttribute(&generator, into: &bytes, depth: depth + 1, sketch: &sketch)
                }
            } else {
                let size = generator.random.weighted([(6, 0 ... 8), (3, 9 ... 24), (1, 25 ... 64)])
                let count = generator.random.int(in: size)
                bytes += generator.random.bytes(count)
            }
            var recorded = bytes.count - start
            if generator.random.chance(1, in: 10) {
                recorded = generator.random.element(of: [0, 1, 2, 3, 5, recorded + 1, recorded + 100, 0xffff])
            }
            bytes[start] = UInt8(truncatingIfNeeded: recorded)
            bytes[start + 1] = UInt8(truncatingIfNeeded: recorded >> 8)
            while bytes.count % 4 != 0 { bytes.append(generator.random.chance(1, in: 8) ? 0xee : 0) }
        }
        while sketch.bytes.count < length {
            var bytes = sketch.bytes
            appendAttribute(&self, into: &bytes, depth: 0, sketch: &sketch)
            sketch.bytes = bytes
        }
        sketch.bytes.removeLast(sketch.bytes.count - length)
        return sketch
    }

    /// Interesting absolute offsets for a packet of `length` bytes (never in the ancillary area).
    mutating func absoluteOffset(length: Int, allowAncillaryArea: Bool = false) -> UInt32 {
        let l = UInt32(length)
        let value: UInt32 = switch random.weighted([
            (50, 0), (12, 1), (6, 2), (2, 3), (2, 4), (12, 5), (2, 6), (3, 7), (1, 8),
        ]) {
        case 0: UInt32(random.int(in: 0 ... max(0, length - 1)))
        case 1: UInt32(random.int(in: max(0, length - 6) ... length + 1))
        case 2: UInt32(random.below(4))
        case 3: UInt32(random.int(in: 0x7ff0 ... 0x8008))
        case 4: random.element(of: [0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xc000_0000, 0xffdf_ffff, 0xffef_ffff])
        case 5: SpecialOffset.network &+ UInt32(random.int(in: 0 ... length + 1))
        case 6: SpecialOffset.network &+ random.element(of: [0xf_efff, 0x1000, l &+ 0x10, 0x7fff])
        case 7: SpecialOffset.linkLayer &+ UInt32(random.int(in: 0 ... length + 3))
        default: random.word()
        }
        if !allowAncillaryArea && value >= SpecialOffset.ancillary { return value - SpecialOffset.ancillary }
        return value
    }

    /// Interesting values of X for `[x + k]` loads.
    mutating func indexValue(length: Int) -> UInt32 {
        random.weighted([
            (20, UInt32(random.int(in: 0 ... length + 3))), (6, UInt32(random.below(5))), (4, UInt32(length)),
            (8, random.element(of: [0xffff_ffff, 0xffff_fffe, 0xffff_fffc, 0xffff_fff0])),
            (8, SpecialOffset.network &+ UInt32(random.int(in: 0 ... length + 3))),
            (4, SpecialOffset.linkLayer &+ UInt32(random.int(in: 0 ... length + 3))),
            (4, random.element(of: [0x8000_0000, 0x7fff_ffff, 0xffef_ffff, 0xffdf_ffff, 0x10_0000, 0x20_0000])),
            (3, random.word()),
        ])
    }

    /// Interesting `k` of `[x + k]`.
    mutating func indexOffset(length: Int) -> UInt32 {
        random.weighted([
            (20, UInt32(random.int(in: 0 ... length + 3))), (8, UInt32(random.below(3))),
            (8, random.element(of: [0xffff_ffff, 0xffff_fffe, 0xffff_fff0, 0xffff_f000])),
            (6, SpecialOffset.network &+ UInt32(random.int(in: 0 ... length + 3))),
            (4, SpecialOffset.linkLayer &+ UInt32(random.int(in: 0 ... length + 3))),
            (4, random.element(of: [0x10_0000, 0x20_0000, 0x8000_0000, 0x7fff_ffff])),
            (3, random.word()),
        ])
    }

    /// Values of X for shifts, division and modulo.
    mutating func operandValue() -> UInt32 {
        random.weighted([
            (10, 0), (6, UInt32(random.int(in: 1 ... 8))), (8, random.element(of: [31, 32, 33, 63, 64, 0xffff_ffe1])),
            (4, random.element(of: [0xffff_ffff, 0x8000_0000, 0x7fff_ffff])), (6, random.word()),
        ])
    }

    /// Constants for comparisons and arithmetic: a third of them negative as `s32`.
    mutating func constant(length: Int, packet: [UInt8]) -> UInt32 {
        random.weighted([
            (8, UInt32(random.below(5))), (6, UInt32(length)), (8, packetValue(packet)),
            (6, random.element(of: [0xffff_ffff, 0x8000_0000, 0x7fff_ffff, 0xffff_fffe, 0xff, 0xffff])),
            (6, random.word() | 0x8000_0000), (6, random.word()),
        ])
    }

    /// A byte, halfword or word that the packet holds, so that comparisons go both ways.
    mutating func packetValue(_ packet: [UInt8]) -> UInt32 {
        guard !packet.isEmpty else { return 0 }
        let start = random.below(packet.count)
        var value: UInt32 = 0
        for byte in packet[start ..< min(packet.count, start + random.element(of: [1, 2, 4]))] {
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    /// Appends a jump from the end of `body` to a random later instruction of a program of
    /// `length` instructions.
    mutating func appendJump(to body: inout [Instruction], length: Int, constant: UInt32) {
        let room = length - 2 - body.count  // the largest offset that stays inside the program
        let test = random.element(of: JumpTest.allCases)
        let operand: Operand = random.chance(1, in: 4) ? .x : .constant(constant)
        if random.chance(1, in: 6) {
            body.append(.jump(offset: UInt32(random.int(in: 0 ... room))))
            return
        }
        let far = min(255, room)
        func target() -> UInt8 {
            random.chance(1, in: 3) ? 0 : UInt8(random.int(in: 0 ... min(far, random.chance(1, in: 2) ? 3 : far)))
        }
        body.append(.conditionalJump(test, operand, ifTrue: target(), ifFalse: target()))
    }

    /// A return for a socket program: `ret #k`, `ret a`, or `ret a` after masking A below the
    /// packet length so that a wrong A shows in the received length.
    mutating func appendSocketReturn(to body: inout [Instruction], room: Int, length: Int) {
        let choice = random.weighted([(45, 0), (15, 1), (40, 2)])
        if choice == 0 && room >= 2 {
            switch random.below(3) {
            case 0: body.append(.arithmetic(.and, .constant((1 << UInt32(random.int(in: 1 ... 12))) - 1)))
            case 1: body.append(.arithmetic(.modulo, .constant(UInt32(random.int(in: 1 ... max(1, length + 1))))))
            default: body.append(.arithmetic(.shiftRight, .constant(UInt32(random.int(in: 0 ... 31)))))
            }
            body.append(.returnA)
        } else if choice <= 1 {
            body.append(.returnA)
        } else {
            let k: UInt32 = random.weighted([
                (10, 0), (10, 1), (30, UInt32(random.int(in: 1 ... length + 2))), (10, UInt32(length)),
                (10, random.element(of: [0xffff_ffff, 0x7fff_ffff, 0xffff, 0x8000_0000])), (10, random.word()),
            ])
            body.append(.returnConstant(k))
        }
    }

    /// A valid socket program of about `length` instructions for `packet`.
    mutating func socketProgram(length: Int, packet: PacketSketch) -> Program {
        let l = packet.bytes.count
        var body: [Instruction] = []
        body.reserveCapacity(length)
        while body.count < length - 1 {
            let room = length - 1 - body.count
            switch random.weighted([
                (12, 0), (10, 1), (3, 2), (5, 3), (4, 4), (3, 5), (8, 6), (4, 7), (4, 8), (4, 9), (3, 10),
                (8, 11), (8, 12), (1, 13), (13, 14), (2, 15),
            ]) {
            case 0:  // ld/ldh/ldb [k]
                body.append(.loadAbsolute(random.element(of: LoadSize.allCases), offset: absoluteOffset(length: l)))
            case 1:  // ld [x + k]: X and k that add up (wrapping) to an interesting offset, or anything
                let size = random.element(of: LoadSize.allCases)
                if room >= 2 && random.chance(4, in: 5) {
                    let x = indexValue(length: l)
                    let sum = random.chance(4, in: 5) ? absoluteOffset(length: l) : indexOffset(length: l)
                    body.append(.loadImmediate(.x, x))
                    body.append(.loadIndirect(size, offset: sum &- x))
                } else {
                    body.append(.loadIndirect(size, offset: indexOffset(length: l)))
                }
            case 2:
                body.append(.loadIPv4HeaderLength(offset: absoluteOffset(length: l, allowAncillaryArea: true)))
            case 3:
                body.append(.loadImmediate(.x, random.chance(1, in: 2) ? indexValue(length: l) : operandValue()))
            case 4:
                body.append(.loadImmediate(.a, constant(length: l, packet: packet.bytes)))
            case 5:
                body.append(.loadLength(random.chance(1, in: 2) ? .a : .x))
            case 6:  // ancillary; ld #rand is overwritten at once so that its value never reaches ret
                var field = random.element(of: AncillaryField.allCases)
                if field == .random && room < 2 { field = .mark }
                body.append(.loadAncillary(field, size: random.element(of: LoadSize.allCases)))
                if field == .random {
                    body.append(random.element(of: [
                        .loadImmediate(.a, random.word()), .loadLength(.a), .txa,
                        .loadAbsolute(.byte, offset: UInt32(random.int(in: 0 ... l + 1))),
                    ]))
                }
            case 7:  // netlink attribute search: A = where to start, X = type
                let starts = packet.attributeOffsets.map { $0 } + [0, 4, 16, 20]
                let a: UInt32 = random.weighted([
                    (6, random.element(of: starts)), (3, UInt32(random.int(in: 0 ... l + 1))),
                    (2, UInt32(max(0, l - random.int(in: 0 ... 4)))), (1, random.element(of: [0xffff_ffff, 0xffff_fffc])),
                ])
                let types = packet.attributeTypes + [0, 1, 0x4001, 0xffff_ffff]
                let type: UInt32 = random.chance(3, in: 4) ? random.element(of: types) : UInt32(random.below(20))
                body.append(.loadImmediate(.a, a))
                body.append(.loadImmediate(.x, type))
                body.append(.loadAncillary(random.chance(2, in: 3) ? .netlinkAttribute : .netlinkAttributeNested, size: .word))
            case 8:
                body.append(.store(random.chance(1, in: 2) ? .a : .x, slot: UInt32(random.below(16))))
            case 9:
                body.append(.loadScratch(random.chance(1, in: 2) ? .a : .x, slot: UInt32(random.below(16))))
            case 10:
                body.append(random.chance(1, in: 2) ? .tax : .txa)
            case 11:  // A op k, with the checker's limits on k
                let operation = random.element(of: ArithmeticOperation.allCases)
                let k: UInt32 = switch operation {
                case .divide, .modulo: random.chance(1, in: 2) ? UInt32(random.int(in: 1 ... 16)) : max(1, random.word())
                case .shiftLeft, .shiftRight: UInt32(random.below(32))
                default: constant(length: l, packet: packet.bytes)
                }
                body.append(.arithmetic(operation, .constant(k)))
            case 12:  // A op X, X often 0 or 32 and more
                if room >= 2 && random.chance(2, in: 5) { body.append(.loadImmediate(.x, operandValue())) }
                body.append(.arithmetic(random.element(of: ArithmeticOperation.allCases), .x))
            case 13:
                body.append(.negate)
            case 14:
                appendJump(to: &body, length: length, constant: constant(length: l, packet: packet.bytes))
            default:
                appendSocketReturn(to: &body, room: room, length: l)
            }
        }
        // Patterns never overrun: each checks the room it needs (ld #rand and its overwrite
        // must stay together), so nothing is cut here.
        appendSocketReturn(to: &body, room: 1, length: l)
        return initializeScratch(body, for: .socket)
    }

    /// Makes every scratch read valid by storing the slots the checker complains about at the
    /// start (jump offsets are relative and only forward, so they stay valid), keeping A and X 0.
    mutating func initializeScratch(_ instructions: [Instruction], for target: AttachTarget) -> Program {
        do {
            try Verifier.verify(Program(instructions), for: target)
            return Program(instructions)
        } catch {
            guard case .uninitializedScratchRead = error.rule else { return Program(instructions) }
        }
        var read = Set<UInt32>()
        for case .loadScratch(_, let slot) in instructions { read.insert(slot) }
        var prologue: [Instruction] = []
        for slot in read.sorted() {
            prologue += [
                .loadImmediate(.x, random.chance(1, in: 2) ? UInt32(random.below(64)) : random.word()),
                .store(.x, slot: slot),
            ]
        }
        return Program(prologue + [.loadImmediate(.x, 0)] + instructions)
    }

    // MARK: Seccomp cases

    /// A valid seccomp program and a system call. Programs whose return value means
    /// `KILL_PROCESS` are mostly redrawn, because each one costs a helper process.
    package mutating func seccompCase(architecture: UInt32, instructionPointer: UInt64) -> SeccompCase {
        var chosen: SeccompCase?
        for _ in 0 ..< 8 {
            let call = systemCall()
            let data = call.seccompData(architecture: architecture, instructionPointer: instructionPointer)
            let length = random.int(in: random.weighted([(30, 2 ... 6), (45, 7 ... 16), (25, 17 ... 40)]))
            let program = seccompProgram(length: length, data: data)
            chosen = SeccompCase(program: program, call: call)
            guard let interpreter = try? Interpreter(program, for: .seccomp) else { break }
            let action = SeccompAction(returnValue: interpreter.run(seccomp: data))
            if action != .killProcess || random.chance(1, in: 8) { break }
        }
        return chosen!
    }

    mutating func systemCall() -> SystemCallProbe {
        let number: Int32 = random.weighted([
            (5, -1),
            (40, Int32(random.int(in: 1000 ... 0x3fff_ffff))),
            (5, Int32(bitPattern: 0x8000_0000 | (random.word() & 0xbfff_ffff))),
            (50, random.element(of: SystemCallProbe.harmlessSystemCalls)),
        ])
        let arguments = (0 ..< 6).map { _ -> UInt64 in
            random.weighted([
                (30, random.next()), (30, UInt64(random.below(17))), (10, 0xffff_ffff),
                (10, 0xffff_ffff_0000_0000 | UInt64(random.below(4))), (20, 0),
            ])
        }
        return SystemCallProbe(number: number, arguments: arguments)
    }

    /// The 16 words of `seccomp_data` in host order, as `ld [4 * i]` reads them.
    static func words(of data: SeccompData) -> [UInt32] {
        let bytes = data.bytes
        return (0 ..< 16).map { i in
            bytes[4 * i ..< 4 * i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
    }

    /// A seccomp return value: mostly the known actions, with data, and a few unknown ones.
    mutating func seccompReturnValue() -> UInt32 {
        let data = UInt32(random.below(0x1_0000))
        return random.weighted([
            (25, 0x7fff_0000 | (random.chance(1, in: 10) ? data : 0)),
            (20, 0x0005_0000 | random.weighted([
                (15, 0), (45, UInt32(random.int(in: 1 ... 133))), (20, UInt32(random.int(in: 134 ... 4095))),
                (20, UInt32(random.int(in: 4096 ... 0xffff))),
            ])),
            (12, 0x0003_0000 | data),
            (8, 0x7ff0_0000 | data),
            (6, 0x7fc0_0000 | (random.chance(1, in: 10) ? data : 0)),
            (8, 0x7ffc_0000 | (random.chance(1, in: 4) ? data : 0)),
            (8, 0x0000_0000 | (random.chance(1, in: 2) ? data : 0)),
            (5, 0x8000_0000 | (random.chance(1, in: 4) ? data : 0)),
            (3, random.element(of: [0x0001_0000, 0x0002_0000, 0x0004_0000, 0x7ffe_0000, 0xffff_0000, 0x7ff8_0000, 0x7fc1_0000, 0x4000_0000])
                | data),
        ])
    }

    mutating func appendSeccompReturn(to body: inout [Instruction], room: Int) {
        switch random.weighted([(70, 0), (20, 1), (10, 2)]) {
        case 1 where room >= 3:  // an action with data computed from seccomp_data
            let action = seccompReturnValue() & 0xffff_0000
            if random.chance(1, in: 2) {
                body.append(.loadAbsolute(.word, offset: UInt32(4 * random.below(16))))
            }
            body.append(.arithmetic(.and, .constant(action == 0x0005_0000 ? 0xfff : 0xffff)))
            body.append(.arithmetic(.or, .constant(action)))
            body.append(.returnA)
        case 2:
            body.append(.returnA)
        default:
            body.append(.returnConstant(seccompReturnValue()))
        }
    }

    /// A valid seccomp program of about `length` instructions, with comparisons biased toward
    /// the values of `data`.
    mutating func seccompProgram(length: Int, data: SeccompData) -> Program {
        let words = Self.words(of: data)
        func dataConstant(_ generator: inout ProgramGenerator) -> UInt32 {
            let word = generator.random.element(of: words)
            return generator.random.weighted([
                (60, word), (10, word &+ 1), (10, word &- 1), (5, 0), (5, 0x8000_0000), (10, generator.random.word()),
            ])
        }
        var body: [Instruction] = []
        while body.count < length - 1 {
            let room = length - 1 - body.count
            switch random.weighted([
                (22, 0), (20, 1), (5, 2), (3, 3), (5, 4), (4, 5), (2, 6), (4, 7), (5, 8), (4, 9), (6, 10), (5, 11),
                (1, 12), (6, 13),
            ]) {
            case 0:
                body.append(.loadAbsolute(.word, offset: UInt32(4 * random.below(16))))
            case 1:
                let room = length - 2 - body.count
                let far = min(255, room)
                let jt = random.chance(1, in: 3) ? 0 : UInt8(random.int(in: 0 ... far))
                let jf = random.chance(1, in: 3) ? 0 : UInt8(random.int(in: 0 ... far))
                body.append(.conditionalJump(random.element(of: JumpTest.allCases), .constant(dataConstant(&self)),
                                             ifTrue: jt, ifFalse: jf))
            case 2:
                appendJump(to: &body, length: length, constant: dataConstant(&self))
            case 3:
                body.append(.jump(offset: UInt32(random.int(in: 0 ... min(3, length - 2 - body.count)))))
            case 4:
                body.append(.loadImmediate(.a, dataConstant(&self)))
            case 5:
                body.append(.loadImmediate(.x, random.chance(1, in: 2) ? dataConstant(&self) : operandValue()))
            case 6:
                body.append(.loadLength(random.chance(1, in: 2) ? .a : .x))
            case 7:
                body.append(random.chance(1, in: 2) ? .tax : .txa)
            case 8:
                body.append(.store(random.chance(1, in: 2) ? .a : .x, slot: UInt32(random.below(16))))
            case 9:
                body.append(.loadScratch(random.chance(1, in: 2) ? .a : .x, slot: UInt32(random.below(16))))
            case 10:
                let operation = random.element(of: ArithmeticOperation.allCases.filter { $0 != .modulo })
                let k: UInt32 = switch operation {
                case .divide: UInt32(random.int(in: 1 ... 0x1_0000))
                case .shiftLeft, .shiftRight: UInt32(random.below(32))
                default: random.chance(1, in: 2) ? dataConstant(&self) : random.word()
                }
                body.append(.arithmetic(operation, .constant(k)))
            case 11:
                if room >= 2 && random.chance(1, in: 3) { body.append(.loadImmediate(.x, operandValue())) }
                body.append(.arithmetic(random.element(of: ArithmeticOperation.allCases.filter { $0 != .modulo }), .x))
            case 12:
                body.append(.negate)
            default:
                appendSeccompReturn(to: &body, room: room)
            }
        }
        if body.count > length - 1 { body.removeLast(body.count - (length - 1)) }
        appendSeccompReturn(to: &body, room: 1)
        return initializeScratch(body, for: .seccomp)
    }
}
