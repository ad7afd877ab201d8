import CBPF
import CBPFFuzz
import LibpcapOracle
import PacketFilter
import Testing

// IPX and AppleTalk in each of their framings, and DECnet addresses in each routing-header form,
// against libpcap: frames built for the purpose (the corpus has few), then mutated and cut short.
// Needs only libpcap, not the corpus.

@Suite struct LibpcapOracleFramingTests {
    static let expressions = [
        "ipx", "atalk", "aarp", "link proto \\ipx", "ether proto \\atalk", "ether proto 0x8137", "not aarp",
        "decnet", "decnet host 1.1", "decnet src 63.1023", "decnet dst 1.1", "decnet src and dst 1.1",
        "decnet host 1025", "decnet dst not 1.1", "decnet src 1.1 or 2.2", "decnet net 1.2/16", "decnet host 1.0x2",
        "vlan and ipx", "vlan 5 and atalk", "pppoes and ipx", "pppoes and decnet host 1.1", "geneve and decnet src 1.1",
        "atalk[1] = 1", "decnet[2:2] = 0x8102", "lat[0] = 0", "sca or mopdl or moprc", "ipx or decnet host 1.1 or atalk",
    ]
    static let linkTypes = ["EN10MB", "LINUX_SLL", "LINUX_SLL2", "RAW", "NULL"]

    /// The frames each expression runs on, before mutation.
    static func frames(_ linkType: String) -> [[UInt8]] {
        let payloads = Self.payloads
        switch linkType {
        case "EN10MB":
            let addresses: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
            return payloads.map { type, payload in addresses + type + payload }
                + payloads.map { type, payload in addresses + [0x81, 0, 0, 5] + type + payload }
        case "LINUX_SLL":
            let header: [UInt8] = [0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0]
            return payloads.map { type, payload in header + sllType(type) + payload }
        case "LINUX_SLL2":
            return payloads.map { type, payload in sllType(type) + [0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0] + payload }
        default:
            return payloads.map { $0.payload }
        }
    }

    /// Ethernet's type field stands for SLL's protocol: an 802.3 length becomes "802.2".
    static func sllType(_ type: [UInt8]) -> [UInt8] {
        let value = UInt16(type[0]) << 8 | UInt16(type[1])
        return value <= 1500 ? [0, 4] : type
    }

    /// (EtherType or 802.3 length, payload) pairs: every framing of IPX and AppleTalk, and
    /// DECnet routing headers short and long, padded or not, with a few addresses.
    static var payloads: [(type: [UInt8], payload: [UInt8])] {
        let length: [UInt8] = [0, 0x40]
        var result: [(type: [UInt8], payload: [UInt8])] = [
            ([0x81, 0x37], [0xff, 0xff, 0, 0x40, 0, 4]),
            ([0x80, 0x9b], [0, 0, 0, 0, 0, 0]),
            ([0x80, 0xf3], [0, 1, 8, 0, 6, 4]),
            ([0x08, 0x00], [0x45, 0, 0, 0x14, 0, 0, 0, 0, 0x40, 0x11]),
            (length, [0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 0x40, 0, 0]),
            (length, [0xff, 0xff, 0x00, 0x40, 0x00, 0x04]),
            (length, [0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x37, 0xff, 0xff]),
            (length, [0xaa, 0xaa, 0x03, 8, 0, 7, 0x80, 0x9b, 0, 0]),
            (length, [0xaa, 0xaa, 0x03, 0, 0, 0, 0x80, 0xf3, 0, 1]),
            (length, [0xaa, 0xaa, 0x03, 8, 0, 7, 0x80, 0xf3, 0, 1]),
            (length, [0xaa, 0xaa, 0x03, 0, 0, 0, 0x80, 0x9b, 0, 1]),
            (length, [0x42, 0x42, 0x03, 0, 0, 0]),
            (length, [0xf0, 0xf0, 0x03, 0, 0, 0]),
        ]
        // DECnet keeps its addresses little-endian: 1.1 is 0x0401, 63.1023 is 0xffff.
        let addresses: [[UInt8]] = [[0x01, 0x04], [0xff, 0xff], [0x02, 0x08], [0x04, 0x00]]
        for (destination, source) in [(0, 0), (0, 1), (1, 0), (2, 3), (3, 3)] {
            let (dst, src) = (addresses[destination], addresses[source])
            let short: [UInt8] = [0x02] + dst + src + [0x05]
            let long: [UInt8] = [0x06, 0, 0] + [0xaa, 0, 4, 0] + dst + [0, 0] + [0xaa, 0, 4, 0] + src + [0, 0, 0, 0]
            for header in [short, long] {
                result.append(([0x60, 0x03], [0x20, 0] + header))
                result.append(([0x60, 0x03], [0x20, 0, 0x81] + header))
            }
        }
        return result
    }

