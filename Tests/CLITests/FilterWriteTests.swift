import Foundation
import PacketFilter
import TestSupport
import Testing

/// `cbpf filter -w`, `-c`, `-r -` and its summary lines, against `tcpdump -r` on the same
/// captures: ones these tests write with our writer, and a slice of the shared corpus.
@Suite("cbpf filter -w", .enabled(if: CLI.isAvailable && Paths.tcpdump != nil, "skipped: needs cbpf and tcpdump"))
struct FilterWriteTests {
    static let expressions = ["tcp port 80", "udp", "ip6 or arp", "icmp", "greater 200", "vlan and udp"]

    /// What tcpdump prints of a capture with `-n -tt -xx`: every packet's time, summary and bytes.
    static func printed(_ path: String, _ extra: [String] = []) throws -> String {
        let run = try ProcessRun.run(Paths.tcpdump!, ["-r", path, "-n", "-tt", "-xx"] + extra)
        try #require(run.succeeded, "\(run)")
        return run.standardOutput
    }

    /// `cbpf filter -r input -w ours expression` and `tcpdump -r input -w theirs expression`
    /// write files that tcpdump prints the same; returns how many packets they hold.
    @discardableResult
    static func expectSameAsTcpdump(_ input: String, _ expression: String, in directory: TemporaryDirectory,
                                    extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let ours = directory.url.appendingPathComponent("ours").path
        let theirs = directory.url.appendingPathComponent("theirs").path
        _ = try CLI.succeed(["filter", "-r", input, "-w", ours] + extra + [expression], sourceLocation: sourceLocation)
        let reference = try ProcessRun.run(Paths.tcpdump!, ["-r", input, "-w", theirs] + extra + [expression])
        try #require(reference.succeeded, "\(reference)", sourceLocation: sourceLocation)
        let printed = try Self.printed(ours)
        #expect(printed == (try Self.printed(theirs)), "\(input): \(expression)", sourceLocation: sourceLocation)
        return printed.split(separator: "\n").filter { !$0.hasPrefix("\t") }.count
    }

