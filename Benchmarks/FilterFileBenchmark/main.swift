import ArgumentParser
import BenchmarkSupport
import CBPFFuzz
import Glibc
import PacketFilter
import SystemCalls

/// `cbpf filter -r FILE -w OUT EXPR` against `tcpdump -r FILE -w OUT EXPR` on a large capture
/// that `make` writes with our own writer: whole-process wall time and peak memory.
struct FilterFileBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "FilterFileBenchmark",
        abstract: "cbpf filter against tcpdump -r on a large capture file: time and peak memory.",
        subcommands: [Make.self, Compare.self], defaultSubcommand: Compare.self)
}

/// Writes a capture of Ethernet frames: IPv4 TCP and UDP, some IPv6 and ARP, mostly short
/// (acknowledgements), with a share of TCP port 80.
struct Make: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "make", abstract: "Write a large capture file.")

    @Option(help: "The file to write.")
    var output: String

    @Option(help: "How many packets.")
    var packets = 1_000_000

    @Flag(help: "Write pcapng instead of pcap (microseconds, as tcpdump writes).")
    var pcapng = false

    @Option(help: "The random seed.")
    var seed: UInt64 = 12

    func run() throws {
        var random = SplitMix64(seed: seed)
        let interface = CaptureFile.Interface(linkType: .ethernet, snapshotLength: 262_144, ticksPerSecond: 1_000_000)
        var writer = try CaptureFileWriter(
            path: output, format: pcapng ? .pcapng : .pcap, interfaces: [interface], resolution: .microseconds,
            bufferCapacity: 1 << 20)
        var frame = [UInt8](repeating: 0, count: 1514)
        var seconds: Int64 = 1_700_000_000
        var microseconds: UInt64 = 0
        for _ in 0 ..< packets {
            let length = Self.fill(&frame, &random)
            microseconds += random.next() % 200
            if microseconds >= 1_000_000 {
                seconds += 1
                microseconds -= 1_000_000
            }
            try frame.withUnsafeBytes {
                try writer.write(UnsafeRawBufferPointer(rebasing: $0[0 ..< length]), originalLength: length,
                                 timestamp: CapturedPacket.Timestamp(seconds: seconds, nanoseconds: microseconds * 1000))
            }
        }
        try writer.close()
    }

    /// One frame into `frame`; returns its length.
    static func fill(_ frame: inout [UInt8], _ random: inout SplitMix64) -> Int {
        func put16(_ value: UInt16, at offset: Int) {
            frame[offset] = UInt8(value >> 8)
            frame[offset + 1] = UInt8(truncatingIfNeeded: value)
        }
        let roll = random.next() % 100
        // 75% acknowledgements and other short segments, 20% up to 200 bytes, 5% up to 1000.
        let sizeRoll = random.next() % 100
        let payload = sizeRoll < 75 ? 0 : sizeRoll < 95 ? Int(random.next() % 150) + 50 : Int(random.next() % 900) + 100
        for index in 0 ..< 12 { frame[index] = UInt8(truncatingIfNeeded: random.next()) }
        if roll >= 95 {
            // ARP request.
            put16(0x0806, at: 12)
            put16(1, at: 14); put16(0x0800, at: 16); frame[18] = 6; frame[19] = 4; put16(1, at: 20)
            return 42
        }
        let isIPv6 = roll >= 90
        let isUDP = roll < 20
        let transportLength = (isUDP ? 8 : 20) + payload
        var offset = 14
        if isIPv6 {
            put16(0x86DD, at: 12)
            frame[14] = 0x60; frame[15] = 0; put16(0, at: 16)
            put16(UInt16(transportLength), at: 18)
            frame[20] = isUDP ? 17 : 6
            frame[21] = 64
            for index in 22 ..< 54 { frame[index] = UInt8(truncatingIfNeeded: random.next()) }
            offset = 54
        } else {
            put16(0x0800, at: 12)
            frame[14] = 0x45; frame[15] = 0
            put16(UInt16(20 + transportLength), at: 16)
            put16(UInt16(truncatingIfNeeded: random.next()), at: 18)
            put16(0x4000, at: 20)
            frame[22] = 64
            frame[23] = isUDP ? 17 : 6
            put16(0, at: 24)
            for index in 26 ..< 34 { frame[index] = UInt8(truncatingIfNeeded: random.next()) }
            offset = 34
        }
        let wellKnown: [UInt16] = [80, 443, 443, 443, 53, 22]
        let server = isUDP ? 53 : wellKnown[Int(random.next() % UInt64(wellKnown.count))]
        let client = UInt16(32768 + random.next() % 28000)
        let toServer = random.next() % 2 == 0
        put16(toServer ? client : server, at: offset)
        put16(toServer ? server : client, at: offset + 2)
        if isUDP {
            put16(UInt16(transportLength), at: offset + 4)
            put16(0, at: offset + 6)
        } else {
            for index in offset + 4 ..< offset + 12 { frame[index] = UInt8(truncatingIfNeeded: random.next()) }
            frame[offset + 12] = 0x50
            frame[offset + 13] = payload == 0 ? 0x10 : 0x18
            put16(64240, at: offset + 14)
            put16(0, at: offset + 16)
            put16(0, at: offset + 18)
        }
        let end = offset + (isUDP ? 8 : 20) + payload
        for index in offset + (isUDP ? 8 : 20) ..< end { frame[index] = UInt8(truncatingIfNeeded: index) }
        return max(end, 60)
    }
}

