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

        // Only plain values, so that reading a record copies no reference.
        var byteOrder: ByteOrder
        var isNanosecond: Bool
        var recordHeaderSize: Int
        var lengthOrder: LengthOrder
        var linkType: LinkType
        /// The snapshot length as the header gives it.
        var fileSnapshotLength: UInt32
        var fcsLength: Int?
        /// libpcap's `p->snapshot`: records holding more are cut to it.
        var snapshotLength: UInt32
        /// Records holding more are damaged (`max_snaplen_for_dlt`).
        var maximumCapturedLength: UInt32

        /// Decodes the header at the start of `bytes`, which holds the first 24 bytes of the file
        /// or all of a shorter file (at least 4).
        init(_ bytes: UnsafeRawBufferPointer) throws(CaptureError) {
            let magics = [Self.microsecondMagic, Self.nanosecondMagic, Self.kuznetsovMagic]
            if magics.contains(ByteOrder.littleEndian.load32(bytes, at: 0)) {
                byteOrder = .littleEndian
            } else if magics.contains(ByteOrder.bigEndian.load32(bytes, at: 0)) {
                byteOrder = .bigEndian
            } else {
                throw CaptureError(.notACaptureFile(magic: ByteOrder.bigEndian.load32(bytes, at: 0)), offset: 0)
            }
            let magic = byteOrder.load32(bytes, at: 0)
            guard bytes.count >= Self.size else {
                throw CaptureError(.truncatedFileHeader(needed: Self.size, available: bytes.count), offset: 0)
            }
            let major = byteOrder.load16(bytes, at: 4)
            let minor = byteOrder.load16(bytes, at: 6)
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
            fileSnapshotLength = byteOrder.load32(bytes, at: 16)
            // As libpcap 1.10 reads the field: the low 26 bits are the type, bit 26 says whether
            // bits 28-31 give an FCS length in 16-bit words, bit 27 is ignored.
            let linkTypeField = byteOrder.load32(bytes, at: Self.linkTypeOffset)
            let linkTypeValue = linkTypeField & Self.linkTypeMask
            guard linkTypeValue <= Self.largestLinkType else {
                // libpcap reads the type, which tcpdump then refuses as an unknown data link type.
                throw CaptureError(.linkTypeTooLarge(linkTypeValue, field: linkTypeField), offset: Self.linkTypeOffset)
            }
            linkType = LinkType(rawValue: linkTypeValue)
            fcsLength = linkTypeField & 0x0400_0000 != 0 ? Int(linkTypeField >> 28) * 2 : nil
            isNanosecond = magic == Self.nanosecondMagic
            recordHeaderSize = magic == Self.kuznetsovMagic ? 24 : 16
            maximumCapturedLength = linkType.maximumSnapshotLength
            snapshotLength = 0
            snapshotLength = interface.effectiveSnapshotLength
            // libpcap assumes such an Ethernet capture was cooked, with a 14-byte header added.
            if magic == Self.kuznetsovMagic && linkType == .ethernet {
                snapshotLength += 14
            }
        }

        /// The file's one interface.
        var interface: Interface {
            Interface(linkType: linkType, snapshotLength: fileSnapshotLength,
                      ticksPerSecond: isNanosecond ? 1_000_000_000 : 1_000_000, fcsLength: fcsLength)
        }
    }
}
