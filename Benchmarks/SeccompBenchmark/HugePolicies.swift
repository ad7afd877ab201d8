// `--huge-policies N`: how long policies of N rules take from text to a filter or a refusal,
// the figures of issue 9 (hostile input) for the seccomp compiler.

import CBPF
import Foundation
import Glibc
import Seccomp

/// Times, in this process, three inputs of `count` rules from their text to a filter or to the
/// compiler's refusal, each the median of `runs` runs, then prints the process's peak RSS.
func runHugePolicyTimings(count: Int, runs: Int = 3) -> Never {
    let header = "default errno(EPERM)\narch x86_64\n"
    let argumentRules = header + (1 ... count).map { "allow read arg0 == \($0)\n" }.joined()
    let rawNumbers = header + (0 ..< count).map { "allow \(1000 + 2 * $0)\n" }.joined()
    let entries = (0 ..< count).map { index in
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", "
            + "\"args\": [{\"index\": 0, \"value\": \(index), \"op\": \"SCMP_CMP_EQ\"}]}"
    }
    let profile = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" + entries.joined(separator: ",\n") + "]}"

    let inputs: [(label: String, compile: () throws -> Program)] = [
        ("\(count) rules allow read arg0 == N", { try SeccompCompiler().compile(try SeccompPolicy(parsing: argumentRules)) }),
        ("\(count) raw numbers allow N", { try SeccompCompiler().compile(try SeccompPolicy(parsing: rawNumbers)) }),
        ("OCI profile, \(count) entries on personality, x86_64 + x86 + x32", {
            let options = OCIProfileImportOptions(architecture: .x86_64)
            return try SeccompCompiler().compile(try OCISeccompProfile(json: profile).policy(options: options).policy)
        }),
    ]
    print("SeccompBenchmark --huge-policies \(count): text to filter or refusal, median of \(runs) runs")
    for input in inputs {
        var times = [Duration]()
        var outcome = ""
        for _ in 0 ..< runs {
            let clock = ContinuousClock()
            let start = clock.now
            do {
                outcome = "\(try input.compile().count) instructions"
            } catch {
                outcome = "refused: \(error)"
            }
            times.append(clock.now - start)
        }
        let median = times.sorted()[runs / 2]
        let seconds = Double(median.components.seconds) + Double(median.components.attoseconds) / 1e18
        print("  \(input.label): \(String(format: "%.3f", seconds)) s; \(outcome)")
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("peak RSS of this process: \(usage.ru_maxrss / 1024) MB")
    exit(0)
}
