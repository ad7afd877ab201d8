import SystemCalls
import SystemPackage

/// Reads a pcap or pcapng capture one packet at a time, in file order, through a buffer of fixed
/// size: memory stays the same whatever the file's size, and standard input or a pipe reads as
/// well as a file.
///
/// Opening reads and checks the file header (or first Section Header Block), so that a file that
/// does not start as a capture is refused after its first bytes, whatever follows (`/dev/zero`).
/// The packets are decoded as they are read. ``nextPacket()`` gives each packet where the buffer
/// holds it, without a copy, and throws the first error, then returns nil: a caller acts on the
/// packets before a damaged record and still learns what is wrong with it. Every length in the
/// file is checked against the bytes there are, and a record or block is read into memory only
/// up to libpcap's bounds for it: no input makes reading trap or hold unbounded memory.
///
/// ```swift
/// var reader = try CaptureReader(path: "trace.pcapng")
/// while let packet = try reader.nextPacket() {
///     if interpreter.run(packet: packet.bytes, wireLength: packet.originalLength) != 0 { ... }
/// }
/// ```
public struct CaptureReader: ~Copyable, Sendable {
    /// The file's format.
    public let format: CaptureFile.Format
    /// The byte order of the pcap file header, or of the first pcapng section (later sections
    /// may differ).
    public let byteOrder: CaptureFile.ByteOrder
    /// The path the file was read from, which errors name.
    public let path: String?
    /// The number of packets returned so far.
    public private(set) var packetCount = 0

    private var input: CaptureInput
    /// A pcap file's header, decoded; nil for pcapng.
    private let pcapHeader: CaptureFile.PcapHeader?
    private var pcapng: CaptureFile.PcapngState
    private var isFinished = false

    /// The bytes read from the file at once, unless a record is larger: 256 KiB.
    public static let defaultBufferCapacity: Int = 1 << 18

    /// Opens the file at `path` and reads its header.
    ///
    /// The corresponding C call is `open(path, O_RDONLY | O_CLOEXEC)`; the file is closed when
    /// the reader ends.
    public init(path: String, bufferCapacity: Int = defaultBufferCapacity) throws(CaptureError) {
        let file: OwnedFileDescriptor
        do {
            file = try OwnedFileDescriptor.open(path)
        } catch {
            throw CaptureError(.unreadableFile("open: \(error.errno)"), path: path)
        }
        try self.init(CaptureInput(owning: file, capacity: bufferCapacity), path: path)
    }

    /// Reads a capture from `descriptor` (standard input, a pipe, an open file) from where it
    /// stands, and reads its header. The descriptor stays open.
    ///
    /// - Parameters:
    ///   - descriptor: where the capture comes from.
    ///   - path: what errors call the file, such as `<stdin>`.
    ///   - bufferCapacity: the bytes read at once, unless a record is larger.
    public init(descriptor: FileDescriptor, path: String? = nil, bufferCapacity: Int = defaultBufferCapacity)
        throws(CaptureError)
    {
        try self.init(CaptureInput(.descriptor(descriptor), capacity: bufferCapacity), path: path)
    }

    /// Reads a capture held in memory, through the same buffer as a file.
    public init(bytes: [UInt8], bufferCapacity: Int = defaultBufferCapacity) throws(CaptureError) {
        try self.init(CaptureInput(.memory(bytes), capacity: min(bufferCapacity, max(bytes.count, 1))), path: nil)
    }

    private init(_ input: consuming CaptureInput, path: String?) throws(CaptureError) {
        // Everything is decoded before any property is set: a noncopyable value cannot be left
        // half initialised by a throw.
        let format: CaptureFile.Format
        let byteOrder: CaptureFile.ByteOrder
        var pcapHeader: CaptureFile.PcapHeader?
        var pcapng = CaptureFile.PcapngState()
        do throws(CaptureError) {
            let available = try input.request(28)
            guard available >= 4 else {
                throw CaptureError(.truncatedFileHeader(needed: 4, available: available), offset: 0)
            }
            if CaptureFile.ByteOrder.bigEndian.load32(input.bytes, at: 0) == CaptureFile.PcapngBlock.sectionHeader {
                format = .pcapng
                // Decodes the first Section Header Block, so that a file that only starts like
                // pcapng (its magic is "\n\r\r\n") is refused here.
                guard available >= 28 else {
                    throw CaptureError(.truncatedFileHeader(needed: 28, available: available), offset: 0)
                }
                _ = try pcapng.readBlock(from: &input, packetNumber: 1)
                byteOrder = pcapng.byteOrder
            } else {
                format = .pcap
                let header = try CaptureFile.PcapHeader(input.bytes)
                pcapHeader = header
                byteOrder = header.byteOrder
                input.consume(CaptureFile.PcapHeader.size)
            }
        } catch {
            var error = error
            error.path = path
            throw error
        }
        self.format = format
        self.byteOrder = byteOrder
        self.path = path
        self.pcapHeader = pcapHeader
        self.pcapng = pcapng
        self.input = input
    }

