/// Why a capture file could not be read, and where.
///
/// Reading stops at the first error; the packets before it have been returned already, so a
/// damaged file still yields what precedes the damage.
public struct CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Hashable, Sendable {
        /// The file could not be opened or read; the system's message.
        case unreadableFile(String)
        /// The file could not be written; the system's message.
        case unwritableFile(String)
        /// The first four bytes are neither a pcap magic number nor a pcapng Section Header Block.
        case notACaptureFile(magic: UInt32)
        /// The file ends inside the pcap file header or the first Section Header Block.
        case truncatedFileHeader(needed: Int, available: Int)
        /// A pcap file header's link-type field gives a type above 65535 (bits 16-25, which are
        /// reserved, are set): no such link type exists, and tcpdump refuses the file.
        case linkTypeTooLarge(UInt32, field: UInt32)
        /// A pcap file header's version is not one libpcap reads (2.0 to 2.4, and DG/UX's 543.0).
        case unsupportedPcapVersion(major: UInt16, minor: UInt16)
        /// A Section Header Block's version is not 1.0 or 1.2.
        case unsupportedPcapngVersion(major: UInt16, minor: UInt16)
        /// The file ends inside a pcap record header.
        case truncatedRecordHeader(needed: Int, available: Int)
        /// The file ends before all the captured bytes that a record header announces.
        case truncatedPacketData(needed: Int, available: Int)
        /// A pcap record claims more captured bytes than any capture of its link type holds,
        /// which libpcap also refuses: the record header is damaged.
        case capturedLengthTooLarge(UInt32, maximum: UInt32)
        /// A pcapng packet block claims more captured bytes than the block holds.
        case capturedLengthExceedsBlock(UInt32, available: Int)
        /// The file ends inside a pcapng block (or its 8-byte header).
        case truncatedBlock(type: UInt32?, length: UInt32?, available: Int)
        /// A pcapng block is shorter than its type's fixed part.
        case blockTooShort(type: UInt32, length: UInt32, minimum: Int)
        /// A pcapng block longer than libpcap reads (16 MiB, or more once an interface's link
        /// type allows larger packets), refused before it is read into memory.
        case blockTooLarge(type: UInt32, length: UInt32, maximum: Int)
        /// A pcapng block length that is not a multiple of 4.
        case misalignedBlockLength(type: UInt32, length: UInt32)
        /// A pcapng block whose trailing length differs from its leading one.
        case blockLengthMismatch(type: UInt32, header: UInt32, trailer: UInt32)
        /// A Section Header Block whose byte-order magic is not 0x1A2B3C4D in either byte order.
        case badByteOrderMagic(UInt32)
        /// A packet names an interface that its section has not described.
        case unknownInterface(id: UInt32, described: Int)
        /// An Interface Description Block option runs past the end of the block.
        case truncatedOption(code: UInt16?)
        /// An Interface Description Block option has the wrong length for its code.
        case badOptionLength(code: UInt16, length: UInt16)
        /// An `if_tsresol` too fine for a 64-bit count of ticks per second.
        case timestampResolutionTooHigh(UInt8)
    }

    /// What is wrong.
    public var reason: Reason
    /// The byte offset of the file header, record or block at fault.
    public var offset: Int?
    /// The 1-based number of the packet whose record or block is at fault.
    public var packetNumber: Int?
    /// The file's path, when it was read from one.
    public var path: String?

    /// An error with its reason and, where known, the offset, the packet's number and the path.
    public init(_ reason: Reason, offset: Int? = nil, packetNumber: Int? = nil, path: String? = nil) {
        self.reason = reason
        self.offset = offset
        self.packetNumber = packetNumber
        self.path = path
    }

    /// For example `trace.pcap: packet 7 at byte 1840: truncated packet record: 60 captured
    /// bytes announced, only 18 left in the file`.
    public var description: String {
        var location = [String]()
        if let packetNumber { location.append("packet \(packetNumber)") }
        if let offset { location.append(packetNumber == nil ? "byte \(offset)" : "at byte \(offset)") }
        var text = location.joined(separator: " ")
        if !text.isEmpty { text += ": " }
        text += reason.description
        if let path { text = "\(path): " + text }
        return text
    }
}

