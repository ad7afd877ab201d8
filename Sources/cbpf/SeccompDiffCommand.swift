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

/// A difference as one line: where, when, both actions, and an example.
enum DifferenceText {
    static func line(_ difference: SeccompDecisionDifference) -> String {
        let audit = difference.auditValues.count == 1 && difference.auditValues[0].count == 1
            ? AuditArchitecture(rawValue: difference.auditValues[0].lowerBound) : nil
        let architecture: String
        if let audit {
            architecture = convention(audit, difference.numbers.lowerBound)?.name ?? audit.description
        } else {
            architecture = "arch " + difference.auditValues.map(SeccompFilterAnalysisText.range).joined(separator: ",")
        }
        var text = "\(architecture) \(SeccompFilterAnalysisText.range(difference.numbers))"
        if let audit, let convention = convention(audit, difference.numbers.lowerBound) {
            let names = (difference.numbers.lowerBound ... min(difference.numbers.upperBound, difference.numbers.lowerBound &+ 3))
                .compactMap { convention.syscallName(forNumber: Int32(bitPattern: $0)) }
            if !names.isEmpty {
                text += " (" + names.joined(separator: " ") + (difference.numbers.count > 4 ? " ..." : "") + ")"
            }
        }
        let bigEndian = audit.map { $0.rawValue & 0x4000_0000 == 0 } ?? false
        if !difference.conditions.isEmpty {
            text += " when " + difference.conditions.map { $0.description(bigEndian: bigEndian) }.joined(separator: " && ")
        }
        text += ": \(difference.first) vs \(difference.second)"
        if let example = difference.example, !difference.conditions.isEmpty {
            text += " (e.g. args " + example.arguments.map { "0x" + String($0, radix: 16) }.joined(separator: ",") + ")"
        }
        return text
    }

    /// The convention a number of an architecture belongs to.
    static func convention(_ audit: AuditArchitecture, _ number: UInt32) -> SeccompArchitecture? {
        if audit == .x86_64 { return number >= 0x4000_0000 && number != .max ? .x32 : .x86_64 }
        return SeccompArchitecture.all.first { $0.auditArchitecture == audit }
    }
}

enum SeccompFilterAnalysisText {
    static func range(_ range: ClosedRange<UInt32>) -> String {
        func number(_ value: UInt32) -> String { value < 0x1_0000 ? String(value) : "0x" + String(value, radix: 16) }
        return range.count == 1 ? number(range.lowerBound) : number(range.lowerBound) + "-" + number(range.upperBound)
    }
}
