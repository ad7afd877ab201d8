import CBPF
import CPcap
import Foundation
import LibpcapOracle
import PacketFilter
import Testing

// The disagreements the libpcap oracle once found, kept as small cases: one expression, one link
// type, one packet. Needs only libpcap, not the corpus.

struct OracleExample: CustomTestStringConvertible, Sendable {
    var linkType: String
    var expression: String
    /// The captured bytes, in hex.
    var packet: String
    /// The length on the wire; nil for the captured length.
    var wireLength: UInt32? = nil
    var note: String

    var testDescription: String { "\(linkType) \"\(expression)\"" }

    var bytes: [UInt8] {
        let digits = Array(packet.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0 ... $0 + 1]), radix: 16)! }
    }
}

@Suite struct LibpcapOracleExampleTests {
    /// Packets cut short just before a load that libpcap's optimizer drops or moves: there its
    /// optimized and unoptimized programs disagree, so libpcap's verdict is not defined. These
    /// cases pin that down (so that a libpcap change shows) and check that ours is one of the two.
    static let examples: [OracleExample] = [
        OracleExample(
            linkType: "IPV6", expression: "tcp port 22 or 443",
            packet: "60000000 00140640" + String(repeating: "20010db8000000000000000000000001", count: 2) + "01bb",
            wireLength: 60,
            note: "TCP source port 443, captured up to the source port: libpcap's optimizer tests [40] against 22 "
                + "and 443 before loading [42]; its unoptimized program, like ours, loads [42] first"),
        OracleExample(
            linkType: "EN10MB", expression: "not (net 10.1 and ip proto 17)",
            packet: "ffffffffffff 001122334455 0806 0001080006040001", wireLength: 60,
            note: "A truncated ARP frame: libpcap's optimizer drops the ARP address tests (ip proto 17 can't hold "
                + "for ARP) and accepts; its unoptimized program loads the ARP sender address and rejects"),
        OracleExample(
            linkType: "EN10MB", expression: "tcp or not tcp",
            packet: "ffffffffffff 001122334455 0800", wireLength: 60,
            note: "A tautology: libpcap's optimizer compiles it to ret #262144; its unoptimized program loads the "
                + "protocol and rejects a packet that ends after the Ethernet header"),
        OracleExample(
            linkType: "EN10MB", expression: "port 80 or not 80",
            packet: "ffffffffffff 001122334455 0800 45000014000000004006", wireLength: 60,
            note: "A tautology: libpcap's optimizer makes it one instruction; the unoptimized program loads ports"),
    ]

    @Test(arguments: examples)
    func oursIsOneOfLibpcapsTwoVerdicts(_ example: OracleExample) throws {
        let linkType = try #require(LinkType(name: example.linkType))
        let dlt = try #require(OracleLibpcap.dlt(named: example.linkType))
        let optimized = try OracleLibpcap.compile(example.expression, dlt: dlt).get()
        let unoptimized = try OracleLibpcap.compile(example.expression, dlt: dlt, optimize: false).get()
        let ours = try PacketFilterCompiler(linkType: linkType).compile(example.expression)
        let packet = OraclePacket(
            data: example.bytes, wireLength: example.wireLength ?? UInt32(example.bytes.count), origin: "example")
        func run(_ program: Program) throws -> UInt32 {
            try Interpreter(program, for: .socket).run(packet: packet.data, wireLength: packet.wireLength)
        }
        let (optimizedVerdict, unoptimizedVerdict) = (try run(Program(raw: optimized)), try run(Program(raw: unoptimized)))
        let oursVerdict = try run(ours)
        #expect(optimizedVerdict == OracleLibpcap.filter(OracleLibpcap.insns(optimized), packet: packet.data,
                                                         wireLength: packet.wireLength))
        #expect(optimizedVerdict != unoptimizedVerdict, "\(example.note)")
        #expect(
            oursVerdict == optimizedVerdict || oursVerdict == unoptimizedVerdict,
            """
            \(example.note)
            packet \(packet.hex) (wire \(packet.wireLength)): libpcap \(optimizedVerdict) optimized, \
            \(unoptimizedVerdict) unoptimized, ours \(oursVerdict)
            """)
    }
}
