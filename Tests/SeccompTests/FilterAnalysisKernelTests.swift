import CBPF
import CBPFFuzz
import Glibc
import LibseccompReference
import Seccomp
import Testing

/// Probes of a filter taken from its analysis: for each architecture and number range the
/// filter tells apart, its first and last number, and for decisions on arguments an input on
/// every path (found by the analysis's solver), plus random arguments. Calls are laid out in
/// this machine's byte order, as the filter reads them.
func analysisProbes(_ analysis: SeccompFilterAnalysis, seed: UInt64, randomPerRange: Int = 1) -> [SeccompData] {
    var generator = FuzzRandom(seed: seed)
    var probes = [SeccompData]()
    for row in analysis.architectures {
        let architecture = row.auditValues[0].lowerBound
        for range in row.numberRanges {
            var numbers = [range.numbers.lowerBound, range.numbers.upperBound]
            if range.numbers.count > 2 { numbers.append(range.numbers.lowerBound + UInt32(generator.next() % UInt64(range.numbers.count))) }
            let witnesses = pathWitnesses(range.decision)
            for number in numbers {
                for words in witnesses {
                    probes.append(SeccompFilterComparison.example(architecture: architecture, number: number, words: words))
                }
                for _ in 0 ..< randomPerRange {
                    probes.append(SeccompData(
                        number: Int32(bitPattern: number), architecture: AuditArchitecture(rawValue: architecture),
                        arguments: (0 ..< 6).map { _ in generator.next() >> (generator.next() % 64) }))
                }
            }
        }
    }
    return probes
}

/// At most `count` of `probes`, spread evenly (the kernel runs each in a thread of a helper
/// process, which a KILL_PROCESS outcome makes start anew).
func sample<T>(_ probes: [T], atMost count: Int) -> [T] {
    guard probes.count > count else { return probes }
    return (0 ..< count).map { probes[$0 * probes.count / count] }
}

/// An input for each path of a decision, as words by offset.
func pathWitnesses(_ decision: SeccompArgumentDecision) -> [[UInt32: UInt32]] {
    guard decision.testsArguments, let rules = decision.rules(limit: 200) else { return [[:]] }
    // Each rule's conditions, completed by the solver, reach that rule or an earlier one.
    return rules.map { rule in
        var words = [UInt32: UInt32]()
        var byOffset = [UInt32: [SeccompWordLiteral]]()
        for literal in rule.conditions { byOffset[literal.test.offset, default: []].append(literal) }
        for (offset, literals) in byOffset {
            // The smallest value that passes: try the bounds the literals name.
            let candidates = literals.flatMap { [$0.test.value, $0.test.value &+ 1, $0.test.value &- 1, ~$0.test.mask | $0.test.value, 0, .max] }
            words[offset] = candidates.first { value in literals.allSatisfy { $0.holds(forWord: value) } } ?? 0
        }
        return words
    }
}

/// What the kernel does to the probe call (a number no architecture has) when a filter asks
/// for `action`, as `__seccomp_filter` does it.
func expectedKernelOutcome(_ action: SeccompAction, call: Int32, architecture: UInt32, instructionPointer: UInt64) -> SeccompOutcome {
    switch action {
    case .allow, .log, .trace, .userNotification: .returned(result: -1, errno: ENOSYS)
    case .errno(let data): data == 0 ? .returned(result: 0, errno: 0) : .returned(result: -1, errno: Int32(min(data, 4095)))
    case .trap(let data): .trapped(data: Int32(data), syscall: call, architecture: architecture, callAddress: instructionPointer)
    case .killThread: .threadKilled
    case .killProcess: .processKilled(signal: SIGSYS)
    }
}

/// Filters and the policies reconstructed from them, run by the kernel on the same probes.
@Suite("seccomp filter analysis in the kernel", .serialized)
struct FilterAnalysisKernelTests {
    static let probeCall: Int32 = 4321

    /// Runs `original` and the filter compiled from its reconstructed policy in the kernel on
    /// `probes`: both must give the outcome the interpreter's action for the original predicts.
    /// Returns the number of probes and the disagreements.
    static func compareInKernel(
        _ oracle: SeccompActionOracle, original: Program, rebuilt: Program, probes: [SeccompData]
    ) throws -> (count: Int, disagreements: [String]) {
        let interpreter = try Interpreter(original, for: .seccomp)
        var disagreements = [String]()
        for probe in probes {
            var data = probe
            data.instructionPointer = oracle.instructionPointer
            let action = SeccompAction(returnValue: interpreter.run(seccomp: data))
            let expected = expectedKernelOutcome(
                action, call: probeCall, architecture: oracle.architecture, instructionPointer: oracle.instructionPointer)
            let call = SystemCallProbe(number: probeCall, arguments: data.arguments)
            let number = UInt32(bitPattern: data.number)
            for (name, program) in [("original", original), ("reconstructed", rebuilt)] {
                let outcome = oracle.observe(
                    bakingIn(program, number: number, architecture: data.architecture.rawValue).raw, call: call).outcome
                if outcome != expected {
                    disagreements.append("\(name): arch \(data.architecture) nr \(data.number) args \(data.arguments): "
                        + "kernel \(outcome), interpreter \(action)")
                }
            }
        }
        return (probes.count, disagreements)
    }

