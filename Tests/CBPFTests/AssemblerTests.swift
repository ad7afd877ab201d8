import CBPF
import CBPFFuzz
import Testing

/// A socket filter on one end of an AF_UNIX datagram socketpair (``SocketOracle``). The kernel
/// trims each datagram to the filter's return value and drops it on 0, so the received length
/// shows the return value. Needs no privilege.
struct DatagramFilterHarness {
    private let oracle: SocketOracle
    private let program: [RawInstruction]

    /// Checks that the kernel attaches `program`.
    init(_ program: Program) throws {
        oracle = try SocketOracle()
        self.program = program.raw
        let verdict = oracle.attach(self.program)
        guard verdict == .accepted else { throw OracleUnavailable("SO_ATTACH_FILTER: \(verdict)") }
    }

    /// Sends `datagram` through the filter: the length received, or `nil` if it was dropped.
    func filter(_ datagram: [UInt8]) throws -> Int? {
        switch oracle.deliver(program, packet: datagram) {
        case .delivered(let length): return length
        case .dropped: return nil
        case let other: throw OracleUnavailable("\(other)")
        }
    }
}

@Suite("Assembler")
struct AssemblerTests {
    // MARK: A DNS filter in the style of Cloudflare's bpftools

    /// Accepts IPv4 UDP datagrams to port 53 that ask about www.example.com or example.com in
    /// any letter case (the `or` sets bit 5 of the letters), on an Ethernet frame. The name
    /// labels are compared four bytes at a time; length bytes are not case-folded.
    static let dnsFilter = """
        ; DNS queries for www.example.com and example.com
            ldh [12]
            jneq #0x0800, drop              ; IPv4
            ldb [23]
            jneq #17, drop                  ; UDP
            ldh [20]
            jset #0x1fff, drop              /* a later fragment has no UDP header */
            ldx 4*([14]&0xf)                ; X = IPv4 header length
            ldh [x + 16]                    ; UDP destination port
            jneq #53, drop
            txa
            add #34                         ; 14 + 8 + 12: the question name
            tax
            ld [x + 0]
            or #0x00202020
            jeq #0x03777777, lb_www         ; "\\3www"
            jneq #0x07657861, drop          ; "\\7exa"
            ld [x + 4]
            or #0x20202020
            jneq #0x6d706c65, drop          ; "mple"
            ja lb_com
        lb_www:
            ld [x + 4]
            or #0x00202020
            jneq #0x07657861, drop          ; "\\7exa"
            ld [x+8]
            or #0x20202020
            jneq #0x6d706c65, drop          ; "mple"
            txa
            add #4
            tax
        lb_com:
            ld [x + 8]
            or #0x00202020
            jneq #0x03636f6d, drop          ; "\\3com"
            ldb [x + 12]                    ; the root label ends the name
            jneq #0, drop
            ret #-1
        drop:
            ret #0
        """

