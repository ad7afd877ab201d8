import Attach
import CBPF
import Foundation
import Glibc
import PacketFilter
import TestSupport
import Testing

/// Expressions compiled for `PacketSource.inetSocket`, attached to UDP and TCP sockets in a test
/// namespace: the datagrams the kernel delivers are the ones our interpreter accepts when it
/// runs on the packet as the kernel hands it over (from the transport header, with the IP
/// header, captured on the same loopback, before it), cut to the length it returns.
@Suite(.enabled(if: TestNamespace.unavailableReason == nil, "skipped: needs root and network namespaces (\(TestNamespace.unavailableReason ?? ""))"))
struct InetSocketFilterTests {
    static let port: UInt16 = 5300

    /// An AF_INET socket: IPv4 from 127.0.0.1:5353 and 10.1.2.3, payloads starting 0x00 and
    /// 0x80 from each; how many arrive is worked out by hand.
    @Test(arguments: [
        ("src net 10.0.0.0/8 and udp[8:2] & 0x8000 == 0", 1), ("udp port 53", 0), ("udp dst port 5300", 4),
        ("udp src port 5353", 2), ("ip and udp[8] == 0x80", 2), ("not src host 127.0.0.1", 2),
        ("ip[8] == 64 and ip[9] == 17", 4), ("ifindex 1", 4), ("ip6", 0), ("ip multicast or udp[4:2] > 9", 4),
        // A word load that starts in the IP header and ends in the UDP header's source port.
        ("ip[18:4] & 0xffff == 5353", 2),
    ])
    func ipv4Socket(expression: String, arrivals: Int) throws {
        #expect(try check(
            expression, receiver: SocketAddress(host: "0.0.0.0", port: Self.port),
            senders: [SocketAddress(host: "127.0.0.1", port: 5353), SocketAddress(host: "10.1.2.3", port: 0)],
            destinations: [SocketAddress(host: "127.0.0.1", port: Self.port)]).count == arrivals)
    }

    /// An AF_INET6 socket on `::`, which also receives IPv4 (as IPv4-mapped addresses): IPv6
    /// from [::1]:5353 and IPv4 from 127.0.0.1 and 10.1.2.3:5353, two payloads each.
    @Test(arguments: [
        ("src net 10.0.0.0/8 and udp[8:2] & 0x8000 == 0", 1), ("src host ::1", 2), ("ip6 and udp dst port 5300", 2),
        ("src host ::ffff:10.1.2.3", 2), ("ip6 src host ::ffff:10.1.2.3", 0), ("src net ::ffff:127.0.0.0/104", 2), ("ip6 and udp[8] == 0x80", 1),
        ("udp src port 5353", 4), ("ip6[7] == 64 and ip6[6] == 17", 2), ("dst host ::1 or dst host 127.0.0.1", 6),
        ("udp port 53", 0),
    ])
    func ipv6Socket(expression: String, arrivals: Int) throws {
        #expect(try check(
            expression, receiver: SocketAddress(host: "::", port: Self.port),
            senders: [
                SocketAddress(host: "::1", port: 5353), SocketAddress(host: "127.0.0.1", port: 0),
                SocketAddress(host: "10.1.2.3", port: 5353),
            ],
            destinations: [SocketAddress(host: "::1", port: Self.port), SocketAddress(host: "127.0.0.1", port: Self.port)]
        ).count == arrivals)
    }

    /// The filter's return value cuts the datagram: 8 bytes of UDP header are kept whatever it
    /// says, and the rest up to the length it returns.
    @Test(arguments: [UInt32(1), 10, 13])
    func snapshotLengthCutsTheDatagram(snapshotLength: UInt32) throws {
        try check(
            "udp", snapshotLength: snapshotLength, receiver: SocketAddress(host: "::", port: Self.port),
            senders: [SocketAddress(host: "::1", port: 0), SocketAddress(host: "127.0.0.1", port: 0)],
            destinations: [SocketAddress(host: "::1", port: Self.port), SocketAddress(host: "127.0.0.1", port: Self.port)])
    }

    /// Ethernet code, as a new user would attach it: `udp port 53` drops every datagram on a UDP
    /// socket, while the same expression for an inet socket lets them through.
    @Test func ethernetCodeMatchesNothingOnAUDPSocket() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let delivered = try namespace.inside { () throws -> [Int] in
            var counts = [Int]()
            for source in [PacketSource.live, .inetSocket] {
                let receiver = try TestSocket.udp(AF_INET)
                try receiver.bind(SocketAddress(host: "127.0.0.1", port: 53))
                try SocketFilter.attach(try PacketFilterCompiler(source: source).compile("udp port 53"), to: receiver.descriptor)
                let sender = try TestSocket.udp(AF_INET)
                for _ in 0..<3 { try sender.send([1, 2, 3], to: SocketAddress(host: "127.0.0.1", port: 53)) }
                counts.append(try receiver.receiveAll(milliseconds: 100).count)
            }
            return counts
        }
        #expect(delivered == [0, 3])
    }

    /// On a TCP listener the filter decides which SYNs get through: a connection is made only
    /// when the expression accepts them.
    @Test(arguments: [("ip6 and tcp dst port 80", true), ("ip6 and tcp dst port 81", false), ("tcp[13] & 2 != 0 and src host ::1", true), ("ip", false)])
    func tcpListenerAcceptsWhatTheFilterAccepts(expression: String, connects: Bool) throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let connected = try namespace.inside { () throws -> Bool in
            let listener = try TestSocket(family: AF_INET6, type: Int32(SOCK_STREAM.rawValue))
            try listener.bind(SocketAddress(host: "::1", port: 80))
            try SocketFilter.attach(try PacketFilterCompiler(source: .inetSocket).compile(expression), to: listener.descriptor)
            guard listen(listener.descriptor.rawValue, 4) == 0 else { throw SystemCallError("listen", Errno(rawValue: errno)) }
            let client = try TestSocket(family: AF_INET6, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
            let started = SocketAddress(host: "::1", port: 80).withSockaddr { connect(client.descriptor.rawValue, $0, $1) }
            guard started == 0 || errno == EINPROGRESS else { throw SystemCallError("connect", Errno(rawValue: errno)) }
            // The handshake completes at once on loopback, or not before SYN is sent again (1 s).
            var poll = pollfd(fd: client.descriptor.rawValue, events: Int16(POLLOUT), revents: 0)
            guard Glibc.poll(&poll, 1, 300) == 1 else { return false }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(client.descriptor.rawValue, SOL_SOCKET, SO_ERROR, &error, &length)
            return error == 0
        }
        #expect(connected == connects, "\(expression)")
    }

    /// `dns qname` on a resolver's socket (port 53, both families): queries for the name, in
    /// any case, arrive; other names, responses and names with a compression pointer don't.
    @Test(arguments: ["dns qname \"example.com\"", "dns qname \"*.example.com\""])
    func dnsQueryNameOnAResolverSocket(expression: String) throws {
        func query(_ labels: [String], response: Bool = false) -> [UInt8] {
            [0x12, 0x34, response ? 0x81 : 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
                + labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0, 0, 1, 0, 1]
        }
        let pointer: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3] + Array("www".utf8) + [0xc0, 12, 0, 1, 0, 1]
        let received = try check(
            expression, receiver: SocketAddress(host: "::", port: 53),
            senders: [SocketAddress(host: "::1", port: 0), SocketAddress(host: "127.0.0.1", port: 0)],
            destinations: [SocketAddress(host: "::1", port: 53), SocketAddress(host: "127.0.0.1", port: 53)],
            bodies: [
                query(["example", "com"]), query(["A", "Example", "COM"]), query(["example", "org"]),
                query(["example", "com"], response: true), pointer,
            ])
        // `*.` means one or more labels in front: the domain itself is not among them.
        let expected = expression.contains("*") ? query(["A", "Example", "COM"]) : query(["example", "com"])
        #expect(received.map { Array($0.dropLast()) } == [expected, expected])
    }

    /// Sends two payloads from each sender to each destination of its family, and checks each
    /// datagram against our interpreter run on the packet as captured on the loopback.
    @discardableResult
    func check(
        _ expression: String, snapshotLength: UInt32 = PacketFilterCompiler.defaultSnapshotLength,
        receiver bound: SocketAddress, senders: [SocketAddress], destinations: [SocketAddress],
        bodies: [[UInt8]] = [[0x00, 0x01, 0x02, 0x03, 0x04], [0x80, 0x01, 0x02, 0x03, 0x04]]
    ) throws -> [[UInt8]] {
        let program = try PacketFilterCompiler(snapshotLength: snapshotLength, source: .inetSocket).compile(expression)
        let interpreter = try Interpreter(program)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        try namespace.run("ip", "address", "add", "10.1.2.3/8", "dev", "lo")
        // Each datagram's last byte is its tag, after the body that `udp[8...]` reads.
        var sent = [[UInt8]]()  // payloads, in order; a payload's tag is its index
        let (received, frames) = try namespace.inside { () throws -> ([[UInt8]], [[UInt8]]) in
            let capture = try TestSocket.packetCapture(interface: "lo")
            let socket = try TestSocket.udp(bound.family)
            try socket.bind(bound)
            try SocketFilter.attach(program, to: socket.descriptor)
            for source in senders {
                let sender = try TestSocket.udp(source.family)
                try sender.bind(source)
                for destination in destinations where destination.family == source.family {
                    for body in bodies {
                        sent.append(body + [UInt8(sent.count)])
                        try sender.send(sent.last!, to: destination)
                    }
                }
            }
            return (try socket.receiveAll(milliseconds: 100), try capture.receiveAll(milliseconds: 100))
        }
        // Loopback shows each datagram twice, going out and coming in, with the same bytes.
        var verdicts = [UInt8: UInt32]()
        for frame in frames {
            guard let view = LoopbackDatagram(frame), let tag = view.transport.last, Int(tag) < sent.count,
                view.transport.count == 8 + sent[Int(tag)].count, verdicts[tag] == nil
            else { continue }
            var metadata = PacketMetadata()
            metadata.protocol = view.etherType
            metadata.device = PacketMetadata.Device(index: 1, hardwareType: 772)  // lo, ARPHRD_LOOPBACK
            metadata.bytesBeforePacket = Array(frame[..<view.transportStart])
            metadata.networkHeaderOffset = 14 - view.transportStart
            verdicts[tag] = interpreter.run(packet: view.transport, metadata: metadata)
        }
        #expect(verdicts.count == sent.count, "\(expression): captured \(verdicts.count) of \(sent.count) datagrams")
        // The kernel keeps at least the UDP header (sk_filter_trim_cap's cap) and at most the
        // datagram; the socket reads what follows the header. Loopback keeps the order.
        let expected = sent.enumerated().compactMap { index, payload -> [UInt8]? in
            guard let verdict = verdicts[UInt8(index)], verdict != 0 else { return nil }
            return Array(payload.prefix(max(8, Int(verdict)) - 8))
        }
        #expect(received == expected, "\(expression): the kernel delivered \(received), the interpreter's verdicts \(verdicts.sorted { $0.key < $1.key }.map(\.value)) say \(expected)")
        print("[inet socket] \(bound) \(expression): \(received.count) of \(sent.count) delivered, as the interpreter says")
        return received
    }
}

