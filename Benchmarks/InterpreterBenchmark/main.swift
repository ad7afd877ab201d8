// Compares CBPF's Interpreter with libpcap's bpf_filter() on tcpdump-generated programs.
//
//   swift run -c release --scratch-path .build-bench InterpreterBenchmark [--runs N] [--duration-ms MS]
//
// The programs come from `tcpdump -ddd -y EN10MB EXPR` at start; each gets a matching and a
// non-matching 1500-byte Ethernet frame. Before timing, both implementations must agree on
// those frames, their prefixes and header mutations, and on random programs (RandomCheck.swift).
// For every (program, packet) case, each run times both implementations for about
// `--duration-ms` each, in interleaved slices; the table reports the median ns/packet over the
// runs and the ratio libpcap/ours (> 1 means CBPF is faster), and the last line their geometric
// mean.

import ArgumentParser
import BenchmarkSupport
import CBPF
import CBPFFuzz
import CPcap

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// MARK: - Options

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "InterpreterBenchmark",
        abstract: "Time CBPF's interpreter against libpcap's bpf_filter() on the same filters and packets.")

    @Option(name: [.customShort("n"), .long], help: "Timed runs per case; the table shows medians.")
    var runs = 11
    @Option(name: [.customShort("d"), .customLong("duration-ms")], help: "Time of one run, per case and implementation.")
    var durationMilliseconds = 100.0
    @Option(name: .customLong("tcpdump"), help: "The tcpdump that compiles the filters (default: PATH, /usr/sbin, /sbin).")
    var tcpdumpPath: String? = nil
    @Option(name: .customLong("random-programs"), help: "Random programs checked against bpf_filter first.")
    var randomPrograms = 20000
    @Option(help: "Packets per run instead of --duration-ms, for counting instructions under valgrind --tool=callgrind.")
    var iterations: Int? = nil

    /// `--iterations`, rounded up to an even count.
    var fixedIterations: Int? { iterations.map { ($0 + 1) & ~1 } }

    func validate() throws {
        if runs <= 0 { throw ValidationError("--runs needs a positive integer") }
        if durationMilliseconds <= 0 { throw ValidationError("--duration-ms needs a positive number") }
        if randomPrograms < 0 { throw ValidationError("--random-programs needs a non-negative integer") }
        if let iterations, iterations <= 0 { throw ValidationError("--iterations needs a positive integer") }
    }
}

func fail(_ message: String) -> Never {
    let line = Array("InterpreterBenchmark: error: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(1)
}

// MARK: - Programs from tcpdump

func findTcpdump(_ explicit: String?) -> String {
    if let explicit {
        guard access(explicit, X_OK) == 0 else { fail("\(explicit) is not an executable tcpdump") }
        return explicit
    }
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    let directories =
        path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin"]
    for directory in directories where !directory.isEmpty {
        let candidate = directory + "/tcpdump"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    fail(
        """
        tcpdump was not found (searched PATH, /usr/sbin, /sbin); it generates the benchmark's programs. \
        Install it (e.g. `apt-get install tcpdump`) or pass --tcpdump PATH.
        """)
}

func shellQuoted(_ word: String) -> String {
    "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

/// A new empty temporary file; the caller removes it.
func temporaryFile(_ suffix: String, contents: [UInt8] = []) -> String {
    var template = Array("/tmp/interpreter-benchmark-XXXXXX\(suffix)".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) }
    guard descriptor >= 0 else { fail("could not create a temporary file: errno \(errno)") }
    let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    guard written == contents.count else { fail("could not write a temporary file") }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func readFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[0 ..< count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Runs a command through `popen` and returns its exit status, standard output and standard error.
func runCommand(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String, error: String) {
    let errorFile = temporaryFile(".err")
    defer { unlink(errorFile) }
    let command = ([executable] + arguments).map(shellQuoted).joined(separator: " ") + " 2>" + shellQuoted(errorFile)
    guard let pipe = popen(command, "r") else { fail("could not run \(executable): errno \(errno)") }
    var bytes = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, pipe)
        if count <= 0 { break }
        bytes += buffer[0 ..< count]
    }
    let status = pclose(pipe)
    // pclose returns a wait status: the exit code is in bits 8-15 after a normal exit.
    let exitCode: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitCode, String(decoding: bytes, as: UTF8.self), readFile(errorFile))
}

/// An empty pcap capture file of link type EN10MB, for tcpdump versions that need `-r`.
func emptyEthernetCaptureFile() -> String {
    var header = [UInt8]()
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header += $0 } }
    append(UInt32(0xa1b2_c3d4))  // magic, microsecond timestamps
    append(UInt16(2))  // version major
    append(UInt16(4))  // version minor
    append(Int32(0))  // thiszone
    append(UInt32(0))  // sigfigs
    append(UInt32(262_144))  // snaplen
    append(UInt32(1))  // LINKTYPE_ETHERNET
    return temporaryFile(".pcap", contents: header)
}

