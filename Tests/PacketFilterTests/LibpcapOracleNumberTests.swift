import CBPF
import CBPFFuzz
import Foundation
import LibpcapOracle
import PacketFilter
import Testing

// What tcpdump compiles, we compile: numbers read as libpcap reads them (32 bits unsigned, so
// `-1` is 4294967295), "expression rejects all packets" only where libpcap's optimizer says it,
// and a snapshot length of 0 refused in libpcap's words. Needs only libpcap.

@Suite("Numbers and empty filters as libpcap")
struct LibpcapOracleNumberTests {
    /// Expressions that match no packet. libpcap's optimizer proves it only of some ("expression
    /// rejects all packets"), and compiles the others to a program that always returns 0; ours
    /// proves it of all of them, and must refuse exactly where libpcap refuses. (Left out: a
    /// comparison of constants computed with arithmetic after another test, `ip and (8 >> 1) < 1`,
    /// which libpcap 1.10.3 compiles and we refuse; see docs/packet-filters.md.)
    static let matchingNothing: [(String, String)] = [
        // libpcap compiles these (its optimizer knows no value ranges).
        ("EN10MB", "len > -1"), ("EN10MB", "ip[0] = 4294967295"), ("EN10MB", "len > 100 and len < 50"),
        ("EN10MB", "ip[0] > 255"), ("EN10MB", "ip[0] & 0x100 != 0"), ("EN10MB", "len < 0"),
        ("EN10MB", "ether[0:2] > 65535"), ("IPV4", "byte 8 & 5"),
        // libpcap refuses these.
        ("EN10MB", "ip and arp"), ("EN10MB", "tcp and udp"), ("EN10MB", "1 = 2"), ("EN10MB", "ip and 1 = 2"),
        ("EN10MB", "tcp and not tcp"), ("EN10MB", "port 80 and not port 80"), ("EN10MB", "ip6 and tcp and udp"),
        ("EN10MB", "host 1.2.3.4 and not host 1.2.3.4"), ("RAW", "arp"), ("EN10MB", "(8 >> 1) < 1"),
    ]

    @Test(arguments: matchingNothing)
    func rejectsAllPacketsWhereLibpcapsOptimizerDoes(linkTypeName: String, expression: String) throws {
        let linkType = try #require(LinkType(name: linkTypeName))
        let dlt = try #require(OracleLibpcap.dlt(named: linkTypeName))
        let compilation = OracleCompilation(expression, linkType: linkType, dlt: dlt)
        switch compilation.ours {
        case .failure(let error):
            #expect(error.message == "expression rejects all packets" && compilation.libpcapOptimizerRejectsAll,
                    "ours: \(error); libpcap's optimizer rejects all: \(compilation.libpcapOptimizerRejectsAll)")
        case .success:
            #expect(!compilation.libpcapOptimizerRejectsAll, "libpcap's optimizer says it rejects all packets")
            try expectSameVerdicts(compilation, expression: expression, linkType: linkType, dlt: dlt)
        }
    }

    /// Numbers as libpcap's `stou` reads them: 32 bits unsigned, so a minus sign wraps around;
    /// verdicts compared with libpcap's program on mutated packets.
    @Test(arguments: ["len > -4294967295", "len = -0", "ip[-1] = 1", "ip[0:4] = -2147483648", "len != 4294967295",
                      "ip[0] = 037", "tcp[0:4] > 0xffffffff - 1"])
    func numbersAsLibpcapReadsThem(expression: String) throws {
        let dlt = try #require(OracleLibpcap.dlt(named: "EN10MB"))
        let compilation = OracleCompilation(expression, linkType: .ethernet, dlt: dlt)
        try expectSameVerdicts(compilation, expression: expression, linkType: .ethernet, dlt: dlt)
    }

    /// Numbers that do not fit 32 bits are refused in libpcap's words.
    @Test(arguments: ["ip[0] = 0x100000000", "ip[0] = 4294967296", "len > 99999999999999999999", "len = 0xffffffffff"])
    func numbersOver32BitsAreRefusedAsLibpcapRefusesThem(expression: String) throws {
        guard case .failure(let libpcap) = LibpcapCompiler.compile(expression) else {
            Issue.record("libpcap compiles \(expression)")
            return
        }
        #expect(throws: FilterSyntaxError.self) { try PacketFilterCompiler().compile(expression) }
        do {
            _ = try PacketFilterCompiler().compile(expression)
        } catch {
            #expect(libpcap.description == error.message, "ours: \(error)")
        }
    }

    /// libpcap refuses a snapshot length of 0 (`pcap_compile`), whatever the expression.
    @Test(arguments: ["ip", "", "tcp port 80"])
    func snapshotLengthZeroIsRefusedAsLibpcapRefusesIt(expression: String) {
        guard case .failure(let libpcap) = LibpcapCompiler.compile(expression, snapshotLength: 0) else {
            Issue.record("libpcap compiles \(expression) with a snapshot length of 0")
            return
        }
        do {
            _ = try PacketFilterCompiler(snapshotLength: 0).compile(expression)
            Issue.record("compiled with a snapshot length of 0")
        } catch {
            #expect(error == FilterSyntaxError(libpcap.description))
        }
    }

    /// Our program and libpcap's agree on packets mutated with both programs' constants.
    private func expectSameVerdicts(
        _ compilation: OracleCompilation, expression: String, linkType: LinkType, dlt: Int32,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let pair = try #require(
            OracleCompiledPair(compilation, expression: expression, linkType: linkType, dlt: dlt),
            "one side does not compile: libpcap \(compilation.libpcap), ours \(compilation.ours)",
            sourceLocation: sourceLocation)
        var tally = OracleVerdictTally()
        var random = FuzzRandom(seed: 0x5eed, stream: 9, index: UInt64(expression.utf8.count))
        tally.compareMutated(pair, count: 300, mutator: OracleMutator(packets: [:], limit: 0), random: &random)
        #expect(tally.runs > 0 && tally.disagreements == 0, "\(tally.summary)", sourceLocation: sourceLocation)
    }
}
