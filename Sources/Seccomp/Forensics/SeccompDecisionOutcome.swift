import CBPF

/// What a seccomp filter does with a call, as the analysis finds it: an action, or a place the
/// analysis cannot see past.
public enum SeccompDecisionOutcome: Hashable, Sendable, CustomStringConvertible {
    /// The filter returns this action.
    case action(SeccompAction)
    /// The analysis cannot say, for the reason given; it never guesses.
    case undetermined(SeccompAnalysisGap)

    /// The action, or `nil` when undetermined.
    public var action: SeccompAction? {
        if case .action(let action) = self { action } else { nil }
    }

    /// `ALLOW`, `ERRNO(1)`, or `undetermined: REASON`.
    public var description: String {
        switch self {
        case .action(let action): action.description
        case .undetermined(let gap): "undetermined: \(gap)"
        }
    }
}

/// Why the analysis of a seccomp filter cannot say what it does with some calls.
public struct SeccompAnalysisGap: Hashable, Sendable, CustomStringConvertible {
    /// The instruction where the analysis stopped, counted from 0, if one is to blame.
    public var instruction: Int?
    /// What the filter does there that the analysis does not follow, or which bound was reached.
    public var reason: String

    /// A gap at an instruction, or anywhere (`nil`), for a reason.
    public init(instruction: Int?, reason: String) {
        self.instruction = instruction
        self.reason = reason
    }

    /// `instruction 12: mul on arg0.lo32, which the analysis does not follow`.
    public var description: String {
        instruction.map { "instruction \($0): \(reason)" } ?? reason
    }
}
