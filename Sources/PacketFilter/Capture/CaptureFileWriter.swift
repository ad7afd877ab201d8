import Glibc
import SystemCalls
import SystemPackage

/// Writes a capture file as packets come, to a file descriptor, in this machine's byte order as
/// libpcap writes: pcap (version 2.4, microsecond or nanosecond timestamps) or pcapng (a Section
/// Header Block, an Interface Description Block per interface with `if_tsresol` 9, then an
/// Enhanced Packet Block per packet).
///
/// Packets are buffered and written in large pieces; ``flush()`` writes what is buffered, and
/// ``close()`` flushes and closes a file the writer opened. A packet longer than its interface's
/// snapshot length is cut to it, so the file never holds more than its header announces.
///
/// ```swift
/// var writer = try CaptureFileWriter(path: "out.pcapng", format: .pcapng, linkType: .ethernet)
/// try writer.write(bytes, originalLength: 60, timestamp: timestamp)
/// try writer.close()
/// ```
///
/// It is `Sendable` because it owns its buffer alone, being noncopyable.
public struct CaptureFileWriter: ~Copyable, @unchecked Sendable {
    /// The file's format.
    public let format: CaptureFile.Format
    /// The unit of a pcap file's timestamps; pcapng files are written in nanoseconds.
    public let resolution: PcapWriter.Resolution
    /// The interfaces written so far: a pcap file's one, or pcapng's Interface Description
    /// Blocks, whose indices the packets give.
    public private(set) var interfaces: [CaptureFile.Interface] = []
    /// The number of packets written (or buffered) so far.
    public private(set) var packetCount = 0

    private let descriptor: FileDescriptor
    /// The descriptor the writer opened, closed with it; nil for one it borrows.
    private var owner: OwnedFileDescriptor?
    private let path: String?
    /// `interfaces`' snapshot lengths as libpcap applies them, which packets are cut to.
    private var cutLengths: [Int] = []
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private let bufferCapacity: Int

