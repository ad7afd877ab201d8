extension CaptureFile {
    /// pcapng block types.
    enum PcapngBlock {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let packet: UInt32 = 2  // obsolete
        static let simplePacket: UInt32 = 3
        static let enhancedPacket: UInt32 = 6
        static let byteOrderMagic: UInt32 = 0x1A2B_3C4D

        /// The longest block libpcap reads before any interface asks for more (its
        /// `INITIAL_MAX_BLOCKSIZE`): 16 MiB.
        static let initialMaximumLength: Int = 16 << 20

        /// The longest block libpcap reads once an interface of `linkType` is described
        /// (`MAX_BLOCKSIZE_FOR_SNAPLEN`): a packet of the type's largest snapshot length in an
        /// Enhanced Packet Block with 128 KiB of options.
        static func maximumLength(for linkType: LinkType) -> Int {
            8 + 20 + Int(linkType.maximumSnapshotLength) + 131_072 + 4
        }
    }

    /// What a pcapng reader knows between blocks: the current section's byte order and its
    /// interfaces.
    struct PcapngState: Sendable {
        /// What a packet block needs of its interface, without the interface's name, so that
        /// reading a packet copies no reference.
        struct PacketFormat: Sendable {
            var linkType: LinkType
            var snapshotLength: UInt32
            var ticksPerSecond: UInt64
            var timestampOffset: Int64
        }

        var byteOrder = ByteOrder.bigEndian
        var interfaces = [Interface]()
        /// `interfaces`, as packet blocks need them.
        private var formats = [PacketFormat]()
        /// The index in `interfaces` of the current section's interface 0.
        var sectionStart = 0
        var sectionCount = 0
        /// Longer blocks are refused, as libpcap refuses them, before they are read into memory.
        private(set) var maximumBlockLength: Int = PcapngBlock.initialMaximumLength

        /// Reads the block at the start of `input` and consumes it, returning the packet it holds,
        /// if any, which stays in `input`'s buffer until its next request.
        @inline(__always)  // into the reader's loop, so that a packet's view is not copied on the way
        mutating func readBlock(from input: inout CaptureInput, packetNumber: Int)
            throws(CaptureError) -> CaptureReader.PacketView?
        {
            let start = input.offset
            var remaining = try input.request(8)
            func failure(_ reason: CaptureError.Reason, isPacket: Bool = false) -> CaptureError {
                CaptureError(reason, offset: start, packetNumber: isPacket ? packetNumber : nil)
            }
            guard remaining >= 8 else {
                throw failure(.truncatedBlock(type: nil, length: nil, available: remaining))
            }
            var order = byteOrder
            // The Section Header Block's type reads the same in both orders; its byte-order
            // magic sets the order of the section it starts.
            let type = order.load32(input.bytes, at: 0)
            if type == PcapngBlock.sectionHeader {
                remaining = try input.request(12)
                guard remaining >= 12 else {
                    throw failure(.truncatedBlock(type: type, length: nil, available: remaining))
                }
                let magic = input.bytes
                if ByteOrder.bigEndian.load32(magic, at: 8) == PcapngBlock.byteOrderMagic {
                    order = .bigEndian
                } else if ByteOrder.littleEndian.load32(magic, at: 8) == PcapngBlock.byteOrderMagic {
                    order = .littleEndian
                } else {
                    throw failure(.badByteOrderMagic(ByteOrder.bigEndian.load32(magic, at: 8)))
                }
            }
            let isPacket: Bool
            let minimum: Int
            switch type {
            case PcapngBlock.sectionHeader: (isPacket, minimum) = (false, 28)
            case PcapngBlock.interfaceDescription: (isPacket, minimum) = (false, 20)
            case PcapngBlock.enhancedPacket, PcapngBlock.packet: (isPacket, minimum) = (true, 32)
            case PcapngBlock.simplePacket: (isPacket, minimum) = (true, 16)
            default: (isPacket, minimum) = (false, 12)
            }
            let length = order.load32(input.bytes, at: 4)
            guard length >= minimum else {
                throw failure(.blockTooShort(type: type, length: length, minimum: minimum), isPacket: isPacket)
            }
            guard length % 4 == 0 else {
                throw failure(.misalignedBlockLength(type: type, length: length), isPacket: isPacket)
            }
            guard Int(length) <= maximumBlockLength else {
                throw failure(.blockTooLarge(type: type, length: length, maximum: maximumBlockLength), isPacket: isPacket)
            }
            remaining = try input.request(Int(length))
            guard Int(length) <= remaining else {
                throw failure(.truncatedBlock(type: type, length: length, available: remaining), isPacket: isPacket)
            }
            let bytes = input.bytes
            let trailer = order.load32(bytes, at: Int(length) - 4)
            guard trailer == length else {
                throw failure(.blockLengthMismatch(type: type, header: length, trailer: trailer), isPacket: isPacket)
            }
            let body = 8 ..< Int(length) - 4

            switch type {
            case PcapngBlock.sectionHeader:
                let major = order.load16(bytes, at: body.lowerBound + 4)
                let minor = order.load16(bytes, at: body.lowerBound + 6)
                guard major == 1, minor == 0 || minor == 2 else {
                    throw failure(.unsupportedPcapngVersion(major: major, minor: minor))
                }
                byteOrder = order
                sectionStart = interfaces.count
                sectionCount += 1
                input.consume(Int(length))
                return nil

            case PcapngBlock.interfaceDescription:
                let interface: Interface
                do throws(CaptureError) {
                    interface = try Self.interface(in: bytes, body, order: order, section: max(0, sectionCount - 1))
                } catch {
                    throw failure(error.reason)
                }
                interfaces.append(interface)
                formats.append(PacketFormat(
                    linkType: interface.linkType, snapshotLength: interface.effectiveSnapshotLength,
                    ticksPerSecond: interface.ticksPerSecond, timestampOffset: interface.timestampOffset))
                maximumBlockLength = max(maximumBlockLength, PcapngBlock.maximumLength(for: interface.linkType))
                input.consume(Int(length))
                return nil

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
                    originalLength = order.load32(bytes, at: b)
                    capturedLength = originalLength
                    dataStart = b + 4
                } else {
                    id = type == PcapngBlock.packet ? UInt32(order.load16(bytes, at: b)) : order.load32(bytes, at: b)
                    ticks = UInt64(order.load32(bytes, at: b + 4)) << 32 | UInt64(order.load32(bytes, at: b + 8))
                    capturedLength = order.load32(bytes, at: b + 12)
                    originalLength = order.load32(bytes, at: b + 16)
                    dataStart = b + 20
                }
                let described = interfaces.count - sectionStart
                guard Int(id) < described else {
                    throw failure(.unknownInterface(id: id, described: described), isPacket: true)
                }
                let index = sectionStart + Int(id)
                let format = formats[index]
                // A Simple Packet Block holds the packet up to the snapshot length.
                if type == PcapngBlock.simplePacket { capturedLength = min(capturedLength, format.snapshotLength) }
                let available = body.upperBound - dataStart
                guard Int(capturedLength) <= available else {
                    throw failure(.capturedLengthExceedsBlock(capturedLength, available: available), isPacket: true)
                }
                let kept = Int(min(capturedLength, format.snapshotLength))
                input.consume(Int(length))
                return CaptureReader.PacketView(
                    bytes: UnsafeRawBufferPointer(rebasing: bytes[dataStart ..< dataStart + kept]),
                    originalLength: originalLength, linkType: format.linkType, interfaceIndex: index,
                    ticks: ticks, ticksPerSecond: format.ticksPerSecond, timestampOffset: format.timestampOffset)

            default:
                input.consume(Int(length))
                return nil
            }
        }

        /// An Interface Description Block's fields and the options that matter for reading.
        private static func interface(
            in bytes: UnsafeRawBufferPointer, _ body: Range<Int>, order: ByteOrder, section: Int
        ) throws(CaptureError) -> Interface {
            var interface = Interface(
                linkType: LinkType(rawValue: UInt32(order.load16(bytes, at: body.lowerBound))),
                snapshotLength: order.load32(bytes, at: body.lowerBound + 4), section: section)
            var position = body.lowerBound + 8
            while position < body.upperBound {
                guard body.upperBound - position >= 4 else { throw CaptureError(.truncatedOption(code: nil)) }
                let code = order.load16(bytes, at: position)
                let length = order.load16(bytes, at: position + 2)
                let value = position + 4
                let padded = (Int(length) + 3) & ~3
                guard padded <= body.upperBound - value else { throw CaptureError(.truncatedOption(code: code)) }
                position = value + padded
                switch code {
                case 0:  // opt_endofopt
                    return interface
                case 2:  // if_name
                    interface.name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[value ..< value + Int(length)]),
                                            as: UTF8.self)
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
                    interface.timestampOffset = Int64(bitPattern: order.load64(bytes, at: value))
                default:
                    break
                }
            }
            return interface
        }
    }
}
