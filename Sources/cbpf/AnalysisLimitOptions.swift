import ArgumentParser
import CBPF
import Seccomp

/// `--time-limit` and `--max-paths`, the bounds of the analysis.
struct AnalysisLimitOptions: ParsableArguments {
    @Option(help: "Stop the analysis after this many seconds (default 30); what it has not reached is reported as undetermined.")
    var timeLimit: Double = 30
    @Option(help: "Stop the analysis after this many paths (default 250000).")
    var maxPaths: Int = 250_000

    func validate() throws {
        guard timeLimit > 0, timeLimit.isFinite else { throw ValidationError("--time-limit: expected a positive number of seconds") }
        guard maxPaths > 0 else { throw ValidationError("--max-paths: expected a positive number") }
    }

    var limits: SeccompFilterAnalysis.Limits {
        SeccompFilterAnalysis.Limits(maximumPaths: maxPaths, timeLimit: .milliseconds(Int64(timeLimit * 1000)))
    }

    func analyse(_ program: Program, label: String) throws -> SeccompFilterAnalysis {
        do {
            return try SeccompFilterAnalysis(program, limits: limits)
        } catch {
            throw InputError("\(label): not a seccomp filter the kernel would take: \(error)")
        }
    }
}
