import SystemPackage

/// Writes a capture file as packets come, to a file descriptor: pcap with nanosecond timestamps
/// (magic 0xa1b23c4d, version 2.4) or pcapng (a Section Header Block, one Interface Description
/// Block with `if_tsresol` 9, then an Enhanced Packet Block per packet), in this machine's byte
/// order, as libpcap writes them.
///
/// Packets are buffered and written in large pieces; ``flush()`` writes what is buffered, and
/// ``close()`` flushes and closes a file the writer opened. A packet longer than the snapshot
/// length is cut to it, so the file never holds more than its header announces.
///
/// ```swift
/// var writer = try CaptureFileWriter(path: "out.pcapng", format: .pcapng, linkType: .ethernet)
/// try writer.write(bytes, originalLength: 60, timestamp: timestamp)
/// try writer.close()
/// ```
public struct CaptureFileWriter: ~Copyable {
    /// The file's format.
    public let format: CaptureFile.Format
    /// The link type of every packet.
    public let linkType: LinkType
    /// The snapshot length written in the header; longer packets are cut to it.
    public let snapshotLength: UInt32
    /// The number of packets written (or buffered) so far.
    public private(set) var packetCount = 0

    private let descriptor: FileDescriptor
    private let ownsDescriptor: Bool
    private let path: String?
    private var buffer: [UInt8] = []
    private let bufferCapacity: Int
    private var isClosed = false

    /// Starts a capture file on `descriptor` (which stays open) and buffers its header.
    ///
    /// - Parameters:
    ///   - descriptor: where the file goes; the writer does not close it.
    ///   - format: pcap or pcapng.
    ///   - linkType: the link-layer header type of the packets.
    ///   - snapshotLength: written in the header; longer packets are cut to it.
    ///   - interfaceName: written as pcapng's `if_name`; pcap has no place for it.
    ///   - bufferCapacity: bytes kept before they are written.
    public init(descriptor: FileDescriptor, format: CaptureFile.Format, linkType: LinkType,
                snapshotLength: UInt32 = 262_144, interfaceName: String? = nil, bufferCapacity: Int = 1 << 18) {
        self.init(descriptor: descriptor, owning: false, path: nil, format: format, linkType: linkType,
                  snapshotLength: snapshotLength, interfaceName: interfaceName, bufferCapacity: bufferCapacity)
    }

