import CBPF
import CBPFFuzz
import CPcap
import LibpcapOracle
import PacketFilter
import Testing

// `protochain`: libpcap's program loops (backward jumps), so it can neither run in our
// interpreter nor load into the kernel; libpcap's own bpf_filter (which sign-extends `ja`
// offsets for this very case) gives its verdicts. Our unrolled walk skips at most
// `PacketFilterCompiler.protochainSkippedHeaderLimit` headers: packets on which libpcap's walk
// could go further are counted and left out.

@Suite struct ProtochainTests {
    static let expressions = [
        "ip6 protochain 6", "ip protochain 6", "protochain 17", "ip6 protochain 58 and not ip6 proto 58",
        "ip6 protochain 44", "ip6 protochain 0", "protochain \\tcp or arp", "not protochain 6",
        "ip6 protochain 59", "ip protochain 51", "vlan and ip6 protochain 17", "ip6 protochain 6 and tcp port 80",
        "net fe80::/10 and ip6 protochain 58", "ip6 protochain 6 or tcp or not tcp", "protochain 50 or port 53",
        "ip[0] * 0 = 0 and protochain 17", "ip[0] & 0 = 1 or ip protochain 6",
    ]

    static let linkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv6, .null]

    /// libpcap's and our programs for each expression and link type that both compile.
    struct Pair {
        var expression: String
        var linkType: LinkType
        var target: UInt32
        var libpcap: [bpf_insn]
        var libpcapRaw: [RawInstruction]
        var ours: Program
        var interpreter: Interpreter
    }

    static func pairs() throws -> [Pair] {
        var pairs: [Pair] = []
        for linkType in linkTypes {
            let dlt = try #require(OracleLibpcap.dlt(named: linkType.name ?? ""))
            for expression in expressions {
                let libpcap = OracleLibpcap.compile(expression, dlt: dlt)
                let ours = Result { () throws(FilterSyntaxError) in try PacketFilterCompiler(linkType: linkType).compile(expression) }
                switch (libpcap, ours) {
                case (.success(let raw), .success(let program)):
                    pairs.append(Pair(
                        expression: expression, linkType: linkType,
                        target: target(of: expression), libpcap: OracleLibpcap.insns(raw), libpcapRaw: raw,
                        ours: program, interpreter: try Interpreter(program, for: .socket)))
                case (.failure, .failure):
                    continue
                default:
                    Issue.record("\(linkType) \"\(expression)\": libpcap \(libpcap), ours \(ours)")
                }
            }
        }
        return pairs
    }

    /// The protocol after `protochain` (every expression here has one).
    static func target(of expression: String) -> UInt32 {
        let words = expression.split(separator: " ")
        let word = words[words.firstIndex(of: "protochain")! + 1]
        return word == "\\tcp" ? 6 : UInt32(word)!
    }

    /// A tally that says why packets are left out.
    static func tally() -> BpfFilterTally {
        BpfFilterTally(leftOutReason: "libpcap's walk could skip more than "
            + "\(PacketFilterCompiler.protochainSkippedHeaderLimit) headers")
    }

    @Test func everyProgramAttachesToASocket() throws {
        let oracle: SocketOracle
        do { oracle = try SocketOracle() } catch {
            print("[protochain] kernel attach skipped: \(error)")
            return
        }
        let pairs = try Self.pairs()
        #expect(pairs.count >= Self.expressions.count)
        for pair in pairs {
            #expect(oracle.attach(pair.ours.raw) == .accepted, "\(pair.linkType) \"\(pair.expression)\"")
            #expect(pair.ours.count <= 4096)
        }
        print("[protochain] \(pairs.count) programs attached; largest \(pairs.map(\.ours.count).max() ?? 0) instructions")
    }

    /// IPv6 and IPv4 packets with chains of extension headers and AH, random lengths and a random
    /// last protocol: many end inside the packet, some run past it or loop.
    static func chainPackets(count: Int, random: inout FuzzRandom) -> [OraclePacket] {
        (0 ..< count).map { index in
            let ipv6 = index % 4 != 0
            let kinds: [UInt8] = ipv6 ? [0, 60, 43, 44, 51] : [51]
            let headers = (0 ..< random.int(in: 0 ... 11)).map { _ in random.element(of: kinds) }
            let last: UInt8 = random.element(of: [6, 17, 58, 59, 50, UInt8(random.below(256))])
            var chain = [UInt8]()
            for (position, kind) in headers.enumerated() {
                let next = position + 1 < headers.count ? headers[position + 1] : last
                // AH's length counts 4-byte words (minus 2), the others' 8-byte words (minus 1).
                let length = random.int(in: 0 ... 3)
                let size = kind == 51 ? (length + 2) * 4 : (length + 1) * 8
                chain += [next, UInt8(length)] + random.bytes(size - 2)
            }
            let first = headers.first ?? last
            var header: [UInt8]
            if ipv6 {
                header = [0x60, 0, 0, 0, 0, 0, first, 64] + random.bytes(32)
            } else {
                header = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, first, 0, 0] + random.bytes(8)
            }
            let payload = header + chain + random.bytes(random.int(in: 0 ... 24))
            let ethernet = [UInt8](repeating: 0x02, count: 12) + (ipv6 ? [0x86, 0xdd] : [0x08, 0x00])
            return OraclePacket(data: ethernet + payload, wireLength: UInt32(14 + payload.count), origin: "chain \(index)")
        }
    }

    @Test func verdictsMatchLibpcapOnCraftedAndMutatedChains() throws {
        let pairs = try Self.pairs()
        var random = FuzzRandom(seed: 0x9c4a1)
        let crafted = Self.chainPackets(count: 400, random: &random)
        let mutator = OracleMutator(packets: [.ethernet: crafted], limit: 400)
        var craftedTally = Self.tally(), mutatedTally = Self.tally()
        for pair in pairs {
            if pair.linkType == .ethernet {
                for packet in crafted { craftedTally.compare(pair, packet) }
            }
            let probes = OracleMutator.Probes([pair.libpcapRaw, pair.ours.raw])
            for _ in 0 ..< 1500 {
                mutatedTally.compare(pair, mutator.packet(for: pair.linkType, probes: probes, random: &random))
            }
        }
        print("[protochain] crafted chains, \(pairs.filter { $0.linkType == .ethernet }.count) expressions: \(craftedTally)")
        print("[protochain] mutated, \(pairs.count) (expression, link type) pairs: \(mutatedTally)")
        #expect(craftedTally.disagreements.isEmpty, "\(craftedTally.disagreements)")
        #expect(mutatedTally.disagreements.isEmpty, "\(mutatedTally.disagreements)")
        #expect(craftedTally.accepted > 0 && mutatedTally.accepted > 0)
        #expect(craftedTally.leftOut > 0, "the crafted chains should reach past the bound")
    }

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func verdictsMatchLibpcapOnCapturePackets() throws {
        let pairs = try Self.pairs()
        let captured = OracleCapturePackets(corpus: .shared, perCapture: 100, linkTypes: Set(Self.linkTypes))
        var tally = Self.tally()
        for pair in pairs {
            for packet in captured.packets[pair.linkType] ?? [] { tally.compare(pair, packet) }
        }
        print("[protochain] capture packets (\(captured.count) of \(Self.linkTypes.count) link types): \(tally)")
        #expect(tally.compared > 0)
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
    }

    /// libpcap's optimizer is off for protochain, so its program keeps loads its optimizer would
    /// drop (of a field masked or multiplied by 0): on packets cut short before such a field it
    /// rejects, and so must we.
    @Test(arguments: [
        "ip[0] & 0 = 0 or ip protochain 6", "ip[0] * 0 = 0 or protochain 17", "net 0.0.0.0/0 or ip protochain 6",
        "net ::/0 or ip6 protochain 6", "ip6 protochain 6 or ip6 net 2001:db8::/32",
    ])
    func keepsTheLoadsLibpcapsOptimizerWouldDrop(_ expression: String) throws {
        let ours = try Interpreter(PacketFilterCompiler().compile(expression), for: .socket)
        let libpcap = OracleLibpcap.insns(try OracleLibpcap.compile(expression, dlt: 1).get())
        for etherType: [UInt8] in [[0x08, 0x00], [0x86, 0xdd]] {
            let full = [UInt8](repeating: 2, count: 12) + etherType + [0x45] + [UInt8](repeating: 0, count: 59)
            for length in 14 ... full.count {
                let packet = Array(full.prefix(length))
                let wireLength = UInt32(full.count)
                #expect(
                    ours.run(packet: packet, wireLength: wireLength)
                        == OracleLibpcap.filter(libpcap, packet: packet, wireLength: wireLength),
                    "\(expression) on \(length) of \(full.count) bytes")
            }
        }
    }

    @Test(arguments: [
        ("ether protochain 6", "bad protocol applied for 'protochain'"),
        ("tcp protochain 6", "bad protocol applied for 'protochain'"),
    ])
    func refusedWithAMessage(_ expression: String, _ message: String) {
        #expect {
            try PacketFilterCompiler().compile(expression)
        } throws: { error in
            (error as? FilterSyntaxError)?.message.contains(message) == true
        }
    }
}

extension BpfFilterTally {
    /// Compares libpcap's looping program with ours, leaving out packets on which libpcap's walk
    /// could go further than ours, or forever: there is no verdict to ask bpf_filter for.
    fileprivate mutating func compare(_ pair: ProtochainTests.Pair, _ packet: OraclePacket) {
        if OracleProtocolChain.mayExceed(
            PacketFilterCompiler.protochainSkippedHeaderLimit, in: packet.data, linkType: pair.linkType, target: pair.target)
        {
            leftOut += 1
            return
        }
        compare("\(pair.linkType) \"\(pair.expression)\"", reference: pair.libpcap, ours: pair.interpreter, on: packet)
    }
}