/// Parses `tcpdump -ddd`: the instruction count, then one `code jt jf k` line per instruction.
func parseDecimalDump(_ text: String, expression: String) -> [RawInstruction] {
    let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: " ").joined(separator: " ") }
        .filter { !$0.isEmpty }
    guard let first = lines.first, let count = Int(first), count == lines.count - 1 else {
        fail("unexpected `tcpdump -ddd` output for '\(expression)':\n\(text)")
    }
    return lines.dropFirst().map { line in
        let fields = line.split(separator: " ")
        guard fields.count == 4, let code = UInt16(fields[0]), let jt = UInt8(fields[1]), let jf = UInt8(fields[2]),
            let k = UInt32(fields[3])
        else { fail("bad `tcpdump -ddd` line for '\(expression)': \(line)") }
        return RawInstruction(code: code, jt: jt, jf: jf, k: k)
    }
}

func compileWithTcpdump(_ tcpdump: String, _ expression: String) -> [RawInstruction] {
    let words = expression.split(separator: " ").map(String.init)
    // Offline compilation for Ethernet needs no interface and no privileges.
    var result = runCommand(tcpdump, ["-ddd", "-y", "EN10MB"] + words)
    if result.status != 0 {
        // Some builds insist on an interface or a capture: compile against an empty EN10MB file.
        let file = emptyEthernetCaptureFile()
        defer { unlink(file) }
        let retry = runCommand(tcpdump, ["-ddd", "-r", file] + words)
        if retry.status != 0 {
            fail(
                """
                tcpdump could not compile '\(expression)':
                  tcpdump -ddd -y EN10MB: \(result.error.split(whereSeparator: \.isNewline).joined(separator: " / "))
                  tcpdump -ddd -r FILE:   \(retry.error.split(whereSeparator: \.isNewline).joined(separator: " / "))
                """)
        }
        result = retry
    }
    return parseDecimalDump(result.output, expression: expression)
}

// MARK: - Packets

/// Builds Ethernet frames with correct IPv4, TCP and UDP headers and checksums.
enum Frame {
    enum Transport {
        case tcp(source: UInt16, destination: UInt16)
        case udp(source: UInt16, destination: UInt16)
    }

    static let size = 1500

