/// A weakness found in a seccomp filter, with how much it matters and one line of why.
public struct SeccompAuditFinding: Hashable, Sendable, CustomStringConvertible {
    /// How much a finding matters.
    public enum Severity: Int, Hashable, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        /// Worth knowing; not a weakness by itself.
        case info
        /// Untidy or slightly weaker than it could be.
        case low
        /// A weakness an attacker or an update can use or trip over.
        case medium
        /// Defeats the filter's purpose, or allows a call kernels have been attacked through.
        case high

        /// Orders by how much the finding matters.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }

        /// `HIGH`, `MEDIUM`, `LOW`, `INFO`.
        public var description: String {
            switch self {
            case .info: "INFO"
            case .low: "LOW"
            case .medium: "MEDIUM"
            case .high: "HIGH"
            }
        }
    }

    /// How much it matters.
    public var severity: Severity
    /// A short name of the check: `no-architecture-check`, `x32-bypass`, `dangerous-call`.
    public var check: String
    /// What was found and why it matters, in one line.
    public var summary: String

    /// A finding from its parts.
    public init(severity: Severity, check: String, summary: String) {
        self.severity = severity
        self.check = check
        self.summary = summary
    }

    /// `HIGH x32-bypass: ...`.
    public var description: String { "\(severity) \(check): \(summary)" }
}