    @Test(arguments: ["pcap-microseconds", "pcap-nanoseconds", "pcap-big-endian", "pcapng"])
    func writtenFilesHoldWhatTcpdumpWrites(variant: String) throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write(variant, in: directory)
        var kept = 0
        for expression in Self.expressions {
            kept += try Self.expectSameAsTcpdump(input, expression, in: directory)
        }
        #expect(kept > 100, "the expressions keep too few packets to compare")
        // The input's format is kept.
        let ours = directory.url.appendingPathComponent("ours").path
        #expect(try CaptureReader(path: ours).format == (variant == "pcapng" ? .pcapng : .pcap))
    }

    /// A pcap input keeps its header: the file is byte for byte tcpdump's, whose writer is
    /// libpcap's, when the input is a microsecond pcap in this machine's byte order.
    @Test func aMicrosecondPcapGivesTcpdumpsVeryBytes() throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write("pcap-microseconds", in: directory)
        let ours = directory.url.appendingPathComponent("ours").path
        let theirs = directory.url.appendingPathComponent("theirs").path
        _ = try CLI.succeed(["filter", "-r", input, "-w", ours, "udp or arp"])
        try #require(try ProcessRun.run(Paths.tcpdump!, ["-r", input, "-w", theirs, "udp or arp"]).succeeded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ours)) == (try Data(contentsOf: URL(fileURLWithPath: theirs))))
    }

    /// pcapng keeps every interface, even one whose packets are all rejected, with its name.
    @Test func pcapngKeepsItsInterfaces() throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write("pcapng", in: directory)
        let ours = directory.url.appendingPathComponent("ours.pcapng").path
        // Only interface 1's packets are IPv6.
        _ = try CLI.succeed(["filter", "-r", input, "-w", ours, "ip6"])
        var reader = try CaptureReader(path: ours)
        var indices = Set<Int>()
        while let packet = try reader.next() { indices.insert(packet.interfaceIndex) }
        #expect(indices == [1])
        #expect(reader.interfaces.map(\.name) == ["eth0", "eth1"])
        #expect(reader.interfaces.map(\.snapshotLength) == [200, 200])
        // --pcap writes the same packets as pcap.
        let pcap = directory.url.appendingPathComponent("ours.pcap").path
        _ = try CLI.succeed(["filter", "-r", input, "-w", pcap, "--pcap", "ip6"])
        #expect(try CaptureReader(path: pcap).format == .pcap)
        #expect(try Self.printed(pcap) == (try Self.printed(ours)))
        // And --pcapng turns a pcap into pcapng.
        let pcapInput = try TestCaptures.write("pcap-microseconds", in: directory)
        _ = try CLI.succeed(["filter", "-r", pcapInput, "-w", ours, "--pcapng", "udp"])
        #expect(try CaptureReader(path: ours).format == .pcapng)
        try Self.expectSameAsTcpdump(pcapInput, "udp", in: directory)
    }

    /// -c stops after that many accepted packets, as tcpdump's -c.
    @Test func countStopsAfterThatManyAcceptedPackets() throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write("pcap-microseconds", in: directory)
        for count in ["1", "7", "100000"] {
            try Self.expectSameAsTcpdump(input, "udp", in: directory, extra: ["-c", count])
        }
        let counted = try CLI.succeed(["filter", "-r", input, "-c", "7", "--count", "udp"])
        #expect(counted.trimmedOutput == "7")
    }

    /// `-r -` reads standard input, and `-w -` writes to standard output.
    @Test func standardInputAndOutput() throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write("pcapng", in: directory)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
        let piped = try CLI.succeed(["filter", "-r", "-", "-w", "-", "tcp port 80"], input: bytes)
        let ours = try directory.write("piped.pcapng", bytes: piped.standardOutputBytes)
        let theirs = directory.url.appendingPathComponent("theirs").path
        try #require(try ProcessRun.run(Paths.tcpdump!, ["-r", input, "-w", theirs, "tcp port 80"]).succeeded)
        #expect(try Self.printed(ours) == (try Self.printed(theirs)))
        let counted = try CLI.succeed(["filter", "-r", "-", "--count", "tcp port 80"], input: bytes)
        let reference = try ProcessRun.run(Paths.tcpdump!, ["-r", input, "--count", "tcp port 80"])
        #expect(counted.trimmedOutput + " packets" == reference.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Without -w or --count, one line per accepted packet, as tcpdump -n prints it.
    @Test func summaryLinesAreTcpdumps() throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write("pcap-microseconds", in: directory)
        for expression in ["udp and not port 53", "icmp", "arp", "ip6 and udp"] {
            let ours = try CLI.succeed(["filter", "-r", input, expression]).standardOutput
            let theirs = try ProcessRun.run(Paths.tcpdump!, ["-r", input, "-n", expression]).standardOutput
            #expect(!ours.isEmpty && ours == theirs, "\(expression)")
        }
    }

    /// A damaged record ends the run with its place and reason; the packets before it are in a
    /// complete file, as tcpdump writes them.
    @Test func aDamagedFileKeepsThePacketsBeforeTheDamage() throws {
        let directory = try TemporaryDirectory()
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try TestCaptures.write("pcap-microseconds", in: directory))))
        let cut = try directory.write("cut.pcap", bytes: Array(whole.prefix(whole.count * 2 / 3)))
        let ours = directory.url.appendingPathComponent("ours").path
        let run = try CLI.fail(["filter", "-r", cut, "-w", ours, "udp"], mentioning: [cut, "at byte", "truncated packet record"])
        #expect(run.exitStatus == 1)
        let theirs = directory.url.appendingPathComponent("theirs").path
        _ = try ProcessRun.run(Paths.tcpdump!, ["-r", cut, "-w", theirs, "udp"])
        let printed = try Self.printed(ours)
        let reference = try Self.printed(theirs)
        #expect(!printed.isEmpty && printed == reference)
    }

    @Test func badArgumentsAreExplained() throws {
        let directory = try TemporaryDirectory()
        let input = try TestCaptures.write("pcapng-two-link-types", in: directory)
        let output = directory.url.appendingPathComponent("out.pcap").path
        try CLI.fail(["filter", "-r", input, "--pcapng", "ip"], mentioning: ["--pcapng", "-w"])
        try CLI.fail(["filter", "-r", input, "-c", "0", "ip"], mentioning: ["-c", "positive"])
        try CLI.fail(["filter", "-r", "-", "--bytecode", "-"], mentioning: ["standard input"])
        try CLI.fail(["filter", "-r", input, "-w", output, "--pcap", "ip or ip6"],
                     mentioning: ["link type", "pcap file holds one link type", "--pcapng"])
        // The packets before the refused one are in the file.
        #expect(try CaptureReader(path: output).packets().count > 0)
        try CLI.fail(["filter", "-r", input, "-w", "/nonexistent/out.pcap", "ip"], mentioning: ["-w", "/nonexistent/out.pcap"])
    }

    /// The benchmark's comparison in small (docs/measurements.md has the large one): on a
    /// capture eight times larger than another, `cbpf filter -w` peaks at the same memory, under
    /// 32 MiB, and writes tcpdump's very bytes.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "skipped: needs /usr/bin/time"))
    func memoryStaysFlatWhateverTheFileSize() throws {
        let directory = try TemporaryDirectory()
        var peaks = [Double]()
        for repeats in [30, 240] {
            let input = directory.url.appendingPathComponent("repeated-\(repeats).pcap").path
            let interface = CaptureFile.Interface(linkType: .ethernet, snapshotLength: 65_535)
            var writer = try CaptureFileWriter(path: input, format: .pcap, interfaces: [interface], resolution: .microseconds)
            let frames = TestCaptures.frames()
            for round in 0 ..< repeats {
                for (index, frame) in frames.enumerated() {
                    try frame.withUnsafeBytes {
                        try writer.write($0, originalLength: frame.count,
                                         timestamp: TestCaptures.timestamp(round * frames.count + index))
                    }
                }
            }
            try writer.close()
            let ours = directory.url.appendingPathComponent("ours").path
            let theirs = directory.url.appendingPathComponent("theirs").path
            let report = directory.url.appendingPathComponent("time").path
            let timed = try ProcessRun.run("/usr/bin/time", ["-f", "%M", "-o", report, CLI.executablePath!, "filter", "-r", input,
                                                             "-w", ours, "tcp port 80"])
            try #require(timed.succeeded, "\(timed)")
            let kibibytes = try #require(Double(try String(contentsOfFile: report, encoding: .utf8)
                .split(separator: "\n").last.map(String.init) ?? ""))
            peaks.append(kibibytes / 1024)
            try #require(try ProcessRun.run(Paths.tcpdump!, ["-r", input, "-w", theirs, "tcp port 80"]).succeeded)
            #expect(try Data(contentsOf: URL(fileURLWithPath: ours)) == (try Data(contentsOf: URL(fileURLWithPath: theirs))))
        }
        print("cbpf filter -w: peak memory \(peaks.map { String(Int($0.rounded())) + " MiB" }) for captures of 12,600 and "
              + "100,800 packets")
        #expect(peaks.allSatisfy { $0 < 32 }, "\(peaks)")
        #expect(abs(peaks[1] - peaks[0]) < 2, "\(peaks)")
    }

    /// On the corpus: every capture of a slice, with two expressions.
    @Test(.enabled(if: !corpusSlice.isEmpty, "skipped: the shared corpus is absent"))
    func corpusCapturesAsTcpdumpWritesThem() throws {
        let directory = try TemporaryDirectory()
        var compared = 0
        for path in Self.corpusSlice {
            for expression in ["tcp", "not udp"] {
                // tcpdump refuses expressions for some link types, and reads some damaged files.
                let probe = try ProcessRun.run(Paths.tcpdump!, ["-r", path, "-w", "/dev/null", expression])
                guard probe.succeeded else { continue }
                try Self.expectSameAsTcpdump(path, expression, in: directory)
                compared += 1
            }
        }
        print("cbpf filter -w: \(compared) corpus runs print as tcpdump -r -w's")
        #expect(compared >= Self.corpusSlice.count)
    }

    /// Every tenth corpus capture (pcap and pcapng) whose packets are all of link types we compile for.
    static let corpusSlice: [String] = {
        let folder = Paths.package.deletingLastPathComponent().appendingPathComponent("shared/corpus/pcap/tcpdump-tests")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        return names.enumerated().filter { $0.offset % 10 == 0 }.map { folder.appendingPathComponent($0.element).path }
            .filter { path in
                guard let packets = try? CaptureReader(path: path).packets() else { return false }
                return packets.allSatisfy { PacketFilterCompiler.supportedLinkTypes.contains($0.linkType) }
            }
    }()
}

