// Compares the PacketFilter compiler with libpcap's pcap_compile on libpcap's own TESTrun tables.
//
//   swift run -c release --scratch-path .build-bench PacketFilterComparison [--corpus DIR] [--mutations N]
//
// 1. accept.tsv: every expression of a supported link type, compiled by both; how many compile
//    on each side, and the program sizes (totals, where ours is longer, the worst case, and how
//    many fit xt_bpf's 64 instructions).
// 2. Verdicts: both programs over every packet of every tcpdump-tests capture of the expression's
//    link type, and over packets mutated with the programs' constants (truncations included).
//    libpcap's verdict is its program through CBPF's Interpreter; bpf_filter() is the tie-breaker.
// 3. apply.tsv: our verdicts on libpcap's filter-test captures against the table's expected values.
//
// The data is the shared corpus, ../shared/corpus beside the package; without it the command
// says so and exits 0. The exit status is 1 when a verdict differs.

import CBPF
import CPcap
import Foundation
import PacketFilter

// MARK: - Options

struct Options {
    var corpus: String? = nil
    var mutations = 10000
    var seed: UInt64 = 0x5eed_0bad_cafe
    var examples = 8
    var listAll = false

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var iterator = arguments.dropFirst().makeIterator()
        func value(for flag: String) -> String {
            guard let value = iterator.next() else { fail("\(flag) needs a value") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--corpus": options.corpus = value(for: argument)
            case "--mutations":
                guard let count = Int(value(for: argument)), count >= 0 else { fail("--mutations needs a count") }
                options.mutations = count
            case "--seed":
                guard let seed = UInt64(value(for: argument)) else { fail("--seed needs an integer") }
                options.seed = seed
            case "--examples":
                guard let count = Int(value(for: argument)), count >= 0 else { fail("--examples needs a count") }
                options.examples = count
            case "--list": options.listAll = true
            case "--help", "-h":
                print("""
                    usage: PacketFilterComparison [--corpus DIR] [--mutations N] [--seed S] [--examples N] [--list]
                      --corpus DIR     the shared corpus (default: ../shared/corpus beside the package)
                      --mutations N    mutated packets per expression (default 10000)
                      --seed S         seed of the mutations (default \(Options().seed))
                      --examples N     disagreements printed in full (default 8)
                      --list           list every expression only one side compiles, and every apply.tsv row
                    """)
                exit(0)
            default: fail("unknown argument \(argument); try --help")
            }
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("PacketFilterComparison: error: \(message)\n".utf8))
    exit(2)
}

let options = Options.parse(CommandLine.arguments)

/// The corpus: --corpus, or ../shared/corpus beside the package (from this file or the working directory).
let corpus: String? = {
    if let explicit = options.corpus { return explicit }
    let source = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    let candidates = [
        source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus").path,
        FileManager.default.currentDirectoryPath + "/../shared/corpus",
    ]
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/libpcap-testrun/accept.tsv") }
}()

guard let corpus, FileManager.default.fileExists(atPath: corpus + "/libpcap-testrun/accept.tsv"),
      FileManager.default.fileExists(atPath: corpus + "/pcap/tcpdump-tests")
else {
    print("PacketFilterComparison: skipped: the shared corpus (../shared/corpus, or --corpus DIR) is absent")
    exit(0)
}

let supportedLinkTypeNames = ["EN10MB", "RAW", "LINUX_SLL", "LINUX_SLL2", "NULL", "LOOP", "IPV4", "IPV6"]
let clock = ContinuousClock()

func seconds(_ duration: Duration) -> String {
    let (s, attoseconds) = duration.components
    return String(format: "%.2f s", Double(s) + Double(attoseconds) / 1e18)
}

// MARK: - libpcap

enum Libpcap {
    static func compile(_ expression: String, dlt: Int32, snapshotLength: UInt32 = 262_144, optimize: Bool)
        -> Result<[RawInstruction], Failure>
    {
        guard let handle = pcap_open_dead(dlt, Int32(bitPattern: snapshotLength)) else {
            return .failure(Failure(message: "pcap_open_dead failed"))
        }
        defer { pcap_close(handle) }
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, optimize ? 1 : 0, 0) == 0 else {
            return .failure(Failure(message: String(cString: pcap_geterr(handle))))
        }
        defer { pcap_freecode(&program) }
        return .success((0 ..< Int(program.bf_len)).map {
            let instruction = program.bf_insns[$0]
            return RawInstruction(code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
        })
    }

