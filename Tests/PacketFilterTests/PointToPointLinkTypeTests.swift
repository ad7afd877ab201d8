import CBPF
import CBPFFuzz
import Foundation
import LibpcapOracle
import PacketFilter
import Testing

// The point-to-point link types (PPP, PPP_SERIAL, PPP_ETHER, C_HDLC, SLIP, FRELAY) against
// libpcap 1.10.3: what compiles, what is refused and in which words, program sizes, verdicts on
// frames built for each link type (cut at every length, then mutated), geneve inside them, and
// `tcpdump -r` on every corpus capture of these link types. Their accept.tsv rows and random
// expressions are compared with the other link types' in LibpcapOracleTests and
// LibpcapOracleRandomExpressionTests.

@Suite struct PointToPointLinkTypeTests {
    /// The link-specific primitives first (protocol numbers, OSI, MPLS, PPPoE, directions,
    /// link-layer addresses), then IP-layer ones, whose offsets each link type moves.
    static let expressions = [
        "ip", "ip6", "arp", "rarp", "link proto \\ip", "link proto \\ip6", "link proto \\decnet", "link proto \\atalk",
        "link proto 0x0600", "link proto \\iso", "link proto \\stp", "link proto \\lat", "link proto \\ipx",
        "ether proto 0x8137", "ether proto 0x42", "link proto 0x0021", "link proto 0xfefe",
        "iso", "clnp", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp", "iso proto 3", "iso proto \\clnp",
        "isis proto 18", "stp", "ipx", "atalk", "aarp", "decnet", "decnet host 1.1", "decnet src 1.1", "netbeui", "lat",
        "sca", "mopdl", "moprc", "atalk[0] = 1", "mpls", "mpls 100", "mpls 100 and ip", "mpls and mpls and ip6",
        "mpls and udp port 53", "mpls and host 12.1.1.1", "pppoed", "pppoes", "pppoes 3", "pppoes 3 and ip",
        "pppoes and tcp port 80", "pppoes and mpls", "pppoes and mpls 5 and ip", "pppoes and pppoes and ip",
        "pppoes and iso proto 3", "pppoes and isis", "pppoes and ipx", "pppoes and stp", "pppoes and link[0:2] = 0x21",
        "inbound", "outbound", "not inbound and ip", "vlan", "llc", "mpls and vlan", "pppoes and vlan", "pppoes and llc",
        "mpls and iso", "broadcast", "multicast", "ether host 1:2:3:4:5:6", "radio[0] = 1", "ifindex 3",
        "tcp", "udp port 53", "tcp port 80", "host 1.2.3.4", "ip host 1.2.3.4", "src net 10.0.0.0/8", "host ::1",
        "icmp[icmptype] = icmp-echo", "tcp[tcpflags] & tcp-syn != 0", "ip[0] & 0xf = 5", "ip broadcast",
        "ip multicast", "ip6 multicast", "link[0] = 1", "link[2:2] = 0x21", "ether[0] = 0xff", "byte 2 = 0x21",
        "len > 100", "less 64", "protochain 6", "ip6 protochain 17",
    ]

    /// libpcap's DLT for a link type of this package.
    static func dlt(_ linkType: LinkType) throws -> Int32 {
        try #require(OracleLibpcap.dlt(named: linkType.name ?? ""))
    }

    /// Every expression libpcap compiles, we compile, in no more instructions (but `protochain`,
    /// whose loop we unroll); every one it refuses, we refuse with its message.
    @Test(arguments: LinkType.pointToPoint)
    func compiledAndRefusedAsLibpcap(_ linkType: LinkType) throws {
        let dlt = try Self.dlt(linkType)
        var (compiled, refused, problems) = (0, 0, [String]())
        for expression in Self.expressions {
            let label = "\(linkType) \"\(expression)\""
            let ours = Result { () throws(FilterSyntaxError) in try PacketFilterCompiler(linkType: linkType).compile(expression) }
            switch (OracleLibpcap.compile(expression, dlt: dlt), ours) {
            case (.success(let reference), .success(let program)):
                compiled += 1
                if !expression.contains("protochain") && program.count > reference.count {
                    problems.append("\(label): ours \(program.count) instructions, libpcap \(reference.count)")
                }
            case (.failure(let failure), .failure(let error)):
                refused += 1
                if !error.message.contains(failure.description) {
                    problems.append("\(label): libpcap says \(failure), ours \(error.message)")
                }
            case (.success, .failure(let error)):
                problems.append("\(label): libpcap compiles it, we refuse: \(error)")
            case (.failure(let failure), .success):
                problems.append("\(label): libpcap refuses it (\(failure)), we compile it")
            }
        }
        print("[point-to-point] \(linkType.name ?? "?"): \(compiled) expressions compiled by both, \(refused) refused by both")
        #expect(compiled > 20)
        #expect(problems.isEmpty, "\(problems.count):\n\(problems.joined(separator: "\n"))")
    }