    /// Creates (or truncates) the file at `path` and starts a capture file there.
    ///
    /// The corresponding C call is `open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)`.
    public init(path: String, format: CaptureFile.Format, linkType: LinkType, snapshotLength: UInt32 = 262_144,
                interfaceName: String? = nil, bufferCapacity: Int = 1 << 18) throws(CaptureError) {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                path, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw CaptureError(.unwritableFile("open: \(error)"), path: path)
        }
        self.init(descriptor: descriptor, owning: true, path: path, format: format, linkType: linkType,
                  snapshotLength: snapshotLength, interfaceName: interfaceName, bufferCapacity: bufferCapacity)
    }

    private init(descriptor: FileDescriptor, owning: Bool, path: String?, format: CaptureFile.Format,
                 linkType: LinkType, snapshotLength: UInt32, interfaceName: String?, bufferCapacity: Int) {
        self.descriptor = descriptor
        self.ownsDescriptor = owning
        self.path = path
        self.format = format
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.bufferCapacity = max(bufferCapacity, 1 << 12)
        buffer.reserveCapacity(self.bufferCapacity + 65_536)
        switch format {
        case .pcap: appendPcapHeader()
        case .pcapng: appendPcapngHeader(interfaceName: interfaceName)
        }
    }

    deinit {
        if !isClosed, ownsDescriptor { try? descriptor.close() }
    }

    /// Adds one packet: its captured bytes, its length on the wire and when it was captured.
    public mutating func write(_ bytes: UnsafeRawBufferPointer, originalLength: Int,
                               timestamp: CapturedPacket.Timestamp) throws(CaptureError) {
        let kept = min(bytes.count, Int(snapshotLength))
        let original = UInt32(clamping: max(originalLength, kept))
        switch format {
        case .pcap:
            append32(UInt32(truncatingIfNeeded: timestamp.seconds))
            append32(timestamp.nanoseconds)
            append32(UInt32(kept))
            append32(original)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0 ..< kept]))
        case .pcapng:
            let padding = (4 - kept % 4) % 4
            let length = UInt32(32 + kept + padding)
            let ticks = UInt64(bitPattern: timestamp.seconds) &* 1_000_000_000 &+ UInt64(timestamp.nanoseconds)
            append32(Self.enhancedPacketBlock)
            append32(length)
            append32(0)  // interface 0
            append32(UInt32(truncatingIfNeeded: ticks >> 32))
            append32(UInt32(truncatingIfNeeded: ticks))
            append32(UInt32(kept))
            append32(original)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0 ..< kept]))
            buffer.append(contentsOf: repeatElement(0, count: padding))
            append32(length)
        }
        packetCount += 1
        if buffer.count >= bufferCapacity { try flush() }
    }

    /// Adds a packet read from another file (its link type is not checked).
    public mutating func write(_ packet: CapturedPacket) throws(CaptureError) {
        var failure: CaptureError?
        packet.data.withUnsafeBytes { bytes in
            do throws(CaptureError) {
                try write(bytes, originalLength: Int(packet.originalLength), timestamp: packet.timestamp)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Writes everything buffered. The corresponding C call is `write(2)`, repeated until all
    /// is written.
    public mutating func flush() throws(CaptureError) {
        guard !buffer.isEmpty else { return }
        do {
            _ = try buffer.withUnsafeBytes { try descriptor.writeAll($0) }
        } catch {
            throw CaptureError(.unwritableFile("write: \(error)"), path: path)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and closes the file when the writer opened it.
    public consuming func close() throws(CaptureError) {
        try flush()
        isClosed = true
        if ownsDescriptor {
            do {
                try descriptor.close()
            } catch {
                throw CaptureError(.unwritableFile("close: \(error)"), path: path)
            }
        }
    }

    // MARK: - Headers

    private static let enhancedPacketBlock: UInt32 = 6

    private mutating func appendPcapHeader() {
        append32(0xA1B2_3C4D)  // nanosecond timestamps
        append16(2)
        append16(4)
        append32(0)  // thiszone
        append32(0)  // sigfigs
        append32(snapshotLength)
        append32(linkType.rawValue)
    }

    private mutating func appendPcapngHeader(interfaceName: String?) {
        // Section Header Block: byte-order magic, version 1.0, section length unknown (-1).
        append32(0x0A0D_0D0A)
        append32(28)
        append32(0x1A2B_3C4D)
        append16(1)
        append16(0)
        append32(0xFFFF_FFFF)
        append32(0xFFFF_FFFF)
        append32(28)
        // Interface Description Block with if_name (2) and if_tsresol (9) = 10^-9 s.
        var options = [(code: UInt16, value: [UInt8])]()
        if let interfaceName, !interfaceName.isEmpty { options.append((2, Array(interfaceName.utf8.prefix(255)))) }
        options.append((9, [9]))
        let optionsLength = options.reduce(4) { $0 + 4 + ($1.value.count + 3) / 4 * 4 }
        let length = UInt32(20 + optionsLength)
        append32(1)
        append32(length)
        append16(UInt16(truncatingIfNeeded: linkType.rawValue))
        append16(0)
        append32(snapshotLength)
        for option in options {
            append16(option.code)
            append16(UInt16(option.value.count))
            buffer.append(contentsOf: option.value)
            buffer.append(contentsOf: repeatElement(0, count: (4 - option.value.count % 4) % 4))
        }
        append32(0)  // opt_endofopt
        append32(length)
    }

    private mutating func append16(_ value: UInt16) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }

    private mutating func append32(_ value: UInt32) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }
}