/// Captures written by our own writers for these tests: Ethernet frames of every kind the
/// expressions and the summary lines tell apart, some longer than a snapshot length.
enum TestCaptures {
    static func write(_ variant: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.url.appendingPathComponent(variant + (variant.hasPrefix("pcapng") ? ".pcapng" : ".pcap")).path
        let frames = Self.frames()
        switch variant {
        case "pcap-microseconds", "pcap-nanoseconds":
            let interface = CaptureFile.Interface(linkType: .ethernet, snapshotLength: 65_535)
            var writer = try CaptureFileWriter(path: path, format: .pcap, interfaces: [interface],
                                               resolution: variant == "pcap-nanoseconds" ? .nanoseconds : .microseconds)
            for (index, frame) in frames.enumerated() {
                try frame.withUnsafeBytes { try writer.write($0, originalLength: frame.count, timestamp: timestamp(index)) }
            }
            try writer.close()
        case "pcap-big-endian":
            var writer = PcapWriter(linkType: .ethernet, snapshotLength: 128, byteOrder: .bigEndian, resolution: .nanoseconds)
            for (index, frame) in frames.enumerated() { writer.append(frame, timestamp: timestamp(index)) }
            try writer.write(toFile: path)
        case "pcapng", "pcapng-two-link-types":
            // Interface 1 carries the IPv6 packets. Both cut packets at 200 bytes: libpcap refuses
            // interfaces whose snapshot lengths or link types differ.
            let second = variant == "pcapng" ? CaptureFile.Interface(linkType: .ethernet, snapshotLength: 200, name: "eth1")
                : CaptureFile.Interface(linkType: .raw, snapshotLength: 200, name: "raw0")
            var writer = try CaptureFileWriter(
                path: path, format: .pcapng,
                interfaces: [CaptureFile.Interface(linkType: .ethernet, snapshotLength: 200, name: "eth0"), second])
            for (index, frame) in frames.enumerated() {
                let isIPv6 = frame[12] == 0x86 && frame[13] == 0xDD
                let bytes = isIPv6 && second.linkType == .raw ? Array(frame[14...]) : frame
                try bytes.withUnsafeBytes {
                    try writer.write($0, originalLength: bytes.count, timestamp: timestamp(index), interfaceIndex: isIPv6 ? 1 : 0)
                }
            }
            try writer.close()
        default:
            throw CLIError("no test capture \(variant)")
        }
        return path
    }

