import Glibc
import SystemCalls

/// Builds a classic pcap file in memory, so that test fixtures and tools need no outside writer.
///
/// The file is version 2.4 in the chosen byte order and timestamp resolution, as libpcap writes.
/// Packets longer than the snapshot length are cut to it, as a capture would cut them, so that
/// reading the file back (with ``CaptureFile`` or libpcap) gives exactly what was appended.
public struct PcapWriter: Sendable {
    /// The unit of the timestamps' fractional part.
    public enum Resolution: Hashable, Sendable {
        /// Microseconds: the magic number `0xa1b2c3d4`.
        case microseconds
        /// Nanoseconds: the magic number `0xa1b23c4d`.
        case nanoseconds
    }

    /// The link type written in the header.
    public let linkType: LinkType
    /// The snapshot length written in the header.
    public let snapshotLength: UInt32
    /// The byte order of every integer in the file.
    public let byteOrder: CaptureFile.ByteOrder
    /// The resolution the magic number announces.
    public let resolution: Resolution
    /// The file so far: the header and every appended record.
    public private(set) var bytes: [UInt8] = []

    /// A file that so far holds its header.
    public init(linkType: LinkType, snapshotLength: UInt32 = 262_144,
                byteOrder: CaptureFile.ByteOrder = .host, resolution: Resolution = .microseconds) {
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.byteOrder = byteOrder
        self.resolution = resolution
        append32(resolution == .nanoseconds ? CaptureFile.PcapHeader.nanosecondMagic
                                            : CaptureFile.PcapHeader.microsecondMagic)
        append16(2)
        append16(4)
        append32(0)  // thiszone
        append32(0)  // sigfigs
        append32(snapshotLength)
        append32(linkType.rawValue)
    }

    /// Appends one record.
    ///
    /// - Parameters:
    ///   - data: the captured bytes; only the first `snapshotLength` are kept.
    ///   - originalLength: the length on the wire; defaults to the count of `data`.
    ///   - timestamp: written to the file's resolution, rounding nanoseconds down to microseconds.
    public mutating func append(_ data: [UInt8], originalLength: UInt32? = nil,
                                timestamp: CapturedPacket.Timestamp = CapturedPacket.Timestamp(seconds: 0)) {
        let kept = min(data.count, Int(snapshotLength))
        append32(UInt32(truncatingIfNeeded: timestamp.seconds))
        append32(resolution == .nanoseconds ? timestamp.nanoseconds : timestamp.nanoseconds / 1000)
        append32(UInt32(kept))
        append32(originalLength ?? UInt32(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data[0 ..< kept])
    }

    /// Appends a packet read from another file (its link type is not checked).
    public mutating func append(_ packet: CapturedPacket) {
        append(packet.data, originalLength: packet.originalLength, timestamp: packet.timestamp)
    }

    /// Writes the file to `path`, replacing any file there.
    ///
    /// The corresponding C calls are `open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)`,
    /// `write` until all is written, and `close`.
    public func write(toFile path: String) throws(CaptureError) {
        let file: OwnedFileDescriptor
        do {
            file = try OwnedFileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o644)
        } catch {
            throw CaptureError(.unwritableFile("open: \(error.errno)"), path: path)
        }
        let descriptor = file.descriptor
        let written = bytes.withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try descriptor.writeAll(from: bytes) }
        }
        do {
            try written.get()
        } catch {
            throw CaptureError(.unwritableFile("\(error)"), path: path)
        }
        do {
            try file.close()
        } catch {
            throw CaptureError(.unwritableFile("close: \(error)"), path: path)
        }
    }

    private mutating func append16(_ value: UInt16) {
        let ordered = byteOrder == .bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
    }

    private mutating func append32(_ value: UInt32) {
        let ordered = byteOrder == .bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
    }
}
