import Foundation
import PacketFilter
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Why `cbpf capture` cannot be tested against tcpdump here, or nil.
let captureUnavailableReason: String? = {
    guard CLI.isAvailable else { return "the cbpf executable was not found" }
    guard Paths.tcpdump != nil else { return "tcpdump is missing" }
    guard Paths.python3 != nil else { return "python3 is missing (it sends the traffic)" }
    return CaptureNamespaces.unavailableReason
}()

/// `cbpf capture` and tcpdump capture the same veth at the same time, with the same expression,
/// while known traffic crosses it; the files, the counts and the summary lines must agree.
@Suite(.serialized, .enabled(if: captureUnavailableReason == nil, "skipped: \(captureUnavailableReason ?? "")"))
struct CaptureCommandTests {
    /// 50 UDP datagrams over IPv4, 10 over IPv6, 5 echo requests and their 5 replies: 70
    /// frames. The ICMP port-unreachable errors that the far side sends back (rate-limited, so
    /// not a fixed number) are left out by the expression.
    static let expression = "udp port 5555 or icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply"
    static let expectedCount = 70

    static let traffic = """
        import socket, struct, time
        v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        # Resolve the neighbours first, so that no datagram waits in (or falls out of) their queues.
        v4.sendto(b"warm", ("10.203.0.2", 5556)); v6.sendto(b"warm", ("fd77::2", 5556)); time.sleep(0.5)
        for i in range(50):
            v4.sendto(b"datagram %d " % i + b"x" * (i * 20), ("10.203.0.2", 5555))
        for i in range(10):
            v6.sendto(b"six %d" % i, ("fd77::2", 5555))
        def checksum(data):
            total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
            total = (total >> 16) + (total & 0xFFFF); total += total >> 16
            return ~total & 0xFFFF
        icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        for sequence in range(1, 6):
            payload = b"cbpf" * 14
            header = struct.pack("!BBHHH", 8, 0, 0, 0x4321, sequence)
            message = struct.pack("!BBHHH", 8, 0, checksum(header + payload), 0x4321, sequence) + payload
            icmp.sendto(message, ("10.203.0.2", 0))
            time.sleep(0.02)
        time.sleep(0.3)
        """

    @Test func cbpfCaptureAndTcpdumpHoldTheSamePackets() throws {
        let namespaces = try CaptureNamespaces()
        defer { namespaces.delete() }
        let directory = try TemporaryDirectory(prefix: "cbpf-capture")
        let cbpfPcap = directory.url.appendingPathComponent("cbpf.pcap").path
        let cbpfPcapng = directory.url.appendingPathComponent("cbpf.pcapng").path
        let tcpdumpPcap = directory.url.appendingPathComponent("tcpdump.pcap").path
        let cbpf = try #require(CLI.executablePath)

        let tcpdump = try BackgroundProcess(in: namespaces.near, [
            Paths.tcpdump!, "-i", "va", "-n", "-Z", "root", "--time-stamp-precision=nano", "-w", tcpdumpPcap,
            Self.expression,
        ])
        let writer = try BackgroundProcess(in: namespaces.near, [cbpf, "capture", "-i", "va", "-w", cbpfPcap, Self.expression])
        let pcapngWriter = try BackgroundProcess(
            in: namespaces.near, [cbpf, "capture", "-i", "va", "-w", cbpfPcapng, "--pcapng", Self.expression])
        let printer = try BackgroundProcess(
            in: namespaces.near, [cbpf, "capture", "-i", "va", "-c", String(Self.expectedCount), Self.expression])
        for capture in [tcpdump, writer, pcapngWriter, printer] {
            try #require(capture.waitForError(containing: "listening on"), "\(capture.name) did not start: \(capture.standardError)")
        }

        let script = try directory.write("traffic.py", Self.traffic)
        let sender = try ProcessRun.run("/usr/sbin/ip", ["netns", "exec", namespaces.near, Paths.python3!, script], timeout: 30)
        try #require(sender.succeeded, "\(sender)")

        // The printer stops by itself after -c packets.
        #expect(printer.waitForExit(timeout: 10) == 0, "\(printer.standardError)")
        // tcpdump reads its ring when a block's 1 s timeout passes: let it, then stop everyone.
        usleep(1_500_000)
        #expect(tcpdump.stop(with: SIGINT) == 0, "\(tcpdump.standardError)")
        #expect(writer.stop(with: SIGINT) == 0, "\(writer.standardError)")
        #expect(pcapngWriter.stop(with: SIGTERM) == 0, "\(pcapngWriter.standardError)")

        // The same packets, in the same order, with the same bytes and lengths, and timestamps
        // within a millisecond.
        let reference = try CaptureReader(path: tcpdumpPcap).packets()
        #expect(reference.count == Self.expectedCount)
        for path in [cbpfPcap, cbpfPcapng] {
            let ours = try CaptureReader(path: path).packets()
            #expect(ours.count == reference.count, "\(path)")
            #expect(ours.map(\.data) == reference.map(\.data), "\(path)")
            #expect(ours.map(\.originalLength) == reference.map(\.originalLength), "\(path)")
            for (packet, expected) in zip(ours, reference) {
                let difference = (packet.timestamp.seconds - expected.timestamp.seconds) * 1_000_000_000
                    + Int64(packet.timestamp.nanoseconds) - Int64(expected.timestamp.nanoseconds)
                #expect(abs(difference) < 1_000_000, "\(packet.timestamp) against tcpdump's \(expected.timestamp)")
            }
            // tcpdump reads our file as it reads its own.
            let printed = try ProcessRun.run(Paths.tcpdump!, ["-r", path, "-n"])
            #expect(printed.succeeded && printed.standardOutput.split(separator: "\n").count == Self.expectedCount,
                    "\(printed)")
        }

