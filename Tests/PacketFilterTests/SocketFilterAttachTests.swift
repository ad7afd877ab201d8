import Attach
import CBPF
import Foundation
import Glibc
import PacketFilter
import TestSupport
import Testing

/// `SocketFilter`, `ReuseportSelector` and `PacketFanout` against the kernel: what it keeps,
/// what it refuses and which socket gets each packet.
@Suite(.enabled(if: TestNamespace.unavailableReason == nil, "skipped: needs root and network namespaces (\(TestNamespace.unavailableReason ?? ""))"))
struct SocketFilterAttachTests {
    /// `SO_GET_FILTER` returns exactly what was attached, nothing before and after detaching.
    @Test func readBackReturnsWhatWasAttached() throws {
        let socket = try TestSocket.udp(AF_INET6)
        #expect(try SocketFilter.attachedFilter(of: socket.descriptor) == nil)
        let program = try PacketFilterCompiler(source: .inetSocket).compile("src net 10.0.0.0/8 and udp[8:2] & 0x8000 == 0 or ip6 and tcp dst port 80")
        try SocketFilter.attach(program, to: socket.descriptor)
        #expect(try SocketFilter.attachedFilter(of: socket.descriptor) == program.raw)
        // A shorter program replaces it, and is what comes back.
        let short = Program([.returnConstant(0xffff)])
        try SocketFilter.attach(short, to: socket.descriptor)
        #expect(try SocketFilter.attachedFilter(of: socket.descriptor) == short.raw)
        try SocketFilter.detach(from: socket.descriptor)
        #expect(try SocketFilter.attachedFilter(of: socket.descriptor) == nil)
        // Detaching again: the kernel has nothing to remove.
        #expect(throws: SystemCallError("setsockopt(SO_DETACH_FILTER)", .noSuchFileOrDirectory)) {
            try SocketFilter.detach(from: socket.descriptor)
        }
    }

    /// After `SO_LOCK_FILTER` the kernel refuses to attach, detach or unlock, with EPERM, and
    /// the filter keeps working.
    @Test func lockedFilterCannotBeReplacedOrRemoved() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let (errors, received, readBack) = try namespace.inside { () throws -> ([String], [[UInt8]], [RawInstruction]?) in
            let receiver = try TestSocket.udp(AF_INET)
            try receiver.bind(SocketAddress(host: "127.0.0.1", port: 5300))
            let program = try PacketFilterCompiler(source: .inetSocket).compile("udp[8] == 1")
            try SocketFilter.attach(program, to: receiver.descriptor)
            try SocketFilter.lock(receiver.descriptor)
            var errors = [String]()
            for attempt in [
                { try SocketFilter.attach(Program([.returnConstant(0xffff)]), to: receiver.descriptor) },
                { try SocketFilter.detach(from: receiver.descriptor) },
                { try SocketFilter.unlock(receiver.descriptor) },
            ] as [() throws -> Void] {
                do {
                    try attempt()
                    errors.append("succeeded")
                } catch {
                    errors.append("\(error)")
                }
            }
            let sender = try TestSocket.udp(AF_INET)
            for first: UInt8 in [1, 2, 1] { try sender.send([first, 0], to: SocketAddress(host: "127.0.0.1", port: 5300)) }
            return (errors, try receiver.receiveAll(milliseconds: 100), try SocketFilter.attachedFilter(of: receiver.descriptor))
        }
        #expect(errors == [
            "setsockopt(SO_ATTACH_FILTER): Operation not permitted",
            "setsockopt(SO_DETACH_FILTER): Operation not permitted",
            "setsockopt(SO_LOCK_FILTER): Operation not permitted",
        ])
        #expect(received == [[1, 0], [1, 0]])
        #expect(readBack == (try PacketFilterCompiler(source: .inetSocket).compile("udp[8] == 1")).raw)
    }

    /// A program the verifier refuses never reaches the kernel; raw instructions do, and the
    /// kernel's refusal names the call.
    @Test func refusalsSayWhoRefusedAndWhy() throws {
        let socket = try TestSocket.udp(AF_INET)
        let noReturn = Program([.loadAbsolute(.byte, offset: 0)])
        let verifierRefusal = try #require(throws: VerificationError.self) { try VerifiedProgram(noReturn, for: .socket) }
        #expect(throws: AttachError.verification(verifierRefusal)) { try SocketFilter.attach(noReturn, to: socket.descriptor) }
        #expect(throws: AttachError.verification(verifierRefusal)) {
            try ReuseportSelector.attach(noReturn, to: socket.descriptor)
        }
        #expect(throws: SystemCallError("setsockopt(SO_ATTACH_FILTER)", .invalidArgument)) {
            try SocketFilter.attach(raw: noReturn.raw, to: socket.descriptor)
        }
        #expect(throws: SystemCallError("setsockopt(SO_ATTACH_FILTER)", .invalidArgument)) {
            try SocketFilter.attach(raw: [], to: socket.descriptor)
        }
        #expect(try SocketFilter.attachedFilter(of: socket.descriptor) == nil)
        let closed = FileDescriptor(rawValue: 1_000_000)
        #expect(throws: SystemCallError("getsockopt(SO_GET_FILTER)", .badFileDescriptor)) {
            _ = try SocketFilter.attachedFilter(of: closed)
        }
        #expect(throws: SystemCallError("setsockopt(PACKET_FANOUT)", .protocolNotAvailable)) {
            try PacketFanout.join(socket.descriptor, group: 1)  // a UDP socket has no SOL_PACKET options
        }
    }

    /// Four UDP sockets share a port; the program returns the first payload byte (the kernel
    /// runs it past the UDP header), which is the index of the socket that gets the datagram.
    /// An index outside the group falls back to the kernel's hash: some socket gets it.
    @Test func reuseportProgramPicksTheSocket() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let selector = Program([.loadAbsolute(.byte, offset: 0), .returnA])
        let interpreter = try Interpreter(selector)
        let payloads: [[UInt8]] = [[2, 0], [0, 1], [3, 2], [1, 3], [2, 4], [9, 5], [0, 6]]
        let members = 4
        let received = try namespace.inside { () throws -> [[[UInt8]]] in
            let address = SocketAddress(host: "127.0.0.1", port: 5400)
            var sockets = [TestSocket]()
            for index in 0..<members {
                let socket = try TestSocket.udp(AF_INET)
                try ReuseportSelector.allowReuse(of: socket.descriptor)
                if index == 0 { try ReuseportSelector.attach(selector, to: socket.descriptor) }
                try socket.bind(address)
                sockets.append(socket)
            }
            let sender = try TestSocket.udp(AF_INET)
            for payload in payloads { try sender.send(payload, to: address) }
            return try sockets.map { try $0.receiveAll(milliseconds: 100) }
        }
        for (index, payload) in payloads.enumerated() {
            let choice = Int(interpreter.run(packet: payload))
            let holders = received.indices.filter { received[$0].contains(payload) }
            if choice < members {
                #expect(holders == [choice], "datagram \(index): the program returned \(choice), the kernel gave it to \(holders)")
            } else {
                #expect(holders.count == 1, "datagram \(index): outside the group, it goes to one socket by hash")
            }
        }
        #expect(received.map(\.count).reduce(0, +) == payloads.count)
    }

    /// Three AF_PACKET sockets in a `PACKET_FANOUT_CBPF` group on a namespace's loopback; the
    /// program reads the first UDP payload byte through SKF_NET_OFF (the kernel runs it on
    /// incoming frames from the IP header and on outgoing ones from the Ethernet header), and
    /// its value modulo 3 is the socket that gets the frame, both copies of it.
    @Test func fanoutProgramPicksTheSocket() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let selector = Program([.loadAbsolute(.byte, offset: SpecialOffset.network + 28), .returnA])
        let interpreter = try Interpreter(selector)
        let members = 3
        let payloads: [[UInt8]] = (0..<7).map { [UInt8($0 * 5 % 11), 0xfa, UInt8($0)] }
        let frames = try namespace.inside { () throws -> [[[UInt8]]] in
            var sockets = [TestSocket]()
            for _ in 0..<members {
                let socket = try TestSocket.packetCapture(interface: "lo")
                try PacketFanout.join(socket.descriptor, group: 77, selector: selector)
                sockets.append(socket)
            }
            let sender = try TestSocket.udp(AF_INET)
            for payload in payloads { try sender.send(payload, to: SocketAddress(host: "127.0.0.1", port: 5500)) }
            return try sockets.map { try $0.receiveAll(milliseconds: 100) }
        }
        for payload in payloads {
            // The frame as the interpreter sees it: a zeroed Ethernet header, IPv4, UDP.
            var metadata = PacketMetadata()
            metadata.networkHeaderOffset = 14
            let frame = PacketCaptureTests.loopbackFrame(port: 5500, payload: payload)
            let choice = Int(interpreter.run(packet: frame, metadata: metadata)) % members
            let counts = frames.map { $0.filter { $0.count == frame.count && Array($0.suffix(3)) == payload }.count }
            var expected = [Int](repeating: 0, count: members)
            expected[choice] = 2  // going out and coming in
            #expect(counts == expected, "payload \(payload): frames per socket \(counts), the program chose \(choice)")
        }
    }

    /// A fanout program sees an outgoing frame from the Ethernet header and an incoming one from
    /// the IP header: with two sockets, `ldb [0]` sends the outgoing copy of each loopback frame
    /// (a zeroed Ethernet header, 0 % 2) to socket 0 and the incoming one (0x45 % 2) to socket 1.
    @Test func fanoutSeesIncomingFramesFromTheNetworkHeader() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let selector = Program([.loadAbsolute(.byte, offset: 0), .returnA])
        let payload: [UInt8] = [0xfa, 0xce]
        let frames = try namespace.inside { () throws -> [[[UInt8]]] in
            var sockets = [TestSocket]()
            for _ in 0..<2 {
                let socket = try TestSocket.packetCapture(interface: "lo")
                try PacketFanout.join(socket.descriptor, group: 78, selector: selector)
                sockets.append(socket)
            }
            let sender = try TestSocket.udp(AF_INET)
            for _ in 0..<3 { try sender.send(payload, to: SocketAddress(host: "127.0.0.1", port: 5500)) }
            return try sockets.map { try $0.receiveAll(milliseconds: 100) }
        }
        // The datagrams' frames; the ICMP port-unreachable errors that quote them are longer.
        let datagrams = frames.map { $0.filter { $0.count == 14 + 20 + 8 + 2 && Array($0.suffix(2)) == payload }.count }
        #expect(datagrams == [3, 3])
    }

    /// docs/attach.md's worked example, as written there, on a socket bound to [::]:53: only
    /// the query from 10/8 arrives, and the locked filter cannot be removed.
    @Test func workedExampleFromTheDocs() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        try namespace.run("ip", "address", "add", "10.1.2.3/8", "dev", "lo")
        let (received, refusal) = try namespace.inside { () throws -> ([[UInt8]], String) in
            let receiver = try TestSocket.udp(AF_INET6)  // closes it afterwards
            let descriptor = receiver.descriptor
            let bound = SocketAddress(host: "::", port: 53).withSockaddr { bind(descriptor.rawValue, $0, $1) }
            guard bound == 0 else { throw SystemCallError("bind", Errno(rawValue: errno)) }
            let program = try PacketFilterCompiler(source: .inetSocket)
                .compile("src net 10.0.0.0/8 and udp[10] & 0x80 == 0")  // DNS queries (QR = 0) from 10/8
            try SocketFilter.attach(program, to: descriptor)
            try SocketFilter.lock(descriptor)  // later code in this process cannot widen it
            let attached = try SocketFilter.attachedFilter(of: descriptor)
            #expect(attached == program.raw)
            var refusal = ""
            do {
                try SocketFilter.detach(from: descriptor)
            } catch {
                refusal = "\(error)"
            }
            for (source, flags) in [("10.1.2.3", UInt8(0x01)), ("10.1.2.3", 0x81), ("127.0.0.1", 0x01)] {
                let sender = try TestSocket.udp(AF_INET)
                try sender.bind(SocketAddress(host: source, port: 0))
                try sender.send([0x12, 0x34, flags, 0x00], to: SocketAddress(host: "127.0.0.1", port: 53))  // ID, flags
            }
            return (try receiver.receiveAll(milliseconds: 100), refusal)
        }
        #expect(received == [[0x12, 0x34, 0x01, 0x00]])
        #expect(refusal == "setsockopt(SO_DETACH_FILTER): Operation not permitted")
    }

    /// `NetworkNamespace.run` moves the thread there and back, also when the body throws, hands
    /// back a noncopyable value, and names the file it cannot open.
    @Test func networkNamespaceRunReturnsHome() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        func current() throws -> String {
            try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
        }
        let home = try current()
        let inside = try NetworkNamespace.run(at: "/run/netns/\(namespace.name)") { try current() }
        #expect(inside != home)
        #expect(try current() == home)
        struct Thrown: Error, Hashable {}
        #expect(throws: SystemCallOrBodyError.body(Thrown())) {
            try NetworkNamespace.run(at: "/run/netns/\(namespace.name)") { () throws(Thrown) in throw Thrown() }
        }
        #expect(try current() == home)
        // A value with one owner comes out as it is (RouteNetlinkSocket opens its socket so).
        let opened = try NetworkNamespace.run(at: "/run/netns/\(namespace.name)") { () throws(SystemCallError) in
            try OwnedFileDescriptor.socket(AF_INET, Int32(SOCK_DGRAM.rawValue))
        }
        #expect(fcntl(opened.descriptor.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(try current() == home)
        let missing = SystemCallError("open(/run/netns/no-such-namespace)", .noSuchFileOrDirectory)
        #expect(throws: SystemCallOrBodyError<Never>.systemCall(missing)) {
            try NetworkNamespace.run(at: "/run/netns/no-such-namespace") {}
        }
    }
}
