import CBPF
import LibpcapOracle
import PacketFilter
import Testing

// 802.11 (IEEE802_11) and radiotap (IEEE802_11_RADIO): the language's 802.11 primitives, and
// verdicts against libpcap's bpf_filter on hand-made frames whose offsets vary: radiotap headers
// of several lengths, QoS data frames (2 more header bytes), radiotap's padding flag (header
// rounded up to 4), with and without TSFT before the flags. The oracle tests compare the same
// link types on the corpus's captures and on mutated packets.

@Suite struct WirelessTests {
    @Test(arguments: [
        "type mgt", "wlan type ctl subtype ack", "subtype qos-data", "type 12 subtype 16", "type data subtype 0x40",
        "dir tods", "wlan dir 3", "dir 7", "wlan ra 01:02:03:04:05:06", "wlan addr4 host 01:02:03:04:05:06",
        "ether ta 01:02:03:04:05:06 or wlan addr2 01:02:03:04:05:06", "subtype beacon or subtype probe-resp",
        "tcp type mgt", "radio[4:4] = 1",
    ])
    func printingIsCanonicalAndStable(_ expression: String) throws {
        let parsed = try #require(try FilterExpression.parse(expression))
        let reparsed = try FilterExpression.parse(parsed.description)
        #expect(reparsed == parsed, "\(expression) printed as \(parsed.description)")
    }

    @Test(arguments: [
        ("type foo", "1:6", "unknown 802.11 type name"),
        ("type 3", "1:6", "invalid 802.11 type value 0x3"),
        ("type mgt subtype ack", "1:18", "unknown 802.11 subtype name \"ack\" for type mgt"),
        ("type data subtype 5", "1:19", "invalid 802.11 subtype value 0x5"),
        ("subtype 0x80", "1:9", "expected an 802.11 subtype name"),
        ("subtype bogus", "1:9", "unknown 802.11 subtype name"),
        ("dir sideways", "1:5", "unknown 802.11 direction"),
        ("type", "1:5", "expected an 802.11 type"),
    ] as [(String, String, String)])
    func malformedFieldsAreRejectedWithALocation(_ expression: String, _ location: String, _ message: String) {
        do {
            _ = try PacketFilterCompiler(linkType: .ieee802_11Radio).compile(expression)
            Issue.record("accepted \(expression)")
        } catch {
            #expect(error.location?.description == location, "\(expression): \(error)")
            #expect(error.message.contains(message), "\(expression): \(error)")
        }
    }

    @Test(arguments: [
        (LinkType.ethernet, "type mgt", "supported only on 802.11"),
        (.ethernet, "dir tods", "supported only on 802.11"),
        (.ethernet, "ether ra 01:02:03:04:05:06", "'ra' is only supported on 802.11"),
        (.ieee802_11Radio, "ra host 1.2.3.4", "'ra' is not a valid qualifier for addresses"),
        (.ieee802_11, "addr1 port 80", "'addr1' and 'address1' is not a valid qualifier for ports"),
        (.ieee802_11, "radio[0] = 1", "radio information not present"),
    ] as [(LinkType, String, String)])
    func wirelessPrimitivesElsewhereAreRefused(_ linkType: LinkType, _ expression: String, _ message: String) {
        do {
            _ = try PacketFilterCompiler(linkType: linkType).compile(expression)
            Issue.record("accepted \(expression) on \(linkType)")
        } catch {
            #expect(error.message.contains(message), "\(expression): \(error)")
        }
    }

    static let expressions = [
        "ip", "tcp port 80", "udp", "ip host 10.0.0.1", "arp", "ip6", "ether proto 0x888e", "llc", "type data",
        "subtype qos-data", "type mgt subtype beacon", "dir fromds", "wlan host 00:11:22:33:44:55",
        "wlan src 00:11:22:33:44:55", "wlan dst 00:11:22:33:44:55", "wlan ra 00:11:22:33:44:55",
        "wlan ta 00:11:22:33:44:55", "wlan addr3 00:11:22:33:44:55", "wlan addr4 00:11:22:33:44:55", "broadcast",
        "multicast", "tcp[13] & 2 != 0", "link[0] = 0x88", "type mgt or tcp port 80", "ip[0] & 0 = 0",
    ]

    /// A radiotap header (none for plain 802.11), an 802.11 data frame, LLC/SNAP, IPv4 and TCP to port 80.
    static func frame(radiotap: [UInt8]?, frameControl: UInt8, flags: UInt8, padding: Int) -> [UInt8] {
        let addresses: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
        var mac: [UInt8] = [frameControl, flags, 0, 0] + addresses + [0, 0]
        if frameControl & 0x80 != 0 { mac += [0, 0] }
        mac += [UInt8](repeating: 0, count: padding)
        let snap: [UInt8] = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]
        let ipv4: [UInt8] = [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        let tcp: [UInt8] = [0x30, 0x39, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0]
        return (radiotap ?? []) + mac + snap + ipv4 + tcp
    }

    static var frames: [(LinkType, [UInt8])] {
        var frames: [(LinkType, [UInt8])] = []
        for frameControl: UInt8 in [0x08, 0x88, 0x80, 0xd4] {
            for flags: UInt8 in [0, 1, 2, 3] {
                frames.append((.ieee802_11, frame(radiotap: nil, frameControl: frameControl, flags: flags, padding: 0)))
                // No fields; flags with the padding bit (26-byte QoS header padded to 28); TSFT then flags.
                frames.append((.ieee802_11Radio, frame(radiotap: [0, 0, 8, 0, 0, 0, 0, 0], frameControl: frameControl, flags: flags, padding: 0)))
                frames.append((.ieee802_11Radio, frame(
                    radiotap: [0, 0, 10, 0, 2, 0, 0, 0, 0x20, 0], frameControl: frameControl, flags: flags,
                    padding: frameControl & 0x80 != 0 ? 2 : 0)))
                frames.append((.ieee802_11Radio, frame(
                    radiotap: [0, 0, 18, 0, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x20, 0], frameControl: frameControl,
                    flags: flags, padding: frameControl & 0x80 != 0 ? 2 : 0)))
            }
        }
        return frames
    }

    @Test(arguments: expressions)
    func verdictsMatchLibpcapOnFramesOfEveryLayout(_ expression: String) throws {
        for (linkType, packet) in Self.frames {
            let dlt = try #require(OracleLibpcap.dlt(named: linkType.name ?? ""))
            guard case .success(let raw) = OracleLibpcap.compile(expression, dlt: dlt) else {
                Issue.record("libpcap refuses \(expression) on \(linkType)")
                continue
            }
            let program = try PacketFilterCompiler(linkType: linkType).compile(expression)
            try Verifier.verify(program, for: .socket)
            // Whole frames and every truncation of them.
            for length in stride(from: packet.count, through: 0, by: -1) {
                let bytes = Array(packet.prefix(length))
                let expected = OracleLibpcap.filter(OracleLibpcap.insns(raw), packet: bytes, wireLength: UInt32(packet.count))
                let ours = OracleLibpcap.filter(OracleLibpcap.insns(program.instructions.map(\.raw)), packet: bytes, wireLength: UInt32(packet.count))
                #expect(ours == expected, "\(linkType) \"\(expression)\" on \(length) of \(packet.count) bytes: \(bytes)")
            }
        }
    }
}
