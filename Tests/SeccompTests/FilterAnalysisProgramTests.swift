import CBPF
import CBPFFuzz
import Seccomp
import Testing

/// The analysis on programs no policy compiler writes: random ones, and hand-written ones with
/// arithmetic, the X register, scratch memory, the instruction pointer and its bounds.
@Suite("seccomp filter analysis of any program")
struct FilterAnalysisProgramTests {
    static let x86_64 = AuditArchitecture.x86_64.rawValue
    static let allow = SeccompAction.allowValue
    static let kill = SeccompAction.killProcessValue

    /// Probes around every constant a program compares with, in every word, plus the analysis's
    /// own probes and random ones.
    static func probes(for program: Program, analysis: SeccompFilterAnalysis, seed: UInt64) -> [SeccompData] {
        var random = FuzzRandom(seed: seed)
        var constants: [UInt32] = [0, 1, .max, 0x4000_0000, x86_64]
        for case .conditionalJump(_, .constant(let k), _, _) in program.instructions {
            constants += [k, k &+ 1, k &- 1, ~k]
        }
        var probes = analysisProbes(analysis, seed: seed)
        for _ in 0 ..< 300 {
            var words = [UInt32: UInt32]()
            for offset in stride(from: UInt32(0), to: 64, by: 4) {
                words[offset] = random.chance(3, in: 4) ? random.element(of: constants) : random.word()
            }
            probes.append(SeccompFilterComparison.example(
                architecture: words[4]!, number: words[0]!, words: words))
        }
        return probes
    }

    /// Where the analysis decides, it decides as the interpreter; it never guesses.
    static func expectNoGuess(_ program: Program, _ analysis: SeccompFilterAnalysis, seed: UInt64,
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> (determined: Int, total: Int) {
        let interpreter = try Interpreter(program, for: .seccomp)
        var determined = 0
        let probes = probes(for: program, analysis: analysis, seed: seed)
        for data in probes {
            let expected = SeccompAction(returnValue: interpreter.run(seccomp: data))
            switch analysis.outcome(for: data) {
            case .action(let action):
                determined += 1
                #expect(action == expected, "\(program.raw) on \(data): analysis \(action), interpreter \(expected)",
                        sourceLocation: sourceLocation)
            case .undetermined:
                break
            }
        }
        return (determined, probes.count)
    }

    @Test func randomProgramsAreNeverGuessed() throws {
        var generator = ProgramGenerator(seed: 0xf0e)
        var determined = 0
        var total = 0
        var complete = 0
        let count = 400
        for index in 0 ..< count {
            let testCase = generator.seccompCase(architecture: Self.x86_64, instructionPointer: 0x40_1000)
            let analysis = try SeccompFilterAnalysis(testCase.program)
            if analysis.isComplete { complete += 1 }
            let counts = try Self.expectNoGuess(testCase.program, analysis, seed: UInt64(index))
            determined += counts.determined
            total += counts.total
        }
        print("forensics: \(count) random seccomp programs, \(complete) analysed completely; \(determined) of \(total) "
              + "probes determined, every one as the interpreter decides")
        #expect(complete > 200)
    }

    func program(_ instructions: [Instruction]) -> Program { Program(instructions) }

    @Test func transformsOfWordsAreFollowed() throws {
        let programs: [[Instruction]] = [
            // (nr - 100) > 10, with wrap-around.
            [.loadAbsolute(.word, offset: 0), .arithmetic(.subtract, .constant(100)),
             .conditionalJump(.greaterThan, .constant(10), ifTrue: 0, ifFalse: 1),
             .returnConstant(SeccompAction.errnoValue | 1), .returnConstant(Self.allow)],
            // ((arg0 | 1) ^ 3) & 0xff == 2
            [.loadAbsolute(.word, offset: 16), .arithmetic(.or, .constant(1)), .arithmetic(.xor, .constant(3)),
             .arithmetic(.and, .constant(0xff)), .conditionalJump(.equal, .constant(2), ifTrue: 0, ifFalse: 1),
             .returnConstant(Self.allow), .returnConstant(SeccompAction.errnoValue | 2)],
            // arg1 > X = 5; 7 > arg0 through X; the number through scratch memory.
            [.loadAbsolute(.word, offset: 0), .store(.a, slot: 3), .loadImmediate(.x, 5), .loadAbsolute(.word, offset: 24),
             .conditionalJump(.greaterThan, .x, ifTrue: 0, ifFalse: 1), .returnConstant(SeccompAction.trapValue | 9),
             .loadAbsolute(.word, offset: 16), .tax, .loadImmediate(.a, 7),
             .conditionalJump(.greaterThan, .x, ifTrue: 0, ifFalse: 3),
             .loadScratch(.a, slot: 3), .conditionalJump(.equal, .constant(39), ifTrue: 0, ifFalse: 1),
             .returnConstant(Self.allow), .returnConstant(SeccompAction.errnoValue | 3)],
            // The x32 bit by jset; jset on arguments.
            [.loadAbsolute(.word, offset: 4), .conditionalJump(.equal, .constant(Self.x86_64), ifTrue: 1, ifFalse: 0),
             .returnConstant(Self.kill), .loadAbsolute(.word, offset: 0),
             .conditionalJump(.bitsSet, .constant(0x4000_0000), ifTrue: 0, ifFalse: 1), .returnConstant(Self.kill),
             .loadAbsolute(.word, offset: 20), .conditionalJump(.bitsSet, .constant(0x8000_0001), ifTrue: 1, ifFalse: 0),
             .returnConstant(Self.allow), .returnConstant(SeccompAction.errnoValue | 4)],
            // Arithmetic that folds away: mul #1, lsh #0, and a constant A compared with nothing read.
            [.loadAbsolute(.word, offset: 16), .arithmetic(.multiply, .constant(1)), .arithmetic(.shiftLeft, .constant(0)),
             .conditionalJump(.greaterOrEqual, .constant(0x8000_0000), ifTrue: 0, ifFalse: 2),
             .loadImmediate(.a, 3), .arithmetic(.add, .constant(4)),
             .conditionalJump(.equal, .constant(7), ifTrue: 0, ifFalse: 1), .returnConstant(Self.allow),
             .returnConstant(SeccompAction.errnoValue | 5)],
        ]
        for (index, instructions) in programs.enumerated() {
            let program = program(instructions)
            let analysis = try SeccompFilterAnalysis(program)
            #expect(analysis.isComplete, "program \(index): \(analysis.gaps.map(\.gap))")
            let (determined, total) = try Self.expectNoGuess(program, analysis, seed: UInt64(index))
            #expect(determined == total)
        }
    }

