import Foundation
import TestSupport
import Testing

/// `cbpf-differential verify`: the kernel differential campaigns, outside the `cbpf` product.
@Suite(
    "cbpf-differential",
    .enabled(if: Differential.isAvailable, "skipped: cbpf-differential is not next to the test bundle"))
struct DifferentialCommandTests {
    @Test func verifyAgreesWithTheKernel() throws {
        let run = try Differential.run(["verify", "--count", "150", "--seed", "11", "--quiet"])
        try #require(run.succeeded, "\(run)")
        #expect(run.standardOutput.hasPrefix("cbpf-differential verify: seed 11, 150 cases per comparison"), "\(run)")
        for comparison in ["socket verifier", "seccomp verifier", "socket interpreter", "seccomp interpreter"] {
            #expect(run.standardOutput.contains("\(comparison): 150/150 agree"), "\(run)")
        }
        #expect(run.standardError.isEmpty, "--quiet printed progress: \(run.standardError)")
    }

    @Test func aCountOfZeroIsAUsageError() throws {
        // swift-argument-parser's usage errors exit with EX_USAGE (64).
        let run = try Differential.run(["verify", "--count", "0"])
        #expect(run.signal == nil && !run.timedOut, "crashed or hung: \(run)")
        #expect(run.exitStatus == 64, "\(run)")
        #expect(run.standardOutputBytes.isEmpty, "printed a result anyway: \(run)")
        #expect(run.standardError.contains("--count"), "\(run)")
    }

    /// `cbpf` itself no longer has the campaigns; `cbpf fuzz` says where they went, with a
    /// command that works, and `cbpf --help` does not list it.
    @Test(.enabled(if: CLI.isAvailable)) func cbpfFuzzPointsToCbpfDifferential() throws {
        let run = try CLI.fail(["fuzz", "verify", "--count", "5", "--seed", "3"], status: 64, mentioning: ["moved"])
        let pointer = "`swift run cbpf-differential verify --count 5 --seed 3`"
        #expect(run.standardError.contains(pointer), "\(run)")
        let replacement = try Differential.run(["verify", "--count", "5", "--seed", "3", "--quiet"])
        #expect(replacement.succeeded, "the suggested command fails: \(replacement)")
        try CLI.fail(["fuzz"], status: 64, mentioning: ["`swift run cbpf-differential verify`"])
        let help = try CLI.run(["--help"])
        #expect(help.succeeded && !help.standardOutput.contains("fuzz"), "\(help)")
    }
}
