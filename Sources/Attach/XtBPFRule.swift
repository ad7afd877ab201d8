import CBPF

/// An iptables rule that matches packets with classic BPF (`-m bpf --bytecode`, the kernel's
/// `xt_bpf`), named by a comment (`-m comment --comment cbpf:NAME`) so that it can be listed and
/// removed as ours.
///
/// A rule holds one program or several: a match too long for `xt_bpf`'s 64 instructions is
/// split into parts whose union is the match (`PacketFilterCompiler.compileRuleSet`), one
/// iptables rule each, all with the same target and comment. Rendering, applying, counting and
/// removing treat them as one rule.
///
///     let rule = try XtBPFRule(name: "dns", programs: parts, chain: "INPUT", target: .drop)
///     try XtBPFRule.apply([rule])
public struct XtBPFRule: Hashable, Sendable {
    /// Which tool and which packets: `iptables` sees IPv4, `ip6tables` IPv6. An `xt_bpf`
    /// program sees the packet from its IP header on.
    public enum Family: String, Hashable, Sendable, CaseIterable {
        /// IPv4 (`iptables`) or IPv6 (`ip6tables`).
        case ipv4, ipv6

        /// `iptables` or `ip6tables`.
        public var tool: String { self == .ipv4 ? "iptables" : "ip6tables" }
    }

    /// What happens to a packet the rule matches.
    public enum Target: Hashable, Sendable, CustomStringConvertible {
        /// Accepts (`ACCEPT`) or drops (`DROP`) the packet.
        case accept, drop
        /// Drops and answers with an ICMP port unreachable (ICMPv6 for `ip6tables`).
        case reject
        /// Goes back to the calling chain.
        case `return`
        /// Logs the packet to the kernel log, with a prefix of at most 29 characters, and goes on.
        case log(prefix: String?)
        /// Goes to a chain of the user's; the packet comes back if that chain returns.
        case jump(chain: String)

        /// Whether a matched packet leaves the chain: then overlapping parts of a rule act as one
        /// rule. For other targets (`LOG`, a jump) the parts must be disjoint, or a packet would be
        /// logged and counted once per part.
        public var endsTheChain: Bool {
            switch self {
            case .accept, .drop, .reject, .return: true
            case .log, .jump: false
            }
        }

        /// The name iptables gives it: `DROP`, `LOG`, or the chain jumped to.
        public var description: String {
            switch self {
            case .accept: "ACCEPT"
            case .drop: "DROP"
            case .reject: "REJECT"
            case .return: "RETURN"
            case .log: "LOG"
            case .jump(let chain): chain
            }
        }

        /// Parses `ACCEPT`, `DROP`, `REJECT`, `RETURN`, `LOG` or a chain name (any case for the
        /// built-in ones).
        public init(_ text: String, logPrefix: String? = nil) throws(XtBPFError) {
            switch text.uppercased() {
            case "ACCEPT": self = .accept
            case "DROP": self = .drop
            case "REJECT": self = .reject
            case "RETURN": self = .return
            case "LOG": self = .log(prefix: logPrefix)
            default:
                try XtBPFRule.checkChain(text)
                self = .jump(chain: text)
            }
        }
    }

    /// The prefix of every comment this package writes: `cbpf:NAME`.
    public static let commentPrefix = "cbpf:"

    /// The name: letters, digits, `.`, `_`, `-`, `:` and `*`. The comment is `cbpf:NAME`.
    public var name: String
    /// The parts of the match, one iptables rule each; their union is what the rule matches.
    public var programs: [Program]
    /// IPv4 (`iptables`) or IPv6 (`ip6tables`).
    public var family: Family
    /// `filter` (the default), `mangle`, `raw`, `security` or `nat`.
    public var table: String
    /// `INPUT`, `OUTPUT`, `FORWARD`, `PREROUTING`, `POSTROUTING` or a chain of the user's.
    public var chain: String
    /// What happens to a matched packet (`-j`).
    public var target: Target
    /// Only packets that came in on this interface (`-i`), when set.
    public var inputInterface: String?
    /// Only packets that go out on this interface (`-o`), when set.
    public var outputInterface: String?

