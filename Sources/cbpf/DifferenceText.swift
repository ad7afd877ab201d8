import CBPF
import Seccomp

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
            let first = difference.numbers.lowerBound
            // The first four numbers at most (near 0xffffffff, fewer).
            let names = (first ... min(difference.numbers.upperBound, first > .max - 3 ? .max : first + 3))
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
