import CBPF
import CBPFFuzz
import CPcap
import Foundation
import LibpcapOracle
import PacketFilter
import Testing

// Random pcap-filter expressions from the supported (tier-1) language, compiled by libpcap and by
// us for every supported link type, then run over program-guided mutated packets. Needs no
// corpus (the mutations start from synthetic packets when the shared captures are absent).

/// Random expressions of the primitives the compiler supports.
struct OracleExpressionGenerator {
    var random: FuzzRandom
    var linkType: LinkType

    mutating func ipv4() -> String {
        random.element(of: [
            "10.0.0.1", "192.168.1.1", "127.0.0.1", "255.255.255.255", "0.0.0.0", "224.0.0.1",
            "\(random.below(256)).\(random.below(256)).\(random.below(256)).\(random.below(256))",
        ])
    }

    mutating func ipv6() -> String {
        random.element(of: ["::1", "fe80::1", "2001:db8::1", "ff02::1", "::", "::ffff:10.0.0.1", "2001:db8:0:1:2:3:4:5"])
    }

    mutating func mac() -> String {
        random.element(of: ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "00:11:22:33:44:55", "0:1:2:3:4:5", "00-11-22-33-44-55",
                            "0011.2233.4455"])
    }

    mutating func port() -> String {
        random.element(of: ["80", "53", "443", "22", "0", "65535", "1024", "\(random.below(65536))", "http", "domain"])
    }

    mutating func direction() -> String {
        random.element(of: ["", "", "src ", "dst ", "src or dst ", "src and dst "])
    }

    mutating func comparison() -> String {
        random.element(of: ["=", "==", "!=", "<", "<=", ">", ">="])
    }

    mutating func number() -> String {
        random.weighted([
            (3, String(random.below(16))), (2, String(random.below(256))), (1, String(random.word())),
            (1, "0x" + String(random.below(65536), radix: 16)), (1, "0" + String(random.below(64), radix: 8)),
        ])
    }

    mutating func arithmetic(depth: Int) -> String {
        if depth <= 0 || random.chance(1, in: 2) {
            return random.weighted([
                (4, number()), (2, load(depth: depth - 1)), (1, "len"),
                (1, random.element(of: ["tcp-syn", "tcp-ack", "tcp-fin", "icmp-echo", "icmp-echoreply", "tcpflags", "icmptype"])),
            ])
        }
        let operation = random.element(of: ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"])
        let left = arithmetic(depth: depth - 1)
        var right = arithmetic(depth: depth - 1)
        if ["/", "%"].contains(operation), right == "0" { right = "1" }
        if ["<<", ">>"].contains(operation), random.chance(3, in: 4) { right = String(random.below(33)) }
        let expression = "\(left) \(operation) \(right)"
        return random.chance(1, in: 2) ? "(\(expression))" : expression
    }

    mutating func load(depth: Int) -> String {
        let proto = random.element(of: ["ether", "link", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp", "sctp", "igmp",
                                        "rarp", "pim", "vrrp"])
        let index = depth > 0 && random.chance(1, in: 4) ? arithmetic(depth: depth - 1) : String(random.below(48))
        let size = random.element(of: ["", ":1", ":2", ":4"])
        return "\(proto)[\(index)\(size)]"
    }

    mutating func primitive() -> String {
        var choices: [(weight: Int, value: () -> String)] = []
        func add(_ weight: Int, _ make: @escaping () -> String) { choices.append((weight, make)) }
        var this = self
        defer { self = this }
        add(3) { "\(this.direction())host \(this.ipv4())" }
        add(2) { "ip \(this.direction())host \(this.ipv4())" }
        add(2) { "\(this.direction())host \(this.ipv6())" }
        add(1) { "ip6 \(this.direction())host \(this.ipv6())" }
        add(1) { "arp \(this.direction())host \(this.ipv4())" }
        add(1) { "rarp \(this.direction())host \(this.ipv4())" }
        add(2) { "\(this.direction())net \(this.ipv4())/\(this.random.below(33))" }
        add(1) {
            this.random.element(of: ["net 10", "net 10.1", "net 192.168.1", "src net 172.16", "dst net 10.0.0.0 mask 255.0.0.0",
                                     "net 192.168.0.0 mask 255.255.0.0", "ip net 224.0.0.0/4"])
        }
        add(2) { "\(this.direction())net \(this.random.element(of: ["fe80::", "2001:db8::", "ff00::", "::"]))/\(this.random.below(129))" }
        add(4) {
            "\(this.random.element(of: ["", "tcp ", "udp ", "sctp ", "ip ", "ip6 ", "ip and tcp ", "ip6 and udp "]))\(this.direction())port \(this.port())"
        }
        add(2) {
            let low = this.random.below(65536)
            let high = this.random.chance(3, in: 4) ? min(65535, low + this.random.below(2000)) : this.random.below(65536)
            return "\(this.random.element(of: ["", "tcp ", "udp ", "sctp "]))\(this.direction())portrange \(low)-\(high)"
        }
        add(6) {
            this.random.element(of: ["ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "pim", "vrrp",
                                     "ah", "esp", "carp", "ip and tcp", "ip6 and tcp", "ip6 and icmp6", "ip and udp"])
        }
        add(2) {
            "\(this.random.element(of: ["ip proto", "ip6 proto", "proto"])) \(this.random.element(of: ["\\tcp", "\\udp", "\\icmp", "1", "6", "17", "58", "132", "\(this.random.below(256))"]))"
        }
        add(2) {
            "\(this.random.element(of: ["ether proto", "link proto"])) \(this.random.element(of: ["\\ip", "\\ip6", "\\arp", "\\rarp", "0x800", "0x86dd", "0x806", "2048", "\(this.random.below(65536))"]))"
        }
        add(2) { "ether \(this.direction())host \(this.mac())" }
        add(1) { "ether \(this.random.element(of: ["src", "dst"])) \(this.mac())" }
        add(2) {
            this.random.element(of: ["ether broadcast", "ether multicast", "broadcast", "multicast", "ip broadcast",
                                     "ip multicast", "ip6 multicast", "link broadcast", "link multicast"])
        }
        add(2) { "len \(this.comparison()) \(this.random.below(2000))" }
        add(1) { "\(this.random.element(of: ["less", "greater"])) \(this.random.below(2000))" }
        add(6) { "\(this.arithmetic(depth: 2)) \(this.comparison()) \(this.arithmetic(depth: 2))" }
        add(3) { "\(this.load(depth: 2)) \(this.random.element(of: ["&", "|"])) \(this.number()) \(this.comparison()) \(this.number())" }
        add(2) {
            this.random.element(of: ["tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
                                     "icmp[icmptype] = icmp-echo", "icmp[icmptype] != icmp-echoreply", "icmp6[icmp6type] = icmp6-echo",
                                     "tcp[13] & 7 != 0", "ip[6:2] & 0x1fff != 0", "udp[8:2] = 0x8180"])
        }
        if linkType == .linuxSLL || linkType == .linuxSLL2 {
            add(2) { this.random.element(of: ["inbound", "outbound"]) }
        }
        if linkType == .linuxSLL2 {
            add(1) { "ifindex \(this.random.below(8))" }
        }
        if LinkType.pointToPoint.contains(linkType) {
            // What each link type tells apart: PPP and Cisco HDLC protocol numbers, Frame
            // Relay's NLPIDs, OSI, MPLS, PPPoE (and PPP inside it), SLIP's direction byte.
            add(4) {
                this.random.element(of: [
                    "iso", "clnp", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp", "stp", "ipx", "atalk",
                    "aarp", "decnet", "netbeui", "lat", "pppoed", "iso proto \(this.random.below(256))",
                    "isis proto \(this.random.below(32))", "link proto \(this.random.element(of: ["\\ipx", "\\iso", "\\stp", "0x0021", "0x8847", "0xfefe", "\\decnet", "\\atalk", "0x0600"]))",
                    "decnet host 1.1",
                ])
            }
            add(3) {
                let label = this.random.chance(1, in: 2) ? " \(this.random.below(1 << 20))" : ""
                return this.random.element(of: ["mpls\(label)", "mpls\(label) and ip", "mpls and mpls\(label) and ip6",
                                                 "mpls\(label) and host \(this.ipv4())", "mpls and udp port \(this.port())"])
            }
            if linkType == .slip {
                // SLIP's direction byte. (Not with pppoes, which libpcap 1.10 follows with
                // ancillary loads at the wrong offset; on SLIP pppoes never matches anyway.)
                add(2) { this.random.element(of: ["inbound", "outbound"]) }
            } else {
                add(3) {
                    let session = this.random.chance(1, in: 2) ? " \(this.random.below(8))" : ""
                    return this.random.element(of: [
                        "pppoes\(session)", "pppoes\(session) and ip", "pppoes and tcp port \(this.port())",
                        "pppoes\(session) and mpls and ip", "pppoes and link[0:2] = 0x21", "pppoes and isis",
                    ])
                }
            }
        }
        let total = choices.reduce(0) { $0 + $1.weight }
        var pick = this.random.below(total)
        for choice in choices {
            if pick < choice.weight { return choice.value() }
            pick -= choice.weight
        }
        return choices[0].value()
    }

    mutating func expression(depth: Int) -> String {
        if depth <= 0 || random.chance(2, in: 5) {
            return random.chance(1, in: 6) ? "not \(primitive())" : primitive()
        }
        switch random.below(6) {
        case 0: return "not (\(expression(depth: depth - 1)))"
        case 1:
            // Qualifier inheritance: "host A or B", "port 80 or 443 or 53".
            let words = random.element(of: ["host \(ipv4())", "tcp port \(port())", "src net \(ipv4())/24", "port \(port())"])
            return "\(words) \(random.element(of: ["or", "and"])) \(random.element(of: [ipv4(), port(), "not \(port())"]))"
        default:
            let connective = random.element(of: ["and", "or", "&&", "||"])
            let text = "\(expression(depth: depth - 1)) \(connective) \(expression(depth: depth - 1))"
            return random.chance(1, in: 2) ? "(\(text))" : text
        }
    }
}

