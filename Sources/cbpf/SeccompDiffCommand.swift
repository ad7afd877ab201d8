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

            Examples:
              cbpf seccomp diff old.bpf new.bpf
              cbpf seccomp compile --policy a.policy > a.bpf; cbpf seccomp diff a.bpf "$(cbpf seccomp dump 1234 --format bytecode)"
            """)

    @Argument(help: "The first filter (a program text, a file or -).")
    var first: String
    @Argument(help: "The second filter.")
    var second: String
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
        if first == "-", second == "-" { throw InputError("only one of the filters can be standard input") }
        let a = try limits.analyse(try readSeccompProgram(first), label: displayName(ofPath: first))
        let b = try limits.analyse(try readSeccompProgram(second), label: displayName(ofPath: second))
        let comparison = SeccompFilterComparison(a, b, limit: limit)
        for difference in comparison.differences {
            print(DifferenceText.line(difference))
        }
        if comparison.limitReached { print("... (more differences; raise --limit)") }
        if !a.isComplete || !b.isComplete {
            printError("note: the analysis left calls undetermined; they count as differences")
        }
        if comparison.isEquivalent {
            print("the filters decide every call alike")
        } else {
            throw ExitCode(1)
        }
    }
}
