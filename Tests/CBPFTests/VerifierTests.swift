import CBPF
import CBPFFuzz
import Testing

/// Each rule of the kernel's checker, one broken program each: our verdict names the rule and
/// the instruction, and the kernel (`SO_ATTACH_FILTER` on an AF_UNIX socketpair) agrees that
/// the program is invalid.
@Suite struct VerifierTests {
    static let ok = RawInstruction(code: 0x06, k: 0xffff)  // ret #0xffff

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var program: [RawInstruction]
        var rule: VerificationRule
        var index: Int?
        var testDescription: String { name }
    }

    static let socketCases: [Case] = [
        Case(name: "empty", program: [], rule: .empty, index: nil),
        Case(name: "too long", program: Array(repeating: ok, count: 4097),
             rule: .tooLong(count: 4097, limit: 4096), index: nil),
        Case(name: "unknown opcode", program: [RawInstruction(code: 0x0d), ok],
             rule: .unknownOpcode(0x0d), index: 0),
        Case(name: "ld h imm is not an opcode", program: [RawInstruction(code: 0x08, k: 1), ok],
             rule: .unknownOpcode(0x08), index: 0),
        Case(name: "div #0", program: [RawInstruction(code: 0x34, k: 0), ok], rule: .divisionByZero, index: 0),
        Case(name: "mod #0", program: [RawInstruction(code: 0x94, k: 0), ok], rule: .divisionByZero, index: 0),
        Case(name: "lsh #32", program: [RawInstruction(code: 0x64, k: 32), ok], rule: .shiftOutOfRange(32), index: 0),
        Case(name: "rsh #40", program: [RawInstruction(code: 0x74, k: 40), ok], rule: .shiftOutOfRange(40), index: 0),
        Case(name: "M[16]", program: [RawInstruction(code: 0x02, k: 16), ok],
             rule: .scratchSlotOutOfRange(16), index: 0),
        Case(name: "ja past the end", program: [RawInstruction(code: 0x05, k: 1), ok],
             rule: .jumpOutOfRange(target: 2), index: 0),
        Case(name: "ja wrapping around backwards", program: [ok, RawInstruction(code: 0x05, k: 0xffff_fffe), ok],
             rule: .backwardJump(target: 0), index: 1),
        Case(name: "jeq past the end", program: [RawInstruction(code: 0x15, jt: 0, jf: 1, k: 1), ok],
             rule: .jumpOutOfRange(target: 2), index: 0),
        Case(name: "unknown ancillary", program: [RawInstruction(code: 0x20, k: 0xffff_f000 + 64), ok],
             rule: .unknownAncillaryField(0xffff_f040), index: 0),
        Case(name: "no ret at the end", program: [ok, RawInstruction(code: 0x00, k: 1)],
             rule: .lastInstructionNotReturn, index: 1),
        Case(
            name: "scratch read unwritten on one path",
            program: [
                RawInstruction(code: 0x15, jt: 0, jf: 1, k: 1),  // jeq #1, 1, 2
                RawInstruction(code: 0x02, k: 3),  // st M[3]
                RawInstruction(code: 0x60, k: 3),  // ld M[3]
                ok,
            ],
            rule: .uninitializedScratchRead(slot: 3), index: 2),
    ]

    @Test(arguments: socketCases)
    func rejectsLikeTheKernel(_ broken: Case) throws {
        #expect(throws: VerificationError.self) { try Verifier.verify(raw: broken.program, for: .socket) }
        do {
            try Verifier.verify(raw: broken.program, for: .socket)
        } catch {
            #expect(error.rule == broken.rule)
            #expect(error.index == broken.index)
            #expect(!error.description.isEmpty)
        }
        #expect(try kernelAccepts(broken.program) == false)
    }

    /// The kernel does not reset the set of written slots after a `ret`: code after it that
    /// only falls through from the `ret` sees the slots written before.
    @Test func scratchStateFlowsPastReturnLikeTheKernel() throws {
        let program = [
            RawInstruction(code: 0x02, k: 0),  // st M[0]
            RawInstruction(code: 0x06, k: 0),  // ret #0
            RawInstruction(code: 0x60, k: 0),  // ld M[0]
            RawInstruction(code: 0x16),  // ret a
        ]
        try Verifier.verify(raw: program, for: .socket)
        #expect(try kernelAccepts(program) == true)
    }

    @Test func acceptsEveryAncillaryField() throws {
        for field in AncillaryField.allCases {
            for size in LoadSize.allCases {
                let program = Program([.loadAncillary(field, size: size), .returnA])
                try Verifier.verify(program, for: .socket)
                #expect(try kernelAccepts(program.raw) == true, "\(field) \(size)")
            }
        }
    }

    @Test func seccompProfile() throws {
        let allow = RawInstruction(code: 0x06, k: 0x7fff_0000)
        func rule(_ program: [RawInstruction]) -> VerificationRule? {
            do {
                try Verifier.verify(raw: program, for: .seccomp)
                return nil
            } catch {
                return error.rule
            }
        }
        #expect(rule([RawInstruction(code: 0x20, k: 0), allow]) == nil)  // ld [0]: nr
        #expect(rule([RawInstruction(code: 0x20, k: 60), allow]) == nil)  // last word of args[5]
        #expect(rule([RawInstruction(code: 0x20, k: 64), allow]) == .seccompLoadOutOfBounds(offset: 64))
        #expect(rule([RawInstruction(code: 0x20, k: 2), allow]) == .seccompLoadOutOfBounds(offset: 2))
        #expect(rule([RawInstruction(code: 0x28, k: 0), allow]) == .notAllowedInSeccomp)  // ldh
        #expect(rule([RawInstruction(code: 0x40, k: 0), allow]) == .notAllowedInSeccomp)  // ld [x+0]
        #expect(rule([RawInstruction(code: 0x94, k: 3), allow]) == .notAllowedInSeccomp)  // mod
        #expect(rule([RawInstruction(code: 0xb1, k: 0), allow]) == .notAllowedInSeccomp)  // ldxb msh
        #expect(rule([RawInstruction(code: 0x80), allow]) == nil)  // ld len
        #expect(rule([RawInstruction(code: 0x20, k: 0xffff_f000), allow]) == .seccompLoadOutOfBounds(offset: 0xffff_f000))
    }

    @Test func xtBPFLimit() throws {
        let ret = RawInstruction(code: 0x06, k: 1)
        try Verifier.verify(raw: Array(repeating: ret, count: 64), for: .iptables)
        #expect(throws: VerificationError.self) {
            try Verifier.verify(raw: Array(repeating: ret, count: 65), for: .iptables)
        }
        try Verifier.verify(raw: Array(repeating: ret, count: 65), for: .trafficControl)
    }

    @Test func errorNamesIndexInstructionAndRule() {
        let program = [RawInstruction(code: 0x06, k: 0), RawInstruction(code: 0x34, k: 0), Self.ok]
        do {
            try Verifier.verify(raw: program, for: .socket)
            Issue.record("accepted division by zero")
        } catch {
            #expect(error.description == "socket: instruction 1 (div #0x0): division by the constant 0")
        }
    }
}

/// Whether the kernel's checker accepts a program (`SO_ATTACH_FILTER` on an AF_UNIX socketpair).
func kernelAccepts(_ program: [RawInstruction]) throws -> Bool {
    switch try SocketOracle().attach(program) {
    case .accepted, .acceptedOverBudget: return true
    case .rejected: return false
    case .failed(let code): throw OracleUnavailable("SO_ATTACH_FILTER failed with errno \(code)")
    }
}
