import CBPF
import CBPFFuzz
import CPcap
import Foundation
import PacketFilter
import Synchronization
import Testing

// The pieces of the libpcap oracle: the TESTrun tables of the shared corpus, libpcap's compiler
// and bpf_filter, the capture packets, and packet mutations guided by the programs' constants.

/// The shared corpus's libpcap TESTrun tables and tcpdump captures, `../shared/corpus`.
enum OracleCorpus {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static var acceptTable: String { directory.appendingPathComponent("libpcap-testrun/accept.tsv").path }
    static var applyTable: String { directory.appendingPathComponent("libpcap-testrun/apply.tsv").path }
    static var tcpdumpCaptures: String { directory.appendingPathComponent("pcap/tcpdump-tests").path }
    static var filterCaptures: String { directory.appendingPathComponent("pcap/libpcap-filter-tests").path }

    static var isPresent: Bool {
        [acceptTable, applyTable, tcpdumpCaptures, filterCaptures].allSatisfy {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    static let absent = Comment(
        rawValue: "skipped: the shared corpus \(directory.path) (libpcap-testrun, pcap) is absent")

    /// The libpcap link-type names the compiler supports.
    static let supportedLinkTypeNames = ["EN10MB", "RAW", "LINUX_SLL", "LINUX_SLL2", "NULL", "LOOP", "IPV4", "IPV6"]

    /// Every capture of `tcpdump-tests`, sorted by name.
    static let tcpdumpCaptureFiles: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tcpdumpCaptures)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { tcpdumpCaptures + "/" + $0 }
    }()
}

/// A row of `accept.tsv`: an expression libpcap accepts for a link type.
struct OracleAcceptRow: Sendable {
    var name: String
    var linkTypeName: String
    /// `same`, `differ` or `optfail`.
    var kind: String
    var expression: String

    static func load() -> [OracleAcceptRow] {
        guard let text = try? String(contentsOfFile: OracleCorpus.acceptTable, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            return OracleAcceptRow(
                name: String(fields[0]), linkTypeName: String(fields[1]), kind: String(fields[2]),
                expression: fields.count > 3 ? String(fields[3]) : "")
        }
    }
}

/// A row of `apply.tsv`: an expression and the return value it gives each packet of a capture.
struct OracleApplyRow: Sendable {
    var name: String
    var capture: String
    var expected: [UInt32]
    var expression: String

    static func load() -> [OracleApplyRow] {
        guard let text = try? String(contentsOfFile: OracleCorpus.applyTable, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            return OracleApplyRow(
                name: String(fields[0]), capture: String(fields[1]),
                expected: fields[2].split(separator: ",").compactMap { UInt32($0.trimmingCharacters(in: .whitespaces)) },
                expression: fields.count > 3 ? String(fields[3]) : "")
        }
    }
}

/// libpcap 1.10's compiler and interpreter.
enum OracleLibpcap {
    /// pcap_compile's error message.
    struct Failure: Error, CustomStringConvertible, Sendable {
        var description: String
    }

    private static let lock = Mutex(())

    /// `pcap_datalink_name_to_val`.
    static func dlt(named name: String) -> Int32? {
        let value = pcap_datalink_name_to_val(name)
        return value < 0 ? nil : value
    }

    /// libpcap's program for `expression` on `pcap_open_dead(dlt, snapshotLength)`.
    static func compile(_ expression: String, dlt: Int32, snapshotLength: UInt32 = 262_144, optimize: Bool = true,
                        netmask: UInt32 = 0)
        -> Result<[RawInstruction], Failure>
    {
        lock.withLock { _ in
            guard let handle = pcap_open_dead(dlt, Int32(bitPattern: snapshotLength)) else {
                return .failure(Failure(description: "pcap_open_dead failed"))
            }
            defer { pcap_close(handle) }
            var program = bpf_program()
            guard pcap_compile(handle, &program, expression, optimize ? 1 : 0, netmask) == 0 else {
                return .failure(Failure(description: String(cString: pcap_geterr(handle))))
            }
            defer { pcap_freecode(&program) }
            return .success((0 ..< Int(program.bf_len)).map {
                let instruction = program.bf_insns[$0]
                return RawInstruction(code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
            })
        }
    }

    /// libpcap's unoptimized program for `expression`, ready to run, if it compiles and verifies.
    static func unoptimizedInterpreter(_ expression: String, dlt: Int32) -> Interpreter? {
        guard case .success(let raw) = compile(expression, dlt: dlt, optimize: false),
              let program = try? Program(raw: raw)
        else { return nil }
        return try? Interpreter(program, for: .socket)
    }

    /// The snapshot length libpcap reports for a capture file (`pcap_snapshot`).
    static func snapshotLength(ofCapture path: String) -> UInt32? {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errorBuffer) else { return nil }
        defer { pcap_close(handle) }
        return UInt32(bitPattern: pcap_snapshot(handle))
    }

