import CBPF

extension PacketFilterCompiler {
    /// Most programs (rules) a rule set may take: each costs the kernel a rule walk per packet,
    /// and the splitting compiles each part a few times.
    public static let maximumRuleSetParts = 256

    /// Compiles `expression` to programs that each fit the attach point's length limit and
    /// whose union is the expression: one program when it fits, else one per part, for rules
    /// with the same target (`xt_bpf` takes 64 instructions, and `dns qname "*.example.com"`
    /// takes about 170).
    ///
    /// A top-level `or` is split between its terms (neighbouring terms stay together while they
    /// fit), and a `dns qname "*.…"` wildcard reached through `and` alone is split by how many
    /// labels stand in front of its domain (neighbouring depths stay together while they fit).
    ///
    /// With `disjoint`, no packet matches two parts: a term is joined with `and not` of the
    /// terms before it. Rules whose target does not end the chain (`LOG`) need this, or a packet
    /// would be logged and counted twice. Depth parts are disjoint by construction.
    ///
    /// Throws, naming the part, when a part cannot be split further and is still too long.
    public func compileRuleSet(_ expression: String, disjoint: Bool = false) throws(FilterSyntaxError) -> [Program] {
        try compileVerifiedRuleSet(expression, disjoint: disjoint).map(\.program)
    }

    /// Compiles a parsed expression to programs whose union it is; see
    /// ``compileRuleSet(_:disjoint:)-(String,_)``. nil accepts every packet.
    public func compileRuleSet(_ expression: FilterExpression?, disjoint: Bool = false) throws(FilterSyntaxError) -> [Program] {
        try compileVerifiedRuleSet(expression, disjoint: disjoint).map(\.program)
    }

    /// Compiles `expression` to parts as ``compileRuleSet(_:disjoint:)-(String,_)`` does, each
    /// with its proof for ``attachTarget``, which `XtBPFRule` takes without checking again.
    public func compileVerifiedRuleSet(_ expression: String, disjoint: Bool = false) throws(FilterSyntaxError) -> [VerifiedProgram] {
        try compileVerifiedRuleSet(FilterExpression.parse(expression), disjoint: disjoint)
    }

    /// Compiles a parsed expression (nil accepts every packet) to parts as
    /// ``compileRuleSet(_:disjoint:)-(FilterExpression?,_)`` does, each with its proof for
    /// ``attachTarget``.
    public func compileVerifiedRuleSet(_ expression: FilterExpression?, disjoint: Bool = false)
        throws(FilterSyntaxError) -> [VerifiedProgram]
    {
        guard let expression else { return [try compileVerified(expression)] }
        let splitter = RuleSetSplitter(compiler: self)
        if let whole = try splitter.fitting(expression) { return [try splitter.checked(whole)] }
        var parts: [Program] = []
        var earlier: [FilterExpression] = []  // the terms already in a part
        var group: [FilterExpression] = []  // the terms of the part being built
        let terms = expression.orTerms
        func flush() throws(FilterSyntaxError) {
            guard !group.isEmpty else { return }
            let part = RuleSetSplitter.excluding(earlier, from: group, disjoint: disjoint)
            parts += try splitter.split(part)
            earlier += group
            group = []
            guard parts.count <= Self.maximumRuleSetParts else {
                throw FilterSyntaxError(
                    "\(attachTarget): the expression needs more than \(Self.maximumRuleSetParts) rules of at most \(attachTarget.maximumInstructions) instructions")
            }
        }
        for term in terms {
            let candidate = RuleSetSplitter.excluding(earlier, from: group + [term], disjoint: disjoint)
            if !group.isEmpty, try splitter.fitting(candidate) == nil { try flush() }
            group.append(term)
        }
        try flush()
        return try parts.map { program throws(FilterSyntaxError) in try splitter.checked(program) }
    }
}

/// Finds the parts of a rule set: compiles candidates without the attach point's length limit
/// and keeps those within it.
private struct RuleSetSplitter {
    let compiler: PacketFilterCompiler
    let limit: Int
    let unbounded: PacketFilterCompiler

    init(compiler: PacketFilterCompiler) {
        self.compiler = compiler
        limit = compiler.attachTarget.maximumInstructions
        var unbounded = compiler
        unbounded.attachTarget = .socket
        unbounded.generatedInstructionBound = Limits.maximumInstructions
        self.unbounded = unbounded
    }

    /// The terms `group` and not any of `earlier`, when the parts must be disjoint; an earlier
    /// term that asks for a query name no term of the group can have needs no `not`.
    static func excluding(_ earlier: [FilterExpression], from group: [FilterExpression], disjoint: Bool) -> FilterExpression {
        let overlapping = earlier.filter { term in group.contains { !$0.isDisjoint(from: term) } }
        guard disjoint, !overlapping.isEmpty else { return .any(group) }
        return .and(.any(group), .not(.any(overlapping)))
    }