@Suite(.serialized) struct LibpcapOracleRandomExpressionTests {
    static let expressionsPerLinkType = 250
    static let packetsPerExpression = 200

    @Test func randomExpressionsCompileAndDecideAsLibpcap() {
        let packets = OracleCorpus.shared.isPresent
            ? OracleCapturePackets(corpus: .shared, perCapture: 10, linkTypes: Set(LinkType.oracleSupported)).packets
            : [:]
        let mutator = OracleMutator(packets: packets, limit: 3000)
        if !OracleCorpus.shared.isPresent { print("[random] the shared corpus is absent: mutating synthetic packets only") }
        var bothRejectAll = 0
        var both = 0, neither = 0, onlyLibpcap = [String: [String]](), onlyOurs = [String]()
        var sizes = OracleProgramSizes()
        var tally = OracleVerdictTally()
        for (typeIndex, linkType) in LinkType.oracleSupported.enumerated() {
            guard let name = linkType.name, let dlt = OracleLibpcap.dlt(named: name) else { continue }
            var generator = OracleExpressionGenerator(
                random: FuzzRandom(seed: 0xe4_9e55_1011, stream: UInt64(typeIndex), index: 0), linkType: linkType)
            for index in 0 ..< Self.expressionsPerLinkType {
                let expression = generator.expression(depth: 3)
                let label = "\(name) \"\(expression)\""
                let compilation = OracleCompilation(expression, linkType: linkType, dlt: dlt)
                switch (compilation.libpcap, compilation.ours) {
                case (.failure, .failure):
                    neither += 1
                case (.failure(let failure), .success):
                    onlyOurs.append("\(label): libpcap says \(failure)")
                case (.success, .failure) where compilation.bothRejectAll:
                    neither += 1
                    bothRejectAll += 1
                case (.success, .failure(let error)):
                    onlyLibpcap[error.message, default: []].append(label)
                case (.success(let reference), .success(let program)):
                    both += 1
                    if !compilation.libpcapOptimizerRejectsAll {
                        sizes.add(ours: program.count, libpcap: reference.count, label: label)
                    }
                    guard let pair = OracleCompiledPair(compilation, expression: expression, linkType: linkType, dlt: dlt)
                    else {
                        Issue.record("our program does not verify: \(label)")
                        continue
                    }
                    var random = FuzzRandom(seed: 0xe4_9e55_1011, stream: 100 + UInt64(typeIndex), index: UInt64(index))
                    tally.compareMutated(pair, count: Self.packetsPerExpression, mutator: mutator, random: &random)
                    for packet in (packets[linkType] ?? []).prefix(200) {
                        tally.packets += 1
                        tally.compare(pair, packet)
                    }
                }
            }
        }
        print("""
            [random] \(both + neither + onlyOurs.count + onlyLibpcap.values.reduce(0) { $0 + $1.count }) expressions: \
            both compile \(both), neither \(neither) (\(bothRejectAll) as 'expression rejects all packets'), only ours \(onlyOurs.count), only libpcap \
            \(onlyLibpcap.values.reduce(0) { $0 + $1.count })
            [random] size: ours \(sizes.ours), libpcap \(sizes.libpcap); ours longer for \(sizes.longer.count)\
            \((sizes.longer.isEmpty ? nil : sizes.worst).map { ", worst \($0.label): ours \($0.ours), libpcap \($0.libpcap)" } ?? "")
            [random] longer by link type: \(Dictionary(grouping: sizes.longer) { $0.label.prefix { $0 != " " } }
                .sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.count)" }.joined(separator: ", "))
            [random] verdicts: \(tally.summary)
            [random] point-to-point link types:
            \(tally.linkTypeCounts(LinkType.pointToPoint))
            \(tally.report(limit: 6))
            """)
        for line in onlyOurs.prefix(15) { print("[random] ONLY OURS: \(line)") }
        for (message, labels) in onlyLibpcap.sorted(by: { $0.value.count > $1.value.count }) {
            print("[random] only libpcap, \(labels.count)x '\(message)': \(labels.prefix(3).joined(separator: " | "))")
        }
        #expect(onlyOurs.isEmpty, "we compile \(onlyOurs.count) expressions libpcap rejects: \(onlyOurs.prefix(5))")
        #expect(tally.disagreements == 0, "\(tally.disagreements) disagreements with libpcap")
    }

