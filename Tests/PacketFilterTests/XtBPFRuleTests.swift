@testable import Attach
import CBPF
import Foundation
import PacketFilter
import TestSupport
import Testing

/// `XtBPFRule` against iptables and ip6tables in namespaces of the tests' own: rules show up in
/// `iptables -S` exactly as rendered, the counters after real DNS queries equal our
/// interpreter's verdicts (a rule set of several parts counts as one rule, and with a `LOG`
/// target no packet is counted twice), replacing and removing leave nothing behind, and a
/// failing transaction installs nothing.
@Suite(.enabled(if: TestNamespace.xtBPFUnavailableReason == nil,
                "skipped: needs root, ip, iptables, network namespaces and the kernel's xt_bpf match"))
struct XtBPFRuleKernelTests {
    static let expression = "dns qname \"*.example.com\" or dns qname \"ads.test\""

    /// The queries sent, by name.
    static let names: [[String]] = [
        ["example", "com"], ["a", "example", "com"], ["WWW", "Example", "com"], ["a", "b", "c", "d", "e", "f", "g", "example", "com"],
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "example", "com"], ["ads", "test"], ["ADS", "TEST"], ["example", "org"],
        ["x", "ads", "test"],
    ]

    @Test(arguments: [XtBPFRule.Family.ipv4, .ipv6])
    func countersEqualTheInterpretersVerdicts(family: XtBPFRule.Family) throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let ipv6 = family == .ipv6
        let compiler = PacketFilterCompiler(linkType: ipv6 ? .ipv6 : .ipv4, attachTarget: .iptables)
        let log = try XtBPFRule(
            name: "log-dns", programs: compiler.compileRuleSet(Self.expression, disjoint: true), family: family,
            target: .log(prefix: "cbpf-test "))
        let drop = try XtBPFRule(
            name: "drop-dns", programs: compiler.compileRuleSet(Self.expression), family: family, inputInterface: "lo")
        #expect(log.programs.count > 1 && drop.programs.count > 1)
        // Every call names the namespace: the host's tables are never touched.
        let ns = namespace.name
        try XtBPFRule.apply([log, drop], networkNamespace: ns)
        try XtBPFRule.apply([drop], networkNamespace: ns)  // replaces, does not add
        let listed = try namespace.run(family.tool, "-S", "INPUT").split(separator: "\n").map(String.init)
            .filter { $0.contains("cbpf:") }
        #expect(listed == log.restoreLines + drop.restoreLines)

        let messages = Self.names.map { TestPackets.dnsQuery($0) }
        let destination = ipv6 ? "::1" : "127.0.0.1"
        let sends = messages.map { DNSQuery.shellSend($0, to: destination) }
        try namespace.run("bash", "-c", sends.joined(separator: "; "))

        let whole = try Interpreter(PacketFilterCompiler(linkType: ipv6 ? .ipv6 : .ipv4).compile(Self.expression))
        let matching = messages.map { TestPackets.udp($0, ipv6: ipv6) }.filter { whole.run(packet: $0) != 0 }
        #expect(matching.count == 5)
        let installed = try XtBPFRule.installed(family: family, networkNamespace: ns)
        #expect(installed.map(\.name) == ["log-dns", "drop-dns"])
        for rule in installed {
            #expect(rule.packets == UInt64(matching.count), "\(rule.name): kernel \(rule.packets), ours \(matching.count)")
            #expect(rule.bytes == UInt64(matching.reduce(0) { $0 + $1.count }), "\(rule.name)")
            print("[xt_bpf rule] \(family.tool) \(rule.name): \(rule.parts) rules, \(rule.packets) packets, \(rule.bytes) bytes; ours \(matching.count) packets")
        }
        #expect(installed.first { $0.name == "drop-dns" }?.parts == drop.programs.count)

        #expect(try XtBPFRule.remove(named: "log-dns", family: family, networkNamespace: ns) == log.programs.count)
        #expect(try XtBPFRule.remove(named: nil, family: family, networkNamespace: ns) == drop.programs.count)
        #expect(!(try namespace.run(family.tool + "-save")).contains("cbpf:"))
    }

    /// Thousands of generated queries (0 to 10 labels over 10 domains, mixed case, pointers,
    /// answers, cut short, mutated): sent with 80 zero bytes after them, so that no load runs
    /// off the end, the counters equal the whole expression's verdicts; sent as they are, they
    /// equal the union of the parts' verdicts.
    @Test(arguments: [XtBPFRule.Family.ipv4, .ipv6])
    func countersOnGeneratedQueries(family: XtBPFRule.Family) throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let ipv6 = family == .ipv6
        let linkType: LinkType = ipv6 ? .ipv6 : .ipv4
        let parts = try PacketFilterCompiler(linkType: linkType, attachTarget: .iptables).compileRuleSet(Self.expression)
        let whole = try Interpreter(PacketFilterCompiler(linkType: linkType).compile(Self.expression))
        let interpreters = try parts.map { try Interpreter($0, for: .iptables) }
        // The DNS messages of the generated IPv4 packets (their headers are 28 bytes).
        let messages = Array(Set(RuleSetTests.packets(ipv6: false, raw: false).map { Array($0.dropFirst(28)) }))
            .filter { !$0.isEmpty }.sorted { $0.lexicographicallyPrecedes($1) }
        for padded in [true, false] {
            let sent = messages.map { padded ? $0 + Array(repeating: 0, count: 80) : $0 }
            let rule = try XtBPFRule(name: "dns", programs: parts, family: family)
            try XtBPFRule.apply([rule], networkNamespace: namespace.name)
            let destination = ipv6 ? "::1" : "127.0.0.1"
            let script = sent.map { DNSQuery.shellSend($0, to: destination) }.joined(separator: "\n")
            let run = try ProcessRun.run(
                "/usr/sbin/ip", ["netns", "exec", namespace.name, "bash", "-s"], input: Array(script.utf8), timeout: 120)
            #expect(run.succeeded, "\(run)")
            let packets = sent.map { TestPackets.udp($0, ipv6: ipv6) }
            let byParts = packets.filter { packet in interpreters.contains { $0.run(packet: packet) != 0 } }
            let byWhole = packets.filter { whole.run(packet: $0) != 0 }
            let counted = try #require(XtBPFRule.installed(family: family, name: "dns", networkNamespace: namespace.name).first)
            #expect(counted.packets == UInt64(byParts.count))
            #expect(counted.bytes == UInt64(byParts.reduce(0) { $0 + $1.count }))
            if padded { #expect(byWhole.count == byParts.count) }
            print("[xt_bpf rule] \(family.tool), \(sent.count) queries\(padded ? " padded" : ""): the kernel counted \(counted.packets), the parts \(byParts.count), the whole program \(byWhole.count)")
            try XtBPFRule.remove(named: "dns", family: family, networkNamespace: namespace.name)
        }
    }

    /// A rule set whose second rule iptables refuses installs nothing: one transaction.
    @Test func aRefusedTransactionInstallsNothing() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let program = try PacketFilterCompiler(linkType: .ipv4, attachTarget: .iptables).compile("udp port 53")
        let good = try XtBPFRule(name: "good", program: program)
        let bad = try XtBPFRule(name: "bad", program: program, chain: "NO-SUCH-CHAIN")
        #expect {
            try XtBPFRule.apply([good, bad], networkNamespace: namespace.name)
        } throws: { error in
            "\(error)".contains("iptables-restore --noflush failed") && "\(error)".contains("No chain/target/match by that name") && "\(error)".contains("-A NO-SUCH-CHAIN")
        }
        #expect(try XtBPFRule.installed(family: .ipv4, networkNamespace: namespace.name).isEmpty)
    }
}

