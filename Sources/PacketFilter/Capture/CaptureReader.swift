/// Reads a capture file's packets one at a time, in file order.
///
/// `next()` throws the first error and then returns nil, so that a caller can act on the packets
/// before a damaged record and still learn what is wrong with it:
///
/// ```swift
/// var reader = try CaptureFile(contentsOf: "trace.pcapng").makeReader()
/// while let packet = try reader.next() { ... }
/// ```
public struct CaptureReader: Sendable {
    /// The file being read.
    public let file: CaptureFile
    /// The byte offset of the next record or block.
    public private(set) var offset: Int
    /// The number of packets returned so far.
    public private(set) var packetCount = 0
    private var pcapng = CaptureFile.PcapngState()
    private var isFinished = false

    /// Starts at the first packet of `file`.
    public init(_ file: CaptureFile) {
        self.file = file
        offset = file.pcapHeader == nil ? 0 : CaptureFile.PcapHeader.size
    }

    /// The interfaces described so far: a pcap file's one, or every Interface Description Block
    /// read up to here, in file order (``CapturedPacket/interfaceIndex`` indexes this array).
    public var interfaces: [CaptureFile.Interface] {
        if let header = file.pcapHeader { return [header.interface] }
        return pcapng.interfaces
    }

    /// The next packet, or nil at the end of the file (and after an error).
    public mutating func next() throws(CaptureError) -> CapturedPacket? {
        guard !isFinished else { return nil }
        do throws(CaptureError) {
            let packet: CapturedPacket?
            if let header = file.pcapHeader {
                packet = try nextRecord(header)
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
            error.path = file.path
            throw error
        }
    }

    private mutating func nextRecord(_ header: CaptureFile.PcapHeader) throws(CaptureError) -> CapturedPacket? {
        let bytes = file.bytes
        let start = offset
        let remaining = bytes.count - start
        guard remaining > 0 else { return nil }
        let number = packetCount + 1
        guard remaining >= header.recordHeaderSize else {
            throw CaptureError(.truncatedRecordHeader(needed: header.recordHeaderSize, available: remaining),
                               offset: start, packetNumber: number)
        }
        let order = header.byteOrder
        let seconds = CaptureFile.load32(bytes, at: start, order)
        let fraction = CaptureFile.load32(bytes, at: start + 4, order)
        var capturedLength = CaptureFile.load32(bytes, at: start + 8, order)
        var originalLength = CaptureFile.load32(bytes, at: start + 12, order)
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
        let dataStart = start + header.recordHeaderSize
        let available = bytes.count - dataStart
        guard Int(capturedLength) <= available else {
            throw CaptureError(.truncatedPacketData(needed: Int(capturedLength), available: available),
                               offset: start, packetNumber: number)
        }
        let kept = Int(min(capturedLength, header.snapshotLength))
        offset = dataStart + Int(capturedLength)
        let nanoseconds = UInt64(fraction) * (header.isNanosecond ? 1 : 1000)
        return CapturedPacket(
            data: Array(bytes[dataStart ..< dataStart + kept]), originalLength: originalLength,
            linkType: header.interface.linkType, interfaceIndex: 0,
            timestamp: CapturedPacket.Timestamp(seconds: Int64(seconds), nanoseconds: nanoseconds))
    }

    private mutating func nextPacketBlock() throws(CaptureError) -> CapturedPacket? {
        while offset < file.bytes.count {
            let (length, packet) = try pcapng.readBlock(in: file.bytes, at: offset, packetNumber: packetCount + 1)
            offset += length
            if let packet { return packet }
        }
        return nil
    }
}

// MARK: - pcap

extension CaptureFile {
    /// A pcap file header and what it implies for the records, after libpcap's `sf-pcap.c`.
    struct PcapHeader: Sendable {
        /// How a record header orders its two lengths: versions before 2.3 put the original
        /// length first, and some 2.3 writers did too.
        enum LengthOrder: Sendable {
            case normal, swapped, maybeSwapped
        }

