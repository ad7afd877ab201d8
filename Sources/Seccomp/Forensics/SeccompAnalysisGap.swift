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