    @Test(arguments: LinkType.pointToPoint)
    func verdictsMatchLibpcapOnFramesCutAndMutated(_ linkType: LinkType) throws {
        let dlt = try Self.dlt(linkType)
        let frames = PointToPointFrames.frames(for: linkType)
        // Each frame whole and cut at every length; the wire length stays the frame's.
        let packets = frames.enumerated().flatMap { index, frame in
            (0 ... frame.count).map {
                OraclePacket(data: Array(frame.prefix($0)), wireLength: UInt32(frame.count), origin: "frame \(index) cut at \($0)")
            }
        }
        let mutator = OracleMutator(packets: [linkType: packets.filter { $0.data.count == Int($0.wireLength) }], limit: 100)
        var tally = OracleVerdictTally()
        var accepted = 0
        for (index, expression) in Self.expressions.enumerated() where !expression.contains("geneve") {
            let compilation = OracleCompilation(expression, linkType: linkType, dlt: dlt)
            guard let pair = OracleCompiledPair(compilation, expression: expression, linkType: linkType, dlt: dlt) else { continue }
            for packet in packets {
                tally.packets += 1
                tally.compare(pair, packet)
                if packet.data.count == Int(packet.wireLength), pair.oursVerdict(packet) != 0 { accepted += 1 }
            }
            var random = FuzzRandom(seed: 0x9_0070_9011, stream: UInt64(linkType.rawValue), index: UInt64(index))
            tally.compareMutated(pair, count: 300, mutator: mutator, random: &random)
        }
        print("""
            [point-to-point] \(linkType.name ?? "?"): \(frames.count) frames (\(packets.count) cut), \(accepted) whole \
            frames accepted: \(tally.summary)
            \(tally.report())
            """)
        #expect(accepted > 0)
        #expect(tally.disagreements == 0)
        #expect(tally.referenceInconsistencies == 0)
    }

    /// `geneve` on each link type, with libpcap's program run by bpf_filter with its scratch memory
    /// zeroed (see TunnelTests), on Geneve datagrams re-wrapped in the link type and mutated.
    @Test func geneveInsideEachLinkTypeMatchesLibpcap() throws {
        let pairs = try TunnelTests.pairs(TunnelTests.geneveExpressions, linkTypes: LinkType.pointToPoint)
        var random = FuzzRandom(seed: 0x6e4e_7e90)
        let crafted = TunnelTests.genevePackets(count: 200, &random)
        let mutator = OracleMutator(packets: [.ethernet: crafted], limit: 200)
        var tally = BpfFilterTally()
        for pair in pairs {
            let probes = OracleMutator.Probes([pair.referenceRaw, pair.ours.raw])
            for _ in 0 ..< 300 {
                tally.compare(
                    pair.label, reference: pair.reference, ours: pair.interpreter,
                    on: mutator.packet(for: pair.linkType, probes: probes, random: &random))
            }
        }
        print("[point-to-point] geneve, \(pairs.count) (expression, link type) pairs: \(tally)")
        #expect(pairs.count >= 3 * TunnelTests.geneveExpressions.count)
        #expect(tally.accepted > 0)
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
    }

    static let pppoeExpressions = [
        "pppoes and ip", "pppoes 3 and tcp port 80", "pppoes and ipx", "pppoes and stp", "pppoes and ether proto 0x8137",
        "pppoes and iso proto 3", "pppoes and isis", "pppoes and l1", "pppoes and clnp", "pppoes and mpls and ip",
        "pppoes and link proto \\atalk", "pppoes and decnet", "pppoes 5 and mpls 20",
    ]

