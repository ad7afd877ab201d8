import Attach
import CBPF
import CLinuxShims
import Foundation
import Glibc
import PacketFilter
import Testing

/// Expressions compiled for `PacketSource.inetSocket`, attached to UDP and TCP sockets in a test
/// namespace: the datagrams the kernel delivers are the ones our interpreter accepts when it
/// runs on the packet as the kernel hands it over (from the transport header, with the IP
/// header, captured on the same loopback, before it), cut to the length it returns.
@Suite(.enabled(if: TestNamespace.unavailableReason == nil, "skipped: needs root and network namespaces (\(TestNamespace.unavailableReason ?? ""))"))
struct InetSocketFilterTests {
    static let port: UInt16 = 5300

    /// An AF_INET socket: IPv4 from a 127/8 and a 10/8 source, two payloads each.
    @Test(arguments: [
        "src net 10.0.0.0/8 and udp[8:2] & 0x8000 == 0", "udp port 53", "udp dst port 5300", "udp src port 5353",
        "ip and udp[8] == 0x80", "not src host 127.0.0.1", "ip[8] == 64 and ip[9] == 17", "ifindex 1", "ip6",
        "ip multicast or udp[4:2] > 9",
    ])
    func ipv4Socket(expression: String) throws {
        try check(
            expression, receiver: SocketAddress(host: "0.0.0.0", port: Self.port),
            senders: [SocketAddress(host: "127.0.0.1", port: 5353), SocketAddress(host: "10.1.2.3", port: 0)],
            destinations: [SocketAddress(host: "127.0.0.1", port: Self.port)])
    }

    /// An AF_INET6 socket on `::`, which also receives IPv4 (as IPv4-mapped addresses): IPv6
    /// from ::1 and IPv4 from 127.0.0.1 and 10.1.2.3.
    @Test(arguments: [
        "src net 10.0.0.0/8 and udp[8:2] & 0x8000 == 0", "src host ::1", "ip6 and udp dst port 5300",
        "src host ::ffff:10.1.2.3", "src net ::ffff:127.0.0.0/104", "ip6 and udp[8] == 0x80", "udp src port 5353",
        "ip6[7] == 64 and ip6[6] == 17", "dst host ::1 or dst host 127.0.0.1", "udp port 53",
    ])
    func ipv6Socket(expression: String) throws {
        try check(
            expression, receiver: SocketAddress(host: "::", port: Self.port),
            senders: [
                SocketAddress(host: "::1", port: 5353), SocketAddress(host: "127.0.0.1", port: 0),
                SocketAddress(host: "10.1.2.3", port: 5353),
            ],
            destinations: [SocketAddress(host: "::1", port: Self.port), SocketAddress(host: "127.0.0.1", port: Self.port)])
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

    /// Sends two payloads from each sender to each destination of its family, and checks each
    /// datagram against our interpreter run on the packet as captured on the loopback.
    func check(
        _ expression: String, snapshotLength: UInt32 = PacketFilterCompiler.defaultSnapshotLength,
        receiver bound: SocketAddress, senders: [SocketAddress], destinations: [SocketAddress]
    ) throws {
        let program = try PacketFilterCompiler(snapshotLength: snapshotLength, source: .inetSocket).compile(expression)
        let interpreter = try Interpreter(program)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        try namespace.run("ip", "address", "add", "10.1.2.3/8", "dev", "lo")
        // Each datagram's last byte is its tag; the first two bytes are what `udp[8...]` reads.
        let bodies: [[UInt8]] = [[0x00, 0x01, 0x02, 0x03, 0x04], [0x80, 0x01, 0x02, 0x03, 0x04]]
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