    /// `ip broadcast` and `broadcast` with a netmask (libpcap's pcap_compile argument, host order) and snapshot lengths.
    @Test func netmaskAndSnapshotLengthAsLibpcap() {
        let expressions = ["ip broadcast", "broadcast", "not ip broadcast and udp", "ip broadcast or ip multicast",
                           "src net 10.0.0.0/8 and ip broadcast", "ether broadcast or ip broadcast"]
        var compared = 0
        var tally = OracleVerdictTally()
        var rejections = [String]()
        for netmask: UInt32 in [0, 0xffff_ff00, 0xffff_0000, 0xffff_fffc, 0xffff_ffff] {
            for snapshotLength: UInt32 in [262_144, 65_535, 96, 1] {
                for linkType in [LinkType.ethernet, .raw, .linuxSLL, .ipv4] {
                    guard let name = linkType.name, let dlt = OracleLibpcap.dlt(named: name) else { continue }
                    for (index, expression) in expressions.enumerated() {
                        let label = "\(name) \"\(expression)\" netmask \(String(netmask, radix: 16)) snaplen \(snapshotLength)"
                        let reference = OracleLibpcap.compile(
                            expression, dlt: dlt, snapshotLength: snapshotLength, netmask: netmask)
                        let ours: Program?
                        do throws(FilterSyntaxError) {
                            ours = try PacketFilterCompiler(
                                linkType: linkType, snapshotLength: snapshotLength, netmask: netmask
                            ).compile(expression)
                        } catch {
                            ours = nil
                            if case .success = reference { rejections.append("\(label): ours: \(error)") }
                        }
                        guard case .success(let raw) = reference, let ours else {
                            if case .failure(let failure) = reference, ours != nil {
                                rejections.append("\(label): libpcap: \(failure), ours compiles")
                            }
                            continue
                        }
                        guard let pair = OracleCompiledPair(
                            expression: "\(expression) [netmask \(String(netmask, radix: 16)), snaplen \(snapshotLength)]",
                            linkType: linkType, ours: ours, oursUnoptimized: nil, libpcap: raw,
                            libpcapIsUnoptimized: false, libpcapUnoptimizedInterpreter: nil)
                        else { continue }
                        compared += 1
                        var random = FuzzRandom(seed: 77, stream: UInt64(netmask), index: UInt64(index))
                        let probes = OracleMutator.Probes([raw, ours.raw])
                        let mutator = OracleMutator(packets: [:], limit: 0)
                        for _ in 0 ..< 300 {
                            var packet = mutator.packet(for: linkType, probes: probes, random: &random)
                            // Broadcast addresses of the netmask's network, and all-ones.
                            if packet.data.count >= 34, random.chance(1, in: 2) {
                                let offset = (linkType == .ethernet ? 14 : linkType == .linuxSLL ? 16 : 0) + 16
                                let host = random.chance(1, in: 2) ? ~netmask : UInt32.max
                                let address = (random.word() & netmask) | host
                                if offset + 4 <= packet.data.count {
                                    for i in 0 ..< 4 { packet.data[offset + i] = UInt8(truncatingIfNeeded: address >> (24 - 8 * i)) }
                                }
                            }
                            tally.compare(pair, packet)
                        }
                    }
                }
            }
        }
        print("[netmask] \(compared) (expression, link type, netmask, snaplen) compiled by both; \(tally.summary); "
            + "\(rejections.count) compile differently\n\(rejections.prefix(8).joined(separator: "\n"))\n\(tally.report(limit: 3))")
        #expect(compared > 0)
        #expect(rejections.isEmpty, "\(rejections.prefix(5))")
        #expect(tally.disagreements == 0)
    }
}
