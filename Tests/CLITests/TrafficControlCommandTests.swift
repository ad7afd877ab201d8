import Foundation
import TestSupport
import Testing

/// Whether `cbpf tc` can be tried here: root, the tools, clsact, HTB and cls_bpf.
enum TrafficControlCommandAvailability {
    /// Why the tests cannot run here, or nil.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root" }
        guard CLI.isAvailable else { return "cbpf was not found" }
        for tool in [TrafficControlCommandTests.ip, "/usr/sbin/tc"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing"
        }
        do {
            let namespace = try TestNamespace(prefix: "cbpf-cli")
            defer { namespace.delete() }
            try namespace.run("ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
            try namespace.run("tc", "qdisc", "add", "dev", "probe0", "clsact")
            try namespace.run("tc", "qdisc", "add", "dev", "probe1", "root", "handle", "1:", "htb")
            try namespace.run("tc", "filter", "add", "dev", "probe1", "parent", "1:", "bpf", "bytecode", "1,6 0 0 0")
            return nil
        } catch {
            return "\(error)"
        }
    }()
}

/// `cbpf tc attach|detach|show`, run as a user would (`ip netns exec NS cbpf tc ...`) in network
/// namespaces of the test's own, with iproute2's `tc` reading back what it did and the kernel's
/// HTB counters saying what the filter classified.
@Suite(.enabled(if: TrafficControlCommandAvailability.unavailableReason == nil,
                "skipped: needs root, ip, tc, network namespaces, veth, clsact, HTB and the cbpf executable"))
struct TrafficControlCommandTests {
    static let ip = "/usr/sbin/ip"

    /// A network namespace deleted afterwards.
    /// The bytecode strings (`N,code jt jf k,...`) `tc filter show` prints after "bytecode".
    static func bytecodes(in listing: String) -> [String] {
        listing.split(separator: "\n").compactMap { line in
            guard let start = line.range(of: "bytecode '") else { return nil }
            return String(line[start.upperBound...].prefix { $0 != "'" })
        }
    }

    @Test func attachShowDetachOnClsact() throws {
        let namespace = try TestNamespace(prefix: "cbpf-cli")
        defer { namespace.delete() }
        try namespace.run("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        let expression = "udp dst port 53"
        let compiled = try CLI.succeed(["compile", "--target", "cls_bpf", expression]).trimmedOutput

        let attach = try namespace.cbpf(["tc", "attach", "dev", "veth0", "ingress", expression])
        try #require(attach.succeeded, "\(attach)")
        #expect(attach.trimmedOutput == "ingress priority 49152 protocol all handle 0xcbf10001 bytecode '\(compiled)'")
        #expect(try namespace.run("tc", "qdisc", "show", "dev", "veth0").contains("qdisc clsact ffff:"))
        let egress = try namespace.cbpf(["tc", "attach", "dev", "veth0", "egress", "--priority", "7", "--bytecode", "1,6 0 0 4294967295"])
        try #require(egress.succeeded, "\(egress)")

        // tc, the peer, lists exactly what was attached, with the same bytecode.
        let ingressListing = try namespace.run("tc", "filter", "show", "dev", "veth0", "ingress")
        #expect(Self.bytecodes(in: ingressListing) == [compiled], "\(ingressListing)")
        #expect(ingressListing.contains("pref 49152 bpf chain 0 handle 0xcbf10001"))
        let egressListing = try namespace.run("tc", "filter", "show", "dev", "veth0", "egress")
        #expect(Self.bytecodes(in: egressListing) == ["1,6 0 0 4294967295"], "\(egressListing)")
        #expect(egressListing.contains("pref 7 bpf chain 0 handle 0xcbf00001"))

        let show = try namespace.cbpf(["tc", "show", "dev", "veth0"])
        #expect(show.succeeded)
        #expect(show.standardOutput.split(separator: "\n").map(String.init) == [
            "ingress priority 49152 protocol all handle 0xcbf10001 bytecode '\(compiled)'",
            "egress priority 7 protocol all handle 0xcbf00001 bytecode '1,6 0 0 4294967295'",
        ], "\(show)")