    @Test func whatIsNotFollowedIsUndeterminedWithItsReason() throws {
        let cases: [(instructions: [Instruction], mention: String)] = [
            ([.loadAbsolute(.word, offset: 16), .arithmetic(.multiply, .constant(3)),
              .conditionalJump(.equal, .constant(9), ifTrue: 0, ifFalse: 1), .returnConstant(Self.allow),
              .returnConstant(Self.kill)], "mul on arg0.lo32"),
            ([.loadAbsolute(.word, offset: 16), .tax, .loadAbsolute(.word, offset: 24),
              .conditionalJump(.equal, .x, ifTrue: 0, ifFalse: 1), .returnConstant(Self.allow),
              .returnConstant(Self.kill)], "compares two words"),
            ([.loadAbsolute(.word, offset: 16), .arithmetic(.and, .constant(0xfff)), .arithmetic(.or, .constant(SeccompAction.errnoValue)),
              .returnA], "returns a value computed from arg0.lo32"),
        ]
        for (instructions, mention) in cases {
            let program = program(instructions)
            let analysis = try SeccompFilterAnalysis(program)
            #expect(!analysis.isComplete)
            #expect(analysis.gaps.contains { "\($0.gap)".contains(mention) }, "\(analysis.gaps.map(\.gap))")
            _ = try Self.expectNoGuess(program, analysis, seed: 1)
            #expect(throws: SeccompPolicyReconstructionError.self) { try analysis.equivalentPolicy() }
            #expect(analysis.formatted(.table).contains("undetermined"))
        }
    }

    @Test func theInstructionPointerHasNoPolicy() throws {
        let program = program([
            .loadAbsolute(.word, offset: 4), .conditionalJump(.equal, .constant(Self.x86_64), ifTrue: 1, ifFalse: 0),
            .returnConstant(Self.kill), .loadAbsolute(.word, offset: 8),
            .conditionalJump(.equal, .constant(0x40_1000), ifTrue: 0, ifFalse: 1), .returnConstant(Self.allow),
            .returnConstant(SeccompAction.errnoValue | 1),
        ])
        let analysis = try SeccompFilterAnalysis(program)
        #expect(analysis.isComplete)
        let error = try #require(throws: SeccompPolicyReconstructionError.self) { try analysis.equivalentPolicy() }
        #expect(error.description.contains("instruction pointer"), "\(error)")
        #expect(analysis.formatted(.table).contains("ip.lo32 == 0x401000"))
    }

    @Test func unreachableInstructionsAreFound() throws {
        // The second test of the architecture can never hold.
        let program = program([
            .loadAbsolute(.word, offset: 4), .conditionalJump(.equal, .constant(Self.x86_64), ifTrue: 1, ifFalse: 0),
            .returnConstant(Self.kill), .conditionalJump(.equal, .constant(3), ifTrue: 0, ifFalse: 1),
            .returnConstant(SeccompAction.errnoValue | 1), .returnConstant(Self.allow),
        ])
        let analysis = try SeccompFilterAnalysis(program)
        #expect(analysis.unreachableInstructions == [4 ... 4])
        #expect(SeccompFilterAudit.findings(for: analysis).contains { $0.check == "unreachable-instructions" })
    }

    /// 24 independent tests of arguments make 2^24 paths: the bounds stop the analysis, which
    /// says so and leaves the calls it did not reach undetermined.
    @Test func boundsStopTheAnalysisAndSaySo() throws {
        var instructions = [Instruction]()
        for index in 0 ..< 24 {
            // Both branches meet again at the next test: every path doubles.
            instructions.append(.loadAbsolute(.word, offset: 16 + 4 * UInt32(index % 12)))
            instructions.append(.conditionalJump(.bitsSet, .constant(1 << UInt32(index)), ifTrue: 0, ifFalse: 1))
            instructions.append(.loadImmediate(.x, UInt32(index)))
        }
        instructions.append(.returnConstant(Self.allow))
        let program = program(instructions)
        let byPaths = try SeccompFilterAnalysis(program, limits: .init(maximumPaths: 1000))
        #expect(byPaths.limitReached == .paths(1000))
        #expect(!byPaths.isComplete)
        let byTime = try SeccompFilterAnalysis(program, limits: .init(timeLimit: .milliseconds(50)))
        #expect(byTime.limitReached != nil)
        _ = try Self.expectNoGuess(program, byPaths, seed: 3)
    }

    @Test func programsTheKernelWouldRefuseAreRefused() {
        #expect(throws: VerificationError.self) {
            try SeccompFilterAnalysis(Program([.loadAbsolute(.word, offset: 2), .returnConstant(Self.allow)]))
        }
    }
}