/// Runs both tools in pairs, alternating which goes first, and prints medians and peaks.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Time cbpf filter against tcpdump -r on a capture file.")

    @Option(help: "The capture file (see make).")
    var file: String

    @Option(help: "The filter expression.")
    var expression = "tcp port 80"

    @Option(help: "Paired runs; the table gives the medians.")
    var runs = 5

    @Option(help: "Where -w writes (two files, with .cbpf and .tcpdump appended).")
    var output = "/tmp/filter-file-benchmark"

    @Option(help: "The cbpf executable; by default the one built next to this program.")
    var cbpf: String?

    func run() throws {
        let cbpfPath = cbpf ?? (Self.executableDirectory() + "/cbpf")
        guard access(cbpfPath, X_OK) == 0 else { throw BenchmarkError("\(cbpfPath) is missing: swift build -c release --product cbpf") }
        guard let tcpdump = (["/usr/bin/tcpdump", "/usr/sbin/tcpdump"] as [String]).first(where: { access($0, X_OK) == 0 }) else {
            throw BenchmarkError("tcpdump is missing")
        }
        var status = stat()
        guard stat(file, &status) == 0 else { throw BenchmarkError("\(file): \(String(cString: strerror(errno)))") }
        print("\(file): \(status.st_size) bytes; expression \(expression); \(runs) paired runs, medians")
        let ours = output + ".cbpf", theirs = output + ".tcpdump"
        defer { unlink(ours); unlink(theirs) }
        let modes: [(name: String, cbpf: [String], tcpdump: [String])] = [
            ("-w", [cbpfPath, "filter", "-r", file, "-w", ours, expression], [tcpdump, "-r", file, "-w", theirs, expression]),
            ("--count", [cbpfPath, "filter", "-r", file, "--count", expression], [tcpdump, "-r", file, "--count", expression]),
        ]
        print("mode      cbpf s    tcpdump s  tcpdump/cbpf  cbpf max RSS  tcpdump max RSS")
        for mode in modes {
            var cbpfRuns = [Run](), tcpdumpRuns = [Run]()
            for index in 0 ..< runs {
                // Alternate which runs first, so that neither always meets a warmer cache.
                if index % 2 == 0 {
                    cbpfRuns.append(try Run(mode.cbpf))
                    tcpdumpRuns.append(try Run(mode.tcpdump))
                } else {
                    tcpdumpRuns.append(try Run(mode.tcpdump))
                    cbpfRuns.append(try Run(mode.cbpf))
                }
            }
            let cbpfSeconds = median(cbpfRuns.map(\.seconds)), tcpdumpSeconds = median(tcpdumpRuns.map(\.seconds))
            let ratios = zip(cbpfRuns, tcpdumpRuns).map { $1.seconds / $0.seconds }
            let cbpfMemory = try Self.peakMemory(mode.cbpf), tcpdumpMemory = try Self.peakMemory(mode.tcpdump)
            print(pad(mode.name, 10) + pad(format(cbpfSeconds, 3), 10) + pad(format(tcpdumpSeconds, 3), 11)
                + pad(format(median(ratios), 2) + "x", 14) + pad(cbpfMemory, 14) + tcpdumpMemory)
            if mode.name == "--count" {
                let counts = (cbpfRuns[0].output.trimmingCharacters(), tcpdumpRuns[0].output.split(separator: " ").first.map(String.init) ?? "")
                print("          accepted: cbpf \(counts.0), tcpdump \(counts.1)" + (counts.0 == counts.1 ? "" : "  DIFFERENT"))
            } else {
                print("          output files: " + (try Self.sameBytes(ours, theirs) ? "byte for byte the same"
                    : try Self.samePrintout(ours, theirs, tcpdump: tcpdump) ? "print the same with tcpdump -r -n -tt -xx"
                    : "DIFFERENT"))
            }
        }
    }

    /// The peak resident memory of a run, as `/usr/bin/time -f %M` reports it: a process this
    /// benchmark spawns directly starts its peak at the benchmark's own size.
    static func peakMemory(_ arguments: [String]) throws -> String {
        guard access("/usr/bin/time", X_OK) == 0 else { return "?" }
        let report = "/tmp/filter-file-benchmark-\(getpid()).time"
        defer { unlink(report) }
        _ = try Run(["/usr/bin/time", "-f", "%M", "-o", report] + arguments)
        guard let kibibytes = Run.read(report).split(separator: "\n").last.flatMap({ Double($0) }) else { return "?" }
        return format(kibibytes / 1024, 1) + " MiB"
    }

    static func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = count > 0 ? String(decoding: buffer[0 ..< count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }

    /// Whether `tcpdump -r FILE -n -tt -xx` prints the two files alike (when the formats differ:
    /// cbpf keeps pcapng, tcpdump writes pcap).
    static func samePrintout(_ first: String, _ second: String, tcpdump: String) throws -> Bool {
        var printouts = [String]()
        for file in [first, second] {
            let printout = file + ".txt"
            let shell = "'\(tcpdump)' -r '\(file)' -n -tt -xx > '\(printout)' 2>/dev/null"
            _ = try Run(["/bin/sh", "-c", shell])
            printouts.append(printout)
        }
        defer { printouts.forEach { unlink($0) } }
        return try sameBytes(printouts[0], printouts[1])
    }

    static func sameBytes(_ first: String, _ second: String) throws -> Bool {
        guard let a = fopen(first, "r"), let b = fopen(second, "r") else { throw BenchmarkError("cannot open the outputs") }
        defer { fclose(a); fclose(b) }
        var left = [UInt8](repeating: 0, count: 1 << 16), right = left
        while true {
            let count = fread(&left, 1, left.count, a)
            guard fread(&right, 1, right.count, b) == count else { return false }
            if count == 0 { return true }
            if left[0 ..< count] != right[0 ..< count] { return false }
        }
    }
}

/// One finished process: wall time and standard output.
struct Run {
    var seconds: Double
    var output: String

    init(_ arguments: [String]) throws {
        let outputPath = "/tmp/filter-file-benchmark-\(getpid()).out"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var child: pid_t = 0
        let start = Self.now()
        let result = posix_spawn(&child, arguments[0], &actions, nil, &cArguments, environ)
        guard result == 0 else { throw BenchmarkError("posix_spawn \(arguments[0]): \(String(cString: strerror(result)))") }
        var status: Int32 = 0
        var usage = rusage()
        _ = try systemCall("wait4") { wait4(child, &status, 0, &usage) }
        seconds = Self.now() - start
        guard status == 0 else { throw BenchmarkError("\(arguments.joined(separator: " ")) failed with status \(status)") }
        output = Self.read(outputPath)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = fread(&bytes, 1, bytes.count, file)
        return String(decoding: bytes[0 ..< count], as: UTF8.self)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0 ..< decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    let digits = text.split(separator: ".").last?.count ?? 0
    if digits < decimals { text += String(repeating: "0", count: decimals - digits) }
    return text
}

extension String {
    func trimmingCharacters() -> String {
        String(self.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
    }
}

FilterFileBenchmark.main()