    /// An Ethernet frame with an IPv4 UDP DNS query for `labels`.
    static func dnsQuery(_ labels: [String], port: UInt16 = 53) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        frame += [0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        frame += [0x30, 0x39, UInt8(port >> 8), UInt8(port & 0xff), 0, 0, 0, 0]
        frame += [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in labels {
            frame.append(UInt8(label.utf8.count))
            frame += Array(label.utf8)
        }
        frame += [0, 0, 1, 0, 1]
        return frame
    }

    @Test func dnsFilterAssemblesAndTheKernelRunsIt() throws {
        let program = try Assembler.assemble(Self.dnsFilter)
        try Verifier.verify(program, for: .socket)
        let drop = program.count - 1
        #expect(program.instructions[1] == .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: UInt8(drop - 2)))
        #expect(program.instructions.last == .returnConstant(0))
        #expect(program.instructions.contains(.returnConstant(0xffff_ffff)))

        let harness = try DatagramFilterHarness(program)
        let accepted: [[String]] = [["www", "example", "com"], ["WwW", "EXAMPLE", "Com"], ["example", "com"]]
        for name in accepted {
            let query = Self.dnsQuery(name)
            #expect(try harness.filter(query) == query.count, "\(name)")
        }
        let dropped: [[String]] = [["www", "example", "org"], ["www", "exampl3", "com"], ["ftp", "example", "com"],
                                   ["www", "example", "com", "evil"]]
        for name in dropped {
            #expect(try harness.filter(Self.dnsQuery(name)) == nil, "\(name)")
        }
        #expect(try harness.filter(Self.dnsQuery(["example", "com"], port: 5353)) == nil)
    }

    // MARK: Mnemonics and operands

    @Test(arguments: [
        ("ld #42", Instruction.loadImmediate(.a, 42)),
        ("ldi #42", .loadImmediate(.a, 42)),
        ("ldi 42", .loadImmediate(.a, 42)),
        ("ldx #42", .loadImmediate(.x, 42)),
        ("ldxi #42", .loadImmediate(.x, 42)),
        ("ldxi 42", .loadImmediate(.x, 42)),
        ("ld [12]", .loadAbsolute(.word, offset: 12)),
        ("ldh [12]", .loadAbsolute(.halfword, offset: 12)),
        ("ldb [12]", .loadAbsolute(.byte, offset: 12)),
        ("ld [x + 4]", .loadIndirect(.word, offset: 4)),
        ("ldh [x+4]", .loadIndirect(.halfword, offset: 4)),
        ("ldb [%x + 0]", .loadIndirect(.byte, offset: 0)),
        ("ld [x + -4]", .loadIndirect(.word, offset: 0xffff_fffc)),
        ("ld M[3]", .loadScratch(.a, slot: 3)),
        ("ldx M[15]", .loadScratch(.x, slot: 15)),
        ("ld #len", .loadLength(.a)),
        ("ld len", .loadLength(.a)),
        ("ldx #len", .loadLength(.x)),
        ("ldxb 4*([14]&0xf)", .loadIPv4HeaderLength(offset: 14)),
        ("ldx 4 * ( [ 14 ] & 0xf )", .loadIPv4HeaderLength(offset: 14)),
        ("st M[0]", .store(.a, slot: 0)),
        ("stx M[1]", .store(.x, slot: 1)),
        ("add #1", .arithmetic(.add, .constant(1))),
        ("sub x", .arithmetic(.subtract, .x)),
        ("mul %x", .arithmetic(.multiply, .x)),
        ("div #3", .arithmetic(.divide, .constant(3))),
        ("mod #3", .arithmetic(.modulo, .constant(3))),
        ("and #0xff", .arithmetic(.and, .constant(0xff))),
        ("or #0x20202020", .arithmetic(.or, .constant(0x2020_2020))),
        ("xor x", .arithmetic(.xor, .x)),
        ("lsh #2", .arithmetic(.shiftLeft, .constant(2))),
        ("rsh x", .arithmetic(.shiftRight, .x)),
        ("neg", .negate),
        ("tax", .tax),
        ("txa", .txa),
        ("ret a", .returnA),
        ("ret %a", .returnA),
        ("ret #0x40000", .returnConstant(0x40000)),
        ("LD [12]", .loadAbsolute(.word, offset: 12)),
        ("Ret #1", .returnConstant(1)),
        ("ld [-1048576]", .loadAbsolute(.word, offset: SpecialOffset.network)),
        ("ldb [-2097152]", .loadAbsolute(.byte, offset: SpecialOffset.linkLayer)),
        ("ld [-4056]", .loadAncillary(.xorX, size: .word)),
        ("ld [0xfffff000]", .loadAncillary(.protocol, size: .word)),
    ])
    func assemblesOneInstruction(source: String, expected: Instruction) throws {
        let program = try Assembler.assemble(source)
        #expect(program.instructions == [expected])
    }

    @Test func assemblesEveryExtension() throws {
        let spellings: [(String, AncillaryField)] = [
            ("proto", .protocol), ("type", .packetType), ("ifidx", .interfaceIndex), ("nla", .netlinkAttribute),
            ("nlan", .netlinkAttributeNested), ("mark", .mark), ("queue", .queue), ("hatype", .hardwareType),
            ("rxhash", .rxHash), ("cpu", .cpu), ("vlan_tci", .vlanTag), ("vlan_avail", .vlanTagPresent),
            ("vlan_pr", .vlanTagPresent), ("poff", .payloadOffset), ("rand", .random), ("vlan_tpid", .vlanProtocol),
        ]
        for (name, field) in spellings {
            for (mnemonic, size) in [("ld", LoadSize.word), ("ldh", .halfword), ("ldb", .byte)] {
                #expect(try Assembler.assemble("\(mnemonic) #\(name)").instructions == [.loadAncillary(field, size: size)])
                #expect(try Assembler.assemble("\(mnemonic) \(name.uppercased())").instructions == [.loadAncillary(field, size: size)])
            }
        }
        // Every field but SKF_AD_ALU_XOR_X, which bpf_exp.l does not name.
        #expect(Set(spellings.map(\.1)) == Set(AncillaryField.allCases).subtracting([.xorX]))
    }

    @Test(arguments: [
        ("0", UInt32(0)), ("42", 42), ("+42", 42), ("0x2A", 42), ("0X2a", 42), ("052", 42), ("0b101010", 42),
        ("0B101010", 42), ("4294967295", 0xffff_ffff), ("0xffffffff", 0xffff_ffff), ("-1", 0xffff_ffff),
        ("-2147483648", 0x8000_0000), ("0xFFFFF000", SpecialOffset.ancillary),
    ])
    func readsNumberFormats(literal: String, value: UInt32) throws {
        #expect(try Assembler.assemble("ret #\(literal)").instructions == [.returnConstant(value)])
    }

    @Test func skipsCommentsAndBlankLines() throws {
        let source = """
            # a cpp line marker, or any line that starts with #

            ; a comment
            ld #1 ; after an instruction
            /* a comment
               over lines */ ld #2
            ld /* inside */ #3

            ret a
            """
        let program = try Assembler.assemble(source)
        #expect(program.instructions == [.loadImmediate(.a, 1), .loadImmediate(.a, 2), .loadImmediate(.a, 3), .returnA])
    }

    @Test func emptySourceIsAnEmptyProgram() throws {
        #expect(try Assembler.assemble("").instructions.isEmpty)
        #expect(try Assembler.assemble("; nothing\n\n").instructions.isEmpty)
    }

    // MARK: Jumps

    @Test func conditionalJumpForms() throws {
        let source = """
            jeq #1, a2, a3
            jeq #1, a3
            jneq #1, a3
            jne x, a3
            jlt #5, a3
            jle x, a3
            jgt #5, a3
            jge %x, a3, a2x
            jset #4, a3
        a2: a2x: ja a3
        a3: ret #0
        """
        let program = try Assembler.assemble(source)
        #expect(program.instructions == [
            .conditionalJump(.equal, .constant(1), ifTrue: 8, ifFalse: 9),
            .conditionalJump(.equal, .constant(1), ifTrue: 8, ifFalse: 0),
            .conditionalJump(.equal, .constant(1), ifTrue: 0, ifFalse: 7),
            .conditionalJump(.equal, .x, ifTrue: 0, ifFalse: 6),
            .conditionalJump(.greaterOrEqual, .constant(5), ifTrue: 0, ifFalse: 5),
            .conditionalJump(.greaterThan, .x, ifTrue: 0, ifFalse: 4),
            .conditionalJump(.greaterThan, .constant(5), ifTrue: 3, ifFalse: 0),
            .conditionalJump(.greaterOrEqual, .x, ifTrue: 2, ifFalse: 1),
            .conditionalJump(.bitsSet, .constant(4), ifTrue: 1, ifFalse: 0),
            .jump(offset: 0),
            .returnConstant(0),
        ])
    }

    @Test func negatedJumpsWithTwoTargetsSwapThem() throws {
        let program = try Assembler.assemble("""
            jneq #1, ne, eq
            jlt #1, ne, eq
        eq: ret #1
        ne: ret #2
        """)
        #expect(program.instructions[0] == .conditionalJump(.equal, .constant(1), ifTrue: 1, ifFalse: 2))
        #expect(program.instructions[1] == .conditionalJump(.greaterOrEqual, .constant(1), ifTrue: 0, ifFalse: 1))
    }

    @Test func labelsAreCaseSensitiveAndMnemonicsAreNot() throws {
        let program = try Assembler.assemble("JEQ #1, Drop\nRET #1\nDrop: RET #0")
        #expect(program.instructions[0] == .conditionalJump(.equal, .constant(1), ifTrue: 1, ifFalse: 0))
        #expect(throws: AssemblyError(.undefinedLabel("drop"), at: SourcePosition(line: 1, column: 9))) {
            try Assembler.assemble("jeq #1, drop\nret #1\nDrop: ret #0")
        }
    }

    // MARK: Long jumps

    /// `count` instructions that change nothing.
    static func filler(_ count: Int) -> String {
        String(repeating: "    add #0\n", count: count)
    }

    @Test func farConditionalJumpsGoThroughTrampolines() throws {
        // Both targets of the jgt are more than 255 instructions away.
        let source = """
                ld #len
                jgt #100, big, small
            \(Self.filler(300))
            small:
                ret #3
            \(Self.filler(300))
            big:
                ret #5
            """
        let program = try Assembler.assemble(source)
        try Verifier.verify(program, for: .socket)
        #expect(program.count == 2 + 2 + 300 + 1 + 300 + 1)
        #expect(program.instructions[1] == .conditionalJump(.greaterThan, .constant(100), ifTrue: 0, ifFalse: 1))
        #expect(program.instructions[2] == .jump(offset: 602))
        #expect(program.instructions[3] == .jump(offset: 300))

        let harness = try DatagramFilterHarness(program)
        #expect(try harness.filter([UInt8](repeating: 1, count: 50)) == 3)
        #expect(try harness.filter([UInt8](repeating: 1, count: 200)) == 5)
        let interpreter = try Interpreter(program)
        #expect(interpreter.run(packet: [UInt8](repeating: 1, count: 50)) == 3)
        #expect(interpreter.run(packet: [UInt8](repeating: 1, count: 200)) == 5)
    }

    @Test func jumpsOf255FitAndOf256DoNot() throws {
        let near = try Assembler.assemble("jeq #1, t\n\(Self.filler(255))t: ret #0")
        #expect(near.instructions[0] == .conditionalJump(.equal, .constant(1), ifTrue: 255, ifFalse: 0))
        #expect(near.count == 257)
        let far = try Assembler.assemble("jeq #1, t\n\(Self.filler(256))t: ret #0")
        #expect(far.instructions[0] == .conditionalJump(.equal, .constant(1), ifTrue: 0, ifFalse: 1))
        #expect(far.instructions[1] == .jump(offset: 256))
        #expect(far.count == 259)
        try Verifier.verify(far, for: .socket)
    }

    @Test func trampolinesThatPushOtherJumpsOutOfReachAreLaidOutAgain() throws {
        // The first jump reaches `near` with offset 255 until the second jump's trampoline
        // is placed between them; then it needs one too.
        let source = """
                ld #len
                jeq #10, near
                jeq #20, far
            \(Self.filler(254))
            near:
                ret #3
            \(Self.filler(300))
            far:
                ret #5
                ret #7
            """
        let program = try Assembler.assemble(source)
        try Verifier.verify(program, for: .socket)
        #expect(program.instructions[1] == .conditionalJump(.equal, .constant(10), ifTrue: 0, ifFalse: 1))
        #expect(program.instructions[3] == .conditionalJump(.equal, .constant(20), ifTrue: 0, ifFalse: 1))
        let harness = try DatagramFilterHarness(program)
        #expect(try harness.filter([UInt8](repeating: 0, count: 10)) == 3)
        #expect(try harness.filter([UInt8](repeating: 0, count: 20)) == 5)
        #expect(try harness.filter([UInt8](repeating: 0, count: 30)) == 3)
    }

    @Test func bothTargetsFarAndEqualShareOneTrampoline() throws {
        let program = try Assembler.assemble("jset #1, t, t\n\(Self.filler(300))t: ret #0")
        #expect(program.instructions[0] == .conditionalJump(.bitsSet, .constant(1), ifTrue: 0, ifFalse: 0))
        #expect(program.instructions[1] == .jump(offset: 300))
        #expect(program.count == 303)
    }

    /// bpf_asm stores `(uint32_t)(target - pc - 1)` in a `ja`'s k (tools/bpf/bpf_exp.y,
    /// bpf_reduce_k_jumps), so a backward `ja` wraps around, as in libpcap's protochain loop;
    /// the listing names the real target and reads back to the same bytes.
    @Test func backwardUnconditionalJumpsWrapAroundAsInBpfAsm() throws {
        let program = try Assembler.assemble("top: ld #1\nja top\nself: ja self\nret #0")
        #expect(program.instructions[1] == .jump(offset: 0xffff_fffe))
        #expect(program.instructions[2] == .jump(offset: 0xffff_ffff))
        let listing = BPFAsmFormat.disassemble(program)
        #expect(listing.contains("ja l0") && listing.contains("ja l2"), "\(listing)")
        #expect(try Assembler.assemble(listing) == program)
        #expect(throws: VerificationError.self) { try Verifier.verify(program, for: .socket) }
    }

    @Test func unconditionalJumpsNeedNoTrampoline() throws {
        let program = try Assembler.assemble("ja t\n\(Self.filler(5000))t: ret #0")
        #expect(program.instructions[0] == .jump(offset: 5000))
        #expect(program.count == 5002)
    }

    // MARK: Errors

    @Test(arguments: [
        ("ld #1\nret a\n    lod [12]", "3:5: unknown mnemonic \"lod\""),
        ("ja drop\nret #0", "1:4: undefined label \"drop\""),
        ("a1: ld #1\na1: ret #0", "2:1: duplicate label \"a1\" (first defined at 1:1)"),
        ("top: ld #1\njeq #1, top\nret #0",
         "2:9: jump target is backwards: \"top\" is not after the jump (classic BPF jumps only forward)"),
        ("ret #4294967296", "1:6: number \"4294967296\" is out of range (k is 32 bits: -2147483648 to 4294967295)"),
        ("ret #0x100000000", "1:6: number \"0x100000000\" is out of range (k is 32 bits: -2147483648 to 4294967295)"),
        ("ld [-2147483649]", "1:5: number \"-2147483649\" is out of range (k is 32 bits: -2147483648 to 4294967295)"),
        ("ret #08", "1:6: invalid number \"08\""),
        ("ret #0x", "1:6: invalid number \"0x\""),
        ("ret #12ab", "1:6: invalid number \"12ab\""),
        ("ret #1 @", "1:8: unknown character \"@\""),
        ("ret #1 é", "1:8: unknown character \"é\""),
        ("ld #1 /* never closed\nret a", "1:7: comment opened with \"/*\" is never closed"),
        ("ret x", "1:5: \"ret x\" is not an instruction the Linux kernel accepts; use \"txa\" and \"ret a\""),
        ("ldxb 2*([14]&0xf)", "1:6: the multiplier must be 4: only \"4*([k]&0xf)\" exists"),
        ("ldxb 4*([14]&0xff)", "1:14: the mask must be 0xf: only \"4*([k]&0xf)\" exists"),
        ("ldx #proto", "1:5: \"ldx\" cannot load ancillary data; use \"ld\" and \"tax\""),
        ("ld\nret #0", "1:3: expected \"#k\", \"#len\", \"M[k]\", \"[k]\", \"[x + k]\" or an extension, found end of line"),
        ("ldh #1", "1:5: expected \"[k]\", \"[x + k]\" or an extension, found \"#\""),
        ("ldh #len", "1:5: the packet length is a word: use \"ld #len\""),
        ("ld [x - 4]", "1:7: expected \"+\" after \"x\", found \"-\""),
        ("ld [12", "1:7: expected \"]\", found end of input"),
        ("jeq #1 drop", "1:8: expected \",\" and a label, found \"drop\""),
        ("jeq #1, 5", "1:9: expected a label, found \"5\""),
        ("add 1", "1:5: expected \"#k\" or \"x\", found \"1\""),
        ("ret", "1:4: expected \"#k\" or \"a\", found end of input"),
        ("5: ret #0", "1:1: expected a mnemonic or a label, found \"5\""),
        ("drop:", "1:1: label \"drop\" is not followed by an instruction"),
        ("ld #- 1", "1:5: expected a number, found \"-\""),
        ("st [3]", "1:4: expected \"M[k]\", found \"[\""),
    ])
    func reportsErrorsWithPositions(source: String, message: String) {
        do {
            let program = try Assembler.assemble(source)
            Issue.record("assembled to \(program)")
        } catch {
            #expect(error.description == message)
        }
    }

    // MARK: Disassembly

    @Test func disassemblesWithGeneratedLabels() throws {
        let program = Program([
            .loadAbsolute(.halfword, offset: 12),
            .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 3),
            .loadIndirect(.byte, offset: 0xffff_fffe),
            .conditionalJump(.greaterThan, .x, ifTrue: 1, ifFalse: 0),
            .jump(offset: 1),
            .loadAncillary(.xorX, size: .word),
            .conditionalJump(.bitsSet, .constant(1), ifTrue: 0, ifFalse: 1),
            .returnA,
            .returnConstant(0),
        ])
        let text = BPFAsmFormat.disassemble(program)
        #expect(text == """
            \tldh [12]
            \tjneq #0x800, l5
            \tldb [x + -2]
            \tjgt x, l5
            \tja l6
            l5:\tld [-4056]
            l6:\tjset #0x1, l7, l8
            l7:\tret a
            l8:\tret #0x0

            """)
        #expect(try Assembler.assemble(text) == program)
    }

    @Test func disassemblyOfTheDNSFilterAssemblesBack() throws {
        let program = try Assembler.assemble(Self.dnsFilter)
        #expect(try Assembler.assemble(BPFAsmFormat.disassemble(program)) == program)
    }

    /// A random instruction valid at `index` of a program of `count` instructions: jumps land
    /// inside the program, and the decoder's canonical form (ancillary offsets decode as
    /// `loadAncillary`).
    static func randomInstruction(at index: Int, of count: Int, using generator: inout FuzzRandom) -> Instruction {
        func constant() -> UInt32 {
            switch Int.random(in: 0 ..< 4, using: &generator) {
            case 0: UInt32.random(in: 0 ... 16, using: &generator)
            case 1: UInt32.random(in: 0 ... 0xffff, using: &generator)
            case 2: UInt32.random(in: 0xffff_f000 ... 0xffff_ffff, using: &generator)
            default: UInt32.random(in: 0 ... .max, using: &generator)
            }
        }
        func operand() -> Operand { Bool.random(using: &generator) ? .x : .constant(constant()) }
        let size = LoadSize.allCases.randomElement(using: &generator)!
        let register = Register.allCases.randomElement(using: &generator)!
        let reach = count - 2 - index  // the farthest forward offset that stays inside
        if reach < 0 {
            return Bool.random(using: &generator) ? .returnA : .returnConstant(constant())
        }
        let instruction: Instruction = switch Int.random(in: 0 ..< 16, using: &generator) {
        case 0: .loadAbsolute(size, offset: constant())
        case 1: .loadIndirect(size, offset: constant())
        case 2: .loadAncillary(AncillaryField.allCases.randomElement(using: &generator)!, size: size)
        case 3: .loadImmediate(register, constant())
        case 4: .loadScratch(register, slot: UInt32.random(in: 0 ..< 16, using: &generator))
        case 5: .loadLength(register)
        case 6: .loadIPv4HeaderLength(offset: constant())
        case 7: .store(register, slot: UInt32.random(in: 0 ..< 16, using: &generator))
        case 8: .arithmetic(ArithmeticOperation.allCases.randomElement(using: &generator)!, operand())
        case 9: .negate
        case 10: .jump(offset: UInt32.random(in: 0 ... UInt32(reach), using: &generator))
        case 11, 12:
            .conditionalJump(
                JumpTest.allCases.randomElement(using: &generator)!, operand(),
                ifTrue: UInt8.random(in: 0 ... UInt8(min(reach, 255)), using: &generator),
                ifFalse: Bool.random(using: &generator)
                    ? 0 : UInt8.random(in: 0 ... UInt8(min(reach, 255)), using: &generator))
        case 13: Bool.random(using: &generator) ? .returnA : .returnConstant(constant())
        case 14: .tax
        default: .txa
        }
        return (try? Instruction(raw: instruction.raw)) ?? instruction
    }

    @Test func disassemblyAssemblesBackToTheSameProgram() throws {
        var generator = FuzzRandom(seed: 0x5eed)
        var instructionCount = 0
        for _ in 0 ..< 1000 {
            let count = Int.random(in: 1 ... 400, using: &generator)
            let program = Program((0 ..< count).map { Self.randomInstruction(at: $0, of: count, using: &generator) })
            instructionCount += count
            let text = BPFAsmFormat.disassemble(program)
            let assembled = try Assembler.assemble(text)
            #expect(assembled == program, "\(text)")
            #expect(assembled.raw == program.raw)
            if assembled != program { return }
        }
        #expect(instructionCount > 100_000)
    }
}
