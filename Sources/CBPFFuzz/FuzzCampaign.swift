import CBPF
import Glibc

/// Where a campaign is.
package struct FuzzProgress: Hashable, Sendable, CustomStringConvertible {
    package var comparison: DifferentialRun.Comparison
    package var completed: Int
    package var total: Int

    package var description: String { "\(comparison): \(completed)/\(total)" }
}

/// The results of all four comparisons.
package struct FuzzReport: Sendable, CustomStringConvertible {
    package var seed: UInt64
    /// Cases per comparison.
    package var count: Int
    /// `uname -sr` and the machine.
    package var kernel: String
    package var results: [ComparisonResult]

    /// Whether every comparison ran and agreed on every case.
    package var allAgree: Bool {
        results.allSatisfy { $0.unavailable == nil && $0.disagreements == 0 }
    }

    /// One summary line per comparison, then the details (tallies, notes, disagreements).
    package var description: String {
        var lines = ["cbpf-differential verify: seed \(seed), \(count) cases per comparison, \(kernel)"]
        lines += results.map(\.summary)
        lines.append("")
        lines += results.map(\.description)
        return lines.joined(separator: "\n")
    }
}

/// Runs `count` cases of each of the four comparisons (socket and seccomp verifier, socket and
/// seccomp interpreter) against the running kernel. This is what `cbpf-differential verify --count N
/// --seed S` prints. Comparisons that cannot run here (no seccomp, say) are reported as not run.
package func runFuzzCampaign(
    count: Int, seed: UInt64, progress: (@Sendable (FuzzProgress) -> Void)? = nil
) -> FuzzReport {
    let run = DifferentialRun(seed: seed)
    let results = DifferentialRun.Comparison.allCases.map { comparison in
        run.run(comparison, count: count) { done in
            progress?(FuzzProgress(comparison: comparison, completed: done, total: count))
        }
    }
    return FuzzReport(seed: seed, count: count, kernel: kernelDescription(), results: results)
}

/// `Linux 6.18.44 x86_64`.
func kernelDescription() -> String {
    var name = utsname()
    guard uname(&name) == 0 else { return "unknown kernel" }
    func text<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
    return "\(text(name.sysname)) \(text(name.release)) \(text(name.machine))"
}
