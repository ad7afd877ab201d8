import Attach
import CBPF
import Foundation
import Glibc
import PacketFilter
import TestSupport
import Testing

/// Expressions compiled for a live capture filter an AF_PACKET socket on the loopback interface:
/// the frames the kernel queues must be the ones our interpreter accepts. On loopback each
/// datagram passes twice, once outgoing and once incoming, which `inbound` and `outbound` (the
/// kernel's packet type) tell apart.
// Serialized: both tests send to the same ports and would see each other's datagrams.
@Suite(.serialized, .enabled(if: geteuid() == 0, "skipped: an AF_PACKET socket needs CAP_NET_RAW (run as root)"))
struct PacketCaptureTests {
    /// Datagrams to 127.0.0.1: destination port and payload. The ports are unusual, so that the
    /// filters below let through no other loopback traffic.
    static let datagrams: [(port: UInt16, payload: String)] = [
        (47001, "hi"), (47001, "hello world"), (47002, "hi"), (47003, "hi"),
    ]

    static let expressions = [
        "inbound and udp dst port 47001", "outbound and udp dst port 47001",
        "udp dst portrange 47000-47009 and udp[8] == 0x68",
        "inbound and udp dst portrange 47000-47009 and len >= 53",
        "inbound and udp and dst portrange 47000-47009 and not port 47002",
    ]

    @Test func capturedFramesAreTheOnesTheInterpreterAccepts() throws {
        for expression in Self.expressions {
            let program = try PacketFilterCompiler().compile(expression)
            var capture = try PacketCaptureSocket(interface: "lo", filter: program)
            try Self.send(Self.datagrams)
            var captured = [PacketCaptureSocket.CopiedFrame]()
            while let frame = try capture.receive(timeout: .milliseconds(500)), captured.count < 100 {
                captured.append(frame)
            }
            let interpreter = try Interpreter(program)
            var expected = 0
            for datagram in Self.datagrams {
                let frame = Self.loopbackFrame(port: datagram.port, payload: Array(datagram.payload.utf8))
                for packetType: UInt8 in [0, 4] {  // PACKET_HOST, PACKET_OUTGOING
                    var metadata = PacketMetadata()
                    (metadata.packetType, metadata.protocol, metadata.networkHeaderOffset) = (packetType, 0x0800, 14)
                    if interpreter.run(packet: frame, metadata: metadata) != 0 { expected += 1 }
                }
            }
            #expect(captured.count == expected, "\(expression): the kernel queued \(captured.count) frames, ours \(expected)")
            for frame in captured {
                // The filter returns the snapshot length, more than any frame here: frames come whole.
                #expect(frame.bytes.count == 14 + 20 + 8 + Int(frame.bytes[14 + 20 + 4]) * 256 + Int(frame.bytes[14 + 20 + 5]) - 8)
            }
            print("[AF_PACKET] \(expression): the kernel queued \(captured.count) of \(2 * Self.datagrams.count), ours \(expected)")
        }
    }

    /// The filter's return value is the snapshot length: the kernel cuts frames to it.
    @Test func framesAreCutToTheSnapshotLength() throws {
        let program = try PacketFilterCompiler(snapshotLength: 40).compile("inbound and udp dst port 47001")
        var capture = try PacketCaptureSocket(interface: "lo", filter: program)
        try Self.send(Self.datagrams)
        var lengths = [Int]()
        while let frame = try capture.receive(timeout: .milliseconds(500)), lengths.count < 100 {
            lengths.append(frame.bytes.count)
        }
        #expect(lengths == [40, 40])
    }

    /// Each frame comes with what the ring's header says of it: the original and captured
    /// lengths, a timestamp in nanoseconds, the interface and the protocol; and the kernel's
    /// counters count the frames the filter accepted.
    @Test func framesCarryTheirLengthsTimestampAndInterface() throws {
        let program = try PacketFilterCompiler(snapshotLength: 50).compile("inbound and udp dst port 47001")
        var capture = try PacketCaptureSocket(interface: "lo", filter: program)
        let before = Self.now()
        try Self.send(Self.datagrams)
        var frames = [PacketCaptureSocket.CopiedFrame]()
        while frames.count < 100, try capture.receive(timeout: .milliseconds(500), { frames.append($0.copy) }) > 0 {}
        let after = Self.now()
        // "hi" makes a 44-byte frame; "hello world" a 53-byte one, cut to the snapshot length.
        #expect(frames.map(\.bytes.count) == [44, 50])
        #expect(frames.map(\.originalLength) == [44, 53])
        for frame in frames {
            let time = Double(frame.seconds) + Double(frame.nanoseconds) / 1e9
            #expect(frame.nanoseconds < 1_000_000_000 && time >= before - 0.001 && time <= after + 0.001)
            #expect(frame.interfaceIndex == Int32(if_nametoindex("lo")) && frame.protocol == 0x0800)
            #expect(frame.packetType == 0)  // PACKET_HOST
        }
        let statistics = try capture.statistics()
        #expect(statistics == PacketCaptureSocket.Statistics(packets: 2, drops: 0, freezes: 0))
    }