        // The counts at the end, as tcpdump prints them.
        let expectedCounts = "\(Self.expectedCount) packets captured\n\(Self.expectedCount) packets received by filter\n"
            + "0 packets dropped by kernel"
        #expect(Self.counts(tcpdump.standardError) == expectedCounts, "\(tcpdump.standardError)")
        for capture in [writer, pcapngWriter] {
            #expect(Self.counts(capture.standardError) == expectedCounts, "\(capture.standardError)")
        }
        #expect(Self.counts(printer.standardError)?.hasPrefix("\(Self.expectedCount) packets captured\n") == true)

        // One line per packet, as tcpdump -n prints the same packets.
        let tcpdumpLines = try ProcessRun.run(Paths.tcpdump!, ["-r", tcpdumpPcap, "-n"]).standardOutput.split(separator: "\n")
        let ourLines = printer.standardOutput.split(separator: "\n")
        #expect(ourLines.count == Self.expectedCount)
        for (ours, theirs) in zip(ourLines, tcpdumpLines) {
            #expect(ours == theirs)
        }
        // What was sent, and nothing else.
        #expect(ourLines.filter { $0.contains(" IP 10.203.0.1.") && $0.contains(".5555: UDP, length ") }.count == 50)
        #expect(ourLines.filter { $0.contains(" IP6 fd77::1.") && $0.contains("fd77::2.5555: UDP, length ") }.count == 10)
        #expect(ourLines.filter { $0.contains(" IP 10.203.0.1 > 10.203.0.2: ICMP echo request, id 17185, seq ") }.count == 5)
        #expect(ourLines.filter { $0.contains(" IP 10.203.0.2 > 10.203.0.1: ICMP echo reply, id 17185, seq ") }.count == 5)
        print("[cbpf capture] \(reference.count) packets in tcpdump's file and in ours; "
              + "first line: \(ourLines.first ?? ""); last: \(ourLines.last ?? "")")
    }

    /// Without CAP_NET_RAW (run as nobody through setpriv), the error says what is missing.
    @Test(.enabled(if: Paths.tool("setpriv") != nil, "skipped: setpriv is missing"))
    func withoutCapNetRawTheErrorSaysSo() throws {
        let run = try ProcessRun.run(
            Paths.tool("setpriv")!,
            ["--reuid=65534", "--regid=65534", "--clear-groups", try #require(CLI.executablePath), "capture", "-i", "lo", "udp"])
        #expect(run.exitStatus == 1 && run.standardOutputBytes.isEmpty, "\(run)")
        #expect(run.standardError.contains(
            "capturing on lo needs CAP_NET_RAW (run as root): socket(AF_PACKET, SOCK_RAW): Operation not permitted"), "\(run)")
    }

    /// The last three lines of standard error: tcpdump's counts.
    static func counts(_ standardError: String) -> String? {
        let lines = standardError.split(separator: "\n")
        guard lines.count >= 3 else { return nil }
        return lines.suffix(3).joined(separator: "\n")
    }

    @Test func errorsSayWhatIsWrong() throws {
        try CLI.fail(["capture", "-i", "no-such-if0", "udp"], mentioning: ["no such interface", "no-such-if0"])
        try CLI.fail(["capture", "-i", "lo", "udp", "port"], mentioning: ["filter expression", "udp port"])
        try CLI.fail(["capture", "-i", "lo", "-c", "0", "udp"], mentioning: ["-c", "positive"])
        try CLI.fail(["capture", "-i", "lo", "--pcapng", "udp"], mentioning: ["--pcapng needs -w"])
        try CLI.fail(["capture", "-i", "lo", "-w", "/nonexistent/dir/x.pcap", "udp"], mentioning: ["-w", "/nonexistent/dir/x.pcap"])
    }
}