    static func make(
        vlan: UInt16? = nil, source: (UInt8, UInt8, UInt8, UInt8), destination: (UInt8, UInt8, UInt8, UInt8),
        transport: Transport
    ) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(size)
        func u8(_ v: UInt8) { bytes.append(v) }
        func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
        func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xffff)) }

        // Ethernet II: destination, source, [802.1Q tag], EtherType.
        bytes += [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]
        bytes += [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
        if let vlan {
            u16(0x8100)
            u16(vlan & 0x0fff)  // PCP 0, DEI 0, VID
        }
        u16(0x0800)

        let ipStart = bytes.count
        let ipLength = size - ipStart
        let transportProtocol: UInt8
        switch transport {
        case .tcp: transportProtocol = 6
        case .udp: transportProtocol = 17
        }
        let sourceAddress = [source.0, source.1, source.2, source.3]
        let destinationAddress = [destination.0, destination.1, destination.2, destination.3]
        u8(0x45)  // version 4, IHL 5
        u8(0)  // DSCP/ECN
        u16(UInt16(ipLength))
        u16(0x1234)  // identification
        u16(0x4000)  // DF, fragment offset 0
        u8(64)  // TTL
        u8(transportProtocol)
        u16(0)  // checksum, filled below
        bytes += sourceAddress
        bytes += destinationAddress
        let ipChecksum = checksum(bytes[ipStart ..< ipStart + 20])
        bytes[ipStart + 10] = UInt8(ipChecksum >> 8)
        bytes[ipStart + 11] = UInt8(ipChecksum & 0xff)

        let transportStart = bytes.count
        let transportLength = size - transportStart
        switch transport {
        case .tcp(let sourcePort, let destinationPort):
            u16(sourcePort)
            u16(destinationPort)
            u32(0x0102_0304)  // sequence
            u32(0x0506_0708)  // acknowledgement
            u8(5 << 4)  // data offset 5 words
            u8(0x18)  // PSH, ACK
            u16(0xffff)  // window
            u16(0)  // checksum, filled below
            u16(0)  // urgent pointer
        case .udp(let sourcePort, let destinationPort):
            u16(sourcePort)
            u16(destinationPort)
            u16(UInt16(transportLength))
            u16(0)  // checksum, filled below
        }
        var payloadByte: UInt8 = 0
        while bytes.count < size {
            bytes.append(payloadByte)
            payloadByte &+= 1
        }

        // Transport checksum over the IPv4 pseudo-header and the segment.
        var pseudo = sourceAddress + destinationAddress + [0, transportProtocol]
        pseudo += [UInt8(transportLength >> 8), UInt8(transportLength & 0xff)]
        var transportChecksum = checksum(pseudo + bytes[transportStart...])
        let checksumOffset: Int
        switch transport {
        case .tcp: checksumOffset = transportStart + 16
        case .udp:
            checksumOffset = transportStart + 6
            if transportChecksum == 0 { transportChecksum = 0xffff }
        }
        bytes[checksumOffset] = UInt8(transportChecksum >> 8)
        bytes[checksumOffset + 1] = UInt8(transportChecksum & 0xff)
        precondition(bytes.count == size)
        return bytes
    }

    /// The Internet checksum (RFC 1071).
    static func checksum<C: Collection>(_ data: C) -> UInt16 where C.Element == UInt8 {
        var sum: UInt32 = 0
        var iterator = data.makeIterator()
        while let high = iterator.next() {
            let low = iterator.next() ?? 0
            sum &+= UInt32(high) << 8 | UInt32(low)
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

// MARK: - Cases

struct BenchmarkProgram {
    var expression: String
    var matching: [UInt8]
    var nonMatching: [UInt8]
    var matchingDescription: String
    var nonMatchingDescription: String
}

let hostA = (UInt8(192), UInt8(168), UInt8(1), UInt8(10))
let hostB = (UInt8(192), UInt8(168), UInt8(1), UInt8(20))
let target = (UInt8(10), UInt8(0), UInt8(0), UInt8(1))

let programs: [BenchmarkProgram] = [
    BenchmarkProgram(
        expression: "tcp port 80",
        matching: Frame.make(source: hostA, destination: hostB, transport: .tcp(source: 51_000, destination: 80)),
        nonMatching: Frame.make(source: hostA, destination: hostB, transport: .tcp(source: 51_000, destination: 443)),
        matchingDescription: "IPv4 TCP 51000->80", nonMatchingDescription: "IPv4 TCP 51000->443"),
    BenchmarkProgram(
        expression: "ip and udp and port 53",
        matching: Frame.make(source: hostA, destination: hostB, transport: .udp(source: 40_000, destination: 53)),
        nonMatching: Frame.make(source: hostA, destination: hostB, transport: .udp(source: 40_000, destination: 5353)),
        matchingDescription: "IPv4 UDP 40000->53", nonMatchingDescription: "IPv4 UDP 40000->5353"),
    BenchmarkProgram(
        expression: "host 10.0.0.1",
        matching: Frame.make(source: hostA, destination: target, transport: .tcp(source: 51_000, destination: 22)),
        nonMatching: Frame.make(source: hostA, destination: hostB, transport: .tcp(source: 51_000, destination: 22)),
        matchingDescription: "IPv4 192.168.1.10->10.0.0.1", nonMatchingDescription: "IPv4 192.168.1.10->.20"),
    BenchmarkProgram(
        expression: "portrange 1000-2000",
        matching: Frame.make(source: hostA, destination: hostB, transport: .tcp(source: 51_000, destination: 1500)),
        nonMatching: Frame.make(source: hostA, destination: hostB, transport: .udp(source: 51_000, destination: 3000)),
        matchingDescription: "IPv4 TCP 51000->1500", nonMatchingDescription: "IPv4 UDP 51000->3000"),
    BenchmarkProgram(
        expression: "vlan 100 and tcp port 80",
        matching: Frame.make(
            vlan: 100, source: hostA, destination: hostB, transport: .tcp(source: 51_000, destination: 80)),
        nonMatching: Frame.make(
            vlan: 100, source: hostA, destination: hostB, transport: .tcp(source: 51_000, destination: 8080)),
        matchingDescription: "VLAN 100 IPv4 TCP ->80", nonMatchingDescription: "VLAN 100 IPv4 TCP ->8080"),
]

/// One program prepared for both implementations.
final class PreparedProgram {
    let expression: String
    let interpreter: Interpreter
    let instructions: UnsafeMutableBufferPointer<bpf_insn>

    init(expression: String, raw: [RawInstruction]) {
        self.expression = expression
        let program: Program
        do {
            program = try Program(raw: raw)
        } catch {
            fail("CBPF cannot decode the program for '\(expression)': \(error)")
        }
        do {
            interpreter = try Interpreter(program, for: .socket)
        } catch {
            fail("CBPF rejects the program for '\(expression)': \(error)")
        }
        instructions = .allocate(capacity: raw.count)
        for (index, instruction) in raw.enumerated() {
            instructions[index] = bpf_insn(
                code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
        }
        guard bpf_validate(instructions.baseAddress, Int32(raw.count)) != 0 else {
            fail("libpcap's bpf_validate rejects the program for '\(expression)'")
        }
    }

    deinit { instructions.deallocate() }

    func ours(_ packet: UnsafeRawBufferPointer) -> UInt32 {
        interpreter.run(packet: packet)
    }

    func libpcap(_ packet: UnsafeRawBufferPointer) -> UInt32 {
        bpf_filter(
            instructions.baseAddress, packet.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt32(packet.count), UInt32(packet.count))
    }
}

// MARK: - Self-check

/// Compares both implementations on `packet` and on every prefix of its first 80 bytes, and
/// returns the result on the whole packet.
func crossCheck(_ program: PreparedProgram, _ packet: [UInt8], label: String) -> UInt32 {
    packet.withUnsafeBytes { whole in
        var lengths = Array(0 ... min(80, whole.count))
        lengths.append(whole.count)
        for length in lengths {
            let prefix = UnsafeRawBufferPointer(rebasing: whole[0 ..< length])
            let ours = program.ours(prefix)
            let theirs = program.libpcap(prefix)
            if ours != theirs {
                fail(
                    "'\(program.expression)' on \(label) truncated to \(length) bytes: "
                        + "CBPF returns \(ours), bpf_filter returns \(theirs)"
                )
            }
        }
        return program.ours(whole)
    }
}

/// Random mutations of the header bytes, compared between both implementations.
func fuzzCheck(_ program: PreparedProgram, _ packet: [UInt8], label: String) -> Int {
    var generator = SplitMix64(seed: 0x5eed ^ UInt64(packet.count) ^ UInt64(program.expression.utf8.count))
    var copy = packet
    var checked = 0
    for _ in 0 ..< 2000 {
        copy = packet
        for _ in 0 ..< 1 + Int(generator.next() % 3) {
            let index = Int(generator.next() % 64)
            copy[index] = UInt8(truncatingIfNeeded: generator.next())
        }
        let length = generator.next() % 4 == 0 ? Int(generator.next() % 80) : copy.count
        copy.withUnsafeBytes { whole in
            let prefix = UnsafeRawBufferPointer(rebasing: whole[0 ..< length])
            let ours = program.ours(prefix)
            let theirs = program.libpcap(prefix)
            if ours != theirs {
                fail(
                    "'\(program.expression)' on a mutation of \(label) (\(length) bytes): "
                        + "CBPF returns \(ours), bpf_filter returns \(theirs)"
                )
            }
        }
        checked += 1
    }
    return checked
}

// MARK: - Timing

@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

/// Accumulates every filter result so that the compiler cannot drop or hoist the work.
nonisolated(unsafe) var sink: UInt32 = 0

/// Two identical copies of the packet, alternated per iteration, so that the argument changes on
/// every call and no call can be treated as loop-invariant.
struct PacketPair {
    let first: UnsafeRawBufferPointer
    let second: UnsafeRawBufferPointer

    init(_ bytes: [UInt8]) {
        func copy() -> UnsafeRawBufferPointer {
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
            memory.copyBytes(from: bytes)
            return UnsafeRawBufferPointer(memory)
        }
        first = copy()
        second = copy()
    }
}

@inline(never)
func timeOurs(_ program: PreparedProgram, _ packets: PacketPair, iterations: Int) -> UInt64 {
    let interpreter = program.interpreter
    let first = packets.first
    let second = packets.second
    var accumulator: UInt32 = 0
    let start = monotonicNanoseconds()
    var i = 0
    while i < iterations {
        accumulator &+= interpreter.run(packet: first)
        accumulator &+= interpreter.run(packet: second)
        i &+= 2
    }
    let end = monotonicNanoseconds()
    sink &+= accumulator
    return end &- start
}

@inline(never)
func timeLibpcap(_ program: PreparedProgram, _ packets: PacketPair, iterations: Int) -> UInt64 {
    let instructions = program.instructions.baseAddress
    let first = packets.first.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let second = packets.second.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let length = UInt32(packets.first.count)
    var accumulator: UInt32 = 0
    let start = monotonicNanoseconds()
    var i = 0
    while i < iterations {
        accumulator &+= bpf_filter(instructions, first, length, length)
        accumulator &+= bpf_filter(instructions, second, length, length)
        i &+= 2
    }
    let end = monotonicNanoseconds()
    sink &+= accumulator
    return end &- start
}

enum Implementation { case ours, libpcap }

func time(_ implementation: Implementation, _ program: PreparedProgram, _ packets: PacketPair, iterations: Int)
    -> UInt64
{
    switch implementation {
    case .ours: timeOurs(program, packets, iterations: iterations)
    case .libpcap: timeLibpcap(program, packets, iterations: iterations)
    }
}

/// Finds an even iteration count that takes about `nanoseconds`.
func calibrate(
    _ implementation: Implementation, _ program: PreparedProgram, _ packets: PacketPair, nanoseconds: Double
) -> Int {
    var iterations = 1024
    while true {
        let elapsed = time(implementation, program, packets, iterations: iterations)
        if elapsed >= 10_000_000 || iterations >= 1 << 34 {
            let perIteration = Double(elapsed) / Double(iterations)
            let wanted = max(2, Int(nanoseconds / max(perIteration, 0.01)))
            return (wanted + 1) & ~1
        }
        iterations *= 4
    }
}

func format(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0 ..< digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    guard digits > 0 else { return String(scaled) }
    let whole = String(scaled / Int(scale))
    let fraction = String(abs(scaled) % Int(scale))
    return whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}

// MARK: - Main

let options = Options.parseOrExit()
let tcpdump = findTcpdump(options.tcpdumpPath)

struct Case {
    var program: PreparedProgram
    var label: String
    var expectMatch: Bool
    var packets: PacketPair
    var iterations = (ours: 0, libpcap: 0)
    var samples = (ours: [Double](), libpcap: [Double]())
}

var cases = [Case]()
var fuzzed = 0
for benchmark in programs {
    let raw = compileWithTcpdump(tcpdump, benchmark.expression)
    let prepared = PreparedProgram(expression: benchmark.expression, raw: raw)
    for (packet, label, expectMatch) in [
        (benchmark.matching, benchmark.matchingDescription, true),
        (benchmark.nonMatching, benchmark.nonMatchingDescription, false),
    ] {
        let ours = crossCheck(prepared, packet, label: label)
        let theirs = packet.withUnsafeBytes { prepared.libpcap($0) }
        guard (ours != 0) == expectMatch, (theirs != 0) == expectMatch else {
            fail(
                "'\(benchmark.expression)' on \(label): expected \(expectMatch ? "a match" : "no match"), "
                    + "CBPF returns \(ours), bpf_filter returns \(theirs)"
            )
        }
        fuzzed += fuzzCheck(prepared, packet, label: label)
        cases.append(Case(program: prepared, label: label, expectMatch: expectMatch, packets: PacketPair(packet)))
    }
    print("program '\(benchmark.expression)': \(raw.count) instructions (tcpdump -ddd -y EN10MB)")
}
print(
    "self-check: CBPF and bpf_filter agree on all \(cases.count) packets, their prefixes up to 80 bytes",
    "and \(fuzzed) header mutations"
)
if options.randomPrograms > 0 {
    let compared = randomDifferentialCheck(programs: options.randomPrograms, seed: 0xcbf_2026)
    print("self-check: CBPF and bpf_filter agree on \(options.randomPrograms) random programs (\(compared) packets)")
}

let nanosecondsPerRun = options.durationMilliseconds * 1_000_000
for index in cases.indices {
    if let fixed = options.fixedIterations {
        cases[index].iterations = (fixed, fixed)
        continue
    }
    // Warm up and calibrate each implementation separately.
    cases[index].iterations.ours = calibrate(
        .ours, cases[index].program, cases[index].packets, nanoseconds: nanosecondsPerRun)
    cases[index].iterations.libpcap = calibrate(
        .libpcap, cases[index].program, cases[index].packets, nanoseconds: nanosecondsPerRun)
}

let perRun = options.fixedIterations.map { "\($0) packets" } ?? "~\(format(options.durationMilliseconds, 0)) ms"
print(
    "timing: \(options.runs) runs x \(cases.count) cases x 2 implementations, \(perRun) each (interleaved slices),",
    "CLOCK_MONOTONIC")
// Each run times both implementations on a case for about --duration-ms each, in interleaved
// slices of about 5 ms, so that both see the same machine: load from other processes (builds,
// tests) then slows both alike instead of whichever ran during it.
let slices = max(1, Int((options.durationMilliseconds / 5).rounded()))
for run in 0 ..< options.runs {
    for index in cases.indices {
        let c = cases[index]
        let perSlice = (
            ours: max(2, c.iterations.ours / slices) & ~1, libpcap: max(2, c.iterations.libpcap / slices) & ~1
        )
        var elapsed = (ours: UInt64(0), libpcap: UInt64(0))
        for slice in 0 ..< slices {
            // Alternate which implementation goes first, to spread any drift evenly.
            if (run + slice) % 2 == 0 {
                elapsed.ours += time(.ours, c.program, c.packets, iterations: perSlice.ours)
                elapsed.libpcap += time(.libpcap, c.program, c.packets, iterations: perSlice.libpcap)
            } else {
                elapsed.libpcap += time(.libpcap, c.program, c.packets, iterations: perSlice.libpcap)
                elapsed.ours += time(.ours, c.program, c.packets, iterations: perSlice.ours)
            }
        }
        cases[index].samples.ours.append(Double(elapsed.ours) / Double(perSlice.ours * slices))
        cases[index].samples.libpcap.append(Double(elapsed.libpcap) / Double(perSlice.libpcap * slices))
    }
}

print("")
let columns = [24, 26, 6, 12, 14, 8]
let header = ["program", "packet", "match", "CBPF ns/pkt", "libpcap ns/pkt", "ratio"]
print(zip(header, columns).enumerated().map { pad($1.0, $1.1, right: $0 >= 2) }.joined(separator: "  "))
print(String(repeating: "-", count: columns.reduce(0, +) + 2 * (columns.count - 1)))
var logSum = 0.0
var totalOurs = 0.0
var totalLibpcap = 0.0
for c in cases {
    let ours = median(c.samples.ours)
    let theirs = median(c.samples.libpcap)
    let ratio = theirs / ours
    logSum += log(ratio)
    totalOurs += ours
    totalLibpcap += theirs
    let row = [
        c.program.expression, c.label, c.expectMatch ? "yes" : "no", format(ours, 2), format(theirs, 2),
        format(ratio, 2) + "x",
    ]
    print(zip(row, columns).enumerated().map { pad($1.0, $1.1, right: $0 >= 2) }.joined(separator: "  "))
}
let geometricMean = exp(logSum / Double(cases.count))
print("")
print("medians of \(options.runs) runs; ratio = libpcap time / CBPF time (> 1 means CBPF is faster)")
print("sink: \(sink)")
print("overall ratio (libpcap/ours, geometric mean of medians): \(format(geometricMean, 2))x")
