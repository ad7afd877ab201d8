import CBPF
import Foundation
import PacketFilter
import Testing

/// Bytecode strings compiled for `cls_bpf` go into a tc filter on a veth pair between two network
/// namespaces of the test's own. The filter returns -1 on a match, which sends the packet to the
/// filter's class; the class's packet count must equal our interpreter's verdicts on the same
/// frames.
@Suite(.enabled(if: TestNamespace.clsBPFUnavailableReason == nil,
                "skipped: needs root, ip, tc, network namespaces, veth, HTB and cls_bpf"))
struct ClsBPFTests {
    static let localMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
    static let peerMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]

    /// The UDP datagrams sent from 10.99.0.1 to 10.99.0.2: destination port and payload.
    static let datagrams: [(port: UInt16, payload: String)] = [
        (53, "hi"), (53, "hi"), (53, "hello world"), (54, "hi"), (54, "hello world"), (5353, "hi"),
    ]

    static let expressions = [
        "udp dst port 53", "ether dst 02:00:00:00:00:02 and udp port 5353", "udp[8] == 0x68", "ip6",
        "udp and len >= 53", "udp and not port 54", "vlan",
    ]

    @Test func classCountsMatchTheInterpreter() throws {
        let local = try TestNamespace()
        defer { local.delete() }
        let peer = try TestNamespace()
        defer { peer.delete() }
        // No IPv6: its router solicitations would go out on the link too.
        try local.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        try local.run("ip", "link", "add", "veth0", "address", "02:00:00:00:00:01", "type", "veth",
                      "peer", "name", "veth1", "address", "02:00:00:00:00:02", "netns", peer.name)
        try local.run("ip", "addr", "add", "10.99.0.1/24", "dev", "veth0")
        try peer.run("ip", "addr", "add", "10.99.0.2/24", "dev", "veth1")
        try local.run("ip", "link", "set", "veth0", "up")
        try peer.run("ip", "link", "set", "veth1", "up")
        // A fixed neighbour: no ARP on the link either.
        try local.run("ip", "neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev", "veth0", "nud", "permanent")

        // -1 means "this filter's class" to cls_bpf.
        let compiler = PacketFilterCompiler(snapshotLength: .max, attachTarget: .trafficControl)
        let sends = Self.datagrams.map { "printf '\($0.payload)' > /dev/udp/10.99.0.2/\($0.port)" }
        for expression in Self.expressions {
            let program = try compiler.compile(expression)
            try local.run("tc", "qdisc", "replace", "dev", "veth0", "root", "handle", "1:", "htb", "default", "20")
            for minor in ["10", "20"] {
                try local.run("tc", "class", "add", "dev", "veth0", "parent", "1:", "classid", "1:\(minor)",
                              "htb", "rate", "10mbit")
            }
            try local.run("tc", "filter", "add", "dev", "veth0", "parent", "1:", "bpf", "bytecode",
                          BytecodeString.format(program), "classid", "1:10")
            try local.run("bash", "-c", sends.joined(separator: "; "))
            let matched = try Self.packets(ofClass: "1:10", in: local.run("tc", "-s", "class", "show", "dev", "veth0"))
            let interpreter = try Interpreter(program, for: .trafficControl)
            let accepted = Self.datagrams.filter {
                interpreter.run(packet: Self.frame(port: $0.port, payload: Array($0.payload.utf8))) != 0
            }.count
            #expect(matched == accepted, "\(expression): kernel \(String(describing: matched)), ours \(accepted)")
            print("[cls_bpf] \(expression): the kernel classified \(matched ?? -1) of \(Self.datagrams.count), ours \(accepted)")
            try local.run("tc", "qdisc", "del", "dev", "veth0", "root")
        }
    }

    /// The packets `tc -s class show` says a class sent: "class htb 1:10 ..." then " Sent B bytes P pkt".
    static func packets(ofClass classID: String, in listing: String) -> Int? {
        let lines = listing.split(separator: "\n")
        guard let header = lines.firstIndex(where: { $0.hasPrefix("class htb \(classID) ") }),
              header + 1 < lines.count
        else { return nil }
        let words = lines[header + 1].split(separator: " ")
        guard let sent = words.firstIndex(of: "Sent"), sent + 3 < words.count else { return nil }
        return Int(words[sent + 3])
    }

    /// The Ethernet frame the kernel sends for a datagram, but for fields no expression reads.
    static func frame(port: UInt16, payload: [UInt8]) -> [UInt8] {
        peerMAC + localMAC + [0x08, 0x00]
            + TestDatagrams.ipv4UDP(from: [10, 99, 0, 1], to: [10, 99, 0, 2], port: port, payload: payload)
    }
}