    /// A ring too small for what arrives fills up: the kernel drops frames and counts them, and
    /// every frame the filter accepted is either in the ring or counted as dropped.
    @Test func aFullRingDropsFramesAndTheKernelCountsThem() throws {
        let program = try PacketFilterCompiler().compile("udp dst port 47004")
        var capture = try PacketCaptureSocket(
            interface: "lo", filter: program,
            ring: .init(blockSize: Int(sysconf(Int32(_SC_PAGESIZE))), blockCount: 2, blockTimeout: .milliseconds(10)))
        let sent = 300
        try Self.send(Array(repeating: (47004, String(repeating: "x", count: 100)), count: sent))
        var received = 0
        while received < 10 * sent, try capture.receive(timeout: .milliseconds(300), { _ in received += 1 }) > 0 {}
        let statistics = try capture.statistics()
        // On loopback every datagram passes twice: outgoing and incoming.
        #expect(statistics.packets == UInt64(2 * sent))
        #expect(statistics.drops > 0 && statistics.freezes > 0)
        #expect(UInt64(received) + statistics.drops == statistics.packets)
        print("[TPACKET_V3] 2 pages of ring: \(received) frames delivered, \(statistics.drops) dropped, "
              + "\(statistics.freezes) freezes, of \(statistics.packets)")
        // Counters add up across calls, as tcpdump's do.
        #expect(try capture.statistics() == statistics)
    }

    /// A ring the kernel cannot have is refused before anything is opened, saying why.
    @Test func aRingOfOddBlocksIsRefused() throws {
        let program = try PacketFilterCompiler().compile("udp")
        #expect {
            _ = try PacketCaptureSocket(interface: "lo", filter: program, ring: .init(blockSize: 5000, blockCount: 2))
        } throws: { error in
            "\(error)".contains("PACKET_RX_RING") && "\(error)".contains("power of two")
        }
        #expect {
            _ = try PacketCaptureSocket(interface: "no-such-if0", filter: program)
        } throws: { error in
            "\(error)" == "if_nametoindex(\"no-such-if0\"): No such device"
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Sends each datagram from an ordinary UDP socket to 127.0.0.1.
    static func send(_ datagrams: [(port: UInt16, payload: String)]) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(socket) }
        for datagram in datagrams {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = datagram.port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let bytes = Array(datagram.payload.utf8)
            let sent = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard sent == bytes.count else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        }
    }

    /// Two capture sockets in a `PACKET_FANOUT_CBPF` group: the selector's return value (the
    /// payload's first byte, read through SKF_NET_OFF, which finds it on both copies of a
    /// loopback frame) modulo 2 is the socket that gets the frame; our interpreter agrees.
    @Test func captureSocketsShareFramesByFanoutSelector() throws {
        let filter = try PacketFilterCompiler().compile("udp dst port 47001")
        let selector = Program([.loadAbsolute(.byte, offset: SpecialOffset.network + 28), .returnA])
        // ~Copyable sockets do not go in an array.
        var first = try PacketCaptureSocket(interface: "lo", filter: filter)
        var second = try PacketCaptureSocket(interface: "lo", filter: filter)
        try first.joinFanout(group: 0xcbf, selector: selector)
        try second.joinFanout(group: 0xcbf, selector: selector)
        let payloads = ["a", "b", "c", "d", "e"]
        try Self.send(payloads.map { (47001, $0) })
        let received = [try Self.payloads(from: &first), try Self.payloads(from: &second)]
        let interpreter = try Interpreter(selector)
        var expected = [[String]](repeating: [], count: 2)
        for payload in payloads {
            var metadata = PacketMetadata()
            metadata.networkHeaderOffset = 14
            let frame = Self.loopbackFrame(port: 47001, payload: Array(payload.utf8))
            expected[Int(interpreter.run(packet: frame, metadata: metadata) % 2)] += [payload, payload]  // out and in
        }
        #expect(received == expected.map { $0.sorted() })
        #expect(expected.allSatisfy { !$0.isEmpty }, "the payloads must reach both members")
    }

    /// The UDP payloads of the frames the socket has queued, sorted.
    static func payloads(from capture: inout PacketCaptureSocket) throws -> [String] {
        var payloads = [String]()
        while payloads.count < 100, let frame = try capture.receive(timeout: .milliseconds(300)) {
            payloads.append(String(decoding: frame.bytes.dropFirst(14 + 20 + 8), as: UTF8.self))
        }
        return payloads.sorted()
    }

    /// A loopback frame as AF_PACKET shows it (a zeroed Ethernet header), but for fields no
    /// expression reads.
    static func loopbackFrame(port: UInt16, payload: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
            + TestPackets.udp(payload, from: [127, 0, 0, 1], to: [127, 0, 0, 1], sourcePort: 0x9c40, port: port)
    }
}
