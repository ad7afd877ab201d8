import CBPF
import PacketFilter

/// Our verdicts on libpcap's filter-test captures against the return values its TESTrun apply
/// table expects, row by row; the test suite and the comparison benchmark both report it.
package struct OracleApplyComparison: Sendable {
    package private(set) var rows = 0
    package private(set) var compiled = 0
    package private(set) var matching = 0
    /// Rows whose verdicts differ, with both lists of return values and our program.
    package private(set) var mismatches: [String] = []
    /// Rows whose verdicts differ from the table's but equal the installed libpcap's, where the
    /// table's newer libpcap decides otherwise: `outbound` on SLIP, which libpcap 1.10 takes for
    /// any direction byte but 0 (received), and newer ones only for 1 (sent).
    package private(set) var installedLibpcapDecidesOtherwise: [String] = []
    /// Rows we do not compile, with our error.
    package private(set) var notCompiled: [(row: String, error: FilterSyntaxError)] = []
    /// Captures that could not be read.
    package private(set) var unreadable: [String] = []
    /// Packets not compared: libpcap's `protochain` loop could walk more headers than our
    /// unrolled walk follows (ours then does not match; libpcap's loops on).
    package private(set) var beyondProtochainBound: [String] = []

    package init(corpus: OracleCorpus) {
        var captures = [String: (LinkType, UInt32, [CapturedPacket])?]()
        for row in OracleApplyRow.load(from: corpus) {
            rows += 1
            if captures[row.capture] == nil {
                captures[row.capture] = Self.readCapture(corpus.filterCaptures + "/" + row.capture)
            }
            guard let (linkType, snapshotLength, packets) = captures[row.capture] ?? nil else {
                unreadable.append("\(row.name): cannot read \(row.capture)")
                continue
            }
            compare(row, linkType: linkType, snapshotLength: snapshotLength, packets: packets)
        }
    }

    private mutating func compare(_ row: OracleApplyRow, linkType: LinkType, snapshotLength: UInt32, packets: [CapturedPacket]) {
        let program: Program
        do throws(FilterSyntaxError) {
            program = try PacketFilterCompiler(linkType: linkType, snapshotLength: snapshotLength).compile(row.expression)
        } catch {
            notCompiled.append(("\(row.name) [\(linkType)] \"\(row.expression)\"", error))
            return
        }
        compiled += 1
        guard let interpreter = try? Interpreter(program, for: .socket) else {
            mismatches.append("\(row.name): our program does not verify")
            return
        }
        var actual = packets.map {
            interpreter.run(packet: $0.data, wireLength: max($0.originalLength, UInt32($0.data.count)))
        }
        var expected = row.expected
        var installed = Self.installedLibpcapVerdicts(row.expression, linkType: linkType, snapshotLength: snapshotLength, packets)
        if row.expression.contains("protochain") {
            for (index, packet) in packets.enumerated() where index < expected.count && OracleProtocolChain.mayExceed(
                PacketFilterCompiler.protochainSkippedHeaderLimit, in: packet.data, linkType: linkType, target: nil)
            {
                beyondProtochainBound.append("\(row.name) packet \(index + 1)")
                (actual[index], expected[index]) = (0, 0)
                installed?[index] = 0
            }
        }
        if actual == expected {
            matching += 1
        } else if let installed, installed == actual {
            installedLibpcapDecidesOtherwise.append("""
                \(row.name) [\(linkType), \(row.capture)] "\(row.expression)": the table \
                \(row.expected.map(String.init).joined(separator: ",")), libpcap \(OracleLibpcap.version) and ours \
                \(actual.map(String.init).joined(separator: ","))
                """)
        } else {
            mismatches.append("""
                \(row.name) [\(linkType), \(row.capture)] "\(row.expression)": expected \
                \(row.expected.map(String.init).joined(separator: ",")), ours \
                \(actual.map(String.init).joined(separator: ","))
                \(TcpdumpFormat.format(program, style: .listing))
                """)
        }
    }

    /// The verdicts of the installed libpcap's program on the packets, or nil where it does not
    /// compile the expression.
    private static func installedLibpcapVerdicts(
        _ expression: String, linkType: LinkType, snapshotLength: UInt32, _ packets: [CapturedPacket]
    ) -> [UInt32]? {
        guard let name = linkType.name, let dlt = OracleLibpcap.dlt(named: name),
              case .success(let program) = OracleLibpcap.compile(expression, dlt: dlt, snapshotLength: snapshotLength)
        else { return nil }
        let insns = OracleLibpcap.insns(program)
        return packets.map {
            OracleLibpcap.filter(insns, packet: $0.data, wireLength: max($0.originalLength, UInt32($0.data.count)))
        }
    }

    /// A capture's link type, snapshot length (libpcap's reading of the header) and packets.
    package static func readCapture(_ path: String) -> (LinkType, UInt32, [CapturedPacket])? {
        guard let packets = try? CaptureReader(path: path).packets(),
              let snapshotLength = OracleLibpcap.snapshotLength(ofCapture: path),
              let linkType = packets.first?.linkType ?? OracleLibpcap.linkType(ofCapture: path)
        else { return nil }
        return (linkType, snapshotLength, packets)
    }

    /// One line of counts.
    package var summary: String {
        "\(rows) rows: \(compiled) compiled, \(matching) match, \(mismatches.count) differ, \(notCompiled.count) not "
            + "compiled, \(unreadable.count) captures unreadable; \(installedLibpcapDecidesOtherwise.count) differ from the "
            + "table where the installed libpcap does too (ours follow it); \(beyondProtochainBound.count) packets not compared, "
            + "their header chain longer than protochain's bound of \(PacketFilterCompiler.protochainSkippedHeaderLimit)"
    }
}