        static let size = 24
        static let microsecondMagic: UInt32 = 0xA1B2_C3D4
        static let nanosecondMagic: UInt32 = 0xA1B2_3C4D
        /// Alexey Kuznetsov's patched libpcap: 8 more bytes in each record header.
        static let kuznetsovMagic: UInt32 = 0xA1B2_CD34
        /// Where the link-type field is, and the bits of it that hold the type (libpcap 1.10's
        /// `LT_LINKTYPE`).
        static let linkTypeOffset = 20
        static let linkTypeMask: UInt32 = 0x03FF_FFFF
        /// Link types are 16-bit (pcapng has 16 bits for them); bits 16-25 are reserved.
        static let largestLinkType: UInt32 = 0xFFFF

        var byteOrder: ByteOrder
        var isNanosecond: Bool
        var recordHeaderSize: Int
        var lengthOrder: LengthOrder
        var interface: Interface
        /// libpcap's `p->snapshot`: records holding more are cut to it.
        var snapshotLength: UInt32
        /// Records holding more are damaged (`max_snaplen_for_dlt`).
        var maximumCapturedLength: UInt32

        init(_ bytes: [UInt8]) throws(CaptureError) {
            let magics = [Self.microsecondMagic, Self.nanosecondMagic, Self.kuznetsovMagic]
            let magic: UInt32
            if magics.contains(load32(bytes, at: 0, .littleEndian)) {
                byteOrder = .littleEndian
            } else if magics.contains(load32(bytes, at: 0, .bigEndian)) {
                byteOrder = .bigEndian
            } else {
                throw CaptureError(.notACaptureFile(magic: load32(bytes, at: 0, .bigEndian)), offset: 0)
            }
            magic = load32(bytes, at: 0, byteOrder)
            guard bytes.count >= Self.size else {
                throw CaptureError(.truncatedFileHeader(needed: Self.size, available: bytes.count), offset: 0)
            }
            let major = load16(bytes, at: 4, byteOrder)
            let minor = load16(bytes, at: 6, byteOrder)
            switch (major, minor) {
            case (2, 0 ... 2), (543, 0):
                lengthOrder = .swapped
            case (2, 3):
                lengthOrder = .maybeSwapped
            case (2, 4):
                lengthOrder = .normal
            default:
                throw CaptureError(.unsupportedPcapVersion(major: major, minor: minor), offset: 4)
            }
            let snapshotLength = load32(bytes, at: 16, byteOrder)
            // As libpcap 1.10 reads the field: the low 26 bits are the type, bit 26 says whether
            // bits 28-31 give an FCS length in 16-bit words, bit 27 is ignored.
            let linkTypeField = load32(bytes, at: 20, byteOrder)
            let linkType = linkTypeField & Self.linkTypeMask
            guard linkType <= Self.largestLinkType else {
                // libpcap reads the type, which tcpdump then refuses as an unknown data link type.
                throw CaptureError(.linkTypeTooLarge(linkType, field: linkTypeField), offset: Self.linkTypeOffset)
            }
            let fcsLength = linkTypeField & 0x0400_0000 != 0 ? Int(linkTypeField >> 28) * 2 : nil
            interface = Interface(
                linkType: LinkType(rawValue: linkType), snapshotLength: snapshotLength,
                ticksPerSecond: magic == Self.nanosecondMagic ? 1_000_000_000 : 1_000_000, fcsLength: fcsLength)
            isNanosecond = magic == Self.nanosecondMagic
            recordHeaderSize = magic == Self.kuznetsovMagic ? 24 : 16
            maximumCapturedLength = interface.linkType.maximumSnapshotLength
            self.snapshotLength = interface.effectiveSnapshotLength
            // libpcap assumes such an Ethernet capture was cooked, with a 14-byte header added.
            if magic == Self.kuznetsovMagic && interface.linkType == .ethernet {
                self.snapshotLength += 14
            }
        }
    }
}

// MARK: - pcapng

extension CaptureFile {
    /// pcapng block types.
    enum PcapngBlock {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let packet: UInt32 = 2  // obsolete
        static let simplePacket: UInt32 = 3
        static let enhancedPacket: UInt32 = 6
        static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    }

    /// What a pcapng reader knows between blocks: the current section's byte order and its
    /// interfaces.
    struct PcapngState: Sendable {
        var byteOrder = ByteOrder.bigEndian
        var interfaces = [Interface]()
        /// The index in `interfaces` of the current section's interface 0.
        var sectionStart = 0
        var sectionCount = 0

