import ArgumentParser
import CBPFFuzz

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare our verifier and interpreter with the kernel on random programs.",
        discussion: """
            Four comparisons of COUNT cases each: the socket verifier against SO_ATTACH_FILTER, \
            the seccomp verifier against seccomp(2), the interpreter against the length a \
            filtered AF_UNIX socketpair lets through, and seccomp return values against the \
            action a child process observes. Exits 1 on any disagreement.
            """
    )

    @Option(help: "Cases per comparison.")
    var count = 100_000
    @Option(help: "The random seed; the same seed gives the same cases.")
    var seed: UInt64 = 1
    @Flag(help: "Do not print progress to standard error.")
    var quiet = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let step = max(1, count / 10)
        let quiet = quiet
        let report = runFuzzCampaign(count: count, seed: seed) { progress in
            if !quiet && (progress.completed % step == 0 || progress.completed == progress.total) {
                printError(progress.description)
            }
        }
        print(report)
        if !report.allAgree { throw ExitCode(1) }
    }
}
