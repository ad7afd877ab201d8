import ArgumentParser
import CBPF
import Seccomp

struct SeccompExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Decompile any seccomp filter into a decision table, or a policy that compiles to an equivalent filter.",
        discussion: """
            The filter is run symbolically over seccomp_data (architecture, number, both halves of \
            each argument, instruction pointer), whoever wrote it: libseccomp at any optimization \
            level, runc, Chrome, systemd, minijail, this package, or a hand. The table gives, for \
            each architecture, the system-call numbers as ranges with their names and actions, and \
            the tests on arguments as first-match rules. Where the filter does what the analysis \
            does not follow (arithmetic on an argument, two arguments compared), the calls \
            concerned are "undetermined" with the reason, never guessed; so are calls beyond \
            --time-limit or --max-paths.

            --format policy prints a policy in the native text format, checked before it is \
            printed: it is compiled, the result analysed, and the two tables compared. When the \
            format cannot say what the filter does (the instruction pointer is tested, a call is \
            decided differently on two architectures), the reasons are printed instead and the \
            exit status is 1.

            With --pid, a process with several filters (each one stacked by a later \
            seccomp(2) call) is explained as the kernel applies them: every filter runs on each \
            call and the most restrictive action wins (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO \
            > USER_NOTIF > TRACE > LOG > ALLOW; of two errnos, the newest filter's). --index N \
            explains filter N alone (0 is the oldest, the first installed).

            Examples:
              cbpf seccomp explain filter.bpf
              cbpf seccomp compile --policy my.policy | cbpf seccomp explain -
              cbpf seccomp explain --pid 1234 --format policy
              cbpf seccomp explain --pid 1234 --index 1
              cbpf seccomp explain "$(tcpdump ... -ddd)" --format json
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, policy, json
    }

    @OptionGroup var input: SeccompFilterInput
    @Option(help: "table (the default), policy (the native text format) or json.")
    var format: Format = .table
    @OptionGroup var limits: AnalysisLimitOptions

    func run() throws {
        let filter = try input.analysed(limits, command: "explain")
        // JSON stays JSON: its "stack" says what the header says.
        if let header = filter.header, format != .json { print("# \(header)") }
        let analysis = filter.analysis
        switch format {
        case .table: print(analysis.formatted(.table))
        case .json: print(analysis.formatted(.json))
        case .policy:
            do {
                let policy = try analysis.equivalentPolicy()
                print("# Compiles to a filter equivalent to \(filter.label) (checked by comparing the decision tables).")
                print(policy.text, terminator: policy.text.hasSuffix("\n") ? "" : "\n")
            } catch {
                printError("\(filter.label): no equivalent policy:")
                for problem in error.problems { printError("  \(problem)") }
                throw ExitCode(1)
            }
        }
    }
}