extension CaptureError.Reason: CustomStringConvertible {
    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .unreadableFile(let message):
            return "cannot read the file: \(message)"
        case .unwritableFile(let message):
            return "cannot write the file: \(message)"
        case .notACaptureFile(let magic):
            return "not a pcap or pcapng capture file (it starts with \(Self.hex(magic)))"
        case .truncatedFileHeader(let needed, let available):
            return "truncated file header: needs \(needed) bytes, the file has \(available)"
        case .linkTypeTooLarge(let linkType, let field):
            return "link type \(linkType) (link-type field \(Self.hex(field))) does not exist: link types are below "
                + "65536, and bits 16 to 25 of the field are reserved"
        case .unsupportedPcapVersion(let major, let minor):
            return "unsupported pcap version \(major).\(minor) (libpcap reads 2.0 to 2.4)"
        case .unsupportedPcapngVersion(let major, let minor):
            return "unsupported pcapng section version \(major).\(minor) (only 1.0 and 1.2 exist)"
        case .truncatedRecordHeader(let needed, let available):
            return "truncated packet record: the record header needs \(needed) bytes, "
                + "only \(available) left in the file"
        case .truncatedPacketData(let needed, let available):
            return "truncated packet record: \(needed) captured bytes announced, only \(available) left in the file"
        case .capturedLengthTooLarge(let length, let maximum):
            return "captured length \(length) is larger than the maximum of \(maximum): the record header is damaged"
        case .capturedLengthExceedsBlock(let length, let available):
            return "captured length \(length) is larger than the block, which holds \(available) bytes of packet data"
        case .truncatedBlock(let type, let length, let available):
            guard let type, let length else {
                return "truncated block header: only \(available) bytes left in the file"
            }
            return "truncated block: \(Self.name(type)) is \(length) bytes long, only \(available) left in the file"
        case .blockTooShort(let type, let length, let minimum):
            return "\(Self.name(type)) is \(length) bytes long, shorter than its minimum of \(minimum)"
        case .blockTooLarge(let type, let length, let maximum):
            return "\(Self.name(type)) is \(length) bytes long, longer than the most libpcap reads, \(maximum)"
        case .misalignedBlockLength(let type, let length):
            return "\(Self.name(type)) has a length of \(length), not a multiple of 4"
        case .blockLengthMismatch(let type, let header, let trailer):
            return "\(Self.name(type)) gives its length as \(header) at the start and \(trailer) at the end"
        case .badByteOrderMagic(let magic):
            return "Section Header Block has byte-order magic \(Self.hex(magic)), not 0x1a2b3c4d in either byte order"
        case .unknownInterface(let id, let described):
            let interfaces = described == 1 ? "1 interface" : "\(described) interfaces"
            return "packet on interface \(id), but its section describes \(interfaces)"
        case .truncatedOption(let code):
            return "Interface Description Block option\(code.map { " \($0)" } ?? "") runs past the end of the block"
        case .badOptionLength(let code, let length):
            return "Interface Description Block option \(code) has length \(length), wrong for that option"
        case .timestampResolutionTooHigh(let value):
            let unit = value & 0x80 != 0 ? "2^-\(value & 0x7F)" : "10^-\(value)"
            return "if_tsresol \(unit) s is finer than a 64-bit count of ticks can express"
        }
    }

    /// The pcapng block type's name, or its number.
    private static func name(_ type: UInt32) -> String {
        switch type {
        case 0x0A0D_0D0A: return "Section Header Block"
        case 1: return "Interface Description Block"
        case 2: return "Packet Block"
        case 3: return "Simple Packet Block"
        case 6: return "Enhanced Packet Block"
        default: return "block of type \(hex(type))"
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
