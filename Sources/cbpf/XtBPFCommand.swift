import ArgumentParser
import Attach
import CBPF
import PacketFilter

/// `cbpf xt`: iptables rules that match with classic BPF (`xt_bpf`), named and counted.
struct XtBPFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xt",
        abstract: "Make, apply, list and remove iptables rules that match a tcpdump expression (xt_bpf).",
        discussion: """
            An expression too long for xt_bpf's 64 instructions becomes several rules with the same \
            target and name whose union is the expression (dns qname "*.example.com" becomes one \
            rule per group of depths). Rules are named by a comment, cbpf:NAME.
            """,
        subcommands: [XtRuleCommand.self, XtApplyCommand.self, XtListCommand.self, XtRemoveCommand.self]
    )
}

/// The family and the name: what every `xt` subcommand needs.
struct XtFamilyOptions: ParsableArguments {
    @Flag(help: "IPv6: ip6tables instead of iptables.")
    var ipv6 = false

    var family: XtBPFRule.Family { ipv6 ? .ipv6 : .ipv4 }
}

/// What a rule is: where it goes, what it does, and its match.
struct XtRuleOptions: ParsableArguments {
    @OptionGroup var familyOptions: XtFamilyOptions

    @Option(help: "The rule's name; its comment is cbpf:NAME.")
    var name = "rule"

    @Option(help: "The table: filter, mangle, raw, security or nat.")
    var table = "filter"

    @Option(help: "The chain: INPUT, OUTPUT, FORWARD, PREROUTING, POSTROUTING or one of yours.")
    var chain = "INPUT"

    @Option(help: "What a match does: DROP, ACCEPT, REJECT, RETURN, LOG or a chain of yours.")
    var target = "DROP"

    @Option(help: "The LOG target's prefix.")
    var logPrefix: String?

    @Option(name: [.customShort("i"), .customLong("in-interface")], help: "Only packets that came in on this interface.")
    var inInterface: String?

    @Option(name: [.customShort("o"), .customLong("out-interface")], help: "Only packets that go out on this interface.")
    var outInterface: String?

    @Option(name: [.customShort("y"), .long], help: """
        The link type to compile for: IPV4 for iptables and IPV6 for ip6tables by default (what \
        xt_bpf sees), or RAW, whose programs test the IP version and are longer.
        """)
    var linktype: String?

    @Argument(help: "The filter expression, in one or several words.")
    var expression: [String] = []

    /// The rule, its expression compiled into as many parts as xt_bpf needs.
    func rule() throws -> XtBPFRule {
        let target = try XtBPFRule.Target(self.target, logPrefix: logPrefix)
        if logPrefix != nil && target != .log(prefix: logPrefix) {
            throw InputError("--log-prefix: only the LOG target takes a prefix, not \(target)")
        }
        let family = familyOptions.family
        let linkType = try linktype.map(FilterCompileOptions.linkType(named:)) ?? (family == .ipv4 ? .ipv4 : .ipv6)
        let text = expression.joined(separator: " ")
        let programs: [VerifiedProgram]
        do {
            programs = try PacketFilterCompiler(linkType: linkType, attachTarget: .iptables)
                .compileVerifiedRuleSet(text, disjoint: !target.endsTheChain)
        } catch {
            throw InputError("filter expression \"\(text)\": \(error)")
        }
        return try XtBPFRule(
            name: name, programs: programs, family: family, table: table, chain: chain, target: target,
            inputInterface: inInterface, outputInterface: outInterface)
    }
}

struct XtRuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule",
        abstract: "Print the rule as an iptables-restore --noflush input, or as iptables commands.")

    @OptionGroup var options: XtRuleOptions

    @Flag(help: "Print iptables commands, one per part, instead of an iptables-restore input.")
    var commands = false

    func run() throws {
        let rule = try options.rule()
        if commands {
            for command in rule.commands { print(command.map(Self.shellQuoted).joined(separator: " ")) }
        } else {
            print(rule.restoreFragment, terminator: "")
        }
    }

    /// `word` as a POSIX shell reads it back: in single quotes unless it needs none.
    static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.,:/=+@%".contains($0)) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

struct XtApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Install the rule in one iptables-restore --noflush transaction, replacing ours of the same name.")

    @OptionGroup var options: XtRuleOptions

    func run() throws {
        let rule = try options.rule()
        try rule.apply()
        print("\(rule.family.tool): \(rule.name) in \(rule.table) \(rule.chain), \(rule.programs.count) rule\(rule.programs.count == 1 ? "" : "s") of \(rule.programs.map(\.count).map(String.init).joined(separator: ", ")) instructions")
    }
}

struct XtListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List our rules (comment cbpf:NAME) with their packet and byte counters, parts summed.")

    @OptionGroup var familyOptions: XtFamilyOptions

    @Option(help: "Only the rule of this name.")
    var name: String?

    func run() throws {
        let rules = try XtBPFRule.installed(family: familyOptions.family, name: name)
        print("name\ttable\tchain\ttarget\trules\tpackets\tbytes")
        for rule in rules {
            print("\(rule.name)\t\(rule.table)\t\(rule.chain)\t\(rule.target)\t\(rule.parts)\t\(rule.packets)\t\(rule.bytes)")
        }
    }
}

struct XtRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove our rule of this name (every part), or all of ours with --all.")

    @OptionGroup var familyOptions: XtFamilyOptions

    @Option(help: "The rule's name.")
    var name: String?

    @Flag(help: "Remove every rule whose comment starts with cbpf:.")
    var all = false

    func validate() throws {
        if (name == nil) == !all { throw ValidationError("give --name NAME or --all") }
    }

    func run() throws {
        let removed = try XtBPFRule.remove(named: name, family: familyOptions.family)
        guard removed > 0 || all else {
            throw InputError("\(familyOptions.family.tool): no rule named \(name ?? "") (comment cbpf:\(name ?? ""))")
        }
        print("\(familyOptions.family.tool): removed \(removed) rule\(removed == 1 ? "" : "s")")
    }
}
