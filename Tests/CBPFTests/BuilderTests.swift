import CBPF
import Testing

/// Drops everything but IPv4, as a reusable component.
private struct DropUnlessIPv4: ProgramComponent {
    var drop: Label

    var fragment: ProgramFragment {
        ProgramFragment {
            Load.absolute(.halfword, 12)
            Jump(if: .notEqual, 0x800, then: drop)
        }
    }
}

@Suite("Assembler: builder DSL")
struct BuilderTests {
    @Test func theIssueExampleBuildsAndRuns() throws {
        let program = try Program {
            Load.absolute(.halfword, 12)
            Jump(if: .equal, 0x800, else: "drop")
            Return(0xffff)
            Label("drop")
            Return(0)
        }
        #expect(program.instructions == [
            .loadAbsolute(.halfword, offset: 12),
            .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),
            .returnConstant(0xffff),
            .returnConstant(0),
        ])
        #expect(program == (try Assembler.assemble("ldh [12]\njeq #0x800, accept, drop\naccept: ret #0xffff\ndrop: ret #0")))

        let harness = try DatagramFilterHarness(program)
        let ipv4 = [UInt8](repeating: 0, count: 12) + [0x08, 0x00, 1, 2]
        #expect(try harness.filter(ipv4) == ipv4.count)
        #expect(try harness.filter([UInt8](repeating: 0, count: 12) + [0x86, 0xdd]) == nil)
    }

    @Test func everyInstructionKind() throws {
        let program = try Program {
            Load.absolute(.word, 0)
            Load.absolute(.byte, SpecialOffset.network)
            Load.absolute(.word, SpecialOffset.ancillary)
            Load.indirect(.halfword, 2)
            Load.ancillary(.vlanTag)
            Load.ancillary(.protocol, size: .halfword)
            Load.immediate(7)
            Load.immediate(8, into: .x)
            Load.scratch(1)
            Load.scratch(2, into: .x)
            Load.length
            Load.length(into: .x)
            Load.ipv4HeaderLength(at: 14)
            Store(slot: 3)
            Store(slot: 4, from: .x)
            Arithmetic(.add, 1)
            Arithmetic(.shiftRight, .x)
            Negate()
            Transfer.aToX
            Transfer.xToA
            Return.accumulator
            Return(1)
        }
        #expect(program.instructions == [
            .loadAbsolute(.word, offset: 0),
            .loadAbsolute(.byte, offset: SpecialOffset.network),
            .loadAncillary(.protocol, size: .word),
            .loadIndirect(.halfword, offset: 2),
            .loadAncillary(.vlanTag, size: .word),
            .loadAncillary(.protocol, size: .halfword),
            .loadImmediate(.a, 7),
            .loadImmediate(.x, 8),
            .loadScratch(.a, slot: 1),
            .loadScratch(.x, slot: 2),
            .loadLength(.a),
            .loadLength(.x),
            .loadIPv4HeaderLength(offset: 14),
            .store(.a, slot: 3),
            .store(.x, slot: 4),
            .arithmetic(.add, .constant(1)),
            .arithmetic(.shiftRight, .x),
            .negate,
            .tax,
            .txa,
            .returnA,
            .returnConstant(1),
        ])
    }

    @Test func conditionalTargetsDefaultToTheNextInstruction() throws {
        let program = try Program {
            Jump(if: .equal, 1, then: "end")
            Jump(if: .equal, 2, else: "end")
            Jump(if: .greaterThan, .x, then: "end", else: "end")
            Jump(if: .bitsSet, 4)
            Jump(to: "end")
            Label("end")
            Return(0)
        }
        #expect(program.instructions == [
            .conditionalJump(.equal, .constant(1), ifTrue: 4, ifFalse: 0),
            .conditionalJump(.equal, .constant(2), ifTrue: 0, ifFalse: 3),
            .conditionalJump(.greaterThan, .x, ifTrue: 2, ifFalse: 2),
            .conditionalJump(.bitsSet, .constant(4), ifTrue: 0, ifFalse: 0),
            .jump(offset: 0),
            .returnConstant(0),
        ])
    }

    @Test(arguments: [
        (JumpCondition.equal, JumpTest.equal, false), (.notEqual, .equal, true),
        (.greaterThan, .greaterThan, false), (.greaterOrEqual, .greaterOrEqual, false),
        (.lessThan, .greaterOrEqual, true), (.lessOrEqual, .greaterThan, true),
        (.bitsSet, .bitsSet, false), (.bitsClear, .bitsSet, true),
    ])
    func negatedConditionsSwapTargets(condition: JumpCondition, test: JumpTest, swapped: Bool) throws {
        let program = try Program {
            Jump(if: condition, 9, then: "yes", else: "no")
            Label("yes")
            Return(1)
            Label("no")
            Return(0)
        }
        #expect(program.instructions[0] == .conditionalJump(
            test, .constant(9), ifTrue: swapped ? 1 : 0, ifFalse: swapped ? 0 : 1))
        // The condition means what it says, for every A.
        for a in [0, 1, 8, 9, 10, 0xffff_ffff] as [UInt32] {
            let holds = switch condition {
            case .equal: a == 9
            case .notEqual: a != 9
            case .greaterThan: a > 9
            case .greaterOrEqual: a >= 9
            case .lessThan: a < 9
            case .lessOrEqual: a <= 9
            case .bitsSet: a & 9 != 0
            case .bitsClear: a & 9 == 0
            }
            let withA = try Program {
                Load.immediate(a)
                Jump(if: condition, 9, then: "yes", else: "no")
                Label("yes")
                Return(1)
                Label("no")
                Return(0)
            }
            #expect(try Interpreter(withA).run(packet: []) == (holds ? 1 : 0), "A = \(a)")
        }
    }

    @Test func labelValuesComponentsAndControlFlow() throws {
        let drop: Label = "drop"
        let matchUDP = true
        let ports: [UInt32] = [53, 853]
        let program = try Program {
            DropUnlessIPv4(drop: drop)
            if matchUDP {
                Load.absolute(.byte, 23)
                Jump(if: .notEqual, 17, then: drop)
            } else {
                Return(0)
            }
            Load.ipv4HeaderLength(at: 14)
            Load.indirect(.halfword, 16)
            for port in ports {
                Jump(if: .equal, port, then: "accept")
            }
            Jump(to: drop)
            Label("accept")
            Return(0xffff_ffff)
            drop
            Return(0)
        }
        let expected = try Assembler.assemble("""
                ldh [12]
                jneq #0x800, drop
                ldb [23]
                jneq #17, drop
                ldxb 4*([14]&0xf)
                ldh [x + 16]
                jeq #53, accept
                jeq #853, accept
                ja drop
            accept:
                ret #-1
            drop:
                ret #0
            """)
        #expect(program == expected)
        try Verifier.verify(program, for: .socket)
    }

    @Test func longJumpsMatchTheAssembler() throws {
        let program = try Program {
            Load.length
            Jump(if: .greaterThan, 100, then: "big", else: "small")
            for _ in 0 ..< 300 { Arithmetic(.add, 0) }
            Label("small")
            Return(3)
            for _ in 0 ..< 300 { Arithmetic(.add, 0) }
            Label("big")
            Return(5)
        }
        let text = "ld #len\njgt #100, big, small\n" + String(repeating: "add #0\n", count: 300)
            + "small: ret #3\n" + String(repeating: "add #0\n", count: 300) + "big: ret #5\n"
        #expect(program == (try Assembler.assemble(text)))
        try Verifier.verify(program, for: .socket)
        let interpreter = try Interpreter(program)
        #expect(interpreter.run(packet: [UInt8](repeating: 0, count: 100)) == 3)
        #expect(interpreter.run(packet: [UInt8](repeating: 0, count: 101)) == 5)
    }

    @Test func errorsNameTheLabel() {
        #expect(throws: AssemblyError(.undefinedLabel("drop"))) {
            try Program {
                Jump(if: .equal, 1, else: "drop")
                Return(0)
            }
        }
        #expect(throws: AssemblyError(.duplicateLabel("l", firstDefinition: nil))) {
            try Program {
                Label("l")
                Return(1)
                Label("l")
                Return(0)
            }
        }
        #expect(throws: AssemblyError(.backwardJump(label: "top"))) {
            try Program {
                Label("top")
                Load.immediate(1)
                Jump(to: "top")
                Return(0)
            }
        }
        #expect(throws: AssemblyError(.labelWithoutInstruction("end"))) {
            try Program {
                Return(0)
                Label("end")
            }
        }
        let error = AssemblyError(.undefinedLabel("drop"))
        #expect(error.description == "undefined label \"drop\"")
    }

    @Test func emptyBuilderIsAnEmptyProgram() throws {
        #expect(try Program {}.instructions.isEmpty)
        #expect(try Program { ProgramFragment() }.instructions.isEmpty)
    }
}