    /// The byte offset of the next record or block.
    public var offset: Int { input.offset }

    /// The interfaces described so far: a pcap file's one, or every Interface Description Block
    /// read up to here, in file order (``CapturedPacket/interfaceIndex`` indexes this array).
    public var interfaces: [CaptureFile.Interface] {
        if let pcapHeader { return [pcapHeader.interface] }
        return pcapng.interfaces
    }

    /// The next packet, where the reader's buffer holds it, or nil at the end of the file (and
    /// after an error). Its bytes stay valid until the next call.
    public mutating func nextPacket() throws(CaptureError) -> PacketView? {
        guard !isFinished else { return nil }
        do throws(CaptureError) {
            let packet: PacketView?
            if let pcapHeader {
                packet = try nextRecord(pcapHeader)
            } else {
                packet = try nextPacketBlock()
            }
            if packet == nil {
                isFinished = true
            } else {
                packetCount += 1
            }
            return packet
        } catch {
            isFinished = true
            var error = error
            error.path = path
            throw error
        }
    }

    /// The next packet, copied, or nil at the end of the file (and after an error).
    public mutating func next() throws(CaptureError) -> CapturedPacket? {
        try nextPacket().map(CapturedPacket.init)
    }

    /// Every packet left, copied, or the first error.
    public consuming func packets() throws(CaptureError) -> [CapturedPacket] {
        var packets = [CapturedPacket]()
        while let packet = try next() {
            packets.append(packet)
        }
        return packets
    }

    @inline(__always)
    private mutating func nextRecord(_ header: CaptureFile.PcapHeader) throws(CaptureError) -> PacketView? {
        let headerSize = header.recordHeaderSize
        var available = try input.request(headerSize)
        guard available > 0 else { return nil }
        let start = input.offset
        let number = packetCount + 1
        guard available >= headerSize else {
            throw CaptureError(.truncatedRecordHeader(needed: headerSize, available: available),
                               offset: start, packetNumber: number)
        }
        var bytes = input.bytes
        let order = header.byteOrder
        let seconds = order.load32(bytes, at: 0)
        let fraction = order.load32(bytes, at: 4)
        var capturedLength = order.load32(bytes, at: 8)
        var originalLength = order.load32(bytes, at: 12)
        switch header.lengthOrder {
        case .normal:
            break
        case .maybeSwapped where capturedLength <= originalLength:
            break
        case .maybeSwapped, .swapped:
            swap(&capturedLength, &originalLength)
        }
        guard capturedLength <= header.maximumCapturedLength else {
            throw CaptureError(.capturedLengthTooLarge(capturedLength, maximum: header.maximumCapturedLength),
                               offset: start, packetNumber: number)
        }
        let recordSize = headerSize + Int(capturedLength)
        if available < recordSize {
            available = try input.request(recordSize)
            guard available >= recordSize else {
                throw CaptureError(.truncatedPacketData(needed: Int(capturedLength), available: available - headerSize),
                                   offset: start, packetNumber: number)
            }
            bytes = input.bytes
        }
        let kept = Int(min(capturedLength, header.snapshotLength))
        input.consume(recordSize)
        return PacketView(
            bytes: UnsafeRawBufferPointer(start: bytes.baseAddress.unsafelyUnwrapped + headerSize, count: kept),
            originalLength: originalLength, linkType: header.linkType, interfaceIndex: 0,
            ticks: UInt64(seconds) * 1_000_000_000 + UInt64(fraction) * (header.isNanosecond ? 1 : 1000),
            ticksPerSecond: 1_000_000_000, timestampOffset: 0)
    }

    @inline(__always)
    private mutating func nextPacketBlock() throws(CaptureError) -> PacketView? {
        while true {
            let available = try input.request(1)
            guard available > 0 else { return nil }
            if let packet = try pcapng.readBlock(from: &input, packetNumber: packetCount + 1) {
                return packet
            }
        }
    }
}