        /// Decodes the block at `start`, returning its length and the packet it holds, if any.
        mutating func readBlock(in bytes: [UInt8], at start: Int, packetNumber: Int)
            throws(CaptureError) -> (length: Int, packet: CapturedPacket?)
        {
            let remaining = bytes.count - start
            func failure(_ reason: CaptureError.Reason, isPacket: Bool = false) -> CaptureError {
                CaptureError(reason, offset: start, packetNumber: isPacket ? packetNumber : nil)
            }
            guard remaining >= 8 else {
                throw failure(.truncatedBlock(type: nil, length: nil, available: remaining))
            }
            var order = byteOrder
            // The Section Header Block's type reads the same in both orders; its byte-order
            // magic sets the order of the section it starts.
            let type = load32(bytes, at: start, order)
            if type == PcapngBlock.sectionHeader {
                guard remaining >= 12 else {
                    throw failure(.truncatedBlock(type: type, length: nil, available: remaining))
                }
                if load32(bytes, at: start + 8, .bigEndian) == PcapngBlock.byteOrderMagic {
                    order = .bigEndian
                } else if load32(bytes, at: start + 8, .littleEndian) == PcapngBlock.byteOrderMagic {
                    order = .littleEndian
                } else {
                    throw failure(.badByteOrderMagic(load32(bytes, at: start + 8, .bigEndian)))
                }
            }
            let isPacket = [PcapngBlock.enhancedPacket, PcapngBlock.simplePacket, PcapngBlock.packet].contains(type)
            let length = load32(bytes, at: start + 4, order)
            let minimum = switch type {
            case PcapngBlock.sectionHeader: 28
            case PcapngBlock.interfaceDescription: 20
            case PcapngBlock.enhancedPacket, PcapngBlock.packet: 32
            case PcapngBlock.simplePacket: 16
            default: 12
            }
            guard length >= minimum else {
                throw failure(.blockTooShort(type: type, length: length, minimum: minimum), isPacket: isPacket)
            }
            guard length % 4 == 0 else {
                throw failure(.misalignedBlockLength(type: type, length: length), isPacket: isPacket)
            }
            guard Int(length) <= remaining else {
                throw failure(.truncatedBlock(type: type, length: length, available: remaining), isPacket: isPacket)
            }
            let trailer = load32(bytes, at: start + Int(length) - 4, order)
            guard trailer == length else {
                throw failure(.blockLengthMismatch(type: type, header: length, trailer: trailer), isPacket: isPacket)
            }
            let body = start + 8 ..< start + Int(length) - 4

            switch type {
            case PcapngBlock.sectionHeader:
                let major = load16(bytes, at: body.lowerBound + 4, order)
                let minor = load16(bytes, at: body.lowerBound + 6, order)
                guard major == 1, minor == 0 || minor == 2 else {
                    throw failure(.unsupportedPcapngVersion(major: major, minor: minor))
                }
                byteOrder = order
                sectionStart = interfaces.count
                sectionCount += 1
                return (Int(length), nil)

            case PcapngBlock.interfaceDescription:
                do throws(CaptureError) {
                    interfaces.append(try interface(in: bytes, body, section: max(0, sectionCount - 1)))
                } catch {
                    throw failure(error.reason)
                }
                return (Int(length), nil)

            case PcapngBlock.enhancedPacket, PcapngBlock.packet, PcapngBlock.simplePacket:
                let b = body.lowerBound
                let id: UInt32
                let ticks: UInt64
                var capturedLength: UInt32
                let originalLength: UInt32
                let dataStart: Int
                if type == PcapngBlock.simplePacket {
                    id = 0
                    ticks = 0
                    originalLength = load32(bytes, at: b, order)
                    capturedLength = originalLength
                    dataStart = b + 4
                } else {
                    id = type == PcapngBlock.packet ? UInt32(load16(bytes, at: b, order)) : load32(bytes, at: b, order)
                    ticks = UInt64(load32(bytes, at: b + 4, order)) << 32 | UInt64(load32(bytes, at: b + 8, order))
                    capturedLength = load32(bytes, at: b + 12, order)
                    originalLength = load32(bytes, at: b + 16, order)
                    dataStart = b + 20
                }
                let described = interfaces.count - sectionStart
                guard Int(id) < described else {
                    throw failure(.unknownInterface(id: id, described: described), isPacket: true)
                }
                let index = sectionStart + Int(id)
                let interface = interfaces[index]
                let snapshot = interface.effectiveSnapshotLength
                // A Simple Packet Block holds the packet up to the snapshot length.
                if type == PcapngBlock.simplePacket { capturedLength = min(capturedLength, snapshot) }
                let available = body.upperBound - dataStart
                guard Int(capturedLength) <= available else {
                    throw failure(.capturedLengthExceedsBlock(capturedLength, available: available), isPacket: true)
                }
                let kept = Int(min(capturedLength, snapshot))
                let packet = CapturedPacket(
                    data: Array(bytes[dataStart ..< dataStart + kept]), originalLength: originalLength,
                    linkType: interface.linkType, interfaceIndex: index,
                    timestamp: Self.timestamp(ticks: ticks, on: interface))
                return (Int(length), packet)

            default:
                return (Int(length), nil)
            }
        }