    struct Failure: Error {
        var message: String
    }

    static func unoptimizedInterpreter(_ expression: String, dlt: Int32) -> Interpreter? {
        guard case .success(let raw) = compile(expression, dlt: dlt, optimize: false),
              let program = try? Program(raw: raw)
        else { return nil }
        return try? Interpreter(program, for: .socket)
    }

    static func snapshotLength(ofCapture path: String) -> UInt32? {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errorBuffer) else { return nil }
        defer { pcap_close(handle) }
        return UInt32(bitPattern: pcap_snapshot(handle))
    }

    static func filter(_ program: [bpf_insn], _ packet: Packet) -> UInt32 {
        program.withUnsafeBufferPointer { code in
            packet.data.withUnsafeBufferPointer { bytes in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in
                    bpf_filter(code.baseAddress, bytes.baseAddress ?? UnsafePointer(empty.baseAddress!),
                               packet.wireLength, UInt32(bytes.count))
                }
            }
        }
    }
}

/// Runs per example in the compile-time section.
let compileTimeRepetitions = 2000

// MARK: - Packets and programs

struct Packet {
    var data: [UInt8]
    var wireLength: UInt32
    var origin: String
    var hex: String { data.map { String(format: "%02x", $0) }.joined() }
}

struct Pair {
    var linkTypeName: String
    var linkType: LinkType
    var expression: String
    var ours: Program
    var oursUnoptimized: Interpreter?
    var libpcap: [RawInstruction]
    var libpcapIsUnoptimized: Bool
    var oursInterpreter: Interpreter
    var libpcapInterpreter: Interpreter?
    var libpcapInsns: [bpf_insn]
    /// libpcap's unoptimized program: where it and the optimized one disagree (a load the
    /// optimizer dropped or kept, on a packet too short for it), libpcap's verdict is not defined.
    var libpcapUnoptimized: Interpreter?

    func libpcapVerdict(_ packet: Packet) -> UInt32 {
        if let libpcapInterpreter { return libpcapInterpreter.run(packet: packet.data, wireLength: packet.wireLength) }
        return Libpcap.filter(libpcapInsns, packet)
    }
}

struct Tally {
    var runs = 0
    var disagreements = 0
    /// Packets not compared: libpcap's optimized and unoptimized programs disagree on them.
    var libpcapUndefined = 0
    var optimizerOnly = 0
    var shortOnly = 0
    var first: [String: (Pair, Packet, UInt32, UInt32, UInt32?)] = [:]
    var order: [String] = []

    mutating func compare(_ pair: Pair, _ packet: Packet) {
        runs += 1
        let reference = pair.libpcapVerdict(packet)
        let ours = pair.oursInterpreter.run(packet: packet.data, wireLength: packet.wireLength)
        if let unoptimized = pair.libpcapUnoptimized,
           unoptimized.run(packet: packet.data, wireLength: packet.wireLength) != reference {
            libpcapUndefined += 1
            return
        }
        guard reference != ours else { return }
        disagreements += 1
        // With 1024 zero bytes appended (same wire length), do both agree? Then the programs
        // differ only in the loads they make past the end of a short packet.
        var full = packet
        full.data += [UInt8](repeating: 0, count: 1024)
        if pair.libpcapVerdict(full) == pair.oursInterpreter.run(packet: full.data, wireLength: full.wireLength) {
            shortOnly += 1
        }
        let unoptimized = pair.oursUnoptimized?.run(packet: packet.data, wireLength: packet.wireLength)
        if unoptimized == reference { optimizerOnly += 1 }
        let key = "\(pair.linkTypeName) \"\(pair.expression)\""
        if first[key] == nil {
            order.append(key)
            first[key] = (pair, packet, reference, ours, unoptimized)
        }
    }

