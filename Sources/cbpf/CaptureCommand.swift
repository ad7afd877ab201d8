import ArgumentParser
import Attach
import CBPF
import Glibc
import PacketFilter
import Synchronization
import SystemCalls
import SystemPackage

/// The signal that asked the capture to stop, or 0.
private let stopSignal = Atomic<Int32>(0)

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture packets on an interface through a filter expression, as tcpdump does.",
        discussion: """
            The expression compiles for the interface's link type (Ethernet; loopback frames have an \
            Ethernet header on Linux too) and is attached to an AF_PACKET socket before it is bound, \
            so the kernel filters every frame. Frames arrive in a TPACKET_V3 ring. Prints one line \
            per packet, or writes them to a pcap file (nanosecond timestamps) or with --pcapng a \
            pcapng file. Ctrl-C (SIGINT) or SIGTERM ends the capture; the file is then complete, and \
            the counts are printed on standard error as tcpdump prints them. Needs CAP_NET_RAW. \
            Example: cbpf capture -i eth0 -c 10 -w dns.pcap udp port 53
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("The interface to capture on.", valueName: "interface"))
    var interface: String

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many packets.", valueName: "count"))
    var count: Int?

    @Option(name: .customShort("s"), help: ArgumentHelp(
        "Bytes kept of each packet (the snapshot length); 0 means 262144, as tcpdump's -s 0.", valueName: "snaplen"))
    var snaplen: UInt32 = PacketFilterCompiler.defaultSnapshotLength

    @Option(name: .customShort("w"), help: ArgumentHelp("Write the packets to this file (- for standard output) instead of printing them.", valueName: "file"))
    var file: String?

    @Flag(help: "Write pcapng instead of pcap.")
    var pcapng = false

    @Flag(name: .customShort("q"), help: "Quick output: print less protocol information, as tcpdump -q.")
    var quick = false

    @Option(name: .customShort("B"), help: ArgumentHelp("The kernel's ring for this capture, in KiB.", valueName: "buffer_size"))
    var bufferSize: Int = 8192

    @Argument(help: "The filter expression, in one or several words; none captures everything.")
    var expression: [String] = []

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("-c: the count must be positive, not \(count)") }
        guard (4 ... 4 << 20).contains(bufferSize) else {
            throw ValidationError("-B: the buffer size must be between 4 KiB and 4 GiB, not \(bufferSize) KiB")
        }
        if pcapng && file == nil { throw ValidationError("--pcapng needs -w FILE") }
    }

    func run() throws {
        let snapshotLength = snaplen == 0 ? PacketFilterCompiler.defaultSnapshotLength : snaplen
        let linkType = try Self.linkType(ofInterface: interface)
        let text = expression.joined(separator: " ")
        let program: Program
        do {
            program = try PacketFilterCompiler(linkType: linkType, snapshotLength: snapshotLength).compile(text)
        } catch {
            throw InputError("filter expression \"\(text)\": \(error)")
        }
        var capture: PacketCaptureSocket
        do {
            capture = try PacketCaptureSocket(
                interface: interface, filter: program, ring: .init(bufferSize: bufferSize * 1024))
        } catch .systemCall(let error) where error.errno == .notPermitted {
            throw InputError("capturing on \(interface) needs CAP_NET_RAW (run as root): \(error)")
        } catch {
            throw InputError("cannot capture on \(interface): \(error)")
        }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { stopSignal.store($0, ordering: .relaxed) }
        }
        Self.printError("cbpf capture: listening on \(interface), link-type \(linkType.name ?? "\(linkType.rawValue)") "
                        + "(Ethernet), snapshot length \(snapshotLength) bytes")
        let captured: Int
        if let file {
            let descriptor: FileDescriptor? = file == "-" ? .standardOutput : nil
            var writer: CaptureFileWriter
            do {
                if let descriptor {
                    writer = CaptureFileWriter(descriptor: descriptor, format: pcapng ? .pcapng : .pcap,
                                               linkType: linkType, snapshotLength: snapshotLength, interfaceName: interface)
                } else {
                    writer = try CaptureFileWriter(path: file, format: pcapng ? .pcapng : .pcap, linkType: linkType,
                                                   snapshotLength: snapshotLength, interfaceName: interface)
                }
            } catch {
                throw InputError("-w: \(error)")
            }
            captured = try loop(&capture, idle: { () throws(CaptureError) in try writer.flush() }) { frame in
                try writer.write(frame.bytes, originalLength: frame.originalLength,
                                 timestamp: CapturedPacket.Timestamp(seconds: frame.seconds, nanoseconds: UInt64(frame.nanoseconds)))
            }
            try writer.close()
        } else {
            var output = [UInt8]()
            captured = try loop(&capture, idle: {
                try? output.withUnsafeBytes { try FileDescriptor.standardOutput.writeAll(from: $0) }
                output.removeAll(keepingCapacity: true)
            }) { frame in
                let line = PacketSummary.line(frame.bytes, originalLength: frame.originalLength, seconds: frame.seconds,
                                              nanoseconds: frame.nanoseconds, quick: quick)
                output.append(contentsOf: line.utf8)
                output.append(0x0A)
            }
        }
        let statistics = try capture.statistics()
        func counted(_ number: some BinaryInteger, _ what: String) -> String {
            "\(number) packet\(number == 1 ? "" : "s") \(what)"
        }
        Self.printError(counted(captured, "captured") + "\n" + counted(statistics.packets, "received by filter") + "\n"
                        + counted(statistics.drops, "dropped by kernel"))
    }

    /// Hands frames to `handle` until `-c` are captured or a signal asks to stop; `idle` runs
    /// after each batch of frames and when none came, to flush what is buffered.
    private func loop(
        _ capture: inout PacketCaptureSocket, idle: () throws -> Void, _ handle: (PacketCaptureSocket.Frame) throws -> Void
    ) throws -> Int {
        var captured = 0
        let limit = count ?? .max
        while captured < limit, stopSignal.load(ordering: .relaxed) == 0 {
            captured += try capture.receive(timeout: .milliseconds(100), maximumCount: limit - captured, handle)
            try idle()
        }
        return captured
    }

    /// The link type of `interface`'s frames, from its hardware type.
    static func linkType(ofInterface interface: String) throws -> LinkType {
        let hardwareType: UInt16
        do {
            hardwareType = try PacketCaptureSocket.hardwareType(ofInterface: interface)
        } catch let error where error.errno == .operationNotSupportedByDevice {
            throw InputError("-i: no such interface \"\(interface)\"")
        } catch {
            throw InputError("-i \(interface): \(error)")
        }
        switch hardwareType {
        case 1, 772:  // ARPHRD_ETHER, ARPHRD_LOOPBACK (whose frames carry a zeroed Ethernet header)
            return .ethernet
        default:
            throw InputError("-i \(interface): hardware type \(hardwareType) is not supported; cbpf capture "
                             + "captures on Ethernet (ARPHRD_ETHER) and loopback interfaces")
        }
    }

    static func printError(_ text: String) {
        try? Array((text + "\n").utf8).withUnsafeBytes { try FileDescriptor.standardError.writeAll(from: $0) }
    }
}