        /// An Interface Description Block's fields and the options that matter for reading.
        private func interface(in bytes: [UInt8], _ body: Range<Int>, section: Int) throws(CaptureError) -> Interface {
            let order = byteOrder
            var interface = Interface(
                linkType: LinkType(rawValue: UInt32(load16(bytes, at: body.lowerBound, order))),
                snapshotLength: load32(bytes, at: body.lowerBound + 4, order), section: section)
            var position = body.lowerBound + 8
            while position < body.upperBound {
                guard body.upperBound - position >= 4 else { throw CaptureError(.truncatedOption(code: nil)) }
                let code = load16(bytes, at: position, order)
                let length = load16(bytes, at: position + 2, order)
                let value = position + 4
                let padded = (Int(length) + 3) & ~3
                guard padded <= body.upperBound - value else { throw CaptureError(.truncatedOption(code: code)) }
                position = value + padded
                switch code {
                case 0:  // opt_endofopt
                    return interface
                case 2:  // if_name
                    interface.name = String(decoding: bytes[value ..< value + Int(length)], as: UTF8.self)
                case 9:  // if_tsresol: 10^-n seconds, or 2^-n with the high bit set
                    guard length == 1 else { throw CaptureError(.badOptionLength(code: code, length: length)) }
                    let resolution = bytes[value]
                    let exponent = resolution & 0x7F
                    if resolution & 0x80 != 0 {
                        guard exponent <= 63 else { throw CaptureError(.timestampResolutionTooHigh(resolution)) }
                        interface.ticksPerSecond = 1 << exponent
                    } else {
                        guard exponent <= 19 else { throw CaptureError(.timestampResolutionTooHigh(resolution)) }
                        interface.ticksPerSecond = (0 ..< exponent).reduce(1) { value, _ in value * 10 }
                    }
                case 13:  // if_fcslen
                    guard length == 1 else { throw CaptureError(.badOptionLength(code: code, length: length)) }
                    interface.fcsLength = Int(bytes[value])
                case 14:  // if_tsoffset
                    guard length == 8 else { throw CaptureError(.badOptionLength(code: code, length: length)) }
                    interface.timestampOffset = Int64(bitPattern: load64(bytes, at: value, order))
                default:
                    break
                }
            }
            return interface
        }

        /// Ticks since the epoch in the interface's resolution, as seconds and nanoseconds
        /// (rounded down, as libpcap does).
        static func timestamp(ticks: UInt64, on interface: Interface) -> CapturedPacket.Timestamp {
            let perSecond = interface.ticksPerSecond
            let (seconds, fraction) = ticks.quotientAndRemainder(dividingBy: perSecond)
            // fraction < perSecond, so the quotient is below 10^9.
            let nanoseconds = perSecond.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000)).quotient
            return CapturedPacket.Timestamp(
                seconds: Int64(truncatingIfNeeded: seconds) &+ interface.timestampOffset, nanoseconds: nanoseconds)
        }
    }
}