    func print(_ title: String, examples: Int) {
        Swift.print("\(title): \(runs) runs, \(libpcapUndefined) not compared (libpcap's optimized and unoptimized"
            + " programs disagree), \(disagreements) disagreements in \(order.count) expressions"
            + " (\(shortOnly) only on short packets: they vanish with 1024 more bytes; \(optimizerOnly) where our"
            + " unoptimized program agrees with libpcap)")
        for (index, key) in order.enumerated() {
            guard let (pair, packet, reference, ours, unoptimized) = first[key] else { continue }
            if index < examples {
                Swift.print("""
                    --- \(key)
                        packet \(packet.origin), \(packet.data.count) captured bytes, wire \(packet.wireLength):
                        \(packet.hex)
                        libpcap \(reference) (bpf_filter \(Libpcap.filter(pair.libpcapInsns, packet))), ours \(ours) \
                    (bpf_filter \(Libpcap.filter(pair.ours.raw.map(insn), packet))), ours unoptimized \
                    \(unoptimized.map(String.init) ?? "-")
                    libpcap\(pair.libpcapIsUnoptimized ? " (unoptimized)" : ""):
                    \(TcpdumpFormat.format(raw: pair.libpcap, style: .listing))ours:
                    \(TcpdumpFormat.format(pair.ours, style: .listing))
                    """, terminator: "")
            } else {
                Swift.print("    also \(key) on \(packet.origin): libpcap \(reference), ours \(ours)")
            }
        }
    }
}

func insn(_ raw: RawInstruction) -> bpf_insn { bpf_insn(code: raw.code, jt: raw.jt, jf: raw.jf, k: raw.k) }

// MARK: - 1. accept.tsv

print("== accept.tsv (\(corpus)/libpcap-testrun/accept.tsv)")
let acceptText = (try? String(contentsOfFile: corpus + "/libpcap-testrun/accept.tsv", encoding: .utf8)) ?? ""
var pairs = [Pair]()
var testOnlyNames = 0, bothRejectAll = 0
var otherRows = 0, bothCount = 0, optimizerRejectsAll = 0
var onlyLibpcap = [String](), onlyOurs = [String](), neither = [String]()
var libpcapCompileTime = Duration.zero, oursCompileTime = Duration.zero
var oursTotal = 0, libpcapTotal = 0, longer = [(Int, Int, String)](), shorter = 0, equal = 0
var fit = (both: 0, onlyLibpcap: 0, onlyOurs: 0, neither: 0)
for line in acceptText.split(separator: "\n") {
    let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
    guard fields.count >= 3 else { continue }
    let linkTypeName = fields[1], expression = fields.count > 3 ? fields[3] : ""
    guard supportedLinkTypeNames.contains(linkTypeName), let linkType = LinkType(name: linkTypeName) else {
        otherRows += 1
        continue
    }
    if expression.lowercased().contains(".libpcap.test") {
        // A host of TESTrun's test-only hosts file: libpcap would ask DNS (up to 5 s each) and
        // fail; we must refuse host names.
        testOnlyNames += 1
        if (try? PacketFilterCompiler(linkType: linkType).compile(expression)) != nil {
            onlyOurs.append("\(linkTypeName) \"\(expression)\": a test-only host name")
        }
        continue
    }
    let dlt = pcap_datalink_name_to_val(linkTypeName)
    let start = clock.now
    var libpcap = Libpcap.compile(expression, dlt: dlt, optimize: true)
    var unoptimizedReference = false
    if case .failure(let failure) = libpcap, failure.message.contains("rejects all packets") {
        unoptimizedReference = true
        optimizerRejectsAll += 1
        libpcap = Libpcap.compile(expression, dlt: dlt, optimize: false)
    }
    let middle = clock.now
    let ours: Result<Program, FilterSyntaxError>
    do throws(FilterSyntaxError) { ours = .success(try PacketFilterCompiler(linkType: linkType).compile(expression)) } catch {
        ours = .failure(error)
    }
    let end = clock.now
    libpcapCompileTime += middle - start
    oursCompileTime += end - middle
    let label = "\(linkTypeName) \"\(expression)\""
    switch (libpcap, ours) {
    case (.success(let reference), .success(let program)):
        bothCount += 1
        guard let interpreter = try? Interpreter(program, for: .socket) else {
            onlyLibpcap.append("\(label): our program does not verify")
            continue
        }
        let unoptimized = (try? PacketFilterCompiler(linkType: linkType, optimizes: false).compile(expression))
            .flatMap { try? Interpreter($0, for: .socket) }
        pairs.append(Pair(
            linkTypeName: linkTypeName, linkType: linkType, expression: expression, ours: program,
            oursUnoptimized: unoptimized, libpcap: reference, libpcapIsUnoptimized: unoptimizedReference,
            oursInterpreter: interpreter,
            libpcapInterpreter: (try? Program(raw: reference)).flatMap { try? Interpreter($0, for: .socket) },
            libpcapInsns: reference.map(insn),
            libpcapUnoptimized: unoptimizedReference ? nil : Libpcap.unoptimizedInterpreter(expression, dlt: dlt)))
        guard !unoptimizedReference else { continue }
        oursTotal += program.count
        libpcapTotal += reference.count
        if program.count > reference.count { longer.append((program.count, reference.count, label)) }
        if program.count < reference.count { shorter += 1 }
        if program.count == reference.count { equal += 1 }
        switch (program.count <= 64, reference.count <= 64) {
        case (true, true): fit.both += 1
        case (false, true): fit.onlyLibpcap += 1
        case (true, false): fit.onlyOurs += 1
        case (false, false): fit.neither += 1
        }
    case (.success, .failure(let error)) where unoptimizedReference && error.message.contains("rejects all packets"):
        neither.append("\(label): both: expression rejects all packets (libpcap's optimizer, and ours)")
        bothRejectAll += 1
    case (.success, .failure(let error)): onlyLibpcap.append("\(label): \(error)")
    case (.failure(let failure), .success): onlyOurs.append("\(label): libpcap: \(failure.message)")
    case (.failure(let failure), .failure(let error)): neither.append("\(label): libpcap: \(failure.message); ours: \(error)")
    }
}
let compared = equal + shorter + longer.count
print("""
    rows: \(bothCount + onlyLibpcap.count + onlyOurs.count + neither.count + testOnlyNames) of supported link types \
    (\(otherRows) of other link types skipped); \(testOnlyNames) name hosts of TESTrun's test-only hosts file \
    (*.libpcap.test): libpcap not asked, ours must refuse them
    compile: both \(bothCount), only libpcap \(onlyLibpcap.count), only ours \(onlyOurs.count), neither \(neither.count) \
    (\(bothRejectAll) as 'expression rejects all packets', as libpcap's optimizer does); libpcap's optimizer rejects \
    all packets for \(optimizerRejectsAll) (its unoptimized program is the reference where ours compiles)
    compile time: libpcap \(seconds(libpcapCompileTime)), ours \(seconds(oursCompileTime))
    size over \(compared) expressions: ours \(oursTotal), libpcap \(libpcapTotal) instructions \
    (\(String(format: "%.1f", 100 * Double(oursTotal) / Double(max(libpcapTotal, 1))))%); \
    ours longer \(longer.count), shorter \(shorter), equal \(equal)
    """)
