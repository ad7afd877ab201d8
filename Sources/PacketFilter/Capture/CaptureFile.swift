import Glibc

/// A pcap or pcapng capture file, held in memory.
///
/// Opening checks the file header (or first Section Header Block); the packets are decoded as
/// they are read, with ``makeReader()`` or ``packets()``, so that a damaged file still yields
/// the packets before the damage. Every length in the file is checked against the bytes there
/// are: no input makes reading trap.
///
/// A packet keeps at most its interface's snapshot length (``Interface/effectiveSnapshotLength``),
/// as libpcap cuts longer pcap records, so that a filter sees the bytes tcpdump's filter sees
/// (libpcap refuses such pcapng blocks; we cut them likewise). Pseudo-headers stay as the file
/// holds them, where libpcap swaps a few (Linux SLL CAN IDs, NFLOG, USB) into host byte order.
public struct CaptureFile: Sendable {
    /// The file formats, told apart by their first four bytes.
    public enum Format: Hashable, Sendable {
        /// Classic libpcap format: one file header, then one record per packet.
        case pcap
        /// pcapng: blocks, in one or more sections, each with its own interfaces.
        case pcapng
    }

    /// The byte order of a file's integers.
    public enum ByteOrder: Hashable, Sendable {
        /// Least significant byte first (x86, aarch64, and so most files).
        case littleEndian
        /// Most significant byte first.
        case bigEndian

        /// The order of this machine, in which libpcap writes.
        public static var host: ByteOrder {
            UInt16(1).littleEndian == 1 ? .littleEndian : .bigEndian
        }
    }

    /// The file's format.
    public let format: Format
    /// The byte order of the pcap file header, or of the first pcapng section (later sections
    /// may differ).
    public let byteOrder: ByteOrder
    /// The path the file was read from, which errors name.
    public let path: String?
    /// The whole file.
    public let bytes: [UInt8]
    /// A pcap file's header, decoded; nil for pcapng.
    let pcapHeader: PcapHeader?

    /// Reads the file at `path` and checks its header.
    ///
    /// The file is held in memory whole, so one larger than ``maximumFileSize`` is refused, and
    /// one that does not start as a capture file is refused after its first bytes, whatever
    /// follows (`/dev/zero`).
    public init(contentsOf path: String) throws(CaptureError) {
        try self.init(bytes: try Self.readFile(atPath: path), path: path)
    }

    /// The largest capture file ``init(contentsOf:)`` reads: 2 GiB.
    public static let maximumFileSize: Int = 1 << 31

    /// Checks the header of a capture held in memory.
    public init(bytes: [UInt8]) throws(CaptureError) {
        try self.init(bytes: bytes, path: nil)
    }

    init(bytes: [UInt8], path: String?) throws(CaptureError) {
        self.bytes = bytes
        self.path = path
        guard bytes.count >= 4 else {
            throw CaptureError(.truncatedFileHeader(needed: 4, available: bytes.count), offset: 0, path: path)
        }
        let magic = Self.load32(bytes, at: 0, .bigEndian)
        if magic == PcapngBlock.sectionHeader {
            format = .pcapng
            pcapHeader = nil
            // Decodes the first Section Header Block, so that a file that only starts like
            // pcapng (its magic is "\n\r\r\n") is refused here.
            guard bytes.count >= 28 else {
                throw CaptureError(.truncatedFileHeader(needed: 28, available: bytes.count), offset: 0, path: path)
            }
            var reader = PcapngState()
            do throws(CaptureError) {
                _ = try reader.readBlock(in: bytes, at: 0, packetNumber: 1)
            } catch {
                var error = error
                error.path = path
                throw error
            }
            byteOrder = reader.byteOrder
        } else {
            format = .pcap
            do throws(CaptureError) {
                let header = try PcapHeader(bytes)
                pcapHeader = header
                byteOrder = header.byteOrder
            } catch {
                var error = error
                error.path = path
                throw error
            }
        }
    }

    /// A reader positioned at the first packet.
    public func makeReader() -> CaptureReader {
        CaptureReader(self)
    }

    /// Every packet of the file, or the first error.
    public func packets() throws(CaptureError) -> [CapturedPacket] {
        var reader = makeReader()
        var packets = [CapturedPacket]()
        while let packet = try reader.next() {
            packets.append(packet)
        }
        return packets
    }
}

extension CaptureFile {
    static func load16(_ bytes: [UInt8], at offset: Int, _ order: ByteOrder) -> UInt16 {
        let a = UInt16(bytes[offset])
        let b = UInt16(bytes[offset + 1])
        return order == .bigEndian ? a << 8 | b : b << 8 | a
    }

    static func load32(_ bytes: [UInt8], at offset: Int, _ order: ByteOrder) -> UInt32 {
        let high = UInt32(load16(bytes, at: offset, order))
        let low = UInt32(load16(bytes, at: offset + 2, order))
        return order == .bigEndian ? high << 16 | low : low << 16 | high
    }

    static func load64(_ bytes: [UInt8], at offset: Int, _ order: ByteOrder) -> UInt64 {
        let first = UInt64(load32(bytes, at: offset, order))
        let second = UInt64(load32(bytes, at: offset + 4, order))
        return order == .bigEndian ? first << 32 | second : second << 32 | first
    }

    struct SystemError: Error {
        var message: String
        init(_ operation: String) {
            message = "\(operation): \(String(cString: strerror(errno)))"
        }
    }

    /// The whole file, read with plain system calls so that the module needs no Foundation.
    static func readFile(atPath path: String) throws(CaptureError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CaptureError(.unreadableFile(SystemError("open").message), path: path) }
        defer { close(descriptor) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var checkedMagic = false
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CaptureError(.unreadableFile(SystemError("read").message), path: path)
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= Self.maximumFileSize else {
                throw CaptureError(.fileTooLarge(maximum: Self.maximumFileSize), offset: Self.maximumFileSize, path: path)
            }
            bytes.append(contentsOf: chunk[0 ..< count])
            if !checkedMagic, bytes.count >= 4 {
                checkedMagic = true
                let magic = load32(bytes, at: 0, .bigEndian)
                guard isCaptureMagic(magic) else {
                    throw CaptureError(.notACaptureFile(magic: magic), offset: 0, path: path)
                }
            }
        }
    }

    /// Whether a file starting with `magic` (read big-endian) can be pcap or pcapng.
    static func isCaptureMagic(_ magic: UInt32) -> Bool {
        let pcap = [PcapHeader.microsecondMagic, PcapHeader.nanosecondMagic, PcapHeader.kuznetsovMagic]
        return magic == PcapngBlock.sectionHeader || pcap.contains(magic) || pcap.contains(magic.byteSwapped)
    }
}