    static func oracle() throws -> SeccompActionOracle {
        do {
            return try SeccompActionOracle()
        } catch {
            try Test.cancel("skipped: the seccomp action oracle cannot run here: \(error)")
        }
    }

    /// Policies on the native architecture, built by libseccomp and by us.
    @Test(arguments: handwrittenPolicies.filter { (try? $0.policy.architectures.contains(.native)) ?? false })
    func reconstructedPoliciesDecideAsTheKernelRunsTheFilter(_ handwritten: HandwrittenPolicy) throws {
        let oracle = try Self.oracle()
        for (name, program) in try forensicFilters(handwritten) {
            let analysis = try SeccompFilterAnalysis(program)
            let rebuilt = try SeccompCompiler().compile(try analysis.equivalentPolicy())
            let (count, disagreements) = try Self.compareInKernel(
                oracle, original: program, rebuilt: rebuilt, probes: sample(analysisProbes(analysis, seed: 7, randomPerRange: 2), atMost: 120))
            print("forensics: \(handwritten.name), \(name): \(count) probes in the kernel, \(disagreements.count) disagreements")
            #expect(disagreements.isEmpty, "\(handwritten.name), \(name): \(disagreements.prefix(3))")
        }
    }

    /// Docker's default profile on x86_64 with x86 and x32, as runc has libseccomp build it
    /// (straight from the JSON, at both optimisation levels), as libseccomp builds our import
    /// of it, and as we compile it: each explained, its policy reconstructed, and both filters
    /// run by the interpreter on the oracle's probes and by the kernel on the analysis's.
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileReconstructs() throws {
        let profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
        let capabilities = OCIProfileImportOptions.dockerDefaultCapabilities
        let imported = try profile.policy(options: .init(
            architecture: .x86_64, includesSubArchitectures: true, capabilities: capabilities, kernelVersion: ociTestKernel))
        let policy = imported.policy
        #expect(policy.architectures == [.x86_64, .x86, .x32])
        let resolved = try policy.resolve()
        var filters = [(name: String, program: Program)]()
        for optimization: UInt32 in [1, 2] {
            filters.append(("runc/libseccomp -O\(optimization)", try LibseccompOracle.runcProgram(
                profile, target: .x86_64, architectures: policy.architectures, capabilities: capabilities,
                kernel: ociTestKernel, foreignAction: policy.foreignArchitectureAction, optimization: optimization)))
        }
        filters.append(("import/libseccomp -O2", try LibseccompFilter.program(for: policy, optimization: 2)))
        filters.append(("SeccompCompiler", try SeccompCompiler().compile(resolved)))
        let oracleProbes = oracleProbes(for: resolved)
        let kernel = try? SeccompActionOracle()
        for (name, program) in filters {
            let clock = ContinuousClock()
            let start = clock.now
            let analysis = try SeccompFilterAnalysis(program)
            let analysed = clock.now
            let policy = try analysis.equivalentPolicy()
            let reconstructed = clock.now
            #expect(analysis.isComplete)
            let rebuilt = try SeccompCompiler().compile(policy)
            let wrong = try interpreterDisagreements(program, rebuilt, probes: oracleProbes)
            #expect(wrong.isEmpty, "\(name): \(wrong.prefix(3))")
            var line = "forensics: Docker x86_64+x86+x32, \(name): \(program.count) instructions, analysed in "
                + "\(analysed - start), policy of \(policy.rules.count) rules reconstructed and checked in "
                + "\(reconstructed - analysed); interpreter: \(oracleProbes.count) probes, \(wrong.count) disagreements"
            if let kernel {
                let (count, disagreements) = try Self.compareInKernel(
                    kernel, original: program, rebuilt: rebuilt, probes: sample(analysisProbes(analysis, seed: 11, randomPerRange: 2), atMost: 1000))
                #expect(disagreements.isEmpty, "\(name): \(disagreements.prefix(3))")
                line += "; kernel: \(count) probes x 2 filters, \(disagreements.count) disagreements"
            }
            print(line)
        }
    }
}