    /// libpcap's `bpf_filter(program, packet, wirelen, buflen = packet.count)`.
    static func filter(_ program: [bpf_insn], packet: [UInt8], wireLength: UInt32) -> UInt32 {
        program.withUnsafeBufferPointer { code in
            packet.withUnsafeBufferPointer { bytes in
                // bpf_filter never reads a zero-length buffer, but needs a non-null pointer.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in
                    bpf_filter(code.baseAddress, bytes.baseAddress ?? UnsafePointer(empty.baseAddress!), wireLength,
                               UInt32(bytes.count))
                }
            }
        }
    }

    static func insns(_ raw: [RawInstruction]) -> [bpf_insn] {
        raw.map { bpf_insn(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
    }
}

/// A packet as a filter sees it: the captured bytes and the length on the wire.
struct OraclePacket: Sendable {
    var data: [UInt8]
    var wireLength: UInt32
    /// Where it came from: a capture and packet number, or a mutation.
    var origin: String

    var hex: String { data.map { String(format: "%02x", $0) }.joined() }
}

/// An expression compiled by libpcap and by us, ready to run.
struct OracleCompiledPair: Sendable {
    var expression: String
    var linkType: LinkType
    var ours: Program
    var oursUnoptimized: Program?
    var libpcap: [RawInstruction]
    var libpcapIsUnoptimized: Bool
    var oursInterpreter: Interpreter
    var oursUnoptimizedInterpreter: Interpreter?
    var libpcapInterpreter: Interpreter?
    var libpcapInsns: [bpf_insn]
    /// libpcap's unoptimized program. Where it and the optimized one disagree (a load the
    /// optimizer dropped or kept, on a packet too short for it), libpcap's verdict is not defined,
    /// and the packet is counted, not compared.
    var libpcapUnoptimizedInterpreter: Interpreter? = nil

    /// Whether libpcap's program loads Linux ancillary data (`ld #type` for `inbound`), which
    /// bpf_filter in user space does not provide.
    var libpcapUsesAncillaryData: Bool {
        libpcap.contains { [0x20, 0x28, 0x30].contains($0.code) && $0.k >= 0xffff_f000 }
    }

    /// Whether libpcap's program shifts by X: for X >= 32 bpf_filter gives 0, the kernel (and our
    /// interpreter) shifts by X & 31.
    var libpcapShiftsByX: Bool {
        libpcap.contains { $0.code == 0x6c || $0.code == 0x7c }
    }

    /// libpcap's verdict: its program through our interpreter, or through bpf_filter when our
    /// verifier refuses libpcap's program.
    func libpcapVerdict(_ packet: OraclePacket) -> UInt32 {
        if let libpcapInterpreter { return libpcapInterpreter.run(packet: packet.data, wireLength: packet.wireLength) }
        return OracleLibpcap.filter(libpcapInsns, packet: packet.data, wireLength: packet.wireLength)
    }

    func oursVerdict(_ packet: OraclePacket) -> UInt32 {
        oursInterpreter.run(packet: packet.data, wireLength: packet.wireLength)
    }
}

/// The outcome of comparing verdicts over many packets.
struct OracleVerdictTally {
    struct Disagreement {
        var pair: OracleCompiledPair
        var packet: OraclePacket
        var libpcap: UInt32
        var ours: UInt32
        var libpcapBpfFilter: UInt32
        var oursBpfFilter: UInt32
        var oursUnoptimized: UInt32?
    }

    var packets = 0
    var runs = 0
    var disagreements = 0
    /// libpcap's program through our interpreter and through bpf_filter disagree.
    var referenceInconsistencies = 0
    /// Packets on which libpcap's optimized and unoptimized programs disagree.
    var libpcapSelfDisagreements = 0
    var inconsistencyExamples: [String] = []
    /// Disagreements that disappear when the packet gets 1024 more (zero) bytes.
    var truncationOnlyCount = 0
    /// Expressions with a disagreement on a complete (or completed) packet.
    var semanticExpressions: Set<String> = []
    /// The first disagreement of each expression (with link type), in order.
    var firstByExpression: [String: Disagreement] = [:]
    var expressionOrder: [String] = []
    /// Disagreements where our unoptimized program agrees with libpcap (an optimizer problem).
    var optimizerOnly = 0

    mutating func compare(_ pair: OracleCompiledPair, _ packet: OraclePacket) {
        runs += 1
        let reference = pair.libpcapVerdict(packet)
        let ours = pair.oursVerdict(packet)
        if pair.libpcapInterpreter != nil, !pair.libpcapUsesAncillaryData, !pair.libpcapShiftsByX,
           runs % 7 == 0 {
            let direct = OracleLibpcap.filter(pair.libpcapInsns, packet: packet.data, wireLength: packet.wireLength)
            if direct != reference {
                referenceInconsistencies += 1
                if inconsistencyExamples.count < 3 {
                    inconsistencyExamples.append(
                        "\(pair.linkType.name ?? "?") \"\(pair.expression)\" on \(packet.origin) "
                            + "(\(packet.data.count) bytes, wire \(packet.wireLength)) \(packet.hex): libpcap's "
                            + "program returns \(reference) in our interpreter, \(direct) in bpf_filter\n"
                            + TcpdumpFormat.format(raw: pair.libpcap, style: .listing))
                }
            }
        }
        if let unoptimized = pair.libpcapUnoptimizedInterpreter,
           unoptimized.run(packet: packet.data, wireLength: packet.wireLength) != reference {
            libpcapSelfDisagreements += 1
            return
        }
        guard reference != ours else { return }
        disagreements += 1
        let unoptimized = pair.oursUnoptimizedInterpreter?.run(packet: packet.data, wireLength: packet.wireLength)
        if unoptimized == reference { optimizerOnly += 1 }
        // Short-packet-only: with 1024 zero bytes appended (and the same wire length, so that `len`
        // is unchanged), both give the same verdict: the programs differ only in which loads they
        // make past the end of a short or truncated packet.
        var full = packet
        full.data += [UInt8](repeating: 0, count: 1024)
        let truncationOnly = pair.libpcapVerdict(full) == pair.oursVerdict(full)
        if truncationOnly { truncationOnlyCount += 1 }
        let key = "\(truncationOnly ? "truncation" : "semantic")\t\(pair.linkType.name ?? "?")\t\(pair.expression)"
        if !truncationOnly { semanticExpressions.insert("\(pair.linkType.name ?? "?")\t\(pair.expression)") }
        if firstByExpression[key] == nil {
            expressionOrder.append(key)
            firstByExpression[key] = Disagreement(
                pair: pair, packet: packet, libpcap: reference, ours: ours,
                libpcapBpfFilter: OracleLibpcap.filter(pair.libpcapInsns, packet: packet.data,
                                                       wireLength: packet.wireLength),
                oursBpfFilter: OracleLibpcap.filter(OracleLibpcap.insns(pair.ours.raw), packet: packet.data,
                                                    wireLength: packet.wireLength),
                oursUnoptimized: unoptimized)
        }
    }

    /// The first `limit` disagreements in full, then one line per further expression.
    /// One line of counts.
    var summary: String {
        "\(runs) runs, \(disagreements) disagreements (\(disagreements - truncationOnlyCount) whatever the packet length in "
            + "\(semanticExpressions.count) expressions, \(truncationOnlyCount) only on short packets) in "
            + "\(Set(expressionOrder.map { $0.split(separator: "\t", maxSplits: 1)[1] }).count) expressions, "
            + "\(optimizerOnly) where our unoptimized program agrees with libpcap; interpreter vs bpf_filter on "
            + "libpcap's programs: \(referenceInconsistencies) inconsistencies; \(libpcapSelfDisagreements) packets "
            + "not compared because libpcap's optimized and unoptimized programs disagree on them"
    }

    func report(limit: Int = 5) -> String {
        var text = inconsistencyExamples.map { "--- interpreter/bpf_filter inconsistency: \($0)" }.joined()
        // Disagreements on complete packets first, then the truncation-only ones.
        let ordered = expressionOrder.filter { $0.hasPrefix("semantic") } + expressionOrder.filter { $0.hasPrefix("truncation") }
        for (index, key) in ordered.enumerated() {
            guard let d = firstByExpression[key] else { continue }
            if index < limit {
                text += """
                    --- disagreement \(index + 1) (\(key.hasPrefix("semantic") ? "on complete packets" : "short packets only: loads past the end")): \
                    \(d.pair.linkType.name ?? "?") "\(d.pair.expression)"
                    packet (\(d.packet.origin), \(d.packet.data.count) captured bytes, wire \(d.packet.wireLength)):
                    \(d.packet.hex)
                    libpcap returns \(d.libpcap) (bpf_filter \(d.libpcapBpfFilter)), ours returns \(d.ours) \
                    (bpf_filter \(d.oursBpfFilter)), ours unoptimized \(d.oursUnoptimized.map(String.init) ?? "-")
                    libpcap's program\(d.pair.libpcapIsUnoptimized ? " (unoptimized)" : ""):
                    \(TcpdumpFormat.format(raw: d.pair.libpcap, style: .listing))ours:
                    \(TcpdumpFormat.format(d.pair.ours, style: .listing))
                    """
            } else {
                text += "also (\(key.hasPrefix("semantic") ? "complete" : "short only")): "
                    + "\(d.pair.linkType.name ?? "?") \"\(d.pair.expression)\" on \(d.packet.origin): "
                    + "libpcap \(d.libpcap), ours \(d.ours), ours unoptimized "
                    + "\(d.oursUnoptimized.map(String.init) ?? "-")\n"
            }
        }
        return text
    }
}

/// How each accept.tsv row of a supported link type compiled.
struct OracleAcceptCompilation: Sendable {
    enum Outcome: Sendable {
        case both(OracleCompiledPair)
        case onlyLibpcap(ours: String)
        case onlyOurs(libpcap: String, ours: Program)
        case neither(libpcap: String, ours: String)
        /// The expression names a host of TESTrun's test-only hosts file (`*.libpcap.test`):
        /// libpcap is not asked (an unknown name can take a 5 s DNS timeout); ours must refuse it.
        case testOnlyName(ours: Result<Program, FilterSyntaxError>)
    }

    struct Entry: Sendable {
        var row: OracleAcceptRow
        var linkType: LinkType
        var outcome: Outcome
        /// libpcap's optimizer said the expression rejects every packet; its unoptimized program is
        /// the reference.
        var libpcapOptimizerRejectsAll: Bool
    }

    var entries: [Entry] = []
    var libpcapTime = Duration.zero
    var oursTime = Duration.zero
    /// Expressions libpcap takes long to compile.
    var slowLibpcap: [String] = []
    /// Rows of link types we don't support.
    var otherLinkTypes = 0

    var pairs: [OracleCompiledPair] {
        entries.compactMap { if case .both(let pair) = $0.outcome { pair } else { nil } }
    }

    static let shared: OracleAcceptCompilation = compute()

    static func compute() -> OracleAcceptCompilation {
        var result = OracleAcceptCompilation()
        for row in OracleAcceptRow.load() {
            guard OracleCorpus.supportedLinkTypeNames.contains(row.linkTypeName),
                  let linkType = LinkType(name: row.linkTypeName), let dlt = OracleLibpcap.dlt(named: row.linkTypeName)
            else {
                result.otherLinkTypes += 1
                continue
            }
            if row.expression.lowercased().contains(".libpcap.test") {
                let ours: Result<Program, FilterSyntaxError>
                do throws(FilterSyntaxError) {
                    ours = .success(try PacketFilterCompiler(linkType: linkType).compile(row.expression))
                } catch {
                    ours = .failure(error)
                }
                result.entries.append(Entry(
                    row: row, linkType: linkType, outcome: .testOnlyName(ours: ours), libpcapOptimizerRejectsAll: false))
                continue
            }
            let clock = ContinuousClock()
            let start = clock.now
            var libpcap = OracleLibpcap.compile(row.expression, dlt: dlt, optimize: true)
            var optimizerRejectsAll = false
            if case .failure(let failure) = libpcap, failure.description.contains("rejects all packets") {
                optimizerRejectsAll = true
                libpcap = OracleLibpcap.compile(row.expression, dlt: dlt, optimize: false)
            }
            let middle = clock.now
            result.libpcapTime += middle - start
            if middle - start > .milliseconds(200) {
                result.slowLibpcap.append("\(row.linkTypeName) \"\(row.expression)\" \(middle - start)")
            }
            let compiler = PacketFilterCompiler(linkType: linkType)
            let ours: Result<Program, FilterSyntaxError>
            do throws(FilterSyntaxError) { ours = .success(try compiler.compile(row.expression)) } catch {
                ours = .failure(error)
            }
            result.oursTime += clock.now - middle
            let outcome: Outcome
            switch (libpcap, ours) {
            case (.success(let reference), .success(let program)):
                var unoptimized: Program? = nil
                do throws(FilterSyntaxError) {
                    unoptimized = try PacketFilterCompiler(linkType: linkType, optimizes: false).compile(row.expression)
                } catch {}
                let referenceProgram = try? Program(raw: reference)
                guard let oursInterpreter = try? Interpreter(program, for: .socket) else {
                    outcome = .onlyLibpcap(ours: "our program does not verify")
                    break
                }
                outcome = .both(OracleCompiledPair(
                    expression: row.expression, linkType: linkType, ours: program, oursUnoptimized: unoptimized,
                    libpcap: reference, libpcapIsUnoptimized: optimizerRejectsAll, oursInterpreter: oursInterpreter,
                    oursUnoptimizedInterpreter: unoptimized.flatMap { try? Interpreter($0, for: .socket) },
                    libpcapInterpreter: referenceProgram.flatMap { try? Interpreter($0, for: .socket) },
                    libpcapInsns: OracleLibpcap.insns(reference),
                    libpcapUnoptimizedInterpreter: OracleLibpcap.unoptimizedInterpreter(row.expression, dlt: dlt)))
            case (.success, .failure(let error)) where optimizerRejectsAll && error.message.contains("rejects all packets"):
                // Both refuse it as libpcap's optimizer does: it matches nothing.
                outcome = .neither(libpcap: "expression rejects all packets", ours: error.description)
            case (.success, .failure(let error)):
                outcome = .onlyLibpcap(ours: error.description)
            case (.failure(let failure), .success(let program)):
                outcome = .onlyOurs(libpcap: failure.description, ours: program)
            case (.failure(let failure), .failure(let error)):
                outcome = .neither(libpcap: failure.description, ours: error.description)
            }
            result.entries.append(Entry(
                row: row, linkType: linkType, outcome: outcome, libpcapOptimizerRejectsAll: optimizerRejectsAll))
        }
        return result
    }
}

/// Packets of the tcpdump captures, by link type.
enum OracleCapturePackets {
    /// Every packet of every tcpdump-tests capture, keyed by link type, read with `CaptureFile`.
    /// `perCapture` bounds the packets taken from one capture; `captureStride` takes every n-th
    /// capture of a link type.
    static func load(perCapture: Int = .max, linkTypes: Set<LinkType>) -> (packets: [LinkType: [OraclePacket]], captures: [LinkType: Int]) {
        var packets = [LinkType: [OraclePacket]]()
        var captures = [LinkType: Int]()
        for path in OracleCorpus.tcpdumpCaptureFiles {
            guard let file = try? CaptureFile(contentsOf: path) else { continue }
            var reader = file.makeReader()
            var taken = [LinkType: Int]()
            let name = (path as NSString).lastPathComponent
            var index = 0
            while let packet = try? reader.next() {
                index += 1
                guard linkTypes.contains(packet.linkType) else { continue }
                let count = taken[packet.linkType, default: 0]
                if count >= perCapture { continue }
                if count == 0 { captures[packet.linkType, default: 0] += 1 }
                taken[packet.linkType] = count + 1
                packets[packet.linkType, default: []].append(OraclePacket(
                    data: packet.data, wireLength: max(packet.originalLength, UInt32(packet.data.count)),
                    origin: "\(name) #\(index)"))
            }
        }
        return (packets, captures)
    }
}

/// Network-layer payloads taken from real packets, re-wrapped in each supported link layer and
/// mutated with the constants and offsets of the programs under test.
struct OracleMutator {
    /// An EtherType and the bytes after the link-layer header.
    struct Payload: Sendable {
        var etherType: UInt16
        var bytes: [UInt8]
    }

    var payloads: [Payload]

    /// The payloads of every capture packet of a supported link type, at most `limit`, spread evenly.
    init(packets: [LinkType: [OraclePacket]], limit: Int) {
        var all = [Payload]()
        for linkType in packets.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            for packet in packets[linkType] ?? [] {
                if let payload = Self.payload(of: packet.data, linkType: linkType) { all.append(payload) }
            }
        }
        if all.count > limit {
            let stride = Double(all.count) / Double(limit)
            all = (0 ..< limit).map { all[Int(Double($0) * stride)] }
        }
        payloads = all
    }

    static func payload(of data: [UInt8], linkType: LinkType) -> Payload? {
        func be16(_ at: Int) -> UInt16? { at + 2 <= data.count ? UInt16(data[at]) << 8 | UInt16(data[at + 1]) : nil }
        func ip(_ from: Int) -> Payload? {
            guard from < data.count else { return nil }
            switch data[from] >> 4 {
            case 4: return Payload(etherType: 0x0800, bytes: Array(data[from...]))
            case 6: return Payload(etherType: 0x86dd, bytes: Array(data[from...]))
            default: return nil
            }
        }
        switch linkType {
        case .ethernet:
            guard let type = be16(12) else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(14)))
        case .linuxSLL:
            guard let type = be16(14) else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(16)))
        case .linuxSLL2:
            guard let type = be16(0), data.count >= 20 else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(20)))
        case .raw, .ipv4, .ipv6: return ip(0)
        case .null, .loop: return ip(4)
        default: return nil
        }
    }

    /// The link-layer header for `linkType` in front of a payload of `etherType`.
    static func header(for linkType: LinkType, etherType: UInt16, random: inout FuzzRandom) -> [UInt8] {
        let macs: [[UInt8]] = [
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01],
            [0x33, 0x33, 0x00, 0x00, 0x00, 0x01], [0x00, 0x11, 0x22, 0x33, 0x44, 0x55], random.bytes(6),
        ]
        let type = [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        switch linkType {
        case .ethernet:
            return random.element(of: macs) + random.element(of: macs) + type
        case .linuxSLL:
            let packetType = UInt8(random.below(6))
            return [0, packetType, 0, 1, 0, 6] + random.element(of: macs) + [0, 0] + type
        case .linuxSLL2:
            let index = random.chance(1, in: 2) ? UInt32(random.below(8)) : random.word()
            return type + [0, 0] + withUnsafeBytes(of: index.bigEndian) { Array($0) } + [0, 1, UInt8(random.below(6)), 6]
                + random.element(of: macs) + [0, 0]
        case .null, .loop:
            let family: UInt32 = switch etherType {
            case 0x0800: 2
            case 0x86dd: random.element(of: [10, 24, 28, 30])
            default: random.element(of: [0, 1, 7, 17, random.word()])
            }
            let bigEndian = linkType == .loop ? !random.chance(1, in: 8) : random.chance(1, in: 4)
            return withUnsafeBytes(of: bigEndian ? family.bigEndian : family.littleEndian) { Array($0) }
        default:
            return []
        }
    }

    /// Where a program loads from and what it compares with.
    struct Probes {
        /// (offset, size, indirect)
        var loads: [(offset: UInt32, size: Int, indirect: Bool)] = []
        /// (load index, constant)
        var comparisons: [(load: Int, value: UInt32)] = []
        var lengthConstants: [UInt32] = []

        init(_ programs: [[RawInstruction]]) {
            for program in programs {
                var lastLoad: Int? = nil
                var lastWasLength = false
                for instruction in program {
                    let code = instruction.code
                    switch code {
                    case 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1:
                        let size = code == 0x20 || code == 0x40 ? 4 : code == 0x28 || code == 0x48 ? 2 : 1
                        loads.append((instruction.k, size, code & 0xe0 == 0x40))
                        lastLoad = loads.count - 1
                        lastWasLength = false
                    case 0x80:
                        lastWasLength = true
                    case 0x15, 0x25, 0x35, 0x45:
                        let k = instruction.k
                        if lastWasLength {
                            lengthConstants += [k, k &+ 1, k &- 1]
                        } else if let lastLoad {
                            comparisons.append((lastLoad, k))
                            if code != 0x15 { comparisons.append((lastLoad, k &+ 1)) }
                            if code == 0x25 || code == 0x35 { comparisons.append((lastLoad, k &- 1)) }
                        }
                    default:
                        break
                    }
                }
            }
        }
    }

    /// A packet made from a real payload in `linkType`'s header, or a random one, then mutated.
    func packet(for linkType: LinkType, probes: Probes, random: inout FuzzRandom) -> OraclePacket {
        var data: [UInt8]
        var origin: String
        if payloads.isEmpty || random.chance(1, in: 10) {
            let etherType: UInt16 = random.element(of: [0x0800, 0x86dd, 0x0806, 0x8035, 0x8100, 0x0800, 0x86dd])
            var body = random.bytes(random.int(in: 0 ... 120))
            if etherType == 0x0800, body.count > 20 {
                body[0] = 0x40 | UInt8(random.int(in: 5 ... 15))
                body[9] = random.element(of: [1, 2, 4, 6, 17, 41, 47, 50, 51, 58, 103, 112, 132, UInt8(random.below(256))])
                if random.chance(1, in: 2) { body[6] &= 0x20 }
            } else if etherType == 0x86dd, body.count > 40 {
                body[0] = 0x60
                body[6] = random.element(of: [0, 6, 17, 43, 44, 58, 60, 132, UInt8(random.below(256))])
            }
            data = Self.header(for: linkType, etherType: etherType, random: &random) + body
            origin = "random"
        } else {
            let payload = random.element(of: payloads)
            data = Self.header(for: linkType, etherType: payload.etherType, random: &random) + payload.bytes
            origin = "payload"
        }
        var wireLength = UInt32(data.count)
        let mutations = random.int(in: 0 ... 4)
        for _ in 0 ..< mutations {
            switch random.below(10) {
            case 0 ... 4 where !probes.comparisons.isEmpty:
                // A compared constant at the offset it is loaded from.
                let comparison = random.element(of: probes.comparisons)
                let load = probes.loads[comparison.load]
                var offset = Int(load.offset)
                if load.indirect {
                    offset += random.element(of: [14, 16, 20, 4, 0, 34, 36, 40, 24, 54, 60]) + 4 * random.below(6)
                }
                guard offset >= 0, offset < 4096 else { break }
                if data.count < offset + load.size {
                    data += random.bytes(offset + load.size - data.count)
                    wireLength = max(wireLength, UInt32(data.count))
                }
                var value = comparison.value
                for position in stride(from: load.size - 1, through: 0, by: -1) {
                    if random.chance(1, in: 8) {
                        data[offset + position] = UInt8(random.below(256))
                    } else {
                        data[offset + position] = UInt8(truncatingIfNeeded: value)
                    }
                    value >>= 8
                }
                origin += "+const"
            case 5 where !data.isEmpty:
                data[random.below(data.count)] = UInt8(random.below(256))
                origin += "+byte"
            case 6 where !data.isEmpty:
                let index = random.below(data.count)
                data[index] ^= UInt8(1) << UInt8(random.below(8))
                origin += "+bit"
            case 7:
                // Truncate: at a loaded field's edge, or anywhere.
                var length: Int
                if !probes.loads.isEmpty, random.chance(2, in: 3) {
                    let load = random.element(of: probes.loads)
                    length = Int(load.offset) + random.int(in: -1 ... load.size)
                    if load.indirect { length += random.element(of: [14, 16, 20, 34, 36, 40, 54]) }
                } else {
                    length = random.below(data.count + 1)
                }
                length = max(0, min(length, data.count))
                data.removeLast(data.count - length)
                origin += "+truncate"
            case 8:
                // The wire length: a length constant of the program, or longer than captured.
                if !probes.lengthConstants.isEmpty, random.chance(2, in: 3) {
                    let target = random.element(of: probes.lengthConstants)
                    wireLength = target
                    if data.count > Int(target) { data.removeLast(data.count - Int(target)) }
                } else {
                    wireLength = UInt32(data.count) + UInt32(random.below(2000))
                }
                origin += "+len"
            default:
                if data.count > 8, random.chance(1, in: 2) {
                    // Insert or remove 4 bytes (a VLAN tag, an option) after the link header.
                    let at = random.int(in: 0 ... min(data.count, 40))
                    if random.chance(1, in: 2) {
                        data.insert(contentsOf: random.bytes(4), at: at)
                    } else if at + 4 <= data.count {
                        data.removeSubrange(at ..< at + 4)
                    }
                    origin += "+shift"
                }
            }
        }
        return OraclePacket(data: data, wireLength: max(wireLength, UInt32(data.count)), origin: origin)
    }
}