/// Rendering and checking, without the kernel.
struct XtBPFRuleRenderingTests {
    static let program = Program([.returnConstant(1)])

    @Test func rendersAsIptablesSavePrints() throws {
        let rule = try XtBPFRule(
            name: "web", program: Self.program, family: .ipv6, chain: "FORWARD", target: .reject, inputInterface: "veth0",
            outputInterface: "veth1")
        #expect(rule.restoreLines == [
            "-A FORWARD -i veth0 -o veth1 -m comment --comment \"cbpf:web\" -m bpf --bytecode \"1,6 0 0 1\" -j REJECT --reject-with icmp6-port-unreachable"
        ])
        #expect(rule.commands == [[
            "ip6tables", "-t", "filter", "-A", "FORWARD", "-i", "veth0", "-o", "veth1", "-m", "comment", "--comment", "cbpf:web",
            "-m", "bpf", "--bytecode", "1,6 0 0 1", "-j", "REJECT", "--reject-with", "icmp6-port-unreachable",
        ]])
        #expect(rule.restoreFragment == "*filter\n\(rule.restoreLines[0])\nCOMMIT\n")
    }

    @Test(arguments: [
        ("bad name", "INPUT", nil as String?, "rule name \"bad name\""),
        ("x", "-A", nil, "chain \"-A\""),
        ("x", "INPUT", "a b", "interface \"a b\""),
    ])
    func refusesWhatIptablesWouldMisread(name: String, chain: String, interface: String?, message: String) {
        #expect {
            try XtBPFRule(name: name, program: Self.program, chain: chain, inputInterface: interface)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func refusesAProgramOverXtBPFsLimit() {
        let long = Program(Array(repeating: .loadImmediate(.a, 0), count: 64) + [.returnConstant(1)])
        #expect {
            try XtBPFRule(name: "long", programs: [Self.program, long])
        } throws: { error in
            "\(error)".contains("part 2 of 2") && "\(error)".contains("64")
        }
    }

    /// A proof for a socket does not stand for xt_bpf when the program is over xt_bpf's limit;
    /// the rule set's proofs are for xt_bpf and are the parts `compileRuleSet` gives.
    @Test func verifiedPartsAreCheckedForXtBPFWhereTheirProofDoesNotCoverIt() throws {
        let long = Program(Array(repeating: .loadImmediate(.a, 0), count: 64) + [.returnConstant(1)])
        let provenForSocket = try VerifiedProgram(long, for: .socket)
        #expect {
            try XtBPFRule(name: "long", programs: [try VerifiedProgram(Self.program, for: .iptables), provenForSocket])
        } throws: { error in
            "\(error)".contains("part 2 of 2") && "\(error)".contains("64")
        }
        let compiler = PacketFilterCompiler(linkType: .ipv4, attachTarget: .iptables)
        let parts = try compiler.compileVerifiedRuleSet(XtBPFRuleKernelTests.expression)
        #expect(parts.count > 1 && parts.allSatisfy { $0.target == .iptables })
        #expect(parts.map(\.program) == (try compiler.compileRuleSet(XtBPFRuleKernelTests.expression)))
        let rule = try XtBPFRule(name: "dns", programs: parts)
        #expect(rule.programs == parts.map(\.program))
    }

    @Test func targetsThatDoNotEndTheChainNeedDisjointParts() throws {
        #expect(try XtBPFRule.Target("drop").endsTheChain)
        #expect(try !XtBPFRule.Target("LOG").endsTheChain)
        #expect(try XtBPFRule.Target("my-chain") == .jump(chain: "my-chain"))
    }
}