if let worst = longer.max(by: { $0.0 - $0.1 < $1.0 - $1.1 }) {
    print("worst: \(worst.2): ours \(worst.0), libpcap \(worst.1)")
}
for entry in longer.sorted(by: { $0.0 - $0.1 > $1.0 - $1.1 }).prefix(options.listAll ? .max : 10) {
    print("    longer: \(entry.2): ours \(entry.0), libpcap \(entry.1)")
}
print("""
    xt_bpf (64 instructions): both fit \(fit.both); libpcap's fits but ours not \(fit.onlyLibpcap); \
    ours fits but libpcap's not \(fit.onlyOurs); neither \(fit.neither)
    """)
for line in onlyOurs { print("    ONLY OURS: \(line)") }
for line in neither.filter({ !$0.contains("both: expression rejects all") }).prefix(options.listAll ? .max : 8) { print("    neither: \(line)") }
var reasons = [String: [String]]()
for line in onlyLibpcap {
    let reason = line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? line
    reasons[reason, default: []].append(line)
}
for (reason, lines) in reasons.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
    print("    only libpcap, \(lines.count)x \(reason): \(lines.prefix(options.listAll ? .max : 2).joined(separator: " | "))")
}

// MARK: - 2. Verdicts on the tcpdump captures

print("\n== verdicts on every packet of every tcpdump-tests capture of a supported link type")
let captureStart = clock.now
var capturePackets = [LinkType: [Packet]]()
var captureCounts = [LinkType: Int]()
let captureDirectory = corpus + "/pcap/tcpdump-tests"
let captureNames = ((try? FileManager.default.contentsOfDirectory(atPath: captureDirectory)) ?? [])
    .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
