import CBPF
import CBPFFuzz
import CPcap
import Foundation
import LibpcapOracle
import PacketFilter
import Testing

// libpcap as the oracle for the pcap-filter compiler: the expressions of libpcap's TESTrun
// tables, compiled by both, run over real and mutated packets; libpcap's expected verdicts on its
// own test captures; the kernel's checker; tcpdump itself. The full runs are the
// PacketFilterComparison benchmark.

@Suite(.serialized) struct LibpcapOracleTests {
    static var compilation: OracleAcceptCompilation { OracleAcceptCompilation.shared }

    // MARK: accept.tsv: what compiles, and how long

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func acceptTableCompilesWhatLibpcapCompiles() {
        let compilation = Self.compilation
        let counts = compilation.counts
        let (sizes, testOnlyNamesCompiled) = (counts.sizes, counts.testOnlyNamesCompiled)
        let onlyLibpcap = counts.onlyLibpcap.map { "\($0.label): \($0.ours)" }
        // The table comes from a newer libpcap: `vxlan` (libpcap 1.11) is a syntax error to 1.10.
        let newerPrimitives = counts.onlyOurs.filter { OracleLibpcap.needsNewerLibpcap($0.label) }.map(\.label)
        let onlyOurs = counts.onlyOurs.filter { !OracleLibpcap.needsNewerLibpcap($0.label) }
            .map { "\($0.label): libpcap says \($0.libpcap)" }
        print("""
            [accept.tsv] \(compilation.entries.count) rows of supported link types \
            (\(compilation.otherLinkTypes) rows of other link types skipped); compile time libpcap \
            \(compilation.libpcapTime), ours \(compilation.oursTime) (optimized only)
            [accept.tsv] both compile \(counts.both), only libpcap \(onlyLibpcap.count), only ours \(onlyOurs.count), \
            neither \(counts.neither.count) (\(counts.bothRejectAll) of them as libpcap's optimizer does: 'expression \
            rejects all packets'); \(counts.testOnlyNames) name hosts of TESTrun's test-only hosts file (libpcap not \
            asked; we compile \(testOnlyNamesCompiled.count) of them); libpcap's optimizer says 'rejects all packets' \
            for \(counts.optimizerRejectsAll) (compared with its unoptimized program)
            [accept.tsv] size over \(sizes.compared) expressions: ours \(sizes.ours), libpcap \(sizes.libpcap) \
            instructions; ours longer \(sizes.longer.count), shorter \(sizes.shorter), equal \(sizes.equal); \
            worst: \(sizes.worst.map { "\($0.label): ours \($0.ours), libpcap \($0.libpcap)" } ?? "")
            """)
        let reasons = Dictionary(grouping: onlyLibpcap) { line -> String in
            let message = line.split(separator: ":").last.map(String.init) ?? line
            return message.trimmingCharacters(in: .whitespaces)
        }
        for (reason, lines) in reasons.sorted(by: { $0.value.count > $1.value.count }) {
            print("[accept.tsv] only libpcap, \(lines.count)x '\(reason)': e.g. \(lines.prefix(3).joined(separator: " | "))")
        }
        for line in compilation.slowLibpcap.prefix(10) { print("[accept.tsv] libpcap compiles slowly: \(line)") }
        for line in onlyOurs { print("[accept.tsv] only ours: \(line)") }
        print("[accept.tsv] only ours, as libpcap 1.10 has no vxlan: \(newerPrimitives)")
        #expect(compilation.entries.count > 0)
        #expect(testOnlyNamesCompiled.isEmpty, "we compile host names: \(testOnlyNamesCompiled.prefix(5))")
        #expect(onlyOurs.isEmpty, "we compile \(onlyOurs.count) expressions that libpcap rejects: \(onlyOurs.prefix(10))")
        #expect(sizes.ours < sizes.libpcap, "ours \(sizes.ours) instructions in all, libpcap \(sizes.libpcap)")
    }

    // MARK: accept.tsv: verdicts

