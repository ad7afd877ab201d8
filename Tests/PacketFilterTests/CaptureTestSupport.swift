import CPcap
import Foundation
import PacketFilter
import TestSupport
import Testing

// References for the capture tests: the shared corpus, libpcap's reader, tcpdump, and a pcapng
// builder for the cases no real capture has.

/// The shared corpus of real captures, `../shared/corpus/pcap` beside the package.
enum CaptureCorpus {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpus/pcap")

    static var isPresent: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("tcpdump-tests").path)
    }

    /// Why a test that needs the corpus is skipped.
    static let absent = Comment(rawValue: "skipped: the shared corpus \(directory.path) is absent")

    /// Every capture file of the corpus, sorted by path.
    static let files: [String] = {
        var paths = [String]()
        for subdirectory in ["tcpdump-tests", "libpcap-filter-tests"] {
            let folder = directory.appendingPathComponent(subdirectory)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                paths.append(folder.appendingPathComponent(name).path)
            }
        }
        return paths.sorted()
    }()
}

/// What libpcap reads from a capture: the reference every reading test compares with.
struct LibpcapCapture {
    struct Packet {
        var capturedLength: UInt32
        var originalLength: UInt32
        var seconds: Int
        var fraction: Int  // nanoseconds, as libpcap reports them (not normalised)
        var data: [UInt8]
    }

    /// Why `pcap_open_offline` refused the file, if it did.
    var openError: String?
    /// `pcap_datalink`, as a `LINKTYPE_` value.
    var linkType: UInt32 = 0
    /// `pcap_datalink_ext`: the link-type field's bits beside the type (the FCS length).
    var linkTypeExtension: UInt32 = 0
    var packets: [Packet] = []
    /// The error that ended reading early, if any.
    var readError: String?

    /// Reads a file with `pcap_open_offline_with_tstamp_precision(..., NANO)`.
    init(path: String) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline_with_tstamp_precision(
            path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            openError = Self.string(errorBuffer)
            return
        }
        read(handle)
    }

    /// Reads a capture held in memory, through `fmemopen`.
    init(bytes: [UInt8]) {
        var copy = bytes
        var result = LibpcapCapture()
        copy.withUnsafeMutableBytes { buffer in
            var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
            guard let file = fmemopen(buffer.baseAddress, buffer.count, "rb") else {
                result.openError = "fmemopen failed"
                return
            }
            guard let handle = pcap_fopen_offline_with_tstamp_precision(
                file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
            else {
                fclose(file)
                result.openError = Self.string(errorBuffer)
                return
            }
            result.read(handle)
        }
        self = result
    }

    private init() {}

    private mutating func read(_ handle: OpaquePointer) {
        defer { pcap_close(handle) }
        linkType = Self.linkType(dlt: pcap_datalink(handle))
        linkTypeExtension = UInt32(bitPattern: pcap_datalink_ext(handle))
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            if status == 1, let header, let data {
                let h = header.pointee
                packets.append(Packet(
                    capturedLength: h.caplen, originalLength: h.len, seconds: h.ts.tv_sec, fraction: h.ts.tv_usec,
                    data: Array(UnsafeBufferPointer(start: data, count: Int(h.caplen)))))
            } else if status == PCAP_ERROR_BREAK {
                return
            } else {
                readError = String(cString: pcap_geterr(handle))
                return
            }
        }
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// libpcap's `dlt_to_linktype` on Linux, for the DLTs whose value differs from the file's.
    static func linkType(dlt: Int32) -> UInt32 {
        switch dlt {
        case 11: return 100  // ATM_RFC1483
        case 12: return 101  // RAW
        case 15: return 102  // SLIP_BSDOS
        case 16: return 103  // PPP_BSDOS
        case 19: return 106  // ATM_CLIP
        default: return UInt32(bitPattern: dlt)
        }
    }

    /// The timestamp our reader should give for a libpcap packet, or nil when libpcap's own
    /// value is not meaningful (a negative fraction from a damaged record).
    static func timestamp(of packet: Packet, format: CaptureFile.Format) -> CapturedPacket.Timestamp? {
        guard packet.fraction >= 0 else { return nil }
        // libpcap sign-extends a pcap record's 32-bit seconds; the format says they are unsigned.
        let seconds = format == .pcap ? Int64(UInt32(truncatingIfNeeded: packet.seconds)) : Int64(packet.seconds)
        return CapturedPacket.Timestamp(seconds: seconds, nanoseconds: UInt64(packet.fraction))
    }
}

