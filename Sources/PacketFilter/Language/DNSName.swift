/// A DNS name to match in a query: exact (`example.com`), or every name below a domain
/// (`*.example.com`). Stored in lower case without the trailing dot.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels, in lower case, without the `*` of a wildcard.
    public let labels: [String]
    /// Whether the name was written `*.domain`: one or more labels in front of `labels`.
    public let matchesSubdomains: Bool
    /// How many labels a wildcard takes in front of `labels`: all it may take, unless a rule set
    /// split the wildcard by depth (``PacketFilterCompiler/compileRuleSet(_:disjoint:)``).
    var subdomainLabelCounts = 1...DNSName.maximumSubdomainLabels

    /// Most labels a wildcard lets through in front of its domain: the filter has no loops, so
    /// it walks the labels with unrolled code.
    public static let maximumSubdomainLabels = 8

    /// Parses `example.com`, `example.com.` or `*.example.com`: labels of 1 to 63 letters,
    /// digits, hyphens or underscores, 255 bytes in all on the wire.
    public init(_ text: String) throws(FilterSyntaxError) {
        var rest = Substring(text)
        if rest.hasSuffix(".") { rest = rest.dropLast() }
        matchesSubdomains = rest.hasPrefix("*.")
        if matchesSubdomains { rest = rest.dropFirst(2) }
        guard !rest.isEmpty else {
            throw FilterSyntaxError("a DNS name needs at least one label, found \"\(text)\"")
        }
        let labels = rest.split(separator: ".", omittingEmptySubsequences: false).map { $0.lowercased() }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63 else {
                throw FilterSyntaxError("DNS label \"\(label)\" in \"\(text)\" must have 1 to 63 characters")
            }
            guard label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw FilterSyntaxError(
                    "DNS label \"\(label)\" in \"\(text)\" may hold only letters, digits, \"-\" and \"_\" (a \"*\" only as the whole first label)")
            }
        }
        self.labels = labels
        guard wireFormat.count <= 255 else {
            throw FilterSyntaxError("DNS name \"\(text)\" is longer than 255 bytes on the wire")
        }
    }

    /// The name as it appears in a query: each label after its length, then the root's 0.
    public var wireFormat: [UInt8] {
        labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        (matchesSubdomains ? "*." : "") + labels.joined(separator: ".")
    }
}
