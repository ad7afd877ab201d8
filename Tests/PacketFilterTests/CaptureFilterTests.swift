import CBPF
import Foundation
import PacketFilter
import Testing

// tcpdump's compiled filters run by our interpreter over packets read by our reader pick the
// same packets as tcpdump -r itself: `cbpf filter` end to end, short of the command line.

@Suite struct CaptureFilterTests {
    static let files = [
        "tcpdump-tests/afs.pcap", "tcpdump-tests/of13_ericsson.pcapng", "tcpdump-tests/pim-packet-assortment.pcap",
        "tcpdump-tests/forces3.pcap", "tcpdump-tests/various_gre.pcap", "tcpdump-tests/mptcp-v0.pcap",
        "tcpdump-tests/ieee802.11_exthdr.pcap", "libpcap-filter-tests/vrrp.pcap",
    ]
    static let expressions = [
        "tcp", "udp port 53 or icmp", "ip6", "len > 200", "ip[2:2] > 600", "tcp[tcpflags] & tcp-syn != 0",
        "ether[100] = 0",
    ]

    static var isAvailable: Bool { CaptureCorpus.isPresent && CaptureTcpdump.executable != nil }

    /// The 1-based numbers of the packets `tcpdump -r path expression` keeps, found by matching
    /// what it writes with -w against the file's packets in order.
    static func tcpdumpNumbers(_ path: String, _ expression: String, _ packets: [CapturedPacket]) throws -> [Int]? {
        guard let run = CaptureTcpdump.run(["-r", path, "-w", "-", "--", expression]), run.status == 0 else {
            return nil
        }
        let kept = try CaptureReader(bytes: [UInt8](run.output)).packets()
        var numbers = [Int]()
        var index = 0
        for packet in kept {
            // tcpdump -w writes microseconds.
            while index < packets.count && !(packets[index].data == packet.data
                && packets[index].originalLength == packet.originalLength
                && packets[index].timestamp.seconds == packet.timestamp.seconds
                && packets[index].timestamp.nanoseconds / 1000 == packet.timestamp.nanoseconds / 1000)
            {
                index += 1
            }
            guard index < packets.count else { return nil }
            numbers.append(index + 1)
            index += 1
        }
        return numbers
    }

    @Test(.enabled(if: isAvailable, "skipped: needs the shared corpus and tcpdump"))
    func tcpdumpProgramsPickTheSamePacketsAsTcpdump() throws {
        var runs = 0
        var accepted = 0
        for name in Self.files {
            let path = CaptureCorpus.directory.appendingPathComponent(name).path
            let packets = try CaptureReader(path: path).packets()
            for expression in Self.expressions {
                // tcpdump compiles for the file's link type; some expressions do not apply to it.
                guard let listing = CaptureTcpdump.run(["-ddd", "-r", path, "--", expression]), listing.status == 0
                else { continue }
                let program = try Program(raw: TcpdumpFormat.parse(String(decoding: listing.output, as: UTF8.self)))
                let interpreter = try Interpreter(program, for: .socket)
                let ours = packets.indices.filter {
                    interpreter.run(packet: packets[$0].data, wireLength: packets[$0].originalLength) != 0
                }.map { $0 + 1 }
                let theirs = try #require(try Self.tcpdumpNumbers(path, expression, packets), "\(name) \(expression)")
                #expect(ours == theirs, "\(name): \(expression)")
                runs += 1
                accepted += ours.count
            }
        }
        print("capture filter: \(runs) tcpdump programs over \(Self.files.count) files agree with tcpdump -r "
            + "(\(accepted) packets accepted)")
        #expect(runs >= Self.files.count * 3)
    }
}
