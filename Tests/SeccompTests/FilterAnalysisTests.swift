import CBPF
import CBPFFuzz
import LibseccompReference
import Seccomp
import Testing

/// The filters of a policy the forensics tests look at: libseccomp's at both optimisation
/// levels (when it builds the policy with the same meaning) and ours.
func forensicFilters(_ handwritten: HandwrittenPolicy) throws -> [(name: String, program: Program)] {
    let policy = try handwritten.policy
    var filters = [(name: String, program: Program)]()
    if case .agrees = handwritten.libseccomp {
        filters.append(("libseccomp -O1", try LibseccompFilter.program(for: policy, optimization: 1)))
        filters.append(("libseccomp -O2", try LibseccompFilter.program(for: policy, optimization: 2)))
    }
    filters.append(("SeccompCompiler", try SeccompCompiler().compile(policy)))
    return filters
}

extension OracleProbe {
    /// The probe as `seccomp_data`, laid out as ``bytes`` is.
    var seccompData: SeccompData {
        let swap = (architecture & 0x4000_0000 == 0) != (UInt16(bigEndian: 1) == 1)
        return SeccompData(
            number: number, architecture: AuditArchitecture(rawValue: architecture),
            arguments: swap ? arguments.map { $0 << 32 | $0 >> 32 } : arguments)
    }
}

/// The probes on which two programs, run by the interpreter, return different actions.
func interpreterDisagreements(_ a: Program, _ b: Program, probes: [OracleProbe]) throws -> [String] {
    let first = try Interpreter(a, for: .seccomp)
    let second = try Interpreter(b, for: .seccomp)
    var found = [String]()
    for probe in probes {
        let x = SeccompAction(returnValue: first.run(packet: probe.bytes))
        let y = SeccompAction(returnValue: second.run(packet: probe.bytes))
        if x != y { found.append("\(probe): \(x) vs \(y)") }
    }
    return found
}

/// The analysis of a filter against the interpreter, and the policy it reconstructs against
/// the filter, on the oracle's probes.
@Suite("seccomp filter analysis")
struct FilterAnalysisTests {
    @Test(arguments: handwrittenPolicies)
    func analysisDecidesAsTheInterpreter(_ handwritten: HandwrittenPolicy) throws {
        let resolved = try handwritten.policy.resolve()
        let probes = oracleProbes(for: resolved)
        for (name, program) in try forensicFilters(handwritten) {
            let analysis = try SeccompFilterAnalysis(program)
            #expect(analysis.isComplete, "\(handwritten.name), \(name): \(analysis.gaps.prefix(3).map(\.gap))")
            let interpreter = try Interpreter(program, for: .seccomp)
            var wrong = [String]()
            for probe in probes {
                let expected = SeccompAction(returnValue: interpreter.run(packet: probe.bytes))
                let found = analysis.outcome(for: probe.seccompData)
                if found != .action(expected) { wrong.append("\(probe): analysis \(found), interpreter \(expected)") }
            }
            #expect(wrong.isEmpty, "\(handwritten.name), \(name): \(wrong.count) of \(probes.count): \(wrong.prefix(3))")
        }
    }

    @Test(arguments: handwrittenPolicies)
    func reconstructedPolicyDecidesAsTheFilter(_ handwritten: HandwrittenPolicy) throws {
        let resolved = try handwritten.policy.resolve()
        let probes = oracleProbes(for: resolved)
        for (name, program) in try forensicFilters(handwritten) {
            let analysis = try SeccompFilterAnalysis(program)
            let policy: SeccompPolicy
            do {
                policy = try analysis.equivalentPolicy()
            } catch {
                Issue.record("\(handwritten.name), \(name): \(error)")
                continue
            }
            let rebuilt = try SeccompCompiler().compile(policy)
            let wrong = try interpreterDisagreements(program, rebuilt, probes: probes)
            #expect(wrong.isEmpty, "\(handwritten.name), \(name): \(wrong.count) of \(probes.count): \(wrong.prefix(3))\n\(policy.text)")
        }
    }
}