    @Test(arguments: linkTypes)
    func verdictsAndSizesMatchLibpcap(_ linkTypeName: String) throws {
        let linkType = try #require(LinkType(name: linkTypeName))
        let dlt = try #require(OracleLibpcap.dlt(named: linkTypeName))
        let frames = Self.frames(linkTypeName)
        var (compared, disagreements, compiled) = (0, [String](), 0)
        for (index, expression) in Self.expressions.enumerated() {
            let ours = Result { () throws(FilterSyntaxError) in try PacketFilterCompiler(linkType: linkType).compile(expression) }
            let optimized = OracleLibpcap.compile(expression, dlt: dlt)
            let unoptimized = OracleLibpcap.compile(expression, dlt: dlt, optimize: false)
            guard case .success(let ourProgram) = ours, case .success(let libpcapRaw) = optimized,
                case .success(let unoptimizedRaw) = unoptimized
            else {
                // Both refuse it (`ipx` on RAW rejects every packet), or neither.
                if case .success = ours, case .failure(let failure) = optimized {
                    Issue.record("\(linkTypeName) \"\(expression)\": libpcap refuses (\(failure)), we compile")
                }
                if case .failure(let error) = ours, case .success = optimized {
                    Issue.record("\(linkTypeName) \"\(expression)\": libpcap compiles, we refuse: \(error)")
                }
                continue
            }
            compiled += 1
            #expect(ourProgram.instructions.count <= libpcapRaw.count,
                    "\(linkTypeName) \"\(expression)\": ours \(ourProgram.instructions.count), libpcap \(libpcapRaw.count)")
            let mine = try Interpreter(ourProgram, for: .socket)
            let theirs = try Interpreter(Program(raw: libpcapRaw), for: .socket)
            let theirsUnoptimized = try Interpreter(Program(raw: unoptimizedRaw), for: .socket)
            var random = FuzzRandom(seed: 0xdec_0e7, stream: 5, index: UInt64(index))
            for frame in frames {
                for round in 0 ..< 40 {
                    var packet = frame
                    if round > 0 {
                        for _ in 0 ..< random.int(in: 1 ... 2) {
                            packet[random.int(in: 0 ... packet.count - 1)] = UInt8(truncatingIfNeeded: random.int(in: 0 ... 255))
                        }
                    }
                    if round % 4 == 3 { packet = Array(packet.prefix(random.int(in: 0 ... packet.count))) }
                    let reference = theirs.run(packet: packet)
                    guard reference == theirsUnoptimized.run(packet: packet) else { continue }
                    compared += 1
                    let verdict = mine.run(packet: packet)
                    if verdict != reference {
                        disagreements.append("\"\(expression)\" on \(packet.map { String($0, radix: 16) }): libpcap \(reference), ours \(verdict)")
                    }
                }
            }
        }
        print("[framings] \(linkTypeName): \(compiled) expressions compiled by both, \(compared) packets compared, \(disagreements.count) disagreements")
        #expect(compiled > 0 || ["RAW", "NULL"].contains(linkTypeName))
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    /// What libpcap refuses, we refuse with its words and the place in the text.
    @Test(arguments: [
        ("decnet host 0x1.2", "1:13", "malformed decnet address '0x1.2'"),
        ("decnet host foo", "1:13", "decnet name support not included, 'foo' cannot be translated"),
        ("decnet proto 3", nil, "DECNET encapsulation is not specifiable"),
        ("atalk proto 3", nil, "AppleTalk encapsulation is not specifiable"),
        ("lat proto 3", nil, "LAT does not encapsulate another protocol"),
        ("ipx host 1", nil, "IPX host filtering not implemented"),
        ("aarp host 1", nil, "AARP host filtering not implemented"),
        ("decnet port 1", "1:13", "illegal qualifier of 'port'"),
        ("gateway router", "1:9", "'gateway' not supported in this configuration"),
    ] as [(String, String?, String)])
    func refusedAsLibpcapRefuses(_ expression: String, _ location: String?, _ message: String) {
        if case .success = OracleLibpcap.compile(expression, dlt: 1) {
            Issue.record("libpcap accepts \(expression)")
        }
        expectRefusal(expression, at: location, saying: message)
    }

    @Test func decnetAddressesPrintAndParseBack() throws {
        for text in ["decnet host 1.1", "decnet src host 63.1023", "decnet dst net 0.5"] {
            let parsed = try #require(try FilterExpression.parse(text))
            #expect(parsed.description == text)
        }
        // A plain number is the 16-bit address; AREA.NODE keeps 6 and 10 bits, as libpcap does.
        #expect(try FilterExpression.parse("decnet host 1025")?.description == "decnet host 1.1")
        #expect(try FilterExpression.parse("decnet host 70.2000")?.description == "decnet host 6.976")
        #expect(try FilterExpression.parse("decnet host 1.2.3")?.description == "decnet host 1.2")
    }
}
