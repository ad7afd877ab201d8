// `SeccompBenchmark --explain`: explaining Docker's filter as libseccomp builds it.
//
// The filter: Docker's default profile imported by OCIProfileImport for --arch (the first is the
// target, the others come from its archMap; x86_64,x86,x32 is what runc installs on x86-64) with
// Docker's default capabilities, then built by libseccomp 2.5.4 from that policy
// (seccomp_init, seccomp_rule_add_array, seccomp_export_bpf: LibseccompFilter) at optimisation
// levels 1 and 2. runc builds the same filter and also puts a stub of its own in front of it
// (patchbpf) that answers numbers newer than the profile with ENOSYS; that stub is not here.
//
// Timed (median of --rounds runs, this process): SeccompFilterAnalysis alone, and
// equivalentPolicy(), which reconstructs the policy, compiles it with SeccompCompiler, analyses
// that and compares the two tables. Then the reconstructed filter is checked against libseccomp's
// on probes: every number 0-1023 of each covered convention (x32's with bit 30) with arguments
// zero, random, and on each rule of each decision on arguments, in the interpreter; and a sample
// of them in the kernel, each probe's number and architecture baked into the program as
// constants (ld [0] and ld [4] become ld #k) and run on a call no architecture has (4321), in
// threads of a helper process (CBPFFuzz's SeccompActionOracle).
//
//   swift run -c release SeccompBenchmark --explain --arch x86_64,x86,x32 [--rounds 11]
//   swift run -c release SeccompBenchmark --explain --arch x86_64,x86,x32 --print-filter bytecode

import BenchmarkSupport
import CBPF
import CBPFFuzz
import Foundation
import Glibc
import LibseccompReference
import Seccomp

func runExplainTimings(_ options: Options) -> Never {
    let profilePath = options.profilePath ?? defaultProfilePath()
    guard let profileText = try? String(contentsOfFile: profilePath, encoding: .utf8) else {
        fail("cannot read Docker's default profile at \(profilePath): the shared corpus is absent; pass --profile PATH")
    }
    do {
        let importOptions = OCIProfileImportOptions(
            architecture: options.architectures[0], includesSubArchitectures: options.architectures.count > 1,
            capabilities: OCIProfileImportOptions.dockerDefaultCapabilities)
        var policy = try OCISeccompProfile(json: profileText).policy(options: importOptions).policy
        policy.architectures = options.architectures
        let architectures = options.architectures.map(\.name).joined(separator: ",")
        if let format = options.printFilter {
            let program = try LibseccompFilter.program(for: policy, optimization: 2)
            switch format {
            case "bytecode": print(BytecodeString.format(program))
            case "d": print(TcpdumpFormat.format(program, style: .listing), terminator: "")
            default: fail("--print-filter: expected bytecode or d")
            }
            exit(0)
        }
        print("SeccompBenchmark --explain: Docker's default profile for \(architectures), built by libseccomp "
              + "\(LibseccompVersion.current); medians of \(options.rounds) runs")
        for fact in machineFacts() { print("  " + fact) }
        let kernel = try? SeccompActionOracle()
        for optimization: UInt32 in [1, 2] {
            let program = try LibseccompFilter.program(for: policy, optimization: optimization)
            var analysisTimes = [Double]()
            var policyTimes = [Double]()
            var analysis: SeccompFilterAnalysis?
            var reconstructed: SeccompPolicy?
            for _ in 0 ..< options.rounds {
                let clock = ContinuousClock()
                let start = clock.now
                let result = try SeccompFilterAnalysis(program)
                let analysed = clock.now
                reconstructed = try result.equivalentPolicy()
                let done = clock.now
                analysisTimes.append(seconds(analysed - start))
                policyTimes.append(seconds(done - analysed))
                analysis = result
            }
            guard let analysis, let reconstructed else { fail("no rounds") }
            let rebuilt = try SeccompCompiler().compile(reconstructed)
            let probes = explainProbes(analysis, conventions: policy.architectures)
            let original = try Interpreter(program, for: .seccomp)
            let other = try Interpreter(rebuilt, for: .seccomp)
            let interpreterDisagreements = probes.filter { original.run(seccomp: $0) != other.run(seccomp: $0) }.count
            print("libseccomp -O\(optimization): \(program.count) instructions, \(analysis.pathCount) paths, "
                  + "\(analysis.isComplete ? "every call decided" : "INCOMPLETE")")
            print("  analysis: \(format(analysisTimes.isEmpty ? 0 : median(analysisTimes) * 1000, 2)) ms; "
                  + "policy reconstructed and checked: \(format(median(policyTimes) * 1000, 1)) ms "
                  + "(\(reconstructed.rules.count) rules, SeccompCompiler makes \(rebuilt.count) instructions of it)")
            print("  interpreter: \(probes.count) probes, \(interpreterDisagreements) disagreements")
            if let kernel {
                let sample = stride(from: 0, to: probes.count, by: max(1, probes.count / 2000)).map { probes[$0] }
                var disagreements = 0
                for data in sample {
                    let call = SystemCallProbe(number: 4321, arguments: data.arguments)
                    func observe(_ program: Program) -> SeccompOutcome {
                        kernel.observe(bakingIn(program, number: UInt32(bitPattern: data.number), architecture: data.architecture.rawValue).raw, call: call).outcome
                    }
                    if observe(program) != observe(rebuilt) { disagreements += 1 }
                }
                print("  kernel: \(sample.count) probes x 2 filters, \(disagreements) disagreements")
            } else {
                print("  kernel: the seccomp oracle cannot run here")
            }
        }
    } catch {
        fail("SeccompBenchmark --explain: \(error)")
    }
    exit(0)
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Every number 0-1023 of each convention with zero and random arguments, and for each decision
/// on arguments a call meeting each of its rules' conditions.
private func explainProbes(_ analysis: SeccompFilterAnalysis, conventions: [SeccompArchitecture]) -> [SeccompData] {
    var random = SplitMix64(seed: 0x5eed)
    var probes = [SeccompData]()
    for architecture in conventions {
        let base: UInt32 = architecture.usesX32SyscallBit ? SeccompArchitecture.x32SyscallBit : 0
        let audit = architecture.auditArchitecture.rawValue
        for offset in UInt32(0) ..< 1024 {
            let number = base | offset
            probes.append(SeccompData(emulating: architecture, number: Int32(bitPattern: number)))
            probes.append(SeccompData(emulating: architecture, number: Int32(bitPattern: number),
                                      arguments: (0 ..< 6).map { _ in random.next() >> (random.next() % 64) }))
            let decision = analysis.decision(architecture: audit, number: number)
            guard decision.testsArguments, let rules = decision.rules() else { continue }
            for rule in rules {
                var words = [UInt32: UInt32]()
                for literal in rule.conditions {
                    let candidates = [literal.test.value, literal.test.value &+ 1, literal.test.value &- 1, 0, .max]
                    let others = rule.conditions.filter { $0.test.offset == literal.test.offset }
                    if let value = candidates.first(where: { value in others.allSatisfy { $0.holds(forWord: value) } }) {
                        words[literal.test.offset] = value
                    }
                }
                probes.append(SeccompFilterComparison.example(architecture: audit, number: number, words: words))
            }
        }
    }
    return probes
}