        // Detaching the filter whose attach made the qdisc leaves the qdisc while the egress
        // filter needs it; the last detach removes it, and nothing is left behind.
        #expect(try namespace.cbpf(["tc", "detach", "dev", "veth0", "ingress"]).succeeded)
        #expect(try namespace.run("tc", "filter", "show", "dev", "veth0", "ingress").isEmpty)
        #expect(try namespace.run("tc", "qdisc", "show", "dev", "veth0").contains("clsact"))
        let last = try namespace.cbpf(["tc", "detach", "dev", "veth0", "egress"])
        #expect(last.succeeded && last.standardOutput.contains("deleted the clsact qdisc"), "\(last)")
        #expect(try namespace.run("tc", "filter", "show", "dev", "veth0", "egress").isEmpty)
        #expect(try !namespace.run("tc", "qdisc", "show", "dev", "veth0").contains("clsact"))
    }

    @Test func aQdiscItDidNotCreateStays() throws {
        let namespace = try TestNamespace(prefix: "cbpf-cli")
        defer { namespace.delete() }
        try namespace.run("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        try namespace.run("tc", "qdisc", "add", "dev", "veth0", "clsact")
        let attach = try namespace.cbpf(["tc", "attach", "dev", "veth0", "egress", "arp"])
        #expect(attach.succeeded && attach.trimmedOutput.contains("handle 0xcbf00001"), "\(attach)")
        #expect(try namespace.cbpf(["tc", "detach", "dev", "veth0", "egress"]).succeeded)
        #expect(try namespace.run("tc", "filter", "show", "dev", "veth0", "egress").isEmpty)
        #expect(try namespace.run("tc", "qdisc", "show", "dev", "veth0").contains("clsact"))
    }

    @Test func aQdiscOthersStillUseStays() throws {
        let namespace = try TestNamespace(prefix: "cbpf-cli")
        defer { namespace.delete() }
        try namespace.run("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        let attach = try namespace.cbpf(["tc", "attach", "dev", "veth0", "ingress", "ip"])
        #expect(attach.succeeded && attach.trimmedOutput.contains("handle 0xcbf10001"), "\(attach)")
        try namespace.run("tc", "filter", "add", "dev", "veth0", "egress", "prio", "3", "bpf", "bytecode", "1,6 0 0 0")
        let detach = try namespace.cbpf(["tc", "detach", "dev", "veth0", "ingress"])
        #expect(detach.succeeded && detach.standardError.contains("the clsact qdisc of veth0 stays"), "\(detach)")
        #expect(try namespace.run("tc", "filter", "show", "dev", "veth0", "ingress").isEmpty)
        #expect(Self.bytecodes(in: try namespace.run("tc", "filter", "show", "dev", "veth0", "egress")) == ["1,6 0 0 0"])
        #expect(try namespace.run("tc", "qdisc", "show", "dev", "veth0").contains("clsact"))
    }

    /// How a match reaches class 1:10: the filter's classid (`cbpf tc attach --classid`), or the
    /// program's return value (`cbpf compile --target cls_bpf --classid`, attached with `--bytecode`).
    enum ClassChoice: CaseIterable {
        case filtersClassID, compiledClass
    }

    @Test(arguments: ClassChoice.allCases)
    func htbClassCountsMatchWhatCbpfRunSays(choice: ClassChoice) throws {
        let link = try TestVethPair(subnet: [10, 98, 0], prefix: "cbpf-cli")
        defer { link.delete() }
        let local = link.local
        try local.run("tc", "qdisc", "add", "dev", "veth0", "root", "handle", "1:", "htb", "default", "20")
        for minor in ["10", "20"] {
            try local.run("tc", "class", "add", "dev", "veth0", "parent", "1:", "classid", "1:\(minor)", "htb", "rate", "10mbit")
        }
        let expression = "udp dst port 53 or udp[8] == 0x68"
        let attach: ProcessRun
        switch choice {
        case .filtersClassID:
            attach = try local.cbpf(["tc", "attach", "dev", "veth0", "parent", "1:", "--classid", "1:10", expression])
        case .compiledClass:
            let compiled = try CLI.succeed(["compile", "--target", "cls_bpf", "--classid", "1:10", expression]).trimmedOutput
            attach = try local.cbpf(["tc", "attach", "dev", "veth0", "parent", "1:", "--bytecode", compiled])
        }
        try #require(attach.succeeded, "\(attach)")
        let listing = try local.run("tc", "filter", "show", "dev", "veth0", "parent", "1:")
        #expect(listing.contains("flowid 1:10") == (choice == .filtersClassID), "\(listing)")
        let bytecode = try #require(Self.bytecodes(in: listing).first)

        let datagrams: [(port: UInt16, payload: String)] = [(53, "hi"), (53, "x"), (54, "hi"), (54, "x"), (5353, "x")]
        try link.send(datagrams)
        var accepted = 0
        for datagram in datagrams {
            let frame = link.frame(port: datagram.port, payload: datagram.payload)
            let run = try CLI.succeed(["run", "--target", "cls_bpf", "--packet", frame.map { String(format: "%02x", $0) }.joined(), bytecode])
            if run.trimmedOutput != "0" { accepted += 1 }
        }
        let classes = try local.run("tc", "-s", "class", "show", "dev", "veth0")
        #expect(Self.packets(ofClass: "1:10", in: classes) == accepted, "cbpf run accepts \(accepted): \(classes)")
        #expect(accepted == 3)

        #expect(try local.cbpf(["tc", "detach", "dev", "veth0", "parent", "1:"]).succeeded)
        #expect(try local.run("tc", "filter", "show", "dev", "veth0", "parent", "1:").isEmpty)
        // The HTB qdisc was there before: it stays.
        #expect(try local.run("tc", "qdisc", "show", "dev", "veth0").contains("qdisc htb 1:"))
    }

    @Test func errorsSayWhatWasRefused() throws {
        let namespace = try TestNamespace(prefix: "cbpf-cli")
        defer { namespace.delete() }
        try namespace.run("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        func fails(_ arguments: [String], mentioning mentions: [String]) throws {
            let run = try namespace.cbpf(arguments)
            #expect(run.exitStatus != nil && run.exitStatus != 0 && run.standardOutput.isEmpty, "\(run)")
            for mention in mentions {
                #expect(run.standardError.contains(mention), "\"\(mention)\" not in: \(run)")
            }
        }
        try fails(["tc", "attach", "dev", "veth9", "ingress", "ip"], mentioning: ["no network interface named \"veth9\""])
        try fails(["tc", "attach", "dev", "veth0", "parent", "1:", "ip"], mentioning: ["veth0 has no qdisc 1:"])
        try fails(["tc", "attach", "dev", "veth0", "ip"], mentioning: ["ingress, egress or parent"])
        try fails(["tc", "attach", "dev", "veth0", "ingress", "--bytecode", "1,5 0 0 3"], mentioning: ["cls_bpf"])
        try fails(["tc", "detach", "dev", "veth0", "ingress"], mentioning: ["no filter attached by cbpf at veth0 ingress"])
        // The kernel's own words (netlink's extended ack) and the errno: a priority that tc
        // already gave a filter of another protocol.
        try namespace.run("tc", "qdisc", "add", "dev", "veth0", "clsact")
        try namespace.run("tc", "filter", "add", "dev", "veth0", "ingress", "prio", "5", "protocol", "ip", "bpf",
                          "bytecode", "1,6 0 0 0")
        let tcRun = try ProcessRun.run(Self.ip, ["netns", "exec", namespace.name, "tc", "filter", "add", "dev", "veth0",
                                                 "ingress", "prio", "5", "protocol", "all", "bpf", "bytecode", "1,6 0 0 0"])
        let kernelWords = try #require(tcRun.standardError.split(separator: "\n").first { $0.hasPrefix("Error: ") })
            .dropFirst("Error: ".count).trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        try fails(["tc", "attach", "dev", "veth0", "ingress", "--priority", "5", "ip"],
                  mentioning: ["RTM_NEWTFILTER", kernelWords, "Invalid argument"])
    }

    /// The packets `tc -s class show` says a class sent.
    static func packets(ofClass classID: String, in listing: String) -> Int? {
        let lines = listing.split(separator: "\n")
        guard let header = lines.firstIndex(where: { $0.hasPrefix("class htb \(classID) ") }), header + 1 < lines.count
        else { return nil }
        let words = lines[header + 1].split(separator: " ")
        guard let sent = words.firstIndex(of: "Sent"), sent + 3 < words.count else { return nil }
        return Int(words[sent + 3])
    }
}

/// `cbpf compile --target cls_bpf`: what a match returns, and the options that do not apply.
/// (The kernel reads those return values in `TrafficControlCommandTests` and `ClsBPFTests`.)
struct ClsBPFCompileCommandTests {
    @Test func aMatchReturnsMinusOneOrTheClassAskedFor() throws {
        #expect(try CLI.succeed(["compile", "--target", "cls_bpf", "ip"]).trimmedOutput.hasSuffix(",6 0 0 4294967295,6 0 0 0"))
        #expect(try CLI.succeed(["compile", "--target", "cls_bpf", "--classid", "1:10", "ip"]).trimmedOutput
            .hasSuffix(",6 0 0 \(0x1_0010),6 0 0 0"))
        #expect(try CLI.succeed(["compile", "ip"]).trimmedOutput.hasSuffix(",6 0 0 262144,6 0 0 0"))
        #expect(try CLI.succeed(["compile", "--target", "cls_bpf"]).trimmedOutput == "1,6 0 0 4294967295")
    }

    @Test func optionsThatDoNotApplyAreRefused() throws {
        try CLI.fail(["compile", "--classid", "1:10", "ip"], mentioning: ["--classid", "cls_bpf"])
        try CLI.fail(["compile", "--target", "xt_bpf", "--classid", "1:10", "ip"], mentioning: ["--classid", "cls_bpf"])
        try CLI.fail(["compile", "--target", "cls_bpf", "--snaplen", "96", "ip"], mentioning: ["--snaplen", "class"])
        try CLI.fail(["compile", "--target", "cls_bpf", "--classid", "0:0", "ip"], mentioning: ["0:0", "no match"])
        try CLI.fail(["compile", "--target", "cls_bpf", "--classid", "ffff:ffff", "ip"], mentioning: ["ffff:ffff"])
        try CLI.fail(["compile", "--target", "cls_bpf", "--classid", "1:x", "ip"], mentioning: ["--classid"])
        try CLI.fail(["tc", "attach", "--snaplen", "96", "dev", "lo", "ingress", "ip"], mentioning: ["--snaplen"])
        try CLI.fail(["tc", "show"], mentioning: ["dev IFACE"])
    }
}

extension TestNamespace {
    /// Runs `cbpf` in the namespace, as `ip netns exec NS cbpf ...`.
    func cbpf(_ arguments: [String]) throws -> ProcessRun {
        guard let path = CLI.executablePath else { throw CLIError("cbpf was not found") }
        return try ProcessRun.run(TrafficControlCommandTests.ip, ["netns", "exec", name, path] + arguments, timeout: 30)
    }
}