/// A UDP datagram in a loopback frame (zeroed Ethernet header, IPv4 or IPv6 without extension
/// headers).
struct LoopbackDatagram {
    var etherType: UInt16
    var transportStart: Int
    var transport: [UInt8]

    init?(_ frame: [UInt8]) {
        guard frame.count >= 14 + 20 + 8 else { return nil }
        etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
        switch etherType {
        case 0x0800 where frame[14 + 9] == 17: transportStart = 14 + Int(frame[14] & 0x0f) * 4
        case 0x86dd where frame.count >= 14 + 40 + 8 && frame[14 + 6] == 17: transportStart = 14 + 40
        default: return nil
        }
        transport = Array(frame[transportStart...])
    }
}

/// What the compiler refuses for an inet socket, without a kernel: each primitive that needs a
/// link layer or a protocol other than IP, by name.
@Suite struct InetSocketCompileTests {
    @Test(arguments: [
        ("ether host 1:2:3:4:5:6", "'ether host' needs a link-layer header"),
        ("ether dst 1:2:3:4:5:6", "'ether host' needs a link-layer header"),
        ("ether proto 0x800", "'ether proto' needs a link-layer header"),
        ("ether broadcast", "'ether broadcast' needs a link-layer header"),
        ("multicast", "'ether multicast' needs a link-layer header"),
        ("ether[0] == 1", "'ether[...]' needs a link-layer header"),
        ("vlan 10", "'vlan' needs a link-layer header"), ("mpls", "'mpls' needs a link-layer header"),
        ("pppoes", "'pppoes' needs a link-layer header"), ("pppoed", "'pppoed' needs a link-layer header"),
        ("llc", "'llc' needs a link-layer header"), ("wlan type mgt", "'wlan type' needs a link-layer header"),
        ("arp", "'arp' cannot match on an inet socket"), ("rarp host 1.2.3.4", "'rarp' cannot match"),
        ("decnet host 1.2", "'decnet' cannot match"), ("stp", "'stp' cannot match"), ("iso", "'iso' cannot match"),
        ("arp[6:2] == 1", "'arp' cannot match"), ("len > 100", "'len' is refused on an inet socket"),
        ("less 100", "'less' is refused"), ("greater 100", "'greater' is refused"),
        ("inbound", "'inbound' cannot apply"), ("outbound", "'outbound' cannot apply"),
        ("geneve", "'geneve' is not supported on an inet socket"), ("vxlan 5", "'vxlan' is not supported"),
        ("ip protochain 17", "'protochain' is not supported on an inet socket"),
    ])
    func linkLayerPrimitivesAreRefusedByName(expression: String, message: String) {
        #expect {
            _ = try PacketFilterCompiler(source: .inetSocket).compile(expression)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    /// IPv4 `host` tests no ARP or RARP there (they cannot be), and the link type is not used.
    @Test func hostIsIPOnlyAndTheLinkTypeIsIgnored() throws {
        let host = try PacketFilterCompiler(source: .inetSocket).compile("host 10.1.2.3")
        #expect(host == (try PacketFilterCompiler(source: .inetSocket).compile("ip host 10.1.2.3")))
        #expect(host == (try PacketFilterCompiler(linkType: .linuxSLL2, source: .inetSocket).compile("host 10.1.2.3")))
        #expect(throws: FilterSyntaxError.self) {
            try PacketFilterCompiler(source: .inetSocket, attachTarget: .iptables).compile("udp")
        }
    }