    /// Inside a PPPoE session on the other link types, later primitives look at a PPP frame as on
    /// the PPP link type (libpcap's DLT_PPP): its protocol numbers, and no 802.2 header before OSI.
    /// (Not `inbound`: libpcap 1.10 adds the pushed header's offset to the ancillary offset,
    /// which then names another field or none. Not radiotap: there libpcap's program after
    /// `pppoes` reads a scratch slot it never wrote.)
    @Test(arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .ieee802_11])
    func pppoeSessionsElsewhereAsLibpcap(_ linkType: LinkType) throws {
        let dlt = try Self.dlt(linkType)
        let sessions = PointToPointFrames.payloads.map { payload in
            [0x11, 0x00, 0x00, 0x03] + PointToPointFrames.be16(2 + payload.bytes.count)
                + PointToPointFrames.be16(PointToPointFrames.pppProtocol(payload.etherType)) + payload.bytes
        }
        // Ethernet frames, each whole and cut at every length; the other link types get the
        // same sessions from the mutator, which wraps Ethernet payloads in their headers.
        let frames = sessions.map { [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0x64] + $0 }
        let cut = frames.enumerated().flatMap { index, frame in
            (0 ... frame.count).map {
                OraclePacket(data: Array(frame.prefix($0)), wireLength: UInt32(frame.count), origin: "session \(index) cut at \($0)")
            }
        }
        let mutator = OracleMutator(
            packets: [.ethernet: frames.map { OraclePacket(data: $0, wireLength: UInt32($0.count), origin: "session") }],
            limit: 100)
        var tally = OracleVerdictTally()
        var compiled = 0
        for (index, expression) in Self.pppoeExpressions.enumerated() {
            let compilation = OracleCompilation(expression, linkType: linkType, dlt: dlt)
            guard let pair = OracleCompiledPair(compilation, expression: expression, linkType: linkType, dlt: dlt) else {
                Issue.record("\(linkType) \"\(expression)\": libpcap \(compilation.libpcap), ours \(compilation.ours)")
                continue
            }
            compiled += 1
            if linkType == .ethernet {
                for packet in cut { tally.compare(pair, packet) }
            }
            var random = FuzzRandom(seed: 0x99_0e50, stream: UInt64(linkType.rawValue), index: UInt64(index))
            tally.compareMutated(pair, count: 500, mutator: mutator, random: &random)
        }
        print("[point-to-point] pppoes on \(linkType.name ?? "?"): \(compiled) expressions: \(tally.summary)\n\(tally.report())")
        #expect(compiled == Self.pppoeExpressions.count)
        #expect(tally.disagreements == 0)
    }

    static let tcpdumpExpressions = [
        "ip", "ip6", "udp port 53", "tcp", "icmp or icmp6", "mpls", "mpls and ip", "iso", "isis", "l1 or l2", "outbound",
        "not ip and not ip6", "greater 100", "pppoes and ip",
    ]

    /// Every corpus capture of these link types reads as libpcap reads it, and `tcpdump -r`
    /// keeps the packets our program for that capture keeps.
    @Test(.enabled(if: CaptureCorpus.isPresent && CaptureTcpdump.executable != nil, CaptureCorpus.absent))
    func corpusCapturesReadAndFilterAsTcpdump() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("point-to-point-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        struct Counts { var captures = 0, pcapng = 0, packets = 0, runs = 0, packetsCompared = 0, refusedByBoth = 0 }
        var counts = [LinkType: Counts]()
        var differences = [String]()
        for path in CaptureCorpus.files {
            let reference = LibpcapCapture(path: path)
            let linkType = LinkType(rawValue: reference.linkType)
            guard reference.openError == nil, LinkType.pointToPoint.contains(linkType) else { continue }
            let name = (path as NSString).lastPathComponent
            let file = try CaptureReader(path: path)
            let format = file.format, byteOrder = file.byteOrder
            let packets = try file.packets()
            counts[linkType, default: Counts()].captures += 1
            if format == .pcapng { counts[linkType, default: Counts()].pcapng += 1 }
            counts[linkType, default: Counts()].packets += packets.count
            if packets.map(\.data) != reference.packets.map(\.data) || packets.map(\.linkType) != packets.map({ _ in linkType }) {
                differences.append("\(name): we read \(packets.count) packets, libpcap \(reference.packets.count), or their bytes differ")
            }
            let compiler = PacketFilterCompiler(
                linkType: linkType, snapshotLength: OracleLibpcap.snapshotLength(ofCapture: path) ?? 262_144,
                source: .captureFile(bigEndian: byteOrder == .bigEndian))
            for expression in Self.tcpdumpExpressions {
                let ours = Result { () throws(FilterSyntaxError) in try compiler.compile(expression) }
                let tcpdump = try #require(CaptureTcpdump.run(["-r", path, "-w", output, expression]))
                switch ours {
                case .failure(let error):
                    if tcpdump.status == 0 { differences.append("\(name) \"\(expression)\": tcpdump filters, we refuse: \(error)") }
                    counts[linkType, default: Counts()].refusedByBoth += tcpdump.status == 0 ? 0 : 1
                case .success(let program):
                    guard tcpdump.status == 0 else {
                        differences.append("\(name) \"\(expression)\": tcpdump refuses it, we compile it")
                        continue
                    }
                    let interpreter = try Interpreter(program, for: .socket)
                    let kept = packets.filter {
                        interpreter.run(packet: $0.data, wireLength: max($0.originalLength, UInt32($0.data.count))) != 0
                    }.map(\.data)
                    let tcpdumpKept = LibpcapCapture(path: output).packets.map(\.data)
                    counts[linkType, default: Counts()].runs += 1
                    counts[linkType, default: Counts()].packetsCompared += packets.count
                    if kept != tcpdumpKept {
                        differences.append("\(name) \"\(expression)\": tcpdump keeps \(tcpdumpKept.count), ours \(kept.count)")
                    }
                }
            }
        }
        for linkType in LinkType.pointToPoint {
            let c = counts[linkType] ?? Counts()
            print("[point-to-point] corpus \(linkType.name ?? "?"): \(c.captures) captures (\(c.pcapng) pcapng), "
                + "\(c.packets) packets; tcpdump -r: \(c.runs) (capture, expression) runs over \(c.packetsCompared) packets, "
                + "\(c.refusedByBoth) refused by both")
        }
        print("[point-to-point] corpus: \(differences.count) differences\n" + differences.prefix(20).joined(separator: "\n"))
        #expect(counts.values.reduce(0) { $0 + $1.captures } >= 50)
        #expect(differences.isEmpty)
    }
}