    /// A rule of one or more parts, each checked by `Verifier` for `xt_bpf` (at most 64
    /// instructions); names, chains, interfaces and the log prefix are checked too, so that
    /// nothing is handed to iptables that it would misread.
    public init(
        name: String, programs: [Program], family: Family = .ipv4, table: String = "filter", chain: String = "INPUT",
        target: Target = .drop, inputInterface: String? = nil, outputInterface: String? = nil
    ) throws(XtBPFError) {
        try self.init(
            name: name, parts: programs.map { ($0, nil) }, family: family, table: table, chain: chain, target: target,
            inputInterface: inputInterface, outputInterface: outputInterface)
    }

    /// A rule of one or more verified parts (`PacketFilterCompiler.compileVerifiedRuleSet`),
    /// which are not checked again where their proof covers `xt_bpf`'s rules; the rest is
    /// checked as ``init(name:programs:family:table:chain:target:inputInterface:outputInterface:)-(_,[Program],_,_,_,_,_,_)``
    /// checks it.
    public init(
        name: String, programs: [VerifiedProgram], family: Family = .ipv4, table: String = "filter",
        chain: String = "INPUT", target: Target = .drop, inputInterface: String? = nil, outputInterface: String? = nil
    ) throws(XtBPFError) {
        try self.init(
            name: name, parts: programs.map { ($0.program, $0) }, family: family, table: table, chain: chain,
            target: target, inputInterface: inputInterface, outputInterface: outputInterface)
    }

    private init(
        name: String, parts: [(program: Program, proof: VerifiedProgram?)], family: Family, table: String, chain: String,
        target: Target, inputInterface: String?, outputInterface: String?
    ) throws(XtBPFError) {
        self.name = name
        self.programs = parts.map(\.program)
        self.family = family
        self.table = table
        self.chain = chain
        self.target = target
        self.inputInterface = inputInterface
        self.outputInterface = outputInterface
        try check(proofs: parts.map(\.proof))
    }

    /// A rule of one program.
    public init(
        name: String, program: Program, family: Family = .ipv4, table: String = "filter", chain: String = "INPUT",
        target: Target = .drop, inputInterface: String? = nil, outputInterface: String? = nil
    ) throws(XtBPFError) {
        try self.init(
            name: name, programs: [program], family: family, table: table, chain: chain, target: target,
            inputInterface: inputInterface, outputInterface: outputInterface)
    }

    /// The comment that names the rule: `cbpf:NAME`.
    public var comment: String { Self.commentPrefix + name }

    /// The rule's arguments after `-A CHAIN`, one list per part, as `iptables` takes them.
    public var specifications: [[String]] {
        programs.map { program in
            var arguments: [String] = []
            if let inputInterface { arguments += ["-i", inputInterface] }
            if let outputInterface { arguments += ["-o", outputInterface] }
            arguments += ["-m", "comment", "--comment", comment, "-m", "bpf", "--bytecode", BytecodeString.format(program)]
            return arguments + targetArguments
        }
    }

    /// The commands that append the rule, one per part: `iptables -t filter -A INPUT ...`.
    public var commands: [[String]] {
        specifications.map { [family.tool, "-t", table, "-A", chain] + $0 }
    }

    /// The rule's lines for `iptables-restore`, one per part, written as `iptables -S` and
    /// `iptables-save` print them: `-A INPUT -m comment --comment "cbpf:dns" -m bpf --bytecode "…" -j DROP`.
    public var restoreLines: [String] {
        specifications.map { specification in
            (["-A", chain] + specification.enumerated().map { index, word in
                index > 0 && Self.quotedOptions.contains(specification[index - 1]) ? "\"\(word)\"" : word
            }).joined(separator: " ")
        }
    }

