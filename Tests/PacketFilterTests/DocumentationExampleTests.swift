import Attach
import CBPF
import Foundation
import Glibc
import PacketFilter
import TestSupport
import Testing

// The code samples of Sources/Attach/Attach.docc and Sources/PacketFilter/PacketFilter.docc,
// exactly as the articles show them (CBPFTests' `articleSamplesAreTested` checks that), and the
// tests that check what they say: in the kernel, in network namespaces of their own.

// MARK: - Attach.docc/FilteringASocket.md

/// Lets only DNS queries (the QR bit clear) reach a UDP socket, and locks the filter, so that
/// no code that runs later in the process can widen what the socket receives.
func acceptOnlyDNSQueries(on socket: FileDescriptor) throws -> Program {
    let program = try PacketFilterCompiler(source: .inetSocket).compile("udp[10] & 0x80 == 0")
    try SocketFilter.attach(program, to: socket)
    try SocketFilter.lock(socket)
    return program
}

/// Opens a capture of `interface` that keeps the first 128 bytes of each frame `expression`
/// matches. The socket owns its ring and is `~Copyable`: it is moved to the caller, not copied.
func openCapture(of interface: String, matching expression: String) throws -> PacketCaptureSocket {
    let program = try PacketFilterCompiler(snapshotLength: 128).compile(expression)
    return try PacketCaptureSocket(interface: interface, filter: program)
}

/// The frames the capture holds, copied out of the ring, until none comes for half a second.
func frames(from capture: inout PacketCaptureSocket) throws -> [[UInt8]] {
    var frames: [[UInt8]] = []
    while true {
        let count = try capture.receive(timeout: .milliseconds(500)) { frame in
            frames.append(Array(frame.bytes))  // frame.bytes points into the ring
        }
        if count == 0 { return frames }
    }
}

// MARK: - PacketFilter.docc/CompilingFilters.md

/// The same filter twice: from tcpdump's language, and from the Swift DSL.
func dnsFilters() throws -> (text: Program, dsl: Program) {
    let compiler = PacketFilterCompiler(linkType: .ethernet)
    let text = try compiler.compile("udp and port 53 and not src net 10.0.0.0/8")
    let dsl = try compiler.compile(.udp && .port(53) && !.net(10, 0, 0, 0, prefixLength: 8, direction: .source))
    return (text, dsl)
}

/// Copies the packets of the capture at `input` that `interpreter` accepts to a pcapng file at
/// `output`, with the input's interfaces.
func copyAccepted(from input: String, to output: String, by interpreter: Interpreter) throws {
    var reader = try CaptureReader(path: input)
    var writer = try CaptureFileWriter(path: output, format: .pcapng, interfaces: [])
    while let packet = try reader.nextPacket() {
        // A new interface, as the reader met it, keeps its index in the copy.
        if packet.interfaceIndex >= writer.interfaces.count {
            for interface in reader.interfaces[writer.interfaces.count...] { try writer.addInterface(interface) }
        }
        if interpreter.run(packet: packet.bytes, wireLength: packet.originalLength) != 0 {
            try writer.write(packet)
        }
    }
    try writer.close()
}

// MARK: - Tests