    /// Starts a capture file of one interface on `descriptor` (which stays open) and buffers its
    /// header.
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
        self.init(descriptor: descriptor, owner: nil, path: nil, format: format, resolution: .nanoseconds,
                  interfaces: [CaptureFile.Interface(linkType: linkType, snapshotLength: snapshotLength, name: interfaceName)],
                  bufferCapacity: bufferCapacity)
    }

    /// Creates (or truncates) the file at `path` and starts a capture file of one interface there.
    ///
    /// The corresponding C call is `open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)`.
    public init(path: String, format: CaptureFile.Format, linkType: LinkType, snapshotLength: UInt32 = 262_144,
                interfaceName: String? = nil, bufferCapacity: Int = 1 << 18) throws(CaptureError) {
        let file = try Self.create(path)
        self.init(descriptor: file.descriptor, owner: file, path: path, format: format, resolution: .nanoseconds,
                  interfaces: [CaptureFile.Interface(linkType: linkType, snapshotLength: snapshotLength, name: interfaceName)],
                  bufferCapacity: bufferCapacity)
    }

    /// Starts a capture file on `descriptor` (which stays open) with the interfaces another file
    /// describes, so that a filtered copy keeps them.
    ///
    /// - Parameters:
    ///   - descriptor: where the file goes; the writer does not close it.
    ///   - format: pcap, whose header takes the first interface, or pcapng, which takes them all
    ///     (none yet is allowed: see ``addInterface(_:)``).
    ///   - interfaces: link type, snapshot length (0 means the link type's largest), name and
    ///     FCS length of each; the timestamps' units and offset are not kept, the timestamps are.
    ///   - resolution: the unit of a pcap file's timestamps.
    ///   - bufferCapacity: bytes kept before they are written.
    /// - Throws: ``CaptureError/Reason/unwritableFile(_:)`` for a pcap file without an interface.
    public init(descriptor: FileDescriptor, format: CaptureFile.Format, interfaces: [CaptureFile.Interface],
                resolution: PcapWriter.Resolution = .nanoseconds, bufferCapacity: Int = 1 << 18) throws(CaptureError) {
        try Self.checkInterfaces(interfaces, format: format, path: nil)
        self.init(descriptor: descriptor, owner: nil, path: nil, format: format, resolution: resolution,
                  interfaces: interfaces, bufferCapacity: bufferCapacity)
    }

    /// Creates (or truncates) the file at `path` and starts a capture file there with the
    /// interfaces another file describes; see
    /// ``init(descriptor:format:interfaces:resolution:bufferCapacity:)``.
    public init(path: String, format: CaptureFile.Format, interfaces: [CaptureFile.Interface],
                resolution: PcapWriter.Resolution = .nanoseconds, bufferCapacity: Int = 1 << 18) throws(CaptureError) {
        try Self.checkInterfaces(interfaces, format: format, path: path)
        let file = try Self.create(path)
        self.init(descriptor: file.descriptor, owner: file, path: path, format: format, resolution: resolution,
                  interfaces: interfaces, bufferCapacity: bufferCapacity)
    }

    private init(descriptor: FileDescriptor, owner: consuming OwnedFileDescriptor?, path: String?, format: CaptureFile.Format,
                 resolution: PcapWriter.Resolution, interfaces: [CaptureFile.Interface], bufferCapacity: Int) {
        self.descriptor = descriptor
        self.owner = owner
        self.path = path
        self.format = format
        self.resolution = format == .pcapng ? .nanoseconds : resolution
        self.bufferCapacity = max(bufferCapacity, 1 << 12)
        buffer = .allocate(byteCount: self.bufferCapacity, alignment: 16)
        if format == .pcapng { appendSectionHeader() }
        // A pcap file's header has room for the first.
        for interface in format == .pcap ? Array(interfaces.prefix(1)) : interfaces {
            appendInterface(interface)
        }
    }

    private static func checkInterfaces(_ interfaces: [CaptureFile.Interface], format: CaptureFile.Format,
                                        path: String?) throws(CaptureError) {
        if format == .pcap && interfaces.isEmpty {
            throw CaptureError(.unwritableFile("a pcap file needs an interface for its header"), path: path)
        }
    }

    private static func create(_ path: String) throws(CaptureError) -> OwnedFileDescriptor {
        do {
            return try OwnedFileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o644)
        } catch {
            throw CaptureError(.unwritableFile("open: \(error.errno)"), path: path)
        }
    }

    deinit {
        buffer.deallocate()
    }

    /// Adds an interface: a pcapng Interface Description Block, whose index in ``interfaces``
    /// packets then give; or a pcap file's header, for its first and only interface.
    ///
    /// - Throws: ``CaptureError/Reason/unwritableFile(_:)`` for a second interface in a pcap file,
    ///   which has room for one.
    public mutating func addInterface(_ interface: CaptureFile.Interface) throws(CaptureError) {
        guard format == .pcapng || interfaces.isEmpty else {
            throw CaptureError(.unwritableFile("a pcap file has one interface, and it is written already"), path: path)
        }
        appendInterface(interface)
    }

    /// Appends the interface's header or block, without the checks that it fits the format.
    private mutating func appendInterface(_ interface: CaptureFile.Interface) {
        let effective = interface.effectiveSnapshotLength
        interfaces.append(interface)
        cutLengths.append(Int(effective))
        switch format {
        case .pcap: appendPcapHeader(interface, snapshotLength: effective)
        case .pcapng: appendInterfaceDescription(interface)
        }
    }

    /// Adds one packet of interface `interfaceIndex`: its captured bytes, its length on the wire
    /// and when it was captured.
    ///
    /// - Throws: ``CaptureError/Reason/unknownInterface(id:described:)`` for an interface not in
    ///   ``interfaces``, or a failure to write.
    public mutating func write(_ bytes: UnsafeRawBufferPointer, originalLength: Int,
                               timestamp: CapturedPacket.Timestamp, interfaceIndex: Int = 0) throws(CaptureError) {
        guard interfaceIndex >= 0, interfaceIndex < cutLengths.count else {
            throw CaptureError(.unknownInterface(id: UInt32(truncatingIfNeeded: interfaceIndex), described: cutLengths.count),
                               packetNumber: packetCount + 1, path: path)
        }
        let kept = min(bytes.count, cutLengths[interfaceIndex])
        let original = UInt32(clamping: max(originalLength, kept))
        switch format {
        case .pcap:
            try reserve(16 + kept)
            store32(UInt32(truncatingIfNeeded: timestamp.seconds))
            store32(resolution == .nanoseconds ? timestamp.nanoseconds : timestamp.nanoseconds / 1000)
            store32(UInt32(kept))
            store32(original)
            storeBytes(bytes.baseAddress, count: kept)
        case .pcapng:
            let padding = (4 - kept % 4) % 4
            let length = 32 + kept + padding
            try reserve(length)
            let ticks = UInt64(bitPattern: timestamp.seconds) &* 1_000_000_000 &+ UInt64(timestamp.nanoseconds)
            store32(Self.enhancedPacketBlock)
            store32(UInt32(length))
            store32(UInt32(interfaceIndex))
            store32(UInt32(truncatingIfNeeded: ticks >> 32))
            store32(UInt32(truncatingIfNeeded: ticks))
            store32(UInt32(kept))
            store32(original)
            storeBytes(bytes.baseAddress, count: kept)
            (buffer.baseAddress.unsafelyUnwrapped + used).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
            used += padding
            store32(UInt32(length))
        }
        packetCount += 1
    }

    /// Adds a packet where a ``CaptureReader`` holds it, on the interface of the same index.
    public mutating func write(_ packet: CaptureReader.PacketView) throws(CaptureError) {
        try write(packet.bytes, originalLength: Int(packet.originalLength), timestamp: packet.timestamp,
                  interfaceIndex: packet.interfaceIndex)
    }

    /// Adds a packet read from another file, on the interface of the same index (its link type
    /// is not checked).
    public mutating func write(_ packet: CapturedPacket) throws(CaptureError) {
        var failure: CaptureError?
        packet.data.withUnsafeBytes { bytes in
            do throws(CaptureError) {
                try write(bytes, originalLength: Int(packet.originalLength), timestamp: packet.timestamp,
                          interfaceIndex: packet.interfaceIndex)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Writes everything buffered. The corresponding C call is `write(2)`, repeated until all
    /// is written.
    public mutating func flush() throws(CaptureError) {
        guard used > 0 else { return }
        let pending = UnsafeRawBufferPointer(start: buffer.baseAddress, count: used)
        used = 0
        try Self.writeAll(pending, to: descriptor, path: path)
    }

    /// Flushes, and closes the file when the writer opened it.
    public consuming func close() throws(CaptureError) {
        try flush()
        guard let owner = owner.take() else { return }
        do {
            try owner.close()
        } catch {
            throw CaptureError(.unwritableFile("close: \(error)"), path: path)
        }
    }

    /// `write(2)` until all is written: the one place that writes.
    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: FileDescriptor, path: String?)
        throws(CaptureError)
    {
        do {
            try descriptor.writeAll(from: bytes)
        } catch {
            throw CaptureError(.unwritableFile("\(error)"), path: path)
        }
    }

    // MARK: - The buffer

    /// Makes room for `count` more bytes: flushes when the buffer would overflow, and grows it
    /// for a record larger than the buffer.
    @inline(__always)
    private mutating func reserve(_ count: Int) throws(CaptureError) {
        guard used + count > buffer.count else { return }
        try flush()
        if count > buffer.count {
            buffer.deallocate()
            buffer = .allocate(byteCount: count, alignment: 16)
        }
    }

    @inline(__always)
    private mutating func store32(_ value: UInt32) {
        buffer.storeBytes(of: value, toByteOffset: used, as: UInt32.self)
        used += 4
    }

    @inline(__always)
    private mutating func store16(_ value: UInt16) {
        buffer.storeBytes(of: value, toByteOffset: used, as: UInt16.self)
        used += 2
    }

    @inline(__always)
    private mutating func storeBytes(_ source: UnsafeRawPointer?, count: Int) {
        guard count > 0, let source else { return }
        (buffer.baseAddress.unsafelyUnwrapped + used).copyMemory(from: source, byteCount: count)
        used += count
    }

    /// Appends a header or block that the buffer holds whole (headers are small; a flush makes
    /// room, which cannot fail before anything is written).
    private mutating func appendHeader(_ bytes: [UInt8]) {
        if used + bytes.count > buffer.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: used + bytes.count, alignment: 16)
            larger.copyMemory(from: UnsafeRawBufferPointer(start: buffer.baseAddress, count: used))
            buffer.deallocate()
            buffer = larger
        }
        bytes.withUnsafeBytes { storeBytes($0.baseAddress, count: $0.count) }
    }

    // MARK: - Headers

    private static let enhancedPacketBlock: UInt32 = 6

    private mutating func appendPcapHeader(_ interface: CaptureFile.Interface, snapshotLength: UInt32) {
        var header = HeaderBytes()
        header.append32(resolution == .nanoseconds ? CaptureFile.PcapHeader.nanosecondMagic
                                                   : CaptureFile.PcapHeader.microsecondMagic)
        header.append16(2)
        header.append16(4)
        header.append32(0)  // thiszone
        header.append32(0)  // sigfigs
        header.append32(snapshotLength)
        // libpcap's LT_FCS_DATALINK_EXT: bit 26 says bits 28-31 give the FCS length in 16-bit words.
        var fcs: UInt32 = 0
        if let length = interface.fcsLength, length > 0, length <= 30, length % 2 == 0 {
            fcs = 0x0400_0000 | UInt32(length / 2) << 28
        }
        header.append32(interface.linkType.rawValue | fcs)
        appendHeader(header.bytes)
    }

    private mutating func appendSectionHeader() {
        // Byte-order magic, version 1.0, section length unknown (-1).
        var block = HeaderBytes()
        block.append32(0x0A0D_0D0A)
        block.append32(28)
        block.append32(0x1A2B_3C4D)
        block.append16(1)
        block.append16(0)
        block.append32(0xFFFF_FFFF)
        block.append32(0xFFFF_FFFF)
        block.append32(28)
        appendHeader(block.bytes)
    }

    private mutating func appendInterfaceDescription(_ interface: CaptureFile.Interface) {
        // if_name (2), if_tsresol (9) = 10^-9 s, if_fcslen (13).
        var options = [(code: UInt16, value: [UInt8])]()
        if let name = interface.name, !name.isEmpty { options.append((2, Array(name.utf8.prefix(255)))) }
        options.append((9, [9]))
        if let length = interface.fcsLength, (0 ... 255).contains(length) { options.append((13, [UInt8(length)])) }
        let optionsLength = options.reduce(4) { $0 + 4 + ($1.value.count + 3) / 4 * 4 }
        let length = UInt32(20 + optionsLength)
        var block = HeaderBytes()
        block.append32(1)
        block.append32(length)
        block.append16(UInt16(truncatingIfNeeded: interface.linkType.rawValue))
        block.append16(0)
        block.append32(interface.snapshotLength)
        for option in options {
            block.append16(option.code)
            block.append16(UInt16(option.value.count))
            block.bytes.append(contentsOf: option.value)
            block.bytes.append(contentsOf: repeatElement(0, count: (4 - option.value.count % 4) % 4))
        }
        block.append32(0)  // opt_endofopt
        block.append32(length)
        appendHeader(block.bytes)
    }

    /// A header or block being put together, in host byte order.
    private struct HeaderBytes {
        var bytes: [UInt8] = []

        mutating func append16(_ value: UInt16) {
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        }

        mutating func append32(_ value: UInt32) {
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        }
    }
}