let wanted = Set(pairs.map(\.linkType))
var unreadable = 0
for name in captureNames {
    guard let file = try? CaptureFile(contentsOf: captureDirectory + "/" + name) else {
        unreadable += 1
        continue
    }
    var reader = file.makeReader()
    var index = 0
    var seen = Set<LinkType>()
    while true {
        let next: CapturedPacket?
        do { next = try reader.next() } catch { break }
        guard let packet = next else { break }
        index += 1
        guard wanted.contains(packet.linkType) else { continue }
        if seen.insert(packet.linkType).inserted { captureCounts[packet.linkType, default: 0] += 1 }
        capturePackets[packet.linkType, default: []].append(Packet(
            data: packet.data, wireLength: max(packet.originalLength, UInt32(packet.data.count)),
            origin: "\(name) #\(index)"))
    }
}
var captureTally = Tally()
var expressionsRun = 0
for pair in pairs {
    guard let packets = capturePackets[pair.linkType], !packets.isEmpty else { continue }
    expressionsRun += 1
    for packet in packets { captureTally.compare(pair, packet) }
}
let totalPackets = capturePackets.values.reduce(0) { $0 + $1.count }
print("captures: " + captureCounts.sorted { $0.key.rawValue < $1.key.rawValue }
    .map { "\($0.key): \($0.value) captures, \(capturePackets[$0.key]?.count ?? 0) packets" }.joined(separator: "; ")
    + " (\(unreadable) files unreadable)")
print("expressions with packets of their link type: \(expressionsRun) of \(pairs.count); packets \(totalPackets); "
    + "time \(seconds(clock.now - captureStart))")
captureTally.print("capture verdicts", examples: options.examples)

// MARK: - Mutated packets

struct Random {
    var state: (UInt64, UInt64, UInt64, UInt64)
    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9e37_79b9_7f4a_7c15
            var z = x
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }
    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
    mutating func below(_ bound: Int) -> Int { Int(next().multipliedFullWidth(by: UInt64(bound)).high) }
    mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }
    mutating func element<T>(of array: [T]) -> T { array[below(array.count)] }
    mutating func word() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0 ..< count).map { _ in UInt8(truncatingIfNeeded: next() >> 56) } }
}

struct Payload {
    var etherType: UInt16
    var bytes: [UInt8]
}

func payload(of data: [UInt8], linkType: LinkType) -> Payload? {
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
    case .ethernet: return be16(12).map { Payload(etherType: $0, bytes: Array(data.dropFirst(14))) }
    case .linuxSLL: return be16(14).map { Payload(etherType: $0, bytes: Array(data.dropFirst(16))) }
    case .linuxSLL2: return data.count >= 20 ? be16(0).map { Payload(etherType: $0, bytes: Array(data.dropFirst(20))) } : nil
    case .raw, .ipv4, .ipv6: return ip(0)
    case .null, .loop: return ip(4)
    default: return nil
    }
}

func header(for linkType: LinkType, etherType: UInt16, random: inout Random) -> [UInt8] {
    let macs: [[UInt8]] = [
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], [0x33, 0x33, 0x00, 0x00, 0x00, 0x01],
        [0x00, 0x11, 0x22, 0x33, 0x44, 0x55], random.bytes(6),
    ]
    let type = [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
    switch linkType {
    case .ethernet: return random.element(of: macs) + random.element(of: macs) + type
    case .linuxSLL: return [0, UInt8(random.below(6)), 0, 1, 0, 6] + random.element(of: macs) + [0, 0] + type
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
    default: return []
    }
}

struct Probes {
    var loads: [(offset: UInt32, size: Int, indirect: Bool)] = []
    var comparisons: [(load: Int, value: UInt32)] = []
    var lengthConstants: [UInt32] = []