@Suite(.enabled(if: TestNamespace.unavailableReason == nil, "skipped: needs root and network namespaces (\(TestNamespace.unavailableReason ?? ""))"))
struct DocumentationExampleTests {
    /// The socket tutorial: on a UDP socket bound to 127.0.0.1:53 in a namespace, the query
    /// arrives and the response does not; the filter reads back as attached and is locked.
    @Test func socketTutorialInTheKernel() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let (received, attached, program, refusal) = try namespace.inside {
            () throws -> ([[UInt8]], [RawInstruction]?, Program, SystemCallError?) in
            let receiver = try TestSocket.udp(AF_INET)
            try receiver.bind(SocketAddress(host: "127.0.0.1", port: 53))
            let program = try acceptOnlyDNSQueries(on: receiver.descriptor)
            let attached = try SocketFilter.attachedFilter(of: receiver.descriptor)
            var refusal: SystemCallError?
            do { try SocketFilter.detach(from: receiver.descriptor) } catch let error as SystemCallError { refusal = error }
            let sender = try TestSocket.udp(AF_INET)
            try sender.send([0x12, 0x34, 0x81, 0x80], to: SocketAddress(host: "127.0.0.1", port: 53))  // a response
            try sender.send([0x12, 0x35, 0x01, 0x00], to: SocketAddress(host: "127.0.0.1", port: 53))  // a query
            return (try receiver.receiveAll(milliseconds: 100), attached, program, refusal)
        }
        #expect(received == [[0x12, 0x35, 0x01, 0x00]])
        #expect(attached == program.raw)
        #expect(refusal == SystemCallError("setsockopt(SO_DETACH_FILTER)", .notPermitted))
    }

    /// The capture tutorial: on a namespace's loopback, `inbound and udp dst port 5353` keeps
    /// one frame per datagram to 5353 (loopback shows each datagram twice, outgoing and
    /// incoming), cut to 128 bytes.
    @Test func captureTutorialInTheKernel() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let captured = try namespace.inside { () throws -> [[UInt8]] in
            var capture = try openCapture(of: "lo", matching: "inbound and udp dst port 5353")
            let sender = try TestSocket.udp(AF_INET)
            for (port, size) in [(5353, 10), (5354, 10), (5353, 300)] as [(UInt16, Int)] {
                try sender.send([UInt8](repeating: 0x61, count: size), to: SocketAddress(host: "127.0.0.1", port: port))
            }
            return try frames(from: &capture)
        }
        // Ethernet (zeroed on loopback) + IPv4 + UDP + payload, at most 128 bytes.
        #expect(captured.map(\.count) == [14 + 20 + 8 + 10, 128])
        #expect(captured.allSatisfy { $0[36] == 0x14 && $0[37] == 0xe9 })  // destination port 5353
    }
}

@Suite struct DocumentationExampleCompileTests {
    /// The capture-file sample keeps what `tcpdump -r -w` keeps, as tcpdump prints both files.
    @Test(.enabled(if: CaptureTcpdump.executable != nil, "skipped: needs tcpdump"))
    func captureSampleKeepsWhatTcpdumpKeeps() throws {
        var file = PcapngBuilder(order: .littleEndian)
        file.section(order: .littleEndian)
        file.interface(.ethernet, options: [(2, Array("eth0".utf8)), (9, [9])])
        for index in 0 ..< 60 {
            // IPv4 TCP frames, every third to port 80.
            let port: UInt16 = index % 3 == 0 ? 80 : 443
            let frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0,
                                  10, 0, 0, 1, 10, 0, 0, 2, 0x9C, 0x40, UInt8(port >> 8), UInt8(port & 0xFF)]
                + [UInt8](repeating: 0, count: 8) + [0x50, 0x10, 0xFA, 0xF0, 0, 0, 0, 0]
            file.enhancedPacket(interface: 0, ticks: 1_700_000_000_000_000_000 + UInt64(index) * 1_000, data: frame)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("capture-sample-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.pcapng").path
        let ours = directory.appendingPathComponent("ours.pcapng").path
        let theirs = directory.appendingPathComponent("theirs.pcap").path
        try Data(file.bytes).write(to: URL(fileURLWithPath: input))
        let interpreter = try Interpreter(PacketFilterCompiler(linkType: .ethernet).compile("tcp port 80"))
        try copyAccepted(from: input, to: ours, by: interpreter)
        let written = try #require(CaptureTcpdump.run(["-r", input, "-w", theirs, "tcp port 80"]))
        #expect(written.status == 0)
        let printed = try #require(CaptureTcpdump.run(["-r", ours, "-n", "-tt", "-xx"]))
        let reference = try #require(CaptureTcpdump.run(["-r", theirs, "-n", "-tt", "-xx"]))
        #expect(printed.status == 0 && printed.output == reference.output)
        #expect(String(decoding: printed.output, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("\t") }.count == 20)
    }

    /// The language and the DSL give the same program, and the kernel's verifier takes it.
    @Test func dslAndTextCompileAlike() throws {
        let (text, dsl) = try dnsFilters()
        #expect(text == dsl)
        let filter: Filter = .udp && .port(53) && !.net(10, 0, 0, 0, prefixLength: 8, direction: .source)
        #expect(filter.description == "udp and port 53 and not src net 10.0.0.0/8")
        let socket = try TestSocket.udp(AF_INET)
        try SocketFilter.attach(raw: text.raw, to: socket.descriptor)
    }
}