    static func timestamp(_ index: Int) -> CapturedPacket.Timestamp {
        CapturedPacket.Timestamp(seconds: 1_700_000_000 + Int64(index / 7), nanoseconds: UInt64(index % 7) * 142_857_123 + 999)
    }

    /// 420 frames: TCP to and from port 80 and 443, UDP (DNS and others), ICMP echo, IPv6 UDP,
    /// ARP, 802.1Q-tagged UDP; sizes from 42 to 1,514 bytes.
    static func frames() -> [[UInt8]] {
        var random = SplitMix(state: 7)
        var frames = [[UInt8]]()
        for index in 0 ..< 420 {
            let payload = [0, 0, 12, 100, 300, 1_400][index % 6] + Int(random.next() % 8)
            switch index % 7 {
            case 0, 1: frames.append(ethernet(0x0800, ipv4(6, tcp(index % 2 == 0 ? 80 : 443, payload), &random)))
            case 2: frames.append(ethernet(0x0800, ipv4(17, udp(index % 3 == 0 ? 53 : 5555, payload), &random)))
            case 3: frames.append(ethernet(0x0800, ipv4(1, [8, 0, 0, 0, 0x43, 0x21, 0, UInt8(index & 0xFF)]
                + [UInt8](repeating: 0xAB, count: payload), &random)))
            case 4: frames.append(ethernet(0x86DD, ipv6(17, udp(6666, payload))))
            case 5: frames.append(ethernet(0x0806, [0, 1, 8, 0, 6, 4, 0, 1] + [2, 0, 0, 0, 0, 1, 10, 0, 0, 1]
                + [0, 0, 0, 0, 0, 0, 10, 0, 0, UInt8(index & 0xFF)]))
            default: frames.append(ethernet(0x8100, [0, 100, 0x08, 0x00] + ipv4(17, udp(7777, payload), &random)))
            }
        }
        return frames
    }

    static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    static func ethernet(_ type: Int, _ payload: [UInt8]) -> [UInt8] {
        let frame = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + be16(type) + payload
        return frame + [UInt8](repeating: 0, count: max(0, 60 - frame.count))
    }

    static func ipv4(_ proto: UInt8, _ payload: [UInt8], _ random: inout SplitMix) -> [UInt8] {
        [0x45, 0] + be16(20 + payload.count) + be16(Int(random.next() & 0xFFFF)) + [0x40, 0, 64, proto, 0, 0]
            + [10, 0, 0, 1, 10, 0, 0, UInt8(random.next() % 200 + 2)] + payload
    }

    static func ipv6(_ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payload.count) + [next, 64] + [0xFD, 0x77] + [UInt8](repeating: 0, count: 13) + [1]
            + [0xFD, 0x77] + [UInt8](repeating: 0, count: 13) + [2] + payload
    }

    static func udp(_ port: Int, _ length: Int) -> [UInt8] {
        be16(40_000) + be16(port) + be16(8 + length) + [0, 0] + [UInt8](repeating: 0x5A, count: length)
    }

    static func tcp(_ port: Int, _ length: Int) -> [UInt8] {
        be16(40_001) + be16(port) + [0, 0, 0, 1, 0, 0, 0, 1, 0x50, length == 0 ? 0x10 : 0x18] + be16(64_240) + [0, 0, 0, 0]
            + [UInt8](repeating: 0x41, count: length)
    }

    /// SplitMix64, so that the captures are the same on every run.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