/// Builds pcapng files block by block, in any byte order, for cases no corpus file has.
struct PcapngBuilder {
    var order: CaptureFile.ByteOrder
    private(set) var bytes: [UInt8] = []

    init(order: CaptureFile.ByteOrder) {
        self.order = order
    }

    func encode16(_ value: UInt16) -> [UInt8] {
        let ordered = order == .bigEndian ? value.bigEndian : value.littleEndian
        return withUnsafeBytes(of: ordered) { Array($0) }
    }

    func encode32(_ value: UInt32) -> [UInt8] {
        let ordered = order == .bigEndian ? value.bigEndian : value.littleEndian
        return withUnsafeBytes(of: ordered) { Array($0) }
    }

    func encode64(_ value: UInt64) -> [UInt8] {
        let ordered = order == .bigEndian ? value.bigEndian : value.littleEndian
        return withUnsafeBytes(of: ordered) { Array($0) }
    }

    static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
    }

    /// A block with the given body, padded to 4 bytes, with both lengths.
    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let body = Self.padded(body)
        let length = UInt32(12 + body.count)
        bytes += encode32(type) + encode32(length) + body + encode32(length)
    }

    mutating func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] {
        encode16(code) + encode16(UInt16(value.count)) + Self.padded(value)
    }

    /// A Section Header Block, which also switches the builder to `order`.
    mutating func section(order: CaptureFile.ByteOrder, major: UInt16 = 1, minor: UInt16 = 0) {
        self.order = order
        block(0x0A0D_0D0A, encode32(0x1A2B_3C4D) + encode16(major) + encode16(minor) + encode64(UInt64.max))
    }

    /// An Interface Description Block; `reserved` fills the 16 bits after the link type.
    mutating func interface(
        _ linkType: LinkType, reserved: UInt16 = 0, snapshotLength: UInt32 = 0, options: [(UInt16, [UInt8])] = []
    ) {
        var body = encode16(UInt16(linkType.rawValue)) + encode16(reserved) + encode32(snapshotLength)
        for (code, value) in options { body += option(code, value) }
        if !options.isEmpty { body += option(0, []) }
        block(1, body)
    }

    mutating func enhancedPacket(interface: UInt32, ticks: UInt64, data: [UInt8], originalLength: UInt32? = nil,
                                 capturedLength: UInt32? = nil) {
        block(6, encode32(interface) + encode32(UInt32(ticks >> 32)) + encode32(UInt32(truncatingIfNeeded: ticks))
            + encode32(capturedLength ?? UInt32(data.count)) + encode32(originalLength ?? UInt32(data.count)) + data
            + option(1, Array("a comment".utf8)) + option(0, []))
    }

    mutating func simplePacket(data: [UInt8], originalLength: UInt32? = nil) {
        block(3, encode32(originalLength ?? UInt32(data.count)) + data)
    }

    mutating func obsoletePacket(interface: UInt16, ticks: UInt64, data: [UInt8]) {
        block(2, encode16(interface) + encode16(0) + encode32(UInt32(ticks >> 32))
            + encode32(UInt32(truncatingIfNeeded: ticks)) + encode32(UInt32(data.count)) + encode32(UInt32(data.count))
            + data)
    }
}

/// The installed tcpdump, to compare filter verdicts with.
enum CaptureTcpdump {
    static let executable: String? = {
        ["/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/sbin/tcpdump", "/bin/tcpdump"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Standard output and exit status (nil when tcpdump is missing or did not exit normally).
    static func run(_ arguments: [String]) -> (output: Data, status: Int32)? {
        guard let executable, let run = try? ProcessRun.run(executable, arguments), let status = run.exitStatus
        else { return nil }
        return (Data(run.standardOutputBytes), status)
    }
}

/// Reads with our reader to the end or the first error.
func readAll(_ bytes: [UInt8]) -> (packets: [CapturedPacket], error: CaptureError?) {
    var packets = [CapturedPacket]()
    do throws(CaptureError) {
        var reader = try CaptureReader(bytes: bytes)
        while let packet = try reader.next() { packets.append(packet) }
        return (packets, nil)
    } catch {
        return (packets, error)
    }
}