    /// The program for `expression` when it fits; nil when it is too long; an empty program
    /// when it can match nothing (a part that excludes everything it would match).
    func fitting(_ expression: FilterExpression) throws(FilterSyntaxError) -> Program? {
        let program: Program
        do {
            program = try unbounded.compile(expression)
        } catch where error == FilterSyntaxError("expression rejects all packets") {
            return Program([])
        } catch where error.message.hasPrefix("the generated program does not verify")
            || error.message.hasPrefix("expression too large") || error.message.hasPrefix("the program does not fit") {
            return nil  // longer than a socket takes, too: split it
        }
        return program.count <= limit ? program : nil
    }

    /// The programs for `part`, split by wildcard depth until each fits.
    func split(_ part: FilterExpression) throws(FilterSyntaxError) -> [Program] {
        if let program = try fitting(part) { return program.instructions.isEmpty ? [] : [program] }
        guard let wildcard = part.splittableWildcard else {
            let depths = part.queryNames.filter(\.isDepthLimited).map {
                " with \($0.subdomainLabelCounts.lowerBound) labels in front of \"\($0.labels.joined(separator: "."))\""
            }
            throw FilterSyntaxError(
                "\(compiler.attachTarget): \"\(part)\"\(depths.joined()) takes \(try unbounded.compile(part).count) instructions, more than the limit of \(limit), and has no top-level 'or' or 'dns qname \"*.…\"' wildcard (reached through 'and' alone) left to split")
        }
        var programs: [Program] = []
        let depths = wildcard.subdomainLabelCounts
        var lower = depths.lowerBound
        while lower <= depths.upperBound {
            // The most depths from `lower` on that fit together; a single depth that doesn't
            // fit is split further by another wildcard, if any.
            var upper = lower
            var best: Program? = nil
            while upper <= depths.upperBound, let program = try fitting(part.limiting(wildcard, to: lower...upper)) {
                best = program
                upper += 1
            }
            if let best {
                if !best.instructions.isEmpty { programs.append(best) }
                lower = upper
            } else {
                programs += try split(part.limiting(wildcard, to: lower...lower))
                lower += 1
            }
        }
        return programs
    }

    /// A part as the attach point takes it, with its proof for the attach point's rules.
    func checked(_ program: Program) throws(FilterSyntaxError) -> VerifiedProgram {
        do {
            return try VerifiedProgram(program, for: compiler.attachTarget)
        } catch {
            throw FilterSyntaxError("\(error)")
        }
    }
}

extension FilterExpression {
    /// The terms of a top-level `or`, left to right.
    fileprivate var orTerms: [FilterExpression] {
        guard case .or = self else { return [self] }
        // The chain in a loop; an `or` nested on the right (from the DSL) is a level deeper.
        return orOperands.flatMap { operand -> [FilterExpression] in
            if case .or = operand { return operand.orTerms }
            return [operand]
        }
    }

    /// The first `dns qname "*.…"` with more than one depth left, reached through `and` alone:
    /// then the expression is the union of itself with the wildcard limited to each depth, and
    /// those are disjoint.
    fileprivate var splittableWildcard: DNSName? {
        switch self {
        case .primitive(.dnsQueryName(let name)) where name.matchesSubdomains && name.subdomainLabelCounts.count > 1:
            name
        case .and:
            andOperands.lazy.compactMap(\.splittableWildcard).first
        default:
            nil
        }
    }

    /// The expression with `wildcard`, where `and` alone reaches it, limited to `depths` labels.
    fileprivate func limiting(_ wildcard: DNSName, to depths: ClosedRange<Int>) -> FilterExpression {
        switch self {
        case .primitive(.dnsQueryName(let name)) where name == wildcard:
            var limited = name
            limited.subdomainLabelCounts = depths
            return .primitive(.dnsQueryName(limited))
        case .and:
            let operands = andOperands.map { $0.limiting(wildcard, to: depths) }
            return operands.dropFirst().reduce(operands[0]) { .and($0, $1) }
        default:
            return self
        }
    }

    /// The query names the expression asks for through `and` alone.
    fileprivate var queryNames: [DNSName] {
        switch self {
        case .primitive(.dnsQueryName(let name)): [name]
        case .and: andOperands.flatMap(\.queryNames)
        default: []
        }
    }

    /// Whether no packet matches both: each asks for a query name the other cannot have.
    fileprivate func isDisjoint(from other: FilterExpression) -> Bool {
        queryNames.contains { name in other.queryNames.contains { name.isDisjoint(from: $0) } }
    }

    fileprivate static func any(_ terms: [FilterExpression]) -> FilterExpression {
        terms.dropFirst().reduce(terms[0]) { .or($0, $1) }
    }
}

extension DNSName {
    /// Whether no name is both: different exact names, an exact name outside a wildcard's
    /// depths or domain, or wildcards whose domains end differently.
    fileprivate func isDisjoint(from other: DNSName) -> Bool {
        switch (matchesSubdomains, other.matchesSubdomains) {
        case (false, false): labels != other.labels
        case (false, true): !other.matches(labels)
        case (true, false): !matches(other.labels)
        case (true, true): !labels.ends(with: other.labels) && !other.labels.ends(with: labels)
        }
    }

    /// Whether a wildcard matches the name of `labels` (in lower case).
    private func matches(_ name: [String]) -> Bool {
        subdomainLabelCounts.contains(name.count - labels.count) && name.ends(with: labels)
    }
}

extension Array where Element: Equatable {
    fileprivate func ends(with suffix: [Element]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
