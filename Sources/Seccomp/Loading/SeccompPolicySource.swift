/// A policy as a tool reads it: the native policy text or a Docker/OCI profile, with what loading
/// decides (the architectures to cover, the container's capabilities), and errors that point at
/// the input as compilers do: `FILE:LINE:COLUMN: what: why`.
///
///     var source = SeccompPolicySource(policyText: text, name: "my.policy")
///     source.architectures = [.x86_64, .x86]
///     let loaded = try source.load()
///     for warning in loaded.warnings { print("my.policy: warning: \(warning)") }
///
/// `cbpf seccomp` and the sample launcher both load their `--policy` and `--profile` here.
public struct SeccompPolicySource: Sendable, Hashable {
    /// How the text is written.
    public enum Format: Sendable, Hashable {
        /// The native format (docs/seccomp-policy-format.md).
        case policyText
        /// Docker's and the OCI runtime specification's JSON.
        case ociProfile
    }

    /// The input itself.
    public var text: String
    /// Whether the text is a policy or a profile.
    public var format: Format
    /// The input as messages name it: a path, or `<stdin>`.
    public var name: String
    /// The architectures the filter covers, in place of the input's own; for a profile the first
    /// is the target and the others must come from its `archMap`. Nil keeps the input's.
    public var architectures: [SeccompArchitecture]?
    /// A profile's container capabilities, which select its `includes.caps` and `excludes.caps`.
    /// Policy text has no such rules.
    public var capabilities: Set<String> = OCIProfileImportOptions.dockerDefaultCapabilities
    /// For a profile: whether calls newer than libseccomp's table fail with `ENOSYS`, as runc
    /// makes them, rather than with the profile's default action.
    public var unknownSyscallsFailWithENOSYS = false

    /// Policy text (the native format), named as messages should name it.
    public init(policyText text: String, name: String) {
        self.text = text
        self.format = .policyText
        self.name = name
    }

    /// A Docker/OCI profile's JSON, named as messages should name it.
    public init(ociProfile json: String, name: String) {
        self.text = json
        self.format = .ociProfile
        self.name = name
    }

    /// Reads and checks the policy: every name resolves on every architecture it covers.
    ///
    /// The warnings are what the input asks for that opens more than it may seem to (a
    /// foreign-architecture `allow`) and what a profile names that cannot apply here.
    public func load() throws(SeccompPolicySourceError) -> (policy: SeccompPolicy, warnings: [Warning]) {
        let policy: SeccompPolicy
        var warnings: [Warning] = []
        switch format {
        case .policyText:
            policy = try loadText()
        case .ociProfile:
            var options = OCIProfileImportOptions()
            options.capabilities = capabilities
            options.unknownSyscallsFailWithENOSYS = unknownSyscallsFailWithENOSYS
            if let architectures { options.cover(exactly: architectures) }
            let imported: OCIProfileImport
            do {
                imported = try OCISeccompProfile(json: text).policy(options: options)
            } catch {
                throw located(error)
            }
            warnings = imported.warnings.map(Warning.profile)
            policy = imported.policy
            do {
                try policy.validate()
            } catch {
                throw SeccompPolicySourceError(source: name, message: "\(error)")
            }
        }
        return (policy, warnings + policy.warnings.map(Warning.policy))
    }

    /// What loading noticed: ``load()`` says why each matters.
    public enum Warning: Hashable, Sendable, CustomStringConvertible {
        /// A warning of the profile import.
        case profile(OCIProfileWarning)
        /// A warning about the policy itself.
        case policy(SeccompPolicyWarning)

        /// The text form, as messages and the `cbpf` tool print it.
        public var description: String {
            switch self {
            case .profile(let warning): warning.description
            case .policy(let warning): warning.description
            }
        }
    }

    /// The policy text, with ``architectures`` in place of its own when given.
    private func loadText() throws(SeccompPolicySourceError) -> SeccompPolicy {
        let parsed: SeccompPolicy
        do {
            // Syntax errors where the text has them; without an override, the rules too.
            parsed = try SeccompPolicy(parsing: text, validate: architectures == nil)
        } catch {
            throw located(error)
        }
        guard let architectures else { return parsed }
        // The rules checked against the override, at their lines in the text.
        let (overridden, archLine) = Self.replacingArchitectures(in: text, with: architectures)
        do {
            return try SeccompPolicy(parsing: overridden)
        } catch {
            guard error.line == archLine else { throw located(error) }
            throw SeccompPolicySourceError(
                source: name, message: "\(error.what): \(error.why)", concernsArchitectures: true)
        }
    }

    /// The policy text with its `arch` lines blanked (so that lines keep their numbers) and one
    /// `arch` line for `architectures` added at the end, whose number is returned.
    static func replacingArchitectures(in text: String, with architectures: [SeccompArchitecture])
        -> (text: String, archLine: Int)
    {
        // Lines as the parser splits them.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let firstWord = line.drop { $0 == " " || $0 == "\t" }.prefix { !" \t#(".contains($0) }
            return firstWord.lowercased() == "arch" ? "" : String(line)
        }
        lines.append("arch " + architectures.map(\.name).joined(separator: " "))
        return (lines.joined(separator: "\n"), lines.count)
    }

    private func located(_ error: PolicyFormatError) -> SeccompPolicySourceError {
        SeccompPolicySourceError(
            source: name, line: error.line, column: error.column, message: "\(error.what): \(error.why)")
    }

    private func located(_ error: OCIProfileError) -> SeccompPolicySourceError {
        var plain = error
        plain.line = nil
        plain.column = nil
        return SeccompPolicySourceError(source: name, line: error.line, column: error.column, message: "\(plain)")
    }
}

/// A policy or profile that cannot be loaded, at its place in the input:
/// `my.policy:3:7: unknown action "alow": expected allow, log, ...`.
public struct SeccompPolicySourceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input's name: a path, or `<stdin>`.
    public var source: String
    /// The 1-based line, when the error has a place.
    public var line: Int?
    /// The 1-based column, when the error has a place.
    public var column: Int?
    /// What is wrong and why.
    public var message: String
    /// Whether the requested ``SeccompPolicySource/architectures`` are the cause rather than the
    /// text: a tool names its option then.
    public var concernsArchitectures: Bool

    /// An error at a place in the named input.
    public init(source: String, line: Int? = nil, column: Int? = nil, message: String, concernsArchitectures: Bool = false) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
        self.concernsArchitectures = concernsArchitectures
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        if let line, let column { return "\(source):\(line):\(column): \(message)" }
        return "\(source): \(message)"
    }
}