/// DNS queries sent from a shell, for the kernel tests.
enum DNSQuery {
    /// A shell command that sends `message` in one UDP datagram to port 53 of `address`. bash's
    /// `printf` alone writes up to each newline byte separately, which would split the datagram;
    /// `dd` with a full block writes it once.
    static func shellSend(_ message: [UInt8], to address: String) -> String {
        let escaped = message.map { String(format: "\\x%02x", $0) }.joined()
        return "printf '\(escaped)' | dd bs=65536 iflag=fullblock status=none > /dev/udp/\(address)/53"
    }
}

/// The iptables tools run with a bound on time and output, their input written while their
/// output is read.
struct BoundedProcessTests {
    @Test func aToolThatRunsTooLongIsKilled() {
        #expect {
            try BoundedProcess.run("/bin/sleep", ["5"], timeout: .milliseconds(300))
        } throws: { "\($0)".contains("ran longer than") }
    }

    @Test func aToolThatPrintsTooMuchIsKilled() {
        #expect {
            try BoundedProcess.run("/usr/bin/yes", [], outputLimit: 100_000)
        } throws: { "\($0)".contains("printed more than 100000 bytes") }
    }

    @Test func inputAndOutputLargerThanAPipeGoThrough() throws {
        let input = (0..<1_000_000).map { UInt8($0 % 251) }
        let result = try BoundedProcess.run("/bin/cat", [], input: input)
        #expect(result.status == 0 && result.output == input)
        #expect(try BoundedProcess.run("/bin/sh", ["-c", "exit 3"]).status == 3)
    }

    @Test func missingToolsAreNotFound() {
        #expect(BoundedProcess.find("cbpf-no-such-tool") == nil)
        #expect(BoundedProcess.find("sh") != nil)
    }
}
