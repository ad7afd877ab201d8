import Foundation
import TestSupport
import Testing

/// `cbpf compile --linktype` and `cbpf filter` on the point-to-point link types (PPP,
/// PPP_SERIAL, PPP_ETHER, C_HDLC, SLIP, FRELAY), against `tcpdump -y NAME -ddd` and
/// `tcpdump -r`, with both programs run by the kernel.
@Suite("cbpf on point-to-point link types")
struct PointToPointCommandTests {
    static let linkTypes = ["PPP", "PPP_SERIAL", "PPP_ETHER", "C_HDLC", "SLIP", "FRELAY"]

    static let expressions = [
        "ip", "ip6", "tcp port 80", "udp port 53", "mpls", "mpls 100 and ip", "pppoes 3 and ip", "iso", "isis", "l1",
        "clnp", "stp", "ipx", "outbound", "link[2:2] = 0x21", "vlan", "llc", "ether host 1:2:3:4:5:6",
    ]

    /// A frame of each link type for each of IPv4/TCP to port 80, MPLS label 100 over IPv4,
    /// IS-IS level 1 and a PPPoE session 3 over IPv4 (where the link type can carry it).
    static func frames(_ linkType: String) -> [[UInt8]] {
        let tcp: [UInt8] = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 1, 2, 3, 4]
            + [0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0]
        let mpls: [UInt8] = [0x00, 0x06, 0x41, 0x40] + tcp
        let isis: [UInt8] = [0x83, 0x1b, 0x01, 0x00, 0x12, 0x01, 0x00, 0x00] + [UInt8](repeating: 0x11, count: 12)
        let pppoe: [UInt8] = [0x11, 0x00, 0x00, 0x03, 0x00, UInt8(2 + tcp.count), 0x00, 0x21] + tcp
        switch linkType {
        case "PPP", "PPP_SERIAL":
            return [[0xff, 0x03, 0x00, 0x21] + tcp, [0xff, 0x03, 0x02, 0x81] + mpls, [0xff, 0x03, 0x00, 0x23] + isis,
                    [0xff, 0x03, 0x88, 0x64] + pppoe]
        case "PPP_ETHER":
            return [[0x00, 0x21] + tcp, [0x02, 0x81] + mpls, [0x00, 0x23] + isis].map {
                [0x11, 0x00, 0x00, 0x03, 0x00, UInt8($0.count)] + $0
            }
        case "C_HDLC":
            return [[0x0f, 0x00, 0x08, 0x00] + tcp, [0x0f, 0x00, 0x88, 0x47] + mpls, [0x8f, 0x00, 0xfe, 0xfe, 0x00] + isis,
                    [0x0f, 0x00, 0x88, 0x64] + pppoe]
        case "SLIP":
            // Received and sent, and once a first byte that reads as IPv4's version.
            return [0, 1, 0x45].map { [$0] + [UInt8](repeating: 0, count: 15) + tcp }
        default:
            return [[0x18, 0x41, 0x03, 0xcc] + tcp, [0x18, 0x41, 0x03] + isis]
        }
    }

    /// tcpdump and cbpf compile the same expressions and refuse the same; where both compile,
    /// ours is no longer, and the kernel delivers the same bytes of each frame (whole, cut short,
    /// and with a byte changed) through both programs.
    @Test(.enabled(if: Paths.tcpdump != nil, "skipped: needs tcpdump"), arguments: linkTypes)
    func compileAsTcpdumpAndDeliverAsItsProgram(_ linkType: String) throws {
        let tcpdump = try #require(Paths.tcpdump)
        var (compiled, refused, deliveries, accepted) = (0, 0, 0, 0)
        for expression in Self.expressions {
            let ours = try CLI.run(["compile", "-ddd", "--linktype", linkType, expression])
            let reference = try #require(runTool(tcpdump, ["-y", linkType, "-ddd", expression]))
            guard ours.succeeded, reference.status == 0 else {
                #expect(!ours.succeeded && reference.status != 0, "\(linkType) \"\(expression)\": \(ours) / tcpdump: \(reference.error)")
                refused += 1
                continue
            }
            compiled += 1
            let program = try #require(SockFilter.parse(ours.standardOutput.split(separator: "\n").joined(separator: ",")))
            let theirs = try #require(SockFilter.parse(reference.output.split(separator: "\n").joined(separator: ",")))
            #expect(program.count <= theirs.count, "\(linkType) \"\(expression)\": ours \(program.count), tcpdump's \(theirs.count)")
            for frame in Self.frames(linkType) {
                var variants = [frame, Array(frame.prefix(frame.count / 2)), Array(frame.prefix(3))]
                for index in stride(from: 0, to: frame.count, by: 7) {
                    var changed = frame
                    changed[index] ^= 0x01
                    variants.append(changed)
                }
                for packet in variants {
                    let expected = KernelSocket.delivered(theirs, packet: packet)
                    let delivered = KernelSocket.delivered(program, packet: packet)
                    #expect(delivered != nil && delivered == expected, "\(linkType) \"\(expression)\" on \(packet)")
                    deliveries += 1
                    if delivered ?? 0 > 0 { accepted += 1 }
                }
            }
        }
        print("[cbpf \(linkType)] \(compiled) expressions compiled by both, \(refused) refused by both; "
            + "\(deliveries) kernel deliveries through both programs, \(accepted) delivered")
        #expect(compiled > 5 && accepted > 0)
    }

    /// The corpus captures of one link type each: `cbpf filter -r --count` counts what
    /// `tcpdump -r --count` counts, or both refuse the expression.
    @Test(.enabled(if: Paths.tcpdump != nil, "skipped: needs tcpdump"))
    func filterCountsWhatTcpdumpCounts() throws {
        let captures = PacketFilterCommandTests.corpusCaptures([
            "mpls-traceroute.pcap", "ppp_ip_udp_dns.pcap", "ISIS_p2p_adjacency.pcap", "slip-bad-direction.pcap",
            "OSPFv3_NBMA_adjacencies.pcap", "isis_sysid_asan.pcap",
        ])
        guard !captures.isEmpty else {
            print("[cbpf filter] skipped: the shared corpus is absent")
            return
        }
        let tcpdump = try #require(Paths.tcpdump)
        var runs = 0
        for capture in captures {
            for expression in ["ip", "ip6", "mpls", "udp", "isis", "l1 or l2", "outbound", "not ip"] {
                let ours = try CLI.run(["filter", "-r", capture, "--count", expression])
                let reference = try #require(runTool(tcpdump, ["-r", capture, "--count", expression]))
                guard ours.succeeded, reference.status == 0 else {
                    #expect(!ours.succeeded && reference.status != 0, "\(capture) \"\(expression)\": \(ours) / \(reference.error)")
                    continue
                }
                runs += 1
                let count = reference.output.split(separator: " ").first.map(String.init)
                #expect(ours.trimmedOutput == count, "\(capture) \"\(expression)\": tcpdump \(reference.output)")
            }
        }
        print("[cbpf filter] \(captures.count) captures, \(runs) (capture, expression) counts equal to tcpdump's")
        #expect(runs > 0)
    }

    @Test func helpListsTheLinkTypes() throws {
        let help = try CLI.succeed(["compile", "--help"]).standardOutput.replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        for name in Self.linkTypes {
            #expect(help.contains(name), "\(name) not in: \(help)")
        }
    }
}
