/// Applying, listing and removing rules through `iptables-restore` and `iptables-save` (or the
/// `ip6tables` ones), which take a whole change as one transaction.
///
/// Each takes `networkNamespace`: the name of a network namespace made by `ip netns add`, whose
/// tables are changed instead of this process's (the tools run under `ip netns exec`).
extension XtBPFRule {
    /// One of our rules as iptables holds it: its parts' counters summed.
    public struct Installed: Hashable, Sendable {
        /// The rule's name, from its `cbpf:NAME` comment.
        public var name: String
        /// `iptables` or `ip6tables`.
        public var family: Family
        /// The table it is in (`filter`).
        public var table: String
        /// The chain it is in (`INPUT`).
        public var chain: String
        /// The target as iptables names it (`DROP`, `LOG`, a chain).
        public var target: String
        /// How many iptables rules (parts) carry the name in this chain.
        public var parts: Int
        /// Packets and bytes the parts matched, summed.
        public var packets: UInt64
        /// Bytes the parts matched, summed.
        public var bytes: UInt64
        /// The parts as `iptables -S` prints them.
        public var lines: [String]
    }

    /// Installs `rules` (appended to their chains), replacing any of ours with the same names in
    /// the same family: one `iptables-restore --noflush` transaction per family, so a rule set
    /// is in the kernel whole or not at all.
    public static func apply(_ rules: [XtBPFRule], networkNamespace: String? = nil) throws(XtBPFError) {
        for family in Family.allCases {
            let rules = rules.filter { $0.family == family }
            guard !rules.isEmpty else { continue }
            let names = Set(rules.map(\.name))
            var tables: [String: [String]] = [:]
            for old in try installed(family: family, networkNamespace: networkNamespace) where names.contains(old.name) {
                tables[old.table, default: []] += old.lines.map { "-D" + $0.dropFirst(2) }
            }
            for rule in rules { tables[rule.table, default: []] += rule.restoreLines }
            try restore(family: family, tables: tables, networkNamespace: networkNamespace)
        }
    }

    /// Installs this rule; see ``apply(_:networkNamespace:)``.
    public func apply(networkNamespace: String? = nil) throws(XtBPFError) {
        try Self.apply([self], networkNamespace: networkNamespace)
    }

    /// Our rules in `family`'s tables (every rule whose comment starts with `cbpf:`), one entry
    /// per name, table and chain, in the order iptables lists them; only `name`'s when given.
    public static func installed(
        family: Family, name: String? = nil, networkNamespace: String? = nil
    ) throws(XtBPFError) -> [Installed] {
        try installed(family: family, networkNamespace: networkNamespace) { name == nil || $0 == name }
    }