    /// A header-relative load may start in the bytes before the packet and end inside it, as
    /// the kernel allows from `skb->head`, and fails where neither has the bytes.
    @Test func interpreterLoadsAcrossThePacketStart() throws {
        var metadata = PacketMetadata()
        metadata.bytesBeforePacket = [0x45, 0x00, 0xab, 0xcd]
        metadata.networkHeaderOffset = -4
        let packet: [UInt8] = [0x12, 0x34]
        func load(_ offset: UInt32, _ size: LoadSize) throws -> UInt32 {
            try Interpreter(Program([.loadAbsolute(size, offset: SpecialOffset.network + offset), .returnA])).run(packet: packet, metadata: metadata)
        }
        #expect(try load(2, .word) == 0xabcd_1234)
        #expect(try load(0, .byte) == 0x45)
        #expect(try load(4, .halfword) == 0x1234)
        #expect(try load(3, .word) == 0)  // runs past the packet's end
        metadata.networkHeaderOffset = -5
        #expect(try load(0, .byte) == 0)  // starts before the bytes there are
        // Indirect loads at negative offsets take the same path.
        metadata.networkHeaderOffset = -4
        let indirect = try Interpreter(Program([.loadImmediate(.x, 2), .loadIndirect(.word, offset: SpecialOffset.network), .returnA]))
        #expect(indirect.run(packet: packet, metadata: metadata) == 0xabcd_1234)
    }
}
