import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `cbpf xt` run as a user would, under `ip netns exec` in a namespace of the test's own, with
/// iptables as the peer: what `rule` prints is what `apply` installs and `iptables -S` lists,
/// the printed commands install the same rules, `list` counts real DNS queries, and `remove`
/// leaves nothing.
@Suite(.enabled(if: TestNamespace.xtUnavailableReason == nil, "skipped: needs root, ip, iptables, xt_bpf and a built cbpf"))
struct XtBPFCommandTests {
    static let expression = "dns qname \"*.example.com\""

    @Test func ruleApplyListRemove() throws {
        let namespace = try TestNamespace(prefix: "cbpf-cli-xt")
        defer { namespace.delete() }
        let cbpf = try #require(CLI.executablePath)
        let fragment = try CLI.succeed(["xt", "rule", "--name", "dns", "-i", "lo", Self.expression]).standardOutput
        let lines = fragment.split(separator: "\n").map(String.init)
        #expect(lines.first == "*filter" && lines.last == "COMMIT")
        #expect(lines.count == 2 + 5, "a rule of 5 parts: \(lines.count - 2)")

        let applied = try namespace.run([cbpf, "xt", "apply", "--name", "dns", "-i", "lo", Self.expression])
        #expect(applied.contains("5 rules"))
        #expect(try namespace.ruleLines("iptables") == Array(lines.dropFirst().dropLast()))

        // Queries for a.example.com (matches), example.com and b.example.org (not).
        let queries: [[String]] = [["a", "example", "com"], ["example", "com"], ["b", "example", "org"], ["A", "B", "Example", "Com"]]
        let sends = queries.map { labels in
            var message: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            for label in labels { message += [UInt8(label.utf8.count)] + Array(label.utf8) }
            message += [0, 0, 1, 0, 1]
            // dd writes the datagram at once; bash's printf alone would split it at a newline byte.
            return "printf '\(message.map { String(format: "\\x%02x", $0) }.joined())' | dd bs=65536 iflag=fullblock status=none > /dev/udp/127.0.0.1/53"
        }
        try namespace.run(["bash", "-c", sends.joined(separator: "; ")])
        let listing = try namespace.run([cbpf, "xt", "list"])
        let row = listing.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.first { $0.first == "dns" }
        // Two queries match, each 20 + 8 + 12 + the name and 4 bytes of type and class.
        let bytes: Int = 2 * (20 + 8 + 12 + 4) + 15 + 17  // the names take 15 and 17 bytes
        #expect(row == ["dns", "filter", "INPUT", "DROP", "5", "2", String(bytes)], "\(listing)")

        let removed = try namespace.run([cbpf, "xt", "remove", "--name", "dns"])
        #expect(removed.contains("removed 5 rules"))
        #expect(try namespace.ruleLines("iptables").isEmpty)
        let again = try ProcessRun.run("/usr/sbin/ip", ["netns", "exec", namespace.name, cbpf, "xt", "remove", "--name", "dns"])
        #expect(again.exitStatus != 0 && again.standardError.contains("no rule named dns"), "\(again)")
    }

    /// The commands `rule --commands` prints, run by a shell, install what `rule` prints.
    @Test func printedCommandsInstallTheSameRules() throws {
        let namespace = try TestNamespace(prefix: "cbpf-cli-xt")
        defer { namespace.delete() }
        let arguments = ["--ipv6", "--name", "v6", "--target", "LOG", "--log-prefix", "dns: ", "dns qname \"ads.test\" or \(Self.expression)"]
        let commands = try CLI.succeed(["xt", "rule", "--commands"] + arguments).standardOutput
        let fragment = try CLI.succeed(["xt", "rule"] + arguments).standardOutput
        try namespace.run(["bash", "-e", "-c", commands])
        let expected = fragment.split(separator: "\n").dropFirst().dropLast().map(String.init)
        #expect(expected.count == 6)
        #expect(try namespace.ruleLines("ip6tables") == expected)
    }

    @Test func refusalsSayWhy() throws {
        // A LOG rule's parts must be disjoint: "udp port 5353 and not dns qname ..." is too long.
        try CLI.fail(["xt", "rule", "--target", "LOG", "\(Self.expression) or udp port 5353"], mentioning: ["and not", "limit of 64"])
        try CLI.fail(["xt", "rule", "--name", "a b", "udp"], mentioning: ["rule name \"a b\""])
        try CLI.fail(["xt", "rule", "--chain", "OUTPUT", "-i", "eth0", "udp"], mentioning: ["no input interface"])
        try CLI.fail(["xt", "remove"], mentioning: ["--name", "--all"])
        try CLI.fail(["xt", "rule", "--log-prefix", "x", "udp"], mentioning: ["only the LOG target"])
        try CLI.fail(["xt", "rule", "not \(Self.expression)"], mentioning: ["left to split"])
    }
}

/// What `cbpf xt` tests need of their namespaces.
extension TestNamespace {
    /// Why the tests cannot run here, or nil.
    static let xtUnavailableReason: String? = {
        guard geteuid() == 0 else { return "not root" }
        guard CLI.isAvailable else { return "cbpf was not built" }
        do {
            let namespace = try TestNamespace(prefix: "cbpf-cli-xt")
            defer { namespace.delete() }
            try namespace.run(["iptables", "-A", "INPUT", "-m", "bpf", "--bytecode", "1,6 0 0 0"])
            try namespace.run(["iptables", "-F", "INPUT"])
            return nil
        } catch {
            return "\(error)"
        }
    }()

    /// The INPUT chain's rules, as `iptables -S INPUT` prints them.
    func ruleLines(_ tool: String) throws -> [String] {
        try run([tool, "-S", "INPUT"]).split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") }
    }
}