    init(_ programs: [[RawInstruction]]) {
        for program in programs {
            var lastLoad: Int? = nil
            var lastWasLength = false
            for instruction in program {
                switch instruction.code {
                case 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1:
                    let code = instruction.code
                    loads.append((instruction.k, code == 0x20 || code == 0x40 ? 4 : code == 0x28 || code == 0x48 ? 2 : 1,
                                  code & 0xe0 == 0x40))
                    lastLoad = loads.count - 1
                    lastWasLength = false
                case 0x80: lastWasLength = true
                case 0x15, 0x25, 0x35, 0x45:
                    let k = instruction.k
                    if lastWasLength {
                        lengthConstants += [k, k &+ 1, k &- 1]
                    } else if let lastLoad {
                        comparisons.append((lastLoad, k))
                        if instruction.code != 0x15 { comparisons.append((lastLoad, k &+ 1)) }
                        if instruction.code == 0x25 || instruction.code == 0x35 { comparisons.append((lastLoad, k &- 1)) }
                    }
                default: break
                }
            }
        }
    }
}

func mutatedPacket(for linkType: LinkType, payloads: [Payload], probes: Probes, random: inout Random) -> Packet {
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
        data = header(for: linkType, etherType: etherType, random: &random) + body
        origin = "random"
    } else {
        let payload = random.element(of: payloads)
        data = header(for: linkType, etherType: payload.etherType, random: &random) + payload.bytes
        origin = "payload"
    }
    var wireLength = UInt32(data.count)
    for _ in 0 ..< random.int(in: 0 ... 4) {
        switch random.below(10) {
        case 0 ... 4 where !probes.comparisons.isEmpty:
            let comparison = random.element(of: probes.comparisons)
            let load = probes.loads[comparison.load]
            var offset = Int(load.offset)
            if load.indirect { offset += random.element(of: [14, 16, 20, 4, 0, 34, 36, 40, 24, 54, 60]) + 4 * random.below(6) }
            guard offset < 4096 else { break }
            if data.count < offset + load.size {
                data += random.bytes(offset + load.size - data.count)
                wireLength = max(wireLength, UInt32(data.count))
            }
            var value = comparison.value
            for position in stride(from: load.size - 1, through: 0, by: -1) {
                data[offset + position] = random.chance(1, in: 8) ? UInt8(random.below(256)) : UInt8(truncatingIfNeeded: value)
                value >>= 8
            }
            origin += "+const"
        case 5 where !data.isEmpty:
            data[random.below(data.count)] = UInt8(random.below(256))
            origin += "+byte"
        case 6 where !data.isEmpty:
            data[random.below(data.count)] ^= UInt8(1) << UInt8(random.below(8))
            origin += "+bit"
        case 7:
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
    return Packet(data: data, wireLength: max(wireLength, UInt32(data.count)), origin: origin)
}

if options.mutations > 0 {
    print("\n== verdicts on \(options.mutations) mutated packets per expression (seed \(options.seed))")
    let mutationStart = clock.now
    var payloads = [Payload]()
    for (linkType, packets) in capturePackets.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
        payloads += packets.compactMap { payload(of: $0.data, linkType: linkType) }
    }
    var mutationTally = Tally()
    for (index, pair) in pairs.enumerated() {
        var random = Random(seed: options.seed &+ UInt64(index) &* 0x9e37_79b9_7f4a_7c15)
        let probes = Probes([pair.libpcap, pair.ours.raw])
        for _ in 0 ..< options.mutations {
            mutationTally.compare(pair, mutatedPacket(for: pair.linkType, payloads: payloads, probes: probes, random: &random))
        }
    }
    print("\(pairs.count) expressions, \(payloads.count) real payloads; time \(seconds(clock.now - mutationStart))")
    mutationTally.print("mutated verdicts", examples: options.examples)
    captureTally.disagreements += mutationTally.disagreements
}

// MARK: - 3. apply.tsv