    /// An `iptables-restore --noflush` input that appends the rule: `*TABLE`, its lines, `COMMIT`.
    public var restoreFragment: String {
        Self.restoreFragment(tables: [table: restoreLines])
    }

    /// The options whose values `iptables-save` prints in double quotes.
    static let quotedOptions: Set<String> = ["--comment", "--bytecode", "--log-prefix"]

    static func restoreFragment(tables: [String: [String]]) -> String {
        tables.keys.sorted().map { table in
            (["*\(table)"] + tables[table, default: []] + ["COMMIT"]).joined(separator: "\n") + "\n"
        }.joined()
    }

    private var targetArguments: [String] {
        switch target {
        case .reject:
            ["-j", "REJECT", "--reject-with", family == .ipv4 ? "icmp-port-unreachable" : "icmp6-port-unreachable"]
        case .log(let prefix?):
            ["-j", "LOG", "--log-prefix", prefix]
        default:
            ["-j", target.description]
        }
    }

    /// Checks the rule; `proofs` holds each part's proof, or nil where it is to be verified.
    private func check(proofs: [VerifiedProgram?]) throws(XtBPFError) {
        guard !name.isEmpty, name.utf8.count <= 200,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-:*".contains($0)) })
        else {
            throw XtBPFError("rule name \"\(name)\" must have 1 to 200 letters, digits, '.', '_', '-', ':' or '*'")
        }
        guard !programs.isEmpty else { throw XtBPFError("rule \"\(name)\" has no program") }
        for (index, program) in programs.enumerated() {
            do {
                _ = try proofs[index].map { proof throws(VerificationError) in try proof.verified(for: .iptables) }
                    ?? VerifiedProgram(program, for: .iptables)
            } catch {
                let part = programs.count > 1 ? " (part \(index + 1) of \(programs.count))" : ""
                throw XtBPFError("rule \"\(name)\"\(part): \(error)")
            }
        }
        guard ["filter", "mangle", "raw", "security", "nat"].contains(table) else {
            throw XtBPFError("table \"\(table)\" is not one of filter, mangle, raw, security, nat")
        }
        try Self.checkChain(chain)
        for (option, interface) in [("-i", inputInterface), ("-o", outputInterface)] {
            guard let interface else { continue }
            guard !interface.isEmpty, interface.utf8.count < 16,
                interface.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"\"'\\/".contains($0) })
            else {
                throw XtBPFError("interface \"\(interface)\" (\(option)) must have 1 to 15 characters, no blanks, quotes, '/' or '\\'")
            }
        }
        if chain == "INPUT" || chain == "PREROUTING", outputInterface != nil {
            throw XtBPFError("\(chain) sees packets before routing: it has no output interface (-o)")
        }
        if chain == "OUTPUT" || chain == "POSTROUTING", inputInterface != nil {
            throw XtBPFError("\(chain) sees packets this host sends: it has no input interface (-i)")
        }
        if case .log(let prefix?) = target {
            guard prefix.utf8.count <= 29, prefix.allSatisfy({ $0.isASCII && !$0.isNewline && !"\"\\".contains($0) }) else {
                throw XtBPFError("log prefix \"\(prefix)\" must have at most 29 ASCII characters, no quotes or '\\'")
            }
        }
    }

    static func checkChain(_ chain: String) throws(XtBPFError) {
        guard !chain.isEmpty, chain.utf8.count <= 28, !chain.hasPrefix("-"),
            chain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw XtBPFError("chain \"\(chain)\" must have 1 to 28 letters, digits, '.', '_' or '-'")
        }
    }
}

/// Why a rule was refused or iptables failed, with what it printed.
public struct XtBPFError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, with iptables' own output where it printed any.
    public var message: String

    /// An error with this message.
    public init(_ message: String) {
        self.message = message
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String { message }
}