    /// Our rules in `family`'s tables whose names `includes` accepts.
    public static func installed(
        family: Family, networkNamespace: String? = nil, where includes: (String) -> Bool
    ) throws(XtBPFError) -> [Installed] {
        let listing = try run(family.tool + "-save", ["-c"], input: [], networkNamespace: networkNamespace)
        var entries: [Installed] = []
        var table = ""
        for line in listing.split(separator: "\n") {
            if line.hasPrefix("*") { table = String(line.dropFirst()) }
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { continue }
            let counters = line[line.index(after: line.startIndex)..<close].split(separator: ":")
            let rule = String(line[line.index(after: close)...].drop { $0 == " " })
            let words = Self.words(rule)
            guard counters.count == 2, let packets = UInt64(counters[0]), let bytes = UInt64(counters[1]),
                words.count > 1, words[0] == "-A",
                let commentIndex = words.firstIndex(of: "--comment"), commentIndex + 1 < words.count,
                words[commentIndex + 1].hasPrefix(commentPrefix)
            else { continue }
            let ruleName = String(words[commentIndex + 1].dropFirst(commentPrefix.count))
            guard includes(ruleName) else { continue }
            let chain = words[1]
            let target = words.firstIndex(of: "-j").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } ?? ""
            if let index = entries.firstIndex(where: { $0.name == ruleName && $0.table == table && $0.chain == chain }) {
                entries[index].parts += 1
                entries[index].packets += packets
                entries[index].bytes += bytes
                entries[index].lines.append(rule)
            } else {
                entries.append(Installed(
                    name: ruleName, family: family, table: table, chain: chain, target: target, parts: 1,
                    packets: packets, bytes: bytes, lines: [rule]))
            }
        }
        return entries
    }

    /// Removes our rules named `name` (all of ours when nil) from `family`'s tables, every part,
    /// in one `iptables-restore --noflush` transaction; returns how many iptables rules went.
    @discardableResult
    public static func remove(named name: String?, family: Family, networkNamespace: String? = nil) throws(XtBPFError) -> Int {
        try remove(family: family, networkNamespace: networkNamespace) { name == nil || $0 == name }
    }

    /// Removes our rules whose names `includes` accepts from `family`'s tables, in one
    /// transaction; returns how many iptables rules went.
    @discardableResult
    public static func remove(
        family: Family, networkNamespace: String? = nil, where includes: (String) -> Bool
    ) throws(XtBPFError) -> Int {
        var tables: [String: [String]] = [:]
        var count = 0
        for old in try installed(family: family, networkNamespace: networkNamespace, where: includes) {
            tables[old.table, default: []] += old.lines.map { "-D" + $0.dropFirst(2) }
            count += old.lines.count
        }
        if count > 0 { try restore(family: family, tables: tables, networkNamespace: networkNamespace) }
        return count
    }

    /// Runs `iptables-restore --noflush` with `tables`' lines.
    private static func restore(family: Family, tables: [String: [String]], networkNamespace: String?) throws(XtBPFError) {
        let fragment = restoreFragment(tables: tables)
        _ = try run(family.tool + "-restore", ["--noflush"], input: Array(fragment.utf8), networkNamespace: networkNamespace)
    }

    /// Runs one of the iptables tools, found in `$PATH` or the sbin directories; its output when
    /// it succeeds, else an error with what it printed.
    private static func run(
        _ tool: String, _ arguments: [String], input: [UInt8], networkNamespace: String?
    ) throws(XtBPFError) -> String {
        guard let path = BoundedProcess.find(tool) else {
            throw XtBPFError(
                "\(tool) not found in $PATH or \(BoundedProcess.fallbackDirectories.joined(separator: ", ")): install iptables")
        }
        var command = (path, arguments)
        if let networkNamespace {
            guard let ip = BoundedProcess.find("ip") else {
                throw XtBPFError("ip not found in $PATH or \(BoundedProcess.fallbackDirectories.joined(separator: ", ")): install iproute2")
            }
            command = (ip, ["netns", "exec", networkNamespace, path] + arguments)
        }
        let result = try BoundedProcess.run(command.0, command.1, input: input)
        guard result.status == 0 else {
            let said = result.errorText.split(separator: "\n").prefix(4).joined(separator: "; ")
            throw XtBPFError("\(tool) \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(said)\(offendingLine(said, input))")
        }
        return result.outputText
    }

    /// The input line a restore error names (`line 3 failed`), quoted, or nothing.
    private static func offendingLine(_ message: String, _ input: [UInt8]) -> String {
        let words = message.split(separator: " ")
        guard let index = words.firstIndex(of: "line"), index + 1 < words.count,
            let number = Int(words[index + 1].prefix { $0.isNumber }), number > 0
        else { return "" }
        let lines = String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard number <= lines.count else { return "" }
        let line = lines[number - 1]
        return "; line \(number) is: \(line.count > 200 ? line.prefix(200) + "…" : line)"
    }

    /// The words of an `iptables-save` line: blanks separate them, double quotes group them, and
    /// a backslash in quotes takes the next character as it is.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false, quoted = false, escaped = false
        for character in line {
            if escaped {
                word.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                inWord = true
            } else if character == " " && !quoted {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
