// A randomized differential check of CBPF's Interpreter against libpcap's bpf_filter().
//
// The programs stay inside the semantics the kernel and libpcap share, but for indirect loads
// whose X + k passes 2^31 (see `referenceRun`): packet loads at offsets below 2^31,
// ALU operations except shifts by X (the kernel masks the count, libpcap does not), division
// and modulo by X (both return 0 on X == 0), scratch memory, jumps, `ld len`, `ldx msh` and
// returns. They are jump-heavy so that every fused form of the interpreter, and jumps that
// land in the middle of a fused pair, are exercised.

import BenchmarkSupport
import CBPF
import CBPFFuzz
import CPcap

struct RandomProgramGenerator {
    var random: SplitMix64

    mutating func next(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { next(100) < percent }

    mutating func offset() -> UInt32 {
        switch next(20) {
        case 0: UInt32(next(1600))  // anywhere in a full-size frame
        case 1: UInt32(truncatingIfNeeded: random.next()) & 0x7fff_ffff  // far outside
        case 2: UInt32(1495 + next(10))  // around the end of a 1500-byte frame
        default: UInt32(next(64))  // in the headers
        }
    }

    /// The bytes of half the packets, so that loads often equal the constants below.
    static let alphabet: [UInt8] = [0, 1, 0x80, 0xff]

    /// 1, 2 or 4 bytes of the alphabet, as a load of that size would read them.
    mutating func alphabetValue(bytes: Int? = nil) -> UInt32 {
        (0 ..< (bytes ?? [1, 2, 4][next(3)])).reduce(UInt32(0)) { value, _ in
            value << 8 | UInt32(Self.alphabet[next(Self.alphabet.count)])
        }
    }

    mutating func constant() -> UInt32 {
        if chance(40) { return alphabetValue() &+ UInt32(next(3)) &- 1 }  // equal, or one off
        return switch next(6) {
        case 0: UInt32(truncatingIfNeeded: random.next())
        case 1: [0, 1, 0xffff_ffff, 0x8000_0000, 0x7fff_ffff, 0xffff, 0x1fff][next(7)]
        case 2: UInt32(next(4))
        default: UInt32(next(256))
        }
    }

    mutating func size() -> UInt16 { [Opcode.w, Opcode.h, Opcode.b][next(3)] }

    /// A program of `count` instructions whose last one is a return.
    mutating func program(count: Int) -> [RawInstruction] {
        var program = [RawInstruction]()
        var stored = Set<UInt32>()
        for index in 0 ..< count - 1 {
            let remaining = count - 1 - index  // instructions after this one
            // The size of a packet load just before (perhaps masked by an `and #k` since), whose
            // value a jump should often test.
            var loadedBytes: Int? = nil
            var mask: UInt32 = 0xffff_ffff
            func packetLoadBytes(_ instruction: RawInstruction) -> Int? {
                guard instruction.code & 0x07 == Opcode.ld, [Opcode.abs, Opcode.ind].contains(instruction.code & 0xe0)
                else { return nil }
                return instruction.code & 0x18 == Opcode.w ? 4 : instruction.code & 0x18 == Opcode.h ? 2 : 1
            }
            if let last = program.last {
                loadedBytes = packetLoadBytes(last)
                if last.code == Opcode.alu | Opcode.and | Opcode.k, program.count >= 2 {
                    loadedBytes = packetLoadBytes(program[program.count - 2])
                    mask = last.k
                }
            }
            let masking = loadedBytes != nil && mask == 0xffff_ffff && chance(20)
            func target() -> UInt8 {
                // Mostly the next instruction or a short hop; sometimes onto a later return.
                if chance(40) { return 0 }
                return UInt8(min(remaining - 1, 255, next(min(remaining, 8))))
            }
            let instruction: RawInstruction
            switch masking ? -1 : loadedBytes != nil && chance(60) ? 60 : next(100) {
            case -1:  // load, and, jump: as tcpdump tests a VLAN ID or a flag field
                let mask = chance(50) ? alphabetValue(bytes: loadedBytes!) : constant()
                instruction = RawInstruction(code: Opcode.alu | Opcode.and | Opcode.k, k: mask)
            case 0 ..< 18:
                instruction = RawInstruction(code: Opcode.ld | size() | Opcode.abs, k: offset())
            case 18 ..< 26:
                instruction = RawInstruction(code: Opcode.ld | size() | Opcode.ind, k: UInt32(next(64)))
            case 26 ..< 31:
                instruction = RawInstruction(code: Opcode.ldx | Opcode.b | Opcode.msh, k: offset())
            case 31 ..< 34:
                instruction = RawInstruction(code: Opcode.ldx | Opcode.imm, k: UInt32(next(80)))
            case 34 ..< 36:
                instruction = RawInstruction(code: Opcode.ld | Opcode.imm, k: constant())
            case 36 ..< 38:
                instruction = RawInstruction(code: (chance(50) ? Opcode.ld : Opcode.ldx) | Opcode.w | Opcode.len)
            case 38 ..< 41:
                let slot = UInt32(next(16))
                stored.insert(slot)
                instruction = RawInstruction(code: chance(50) ? Opcode.st : Opcode.stx, k: slot)
            case 41 ..< 44:
                if !stored.isEmpty {
                    let slots = stored.sorted()
                    let slot = slots[next(slots.count)]
                    instruction = RawInstruction(code: (chance(50) ? Opcode.ld : Opcode.ldx) | Opcode.mem, k: slot)
                } else {
                    instruction = RawInstruction(code: Opcode.misc | Opcode.tax)
                }
            case 44 ..< 54:
                let operations = [
                    Opcode.add, Opcode.sub, Opcode.mul, Opcode.div, Opcode.mod, Opcode.and, Opcode.or, Opcode.xor,
                    Opcode.lsh, Opcode.rsh, Opcode.neg,
                ]
                let operation = operations[next(operations.count)]
                let byX = chance(30) && operation != Opcode.lsh && operation != Opcode.rsh && operation != Opcode.neg
                var k = constant()
                if operation == Opcode.div || operation == Opcode.mod { k = max(k, 1) }
                if operation == Opcode.lsh || operation == Opcode.rsh { k &= 31 }
                instruction = RawInstruction(code: Opcode.alu | operation | (byX ? Opcode.x : Opcode.k), k: byX ? 0 : k)
            case 54 ..< 56:
                instruction = RawInstruction(code: Opcode.misc | (chance(50) ? Opcode.tax : Opcode.txa))
            case 56 ..< 58 where remaining > 1:
                instruction = RawInstruction(code: Opcode.jmp | Opcode.ja, k: UInt32(next(min(remaining, 6))))
            case 58 ..< 92:
                let tests = [Opcode.jeq, Opcode.jgt, Opcode.jge, Opcode.jset]
                let test = tests[next(tests.count)]
                let byX = chance(15)
                var k = constant()
                if let loadedBytes, chance(70) {
                    k = (alphabetValue(bytes: loadedBytes) & mask) &+ UInt32(next(3)) &- 1
                }
                instruction = RawInstruction(
                    code: Opcode.jmp | test | (byX ? Opcode.x : Opcode.k), jt: target(), jf: target(), k: byX ? 0 : k)
            default:
                instruction =
                    chance(50)
                    ? RawInstruction(code: Opcode.ret | Opcode.k, k: constant())
                    : RawInstruction(code: Opcode.ret | Opcode.retA)
            }
            program.append(instruction)
        }
        program.append(
            chance(50)
                ? RawInstruction(code: Opcode.ret | Opcode.k, k: constant())
                : RawInstruction(code: Opcode.ret | Opcode.retA))
        return program
    }

    mutating func packet() -> [UInt8] {
        let length: Int
        switch next(8) {
        case 0 ..< 4: length = 1500
        case 4: length = next(16)
        default: length = next(100)
        }
        if chance(50) { return (0 ..< length).map { _ in Self.alphabet[next(Self.alphabet.count)] } }
        return (0 ..< length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }
}

/// A plain interpreter for the generated subset, with the kernel's semantics. It also reports
/// whether an indirect load computed X + k past 2^31, where the kernel (32-bit sum, then signed)
/// and libpcap (no wrap-around) differ by design; libpcap is only compared where it did not.
func referenceRun(_ program: [RawInstruction], _ packet: UnsafeRawBufferPointer) -> (result: UInt32, wrapped: Bool) {
    var a: UInt32 = 0
    var x: UInt32 = 0
    var memory = [UInt32](repeating: 0, count: 16)
    var pc = 0
    var wrapped = false
    func load(_ offset: Int, _ code: UInt16) -> UInt32? {
        let size = code & 0x18 == Opcode.w ? 4 : code & 0x18 == Opcode.h ? 2 : 1
        guard offset >= 0, offset + size <= packet.count else { return nil }
        return (0 ..< size).reduce(UInt32(0)) { $0 << 8 | UInt32(packet[offset + $1]) }
    }
    while true {
        let instruction = program[pc]
        let code = instruction.code
        let k = instruction.k
        pc += 1
        switch code & 0x07 {
        case Opcode.ld, Opcode.ldx:
            let toX = code & 0x07 == Opcode.ldx
            let value: UInt32
            switch code & 0xe0 {
            case Opcode.imm: value = k
            case Opcode.len: value = UInt32(packet.count)
            case Opcode.mem: value = memory[Int(k)]
            case Opcode.abs:
                // Offsets of 2^31 and more are header-relative or invalid; the check's metadata
                // makes them fail.
                guard k < 0x8000_0000, let loaded = load(Int(k), code) else { return (0, wrapped) }
                value = loaded
            case Opcode.ind:
                let sum = x &+ k
                if UInt64(x) + UInt64(k) >= 0x8000_0000 { wrapped = true }
                guard sum < 0x8000_0000, let loaded = load(Int(sum), code) else { return (0, wrapped) }
                value = loaded
            case Opcode.msh:
                guard k < 0x8000_0000, let loaded = load(Int(k), Opcode.b) else { return (0, wrapped) }
                value = (loaded & 0xf) << 2
            default: fatalError("unexpected load 0x\(String(code, radix: 16))")
            }
            if toX { x = value } else { a = value }
        case Opcode.st: memory[Int(k)] = a
        case Opcode.stx: memory[Int(k)] = x
        case Opcode.alu:
            let operand = code & Opcode.x != 0 ? x : k
            switch code & 0xf0 {
            case Opcode.add: a = a &+ operand
            case Opcode.sub: a = a &- operand
            case Opcode.mul: a = a &* operand
            case Opcode.div:
                if operand == 0 { return (0, wrapped) }
                a = a / operand
            case Opcode.mod:
                if operand == 0 { return (0, wrapped) }
                a = a % operand
            case Opcode.and: a = a & operand
            case Opcode.or: a = a | operand
            case Opcode.xor: a = a ^ operand
            case Opcode.lsh: a = a << (operand & 31)
            case Opcode.rsh: a = a >> (operand & 31)
            case Opcode.neg: a = 0 &- a
            default: fatalError("unexpected ALU 0x\(String(code, radix: 16))")
            }
        case Opcode.jmp:
            let operand = code & Opcode.x != 0 ? x : k
            let taken: Bool
            switch code & 0xf0 {
            case Opcode.ja:
                pc += Int(k)
                continue
            case Opcode.jeq: taken = a == operand
            case Opcode.jgt: taken = a > operand
            case Opcode.jge: taken = a >= operand
            case Opcode.jset: taken = a & operand != 0
            default: fatalError("unexpected jump 0x\(String(code, radix: 16))")
            }
            pc += Int(taken ? instruction.jt : instruction.jf)
        case Opcode.ret:
            return (code & 0x18 == Opcode.retA ? a : k, wrapped)
        default:  // misc
            if code & 0xf8 == Opcode.txa { a = x } else { x = a }
        }
    }
}

/// Runs `programs` random programs on random packets through both implementations and aborts
/// on the first difference. Returns the number of (program, packet) pairs compared.
func randomDifferentialCheck(programs: Int, seed: UInt64) -> Int {
    var generator = RandomProgramGenerator(random: SplitMix64(seed: seed))
    // Header-relative loads fail in both: libpcap has none, and the kernel's fail when the
    // network header is far away and there is no link-layer header.
    var metadata = PacketMetadata()
    metadata.networkHeaderOffset = 1 << 40
    var compared = 0
    var accepted = 0
    var attempts = 0
    while accepted < programs {
        attempts += 1
        precondition(attempts < programs * 100, "the random program generator rarely makes valid programs")
        let raw = generator.program(count: 2 + generator.next(40))
        guard let program = try? Program(raw: raw), let interpreter = try? Interpreter(program, for: .socket) else {
            continue
        }
        let instructions = raw.map { bpf_insn(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
        guard bpf_validate(instructions, Int32(instructions.count)) != 0 else { continue }
        accepted += 1
        for _ in 0 ..< 8 {
            let packet = generator.packet()
            packet.withUnsafeBytes { bytes in
                let ours = interpreter.run(packet: bytes, metadata: metadata)
                let reference = referenceRun(raw, bytes)
                let theirs = bpf_filter(
                    instructions, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count),
                    UInt32(bytes.count))
                if ours != reference.result || (!reference.wrapped && ours != theirs) {
                    let listing = raw.enumerated().map {
                        "  \($0): code 0x\(String($1.code, radix: 16)) jt \($1.jt) jf \($1.jf) k \($1.k)"
                    }
                    fail(
                        """
                        random program differs: CBPF returns \(ours), the reference \(reference.result) \
                        (X + k wrapped: \(reference.wrapped)), bpf_filter \(theirs) on a \(bytes.count)-byte packet \
                        \(Array(packet.prefix(80)))
                        \(listing.joined(separator: "\n"))
                        """)
                }
            }
            compared += 1
        }
    }
    return compared
}
