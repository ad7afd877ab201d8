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
