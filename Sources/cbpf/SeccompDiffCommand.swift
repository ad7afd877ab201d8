import ArgumentParser
import CBPF
import Seccomp

struct SeccompDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Print where two seccomp filters decide differently.",
        discussion: """
            Both filters are analysed (see explain) and compared cell by cell: for each \
            architecture, range of numbers and condition on the arguments where they differ, both \
            actions and an example call. The exit status is 0 when they decide every call alike, \
            1 when they differ, and 2 on an error, as diff(1)'s.

            Each filter is a program, the filters of a running process (--pid, combined as \
            the kernel applies them: the most restrictive action of all wins; --index N takes \
            one), a policy (--policy) or a Docker/OCI profile (--profile, with --caps and \
            --arch), as for audit; give two in all, the same option twice for two of a kind. The \
            first filter is, in this order, a program argument, a --policy, a --profile, a --pid; \
            the first lines name both.

            Examples:
              cbpf seccomp diff old.bpf new.bpf
              cbpf seccomp diff filter.bpf --policy my.policy
              cbpf seccomp diff --profile docker-default.json --arch x86_64,x86,x32 --pid 1234
              cbpf seccomp diff --pid 1234 --pid 5678
              cbpf seccomp diff --policy old.policy --policy new.policy
            """)

    @OptionGroup var inputs: SeccompDiffInputs
    @Option(help: "Print at most this many differences.")
    var limit = 200
    @OptionGroup var limits: AnalysisLimitOptions

    func run() throws {
        do {
            try compare()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("Error: \(error)")
            throw ExitCode(2)
        }
    }

    private func compare() throws {
        let (a, b) = try inputs.analysed(limits)
        print("--- \(a.label)")
        print("+++ \(b.label)")
        let comparison = SeccompFilterComparison(a.analysis, b.analysis, limit: limit)
        for difference in comparison.differences {
            print(DifferenceText.line(difference))
        }
        if comparison.limitReached { print("... (more differences; raise --limit)") }
        if !a.analysis.isComplete || !b.analysis.isComplete {
            printError("note: the analysis left calls undetermined; they count as differences")
        }
        if comparison.isEquivalent {
            print("the filters decide every call alike")
        } else {
            throw ExitCode(1)
        }
    }
}
