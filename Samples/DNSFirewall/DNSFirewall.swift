import ArgumentParser
import Attach
import PacketFilter

/// `dns-firewall`: drops DNS queries for some names with iptables `xt_bpf` rules, over IPv4 and
/// IPv6, and counts what it dropped. Each blocked name is one rule per family, named
/// `dns-firewall:NAME` (comment `cbpf:dns-firewall:NAME`); a wildcard too long for one `xt_bpf`
/// program is several iptables rules under that name.
@main
struct DNSFirewall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-firewall",
        abstract: "Drop DNS queries for names, with iptables and ip6tables xt_bpf rules.",
        subcommands: [BlockCommand.self, StatsCommand.self, ClearCommand.self]
    )

    /// The rule names this tool owns start with this.
    static let rulePrefix = "dns-firewall:"
}

struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Drop queries (UDP to port 53) for these names, case-insensitively, over IPv4 and IPv6.",
        discussion: """
            NAME is exact (ads.test) or a wildcard (*.example.com: one to 8 labels in front of \
            example.com, not example.com itself). The query's first question name is compared; a \
            name written with a compression pointer is not followed, so it is not dropped. Blocking \
            a name again replaces its rules.
            """
    )

    @Option(help: "The chain: INPUT for a DNS server on this host, OUTPUT for queries it sends, FORWARD for a router.")
    var chain = "INPUT"

    @Option(name: [.customShort("i"), .customLong("in-interface")], help: "Only queries that came in on this interface.")
    var inInterface: String?

    @Argument(help: "The names to block.")
    var names: [String]

    func validate() throws {
        if names.isEmpty { throw ValidationError("give at least one name to block") }
    }

    func run() throws {
        var rules: [XtBPFRule] = []
        for name in names {
            let expression = "dns qname \"\(name)\""
            for family in XtBPFRule.Family.allCases {
                let compiler = PacketFilterCompiler(linkType: family == .ipv4 ? .ipv4 : .ipv6, attachTarget: .iptables)
                let programs = try compiler.compileVerifiedRuleSet(expression)
                let parsed = try DNSName(name)
                rules.append(try XtBPFRule(
                    name: DNSFirewall.rulePrefix + parsed.description, programs: programs, family: family, chain: chain,
                    target: .drop, inputInterface: inInterface))
            }
        }
        try XtBPFRule.apply(rules)
        for rule in rules {
            print("\(rule.family.tool): blocking \(rule.name.dropFirst(DNSFirewall.rulePrefix.count)) in \(rule.chain) (\(rule.programs.count) rule\(rule.programs.count == 1 ? "" : "s"))")
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show the queries and bytes dropped per name and family.")

    func run() throws {
        print("family\tname\tchain\tpackets\tbytes")
        for family in XtBPFRule.Family.allCases {
            for rule in try XtBPFRule.installed(family: family, where: { $0.hasPrefix(DNSFirewall.rulePrefix) }) {
                print("\(family)\t\(rule.name.dropFirst(DNSFirewall.rulePrefix.count))\t\(rule.chain)\t\(rule.packets)\t\(rule.bytes)")
            }
        }
    }
}

struct ClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear", abstract: "Remove every rule dns-firewall installed.")

    func run() throws {
        for family in XtBPFRule.Family.allCases {
            let removed = try XtBPFRule.remove(family: family) { $0.hasPrefix(DNSFirewall.rulePrefix) }
            print("\(family.tool): removed \(removed) rule\(removed == 1 ? "" : "s")")
        }
    }
}