print("\n== apply.tsv (expected per-packet return values on libpcap's filter-test captures)")
let applyText = (try? String(contentsOfFile: corpus + "/libpcap-testrun/apply.tsv", encoding: .utf8)) ?? ""
var applyRows = 0, applyCompiled = 0, applyMatching = 0
var applyDiffers = [String](), applyNotCompiled = [String: [String]]()
var captureCache = [String: (LinkType, UInt32, [CapturedPacket])?]()
for line in applyText.split(separator: "\n") {
    let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
    guard fields.count >= 3 else { continue }
    applyRows += 1
    let (name, captureName, expression) = (fields[0], fields[1], fields.count > 3 ? fields[3] : "")
    let expected = fields[2].split(separator: ",").compactMap { UInt32($0.trimmingCharacters(in: .whitespaces)) }
    let path = corpus + "/pcap/libpcap-filter-tests/" + captureName
    if captureCache[captureName] == nil {
        if let file = try? CaptureFile(contentsOf: path), let packets = try? file.packets(),
           let snapshotLength = Libpcap.snapshotLength(ofCapture: path), let first = packets.first
        {
            captureCache[captureName] = (first.linkType, snapshotLength, packets)
        } else {
            captureCache[captureName] = .some(nil)
        }
    }
    guard let (linkType, snapshotLength, packets) = captureCache[captureName] ?? nil else {
        applyDiffers.append("\(name): cannot read \(captureName)")
        continue
    }
    let program: Program
    do throws(FilterSyntaxError) {
        program = try PacketFilterCompiler(linkType: linkType, snapshotLength: snapshotLength).compile(expression)
    } catch {
        applyNotCompiled[error.message, default: []].append("\(name) [\(linkType)] \"\(expression)\"")
        if options.listAll { print("    not compiled: \(name) [\(linkType)] \"\(expression)\": \(error)") }
        continue
    }
    applyCompiled += 1
    guard let interpreter = try? Interpreter(program, for: .socket) else {
        applyDiffers.append("\(name): our program does not verify")
        continue
    }
    let actual = packets.map { interpreter.run(packet: $0.data, wireLength: max($0.originalLength, UInt32($0.data.count))) }
    if actual == expected {
        applyMatching += 1
        if options.listAll { print("    match: \(name) [\(linkType)] \"\(expression)\"") }
    } else {
        applyDiffers.append("""
            \(name) [\(linkType), \(captureName)] "\(expression)": expected \
            \(expected.map(String.init).joined(separator: ",")), ours \(actual.map(String.init).joined(separator: ","))
            \(TcpdumpFormat.format(program, style: .listing))
            """)
    }
}
print("rows \(applyRows): compiled \(applyCompiled), match \(applyMatching), differ \(applyDiffers.count), "
    + "not compiled \(applyNotCompiled.values.reduce(0) { $0 + $1.count })")
for line in applyDiffers { print("    DIFFERS: \(line)") }
for (reason, rows) in applyNotCompiled.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
    print("    not compiled, \(rows.count)x \(reason): \(rows.prefix(2).joined(separator: " | "))")
}

// MARK: - 4. Compile time

/// The issue's example expressions, each compiled many times after a warm-up; the median of
/// per-expression medians is what the target (under 50 µs) is about.
print("\n== compile time (EN10MB, optimized, \(compileTimeRepetitions) runs each, after a warm-up)")
let compileTimeExamples = [
    "ip and udp and port 53", "tcp[13] & 2 != 0", "vlan 1", "udp[4:2] == 48+8", "host 10.0.0.1 or 10.0.0.2",
    "src net 192.168.0.0/16 and not dst port 22", "tcp port 80 and (443 or 8080)", "ip6 and icmp6",
    "portrange 1024-2048", "ether broadcast or ether multicast", "dns qname \"example.com\"",
]
var exampleMedians: [Double] = []
for expression in compileTimeExamples {
    let compiler = PacketFilterCompiler()
    for _ in 0..<20 { _ = try? compiler.compile(expression) }
    var samples: [Double] = []
    for _ in 0..<compileTimeRepetitions {
        let start = clock.now
        _ = try? compiler.compile(expression)
        let elapsed = clock.now - start
        samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    }
    samples.sort()
    let median = samples[samples.count / 2]
    exampleMedians.append(median)
    print(String(format: "    %8.1f µs  %@", median, expression))
}
exampleMedians.sort()
print(String(format: "median of the medians: %.1f µs; slowest example %.1f µs", exampleMedians[exampleMedians.count / 2],
             exampleMedians.last ?? 0))

print("""

    == summary
    accept.tsv: both \(bothCount), only libpcap \(onlyLibpcap.count), only ours \(onlyOurs.count), neither \(neither.count); \
    size ours \(oursTotal) vs libpcap \(libpcapTotal), ours longer for \(longer.count)
    verdicts: \(captureTally.disagreements) disagreements (captures and mutations); apply.tsv: \(applyDiffers.count) rows differ
    """)
exit(captureTally.disagreements == 0 && applyDiffers.isEmpty && onlyOurs.isEmpty ? 0 : 1)