    /// A slice of the tcpdump captures: at most this many packets of each capture.
    static let packetsPerCapture = 25

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func acceptTableVerdictsOnCapturePackets() {
        let pairs = Self.compilation.pairs
        let captured = OracleCapturePackets(
            corpus: .shared, perCapture: Self.packetsPerCapture, linkTypes: Set(pairs.map(\.linkType)))
        var tally = OracleVerdictTally()
        let expressions = tally.compare(pairs, on: captured.packets)
        tally.packets = captured.count
        let perType = captured.captures.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.name ?? "?"): \($0.value) captures, \(captured.packets[$0.key]?.count ?? 0) packets" }
        print("""
            [verdicts/captures] \(expressions) expressions × capture packets (\(perType.joined(separator: "; "))): \
            \(tally.summary)
            [verdicts/captures] point-to-point link types:
            \(tally.linkTypeCounts(LinkType.pointToPoint))
            \(tally.report())
            """)
        #expect(tally.runs > 0)
        #expect(tally.disagreements == 0, "\(tally.disagreements) disagreements with libpcap on capture packets")
        #expect(tally.referenceInconsistencies == 0)
    }

    static let mutatedPacketsPerExpression = 1000

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func acceptTableVerdictsOnMutatedPackets() {
        let pairs = Self.compilation.pairs
        let captured = OracleCapturePackets(corpus: .shared, perCapture: 20, linkTypes: Set(LinkType.oracleSupported))
        let mutator = OracleMutator(packets: captured.packets, limit: 4000)
        var tally = OracleVerdictTally()
        for (index, pair) in pairs.enumerated() {
            var random = FuzzRandom(seed: 0x5eed_0bad_cafe, stream: 1, index: UInt64(index))
            tally.compareMutated(pair, count: Self.mutatedPacketsPerExpression, mutator: mutator, random: &random)
        }
        print("""
            [verdicts/mutations] \(pairs.count) expressions × \(Self.mutatedPacketsPerExpression) mutated packets \
            (\(mutator.payloads.count) real payloads): \(tally.summary)
            [verdicts/mutations] point-to-point link types:
            \(tally.linkTypeCounts(LinkType.pointToPoint))
            \(tally.report())
            """)
        #expect(tally.disagreements == 0, "\(tally.disagreements) disagreements with libpcap on mutated packets")
        #expect(tally.referenceInconsistencies == 0)
    }

    // MARK: apply.tsv

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func applyTableVerdicts() {
        let comparison = OracleApplyComparison(corpus: .shared)
        print("[apply.tsv] \(comparison.summary): \(comparison.beyondProtochainBound)")
        for line in comparison.mismatches.prefix(10) { print("[apply.tsv] DIFFERS: \(line)") }
        for line in comparison.installedLibpcapDecidesOtherwise { print("[apply.tsv] as libpcap \(OracleLibpcap.version): \(line)") }
        for (row, error) in comparison.notCompiled { print("[apply.tsv] not compiled: \(row): \(error)") }
        #expect(comparison.rows > 0)
        #expect(comparison.unreadable.isEmpty, "\(comparison.unreadable)")
        #expect(comparison.mismatches.isEmpty, "\(comparison.mismatches.count) apply.tsv rows differ: \(comparison.mismatches.prefix(3))")
    }

    // MARK: the kernel

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func everyCompiledProgramAttachesToASocket() throws {
        let oracle: SocketOracle
        do { oracle = try SocketOracle() } catch {
            Issue.record("no socketpair: \(error)")
            return
        }
        var programs = [(String, Program)]()
        for entry in Self.compilation.entries {
            switch entry.outcome {
            case .both(let pair): programs.append(("\(entry.row.linkTypeName) \"\(pair.expression)\"", pair.ours))
            case .onlyOurs(_, let program): programs.append(("\(entry.row.linkTypeName) \"\(entry.row.expression)\"", program))
            default: break
            }
        }
        var refused = [String]()
        var deliveries = 0, deliveryMismatches = [String]()
        for (index, (label, program)) in programs.enumerated() {
            let verdict = oracle.attach(program.raw)
            if verdict != .accepted {
                refused.append("\(label): \(verdict)")
                continue
            }
            // Every 10th: the kernel runs it on a packet too (an AF_UNIX datagram has no link header,
            // so any bytes will do; the kernel's length is the datagram's).
            if index % 10 == 0, let interpreter = try? Interpreter(program, for: .socket) {
                var random = FuzzRandom(seed: 42, stream: 3, index: UInt64(index))
                for _ in 0 ..< 4 {
                    let packet = random.bytes(random.int(in: 1 ... 120))
                    let expected = interpreter.run(packet: packet)
                    let expectedDelivery: KernelDelivery = expected == 0 ? .dropped : .delivered(packet.count)
                    let delivery = oracle.deliver(program.raw, packet: packet)
                    deliveries += 1
                    if delivery != expectedDelivery {
                        deliveryMismatches.append("\(label): kernel \(delivery), interpreter \(expected)")
                    }
                }
            }
        }
        print("[kernel] \(programs.count) programs attached: \(refused.count) refused; \(deliveries) deliveries, "
            + "\(deliveryMismatches.count) differ from the interpreter")
        #expect(programs.count > 0)
        #expect(refused.isEmpty, "the kernel refuses: \(refused.prefix(5))")
        #expect(deliveryMismatches.isEmpty, "\(deliveryMismatches.prefix(5))")
    }

    // MARK: tcpdump

    static let tcpdumpExpressions = [
        "tcp port 80", "udp and port 53", "icmp or icmp6", "ip6", "arp or rarp", "tcp[tcpflags] & tcp-syn != 0",
        "ip[2:2] > 100", "net 10.0.0.0/8 or net 192.168.0.0/16", "greater 200", "ether broadcast or ether multicast",
        "not ip and not ip6", "portrange 1-1023", "ip[6:2] & 0x1fff != 0", "udp[8:2] = 0x8180 or len < 64",
    ]

    @Test(.enabled(if: OracleCorpus.shared.isPresent, OracleCorpus.absent))
    func tcpdumpAcceptsTheSamePackets() throws {
        guard CaptureTcpdump.executable != nil else {
            print("[tcpdump] skipped: no tcpdump executable")
            return
        }
        // Ethernet captures with the most packets (up to 200 KB), plus the largest Linux SLL, NULL and IPv6 ones.
        var chosen = [String]()
        for (linkType, count) in [(LinkType.ethernet, 4), (.linuxSLL, 1), (.null, 1), (.ipv6, 1), (.raw, 1)] {
            var candidates = [(String, Int)]()
            for path in OracleCorpus.shared.tcpdumpCaptureFiles where path.hasSuffix(".pcap") {
                guard let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size < 200_000,
                      let packets = try? CaptureReader(path: path).packets(),
                      packets.first?.linkType == linkType, packets.allSatisfy({ $0.linkType == linkType })
                else { continue }
                candidates.append((path, packets.count))
            }
            chosen += candidates.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(count).map(\.0)
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("oracle-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var comparisons = 0, packetsCompared = 0, differences = [String]()
        for path in chosen {
            guard let (linkType, snapshotLength, packets) = OracleApplyComparison.readCapture(path),
                  let file = try? CaptureReader(path: path)
            else { continue }
            // tcpdump -r compiles for a capture file, in that file's byte order.
            let source = PacketSource.captureFile(bigEndian: file.byteOrder == .bigEndian)
            for expression in Self.tcpdumpExpressions {
                let program: Program
                do throws(FilterSyntaxError) {
                    program = try PacketFilterCompiler(linkType: linkType, snapshotLength: snapshotLength, source: source)
                        .compile(expression)
                } catch {
                    continue
                }
                guard let interpreter = try? Interpreter(program, for: .socket),
                      let result = CaptureTcpdump.run(["-r", path, "-w", output, expression]), result.status == 0
                else { continue }
                let tcpdump = LibpcapCapture(path: output).packets.map(\.data)
                let ours = packets.filter {
                    interpreter.run(packet: $0.data, wireLength: max($0.originalLength, UInt32($0.data.count))) != 0
                }.map(\.data)
                comparisons += 1
                packetsCompared += packets.count
                if tcpdump != ours {
                    differences.append("\((path as NSString).lastPathComponent) [\(linkType)] \"\(expression)\": "
                        + "tcpdump keeps \(tcpdump.count), ours \(ours.count)")
                }
            }
        }
        print("[tcpdump] \(comparisons) (capture, expression) runs over \(chosen.count) captures, \(packetsCompared) "
            + "packets: \(differences.count) differ\n" + differences.prefix(10).joined(separator: "\n"))
        #expect(comparisons > 0)
        #expect(differences.isEmpty, "\(differences.prefix(5))")
    }
}
