import CPcap
import Foundation
import PacketFilter
import Testing

// The format variants and errors that no corpus file exercises, built here byte by byte and,
// where libpcap reads them, compared with libpcap.

/// A classic pcap file with full control over every header field.
private struct ClassicPcap {
    var order: CaptureFile.ByteOrder
    var magic: UInt32 = 0xA1B2_C3D4
    var major: UInt16 = 2
    var minor: UInt16 = 4
    var snapshotLength: UInt32 = 65535
    var linkTypeField: UInt32 = 1
    var records: [[UInt8]] = []

    var isKuznetsov: Bool { magic == 0xA1B2_CD34 }

    func encode16(_ value: UInt16) -> [UInt8] {
        withUnsafeBytes(of: order == .bigEndian ? value.bigEndian : value.littleEndian) { Array($0) }
    }

    func encode32(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: order == .bigEndian ? value.bigEndian : value.littleEndian) { Array($0) }
    }

    /// A record whose header holds `first` and `second` in the caplen and len slots, in that order.
    mutating func record(seconds: UInt32, fraction: UInt32, first: UInt32, second: UInt32, data: [UInt8]) {
        var record = encode32(seconds) + encode32(fraction) + encode32(first) + encode32(second)
        if isKuznetsov { record += encode32(3) + encode16(0x0800) + [0, 0] }
        records.append(record + data)
    }

    var bytes: [UInt8] {
        encode32(magic) + encode16(major) + encode16(minor) + encode32(0) + encode32(0) + encode32(snapshotLength)
            + encode32(linkTypeField) + records.joined()
    }
}


/// Expects our reading to equal libpcap's, packet for packet.
private func expectSameAsLibpcap(_ bytes: [UInt8], format: CaptureFile.Format, _ comment: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
    let reference = LibpcapCapture(bytes: bytes)
    let ours = readAll(bytes)
    #expect(reference.openError == nil, "\(comment): \(reference.openError ?? "")", sourceLocation: sourceLocation)
    #expect(ours.packets.count == reference.packets.count, "\(comment)", sourceLocation: sourceLocation)
    #expect((ours.error == nil) == (reference.readError == nil),
            "\(comment): ours \(ours.error.map(String.init(describing:)) ?? "-"), libpcap \(reference.readError ?? "-")",
            sourceLocation: sourceLocation)
    for (actual, expected) in zip(ours.packets, reference.packets) {
        #expect(actual.data == expected.data, "\(comment)", sourceLocation: sourceLocation)
        #expect(actual.originalLength == expected.originalLength, "\(comment)", sourceLocation: sourceLocation)
        #expect(actual.linkType.rawValue == reference.linkType, "\(comment)", sourceLocation: sourceLocation)
        #expect(actual.timestamp == LibpcapCapture.timestamp(of: expected, format: format), "\(comment)",
                sourceLocation: sourceLocation)
    }
}

@Suite struct CaptureFormatTests {
    static let payload: [UInt8] = (0 ..< 200).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }

    // MARK: classic pcap

    @Test(arguments: [CaptureFile.ByteOrder.littleEndian, .bigEndian])
    func classicVariantsReadAsLibpcapReadsThem(order: CaptureFile.ByteOrder) {
        let magics: [UInt32] = [0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34]
        let versions: [(UInt16, UInt16)] = [(2, 4), (2, 3), (2, 2), (2, 0), (543, 0)]
        for magic in magics {
            for (major, minor) in versions {
                var file = ClassicPcap(order: order, magic: magic, major: major, minor: minor, snapshotLength: 96)
                // Before 2.3 the original length comes first; 2.3 files have either order.
                let swapped = major == 543 || minor < 3
                func record(seconds: UInt32, fraction: UInt32, capturedLength: Int, originalLength: UInt32) {
                    let captured = UInt32(capturedLength)
                    file.record(seconds: seconds, fraction: fraction, first: swapped ? originalLength : captured,
                                second: swapped ? captured : originalLength,
                                data: Array(Self.payload.prefix(capturedLength)))
                }
                // A whole packet, one cut by its writer, and one longer than the snapshot length,
                // which libpcap cuts.
                record(seconds: 1_700_000_000, fraction: 999_999, capturedLength: 60, originalLength: 60)
                record(seconds: 1_700_000_001, fraction: 5, capturedLength: 40, originalLength: 1500)
                record(seconds: UInt32.max, fraction: 0, capturedLength: 150, originalLength: 150)
                if minor == 3 {
                    file.record(seconds: 1_700_000_002, fraction: 7, first: 1500, second: 40,
                                data: Array(Self.payload.prefix(40)))
                }
                expectSameAsLibpcap(file.bytes, format: .pcap, "magic \(magic) version \(major).\(minor) \(order)")
            }
        }
    }

    @Test func classicHeaderFields() throws {
        var file = ClassicPcap(order: .bigEndian, magic: 0xA1B2_3C4D, snapshotLength: 0, linkTypeField: 0x3400_0071)
        file.record(seconds: 10, fraction: 1_500_000_000, first: 4, second: 4, data: [1, 2, 3, 4])
        var reader = try CaptureReader(bytes: file.bytes)
        #expect(reader.format == .pcap && reader.byteOrder == .bigEndian)
        let packet = try #require(try reader.next())
        #expect(try reader.next() == nil)
        #expect(reader.packetCount == 1)
        let interface = try #require(reader.interfaces.first)
        #expect(interface.linkType == .linuxSLL)
        #expect(interface.fcsLength == 6)
        #expect(interface.snapshotLength == 0 && interface.effectiveSnapshotLength == 262_144)
        #expect(interface.ticksPerSecond == 1_000_000_000)
        // A fraction of a second or more carries into the seconds.
        #expect(packet.timestamp == CapturedPacket.Timestamp(seconds: 11, nanoseconds: 500_000_000))
        #expect(packet.linkType == .linuxSLL && packet.data == [1, 2, 3, 4] && packet.interfaceIndex == 0)
    }

    /// tcpdump -r on a file holding `bytes`: whether it read the packets (exit status 0), or nil
    /// without tcpdump.
    private static func tcpdumpReads(_ bytes: [UInt8]) throws -> Bool? {
        guard CaptureTcpdump.executable != nil else { return nil }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("link-type-\(getpid())-\(UUID()).pcap")
        try Data(bytes).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        return CaptureTcpdump.run(["-nr", path.path]).map { $0.status == 0 }
    }

    /// A link-type field whose type is above 65535 (reserved bits 16-25 set): libpcap reads the
    /// type from the low 26 bits and tcpdump refuses it ("unknown data link type 65537"); so do
    /// we, naming the type libpcap reads, the field and its offset.
    @Test(arguments: [0x0001_0001, 0x7FFF_FFFF, 0x0200_0001, 0x03FF_0001, 0xFFFF_FFFF] as [UInt32])
    func classicLinkTypesAbove65535AreRefused(field: UInt32) throws {
        var file = ClassicPcap(order: .littleEndian, linkTypeField: field)
        file.record(seconds: 1, fraction: 0, first: 4, second: 4, data: [1, 2, 3, 4])
        let error = try #require(readAll(file.bytes).error)
        let reference = LibpcapCapture(bytes: file.bytes)
        #expect(error.reason == .linkTypeTooLarge(reference.linkType, field: field))
        #expect(error.offset == 20 && reference.linkType == field & 0x03FF_FFFF)
        #expect(error.description.hasPrefix("byte 20: link type \(field & 0x03FF_FFFF) (link-type field 0x"))
        if let tcpdumpReads = try Self.tcpdumpReads(file.bytes) { #expect(!tcpdumpReads) }
    }

    /// The bits above the type that libpcap reads as FCS information (26: an FCS length is
    /// present; 28-31: the length in 16-bit words) or ignores (27): the type and the FCS length
    /// are libpcap's, and the packets too.
    @Test(arguments: [0x0400_0001, 0x1400_0001, 0xF400_0001, 0x1000_0001, 0x0800_0001, 0x0C00_0071, 0x8000_0065]
        as [UInt32])
    func classicFCSBitsAsLibpcapReadsThem(field: UInt32) throws {
        var file = ClassicPcap(order: .bigEndian, linkTypeField: field)
        file.record(seconds: 1, fraction: 0, first: 4, second: 4, data: [1, 2, 3, 4])
        let interface = try #require(try CaptureReader(bytes: file.bytes).interfaces.first)
        let reference = LibpcapCapture(bytes: file.bytes)
        let fcsPresent = reference.linkTypeExtension & 0x0400_0000 != 0
        #expect(interface.linkType.rawValue == reference.linkType)
        #expect(interface.fcsLength == (fcsPresent ? Int(reference.linkTypeExtension >> 28) * 2 : nil))
        expectSameAsLibpcap(file.bytes, format: .pcap, "link-type field \(field)")
        if let tcpdumpReads = try Self.tcpdumpReads(file.bytes) { #expect(tcpdumpReads) }
    }

    @Test func classicErrorsSayWhatAndWhere() throws {
        func error(_ bytes: [UInt8]) -> CaptureError? { readAll(bytes).error }

        #expect(error([])?.reason == .truncatedFileHeader(needed: 4, available: 0))
        #expect(error(Array("GET / HTTP/1.1\r\n".utf8))?.reason == .notACaptureFile(magic: 0x4745_5420))
        let header = ClassicPcap(order: .littleEndian).bytes
        #expect(error(Array(header.prefix(20)))?.reason == .truncatedFileHeader(needed: 24, available: 20))
        for (major, minor) in [(1, 0), (2, 5), (3, 0), (543, 1)] as [(UInt16, UInt16)] {
            let bytes = ClassicPcap(order: .littleEndian, major: major, minor: minor).bytes
            #expect(error(bytes)?.reason == .unsupportedPcapVersion(major: major, minor: minor))
            #expect(LibpcapCapture(bytes: bytes).openError != nil)
        }

        var file = ClassicPcap(order: .littleEndian)
        file.record(seconds: 0, fraction: 0, first: 10, second: 10, data: Array(Self.payload.prefix(10)))
        file.record(seconds: 0, fraction: 0, first: 300_000, second: 300_000, data: [])
        let tooLarge = try #require(error(file.bytes))
        #expect(tooLarge.reason == .capturedLengthTooLarge(300_000, maximum: 262_144))
        #expect(tooLarge.packetNumber == 2 && tooLarge.offset == 24 + 26)
        #expect(LibpcapCapture(bytes: file.bytes).readError != nil)

        file.records.removeLast()
        file.record(seconds: 0, fraction: 0, first: 60, second: 60, data: Array(Self.payload.prefix(18)))
        let truncated = try #require(error(file.bytes))
        #expect(truncated.reason == .truncatedPacketData(needed: 60, available: 18))
        #expect(truncated.description
            == "packet 2 at byte 50: truncated packet record: 60 captured bytes announced, only 18 left in the file")
        let cutHeader = try #require(error(Array(file.bytes.prefix(24 + 26 + 9))))
        #expect(cutHeader.reason == .truncatedRecordHeader(needed: 16, available: 9))
        expectSameAsLibpcap(Array(file.bytes.prefix(24 + 26 + 9)), format: .pcap, "cut record header")
    }

    @Test func fileErrorsNameThePath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("capture-tests-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.pcap").path
        #expect(throws: CaptureError.self) { _ = try CaptureReader(path: missing) }
        do {
            _ = try CaptureReader(path: missing)
        } catch {
            #expect(error.description == "\(missing): cannot read the file: open: No such file or directory")
        }
        var file = ClassicPcap(order: .littleEndian)
        file.record(seconds: 0, fraction: 0, first: 60, second: 60, data: [1])
        let path = directory.appendingPathComponent("cut.pcap").path
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: CaptureError.self) { try CaptureReader(path: path).packets() }
        do {
            _ = try CaptureReader(path: path).packets()
        } catch {
            #expect(error.description.hasPrefix("\(path): packet 1 at byte 24: truncated packet record"))
        }
    }

    // MARK: PcapWriter

    @Test(arguments: [CaptureFile.ByteOrder.littleEndian, .bigEndian], [PcapWriter.Resolution.microseconds, .nanoseconds])
    func writtenFilesReadBackWithLibpcap(order: CaptureFile.ByteOrder, resolution: PcapWriter.Resolution) throws {
        var writer = PcapWriter(linkType: .ethernet, snapshotLength: 1000, byteOrder: order, resolution: resolution)
        let sizes = [0, 1, 14, 60, 999, 1000, 1001, 1514]
        for (index, size) in sizes.enumerated() {
            let data = (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            writer.append(data, originalLength: UInt32(size + index),
                          timestamp: CapturedPacket.Timestamp(seconds: Int64(index) * 1_000_000_007,
                                                              nanoseconds: UInt64(index) * 123_456_789))
        }
        let reference = LibpcapCapture(bytes: writer.bytes)
        let ours = try CaptureReader(bytes: writer.bytes).packets()
        #expect(reference.openError == nil && reference.readError == nil)
        #expect(reference.linkType == 1 && ours.count == sizes.count && reference.packets.count == sizes.count)
        for (index, (packet, expected)) in zip(ours, reference.packets).enumerated() {
            let data = (0 ..< min(sizes[index], 1000)).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            #expect(packet.data == data && expected.data == data)
            #expect(packet.originalLength == UInt32(sizes[index] + index) && expected.originalLength == packet.originalLength)
            var nanoseconds = UInt32(index) * 123_456_789
            if resolution == .microseconds { nanoseconds -= nanoseconds % 1000 }
            let timestamp = CapturedPacket.Timestamp(
                seconds: Int64(UInt32(truncatingIfNeeded: Int64(index) * 1_000_000_007)), nanoseconds: UInt64(nanoseconds))
            #expect(packet.timestamp == timestamp)
            #expect(LibpcapCapture.timestamp(of: expected, format: .pcap) == timestamp)
        }

        // Through a file too, as fixtures are written.
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("capture-writer-\(getpid())-\(order)-\(resolution).pcap").path
        defer { unlink(path) }
        try writer.write(toFile: path)
        #expect(try CaptureReader(path: path).packets() == ours)
        #expect(LibpcapCapture(path: path).packets.count == sizes.count)
    }

    // MARK: pcapng

    /// An Interface Description Block's link type is 16 bits; libpcap ignores the 16 reserved
    /// bits after it, and tcpdump reads the file. So do we: no bits beside the type are read as
    /// part of it, unlike a pcap header's field.
    @Test(arguments: [0x0001, 0x8000, 0xFFFF] as [UInt16])
    func pcapngReservedBitsBesideTheLinkTypeAreIgnored(reserved: UInt16) throws {
        var file = PcapngBuilder(order: .littleEndian)
        file.section(order: .littleEndian)
        file.interface(.ethernet, reserved: reserved)
        file.enhancedPacket(interface: 0, ticks: 1, data: Array(Self.payload.prefix(60)))
        #expect(try CaptureReader(bytes: file.bytes).packets().map(\.linkType) == [.ethernet])
        expectSameAsLibpcap(file.bytes, format: .pcapng, "reserved \(reserved)")
        if let tcpdumpReads = try Self.tcpdumpReads(file.bytes) { #expect(tcpdumpReads) }
    }

    @Test(arguments: [CaptureFile.ByteOrder.littleEndian, .bigEndian])
    func pcapngBlocksAndSections(order: CaptureFile.ByteOrder) throws {
        let other: CaptureFile.ByteOrder = order == .bigEndian ? .littleEndian : .bigEndian
        var file = PcapngBuilder(order: order)
        file.section(order: order)
        file.interface(.ethernet, snapshotLength: 100, options: [(2, Array("eth0".utf8)), (9, [9]), (13, [4])])
        file.block(4, [0, 0, 0, 0])  // a Name Resolution Block, skipped
        file.enhancedPacket(interface: 0, ticks: 1_700_000_000_123_456_789, data: Array(Self.payload.prefix(60)),
                            originalLength: 64)
        file.interface(.raw, options: [(9, [0x80 | 10]), (14, file.encode64(100))])
        file.enhancedPacket(interface: 1, ticks: 1024 * 5 + 512, data: Array(Self.payload.prefix(20)))
        file.block(0x0BAD_CAFE, [1, 2, 3, 4, 5])  // unknown, skipped
        file.simplePacket(data: Array(Self.payload.prefix(100)), originalLength: 150)  // cut at 100
        file.obsoletePacket(interface: 1, ticks: 2048, data: [0x45])
        file.enhancedPacket(interface: 0, ticks: 0, data: Array(Self.payload.prefix(120)))  // cut at 100
        // A second section in the other byte order, with its own interface 0.
        file.section(order: other, minor: 2)
        file.interface(.linuxSLL2, options: [(9, [3])])
        file.enhancedPacket(interface: 0, ticks: 12_345, data: [9, 8, 7])

        var reader = try CaptureReader(bytes: file.bytes)
        #expect(reader.format == .pcapng && reader.byteOrder == order)
        var packets = [CapturedPacket]()
        while let packet = try reader.next() { packets.append(packet) }
        #expect(reader.interfaces.map(\.linkType) == [.ethernet, .raw, .linuxSLL2])
        #expect(reader.interfaces.map(\.section) == [0, 0, 1])
        #expect(reader.interfaces[0].name == "eth0" && reader.interfaces[0].fcsLength == 4)
        #expect(reader.interfaces.map(\.ticksPerSecond) == [1_000_000_000, 1024, 1000])
        #expect(reader.interfaces[1].timestampOffset == 100)

        typealias Timestamp = CapturedPacket.Timestamp
        let expected: [CapturedPacket] = [
            CapturedPacket(data: Array(Self.payload.prefix(60)), originalLength: 64, linkType: .ethernet,
                           interfaceIndex: 0, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)),
            CapturedPacket(data: Array(Self.payload.prefix(20)), linkType: .raw, interfaceIndex: 1,
                           timestamp: Timestamp(seconds: 105, nanoseconds: 500_000_000)),
            CapturedPacket(data: Array(Self.payload.prefix(100)), originalLength: 150, linkType: .ethernet,
                           interfaceIndex: 0, timestamp: Timestamp(seconds: 0)),
            CapturedPacket(data: [0x45], linkType: .raw, interfaceIndex: 1, timestamp: Timestamp(seconds: 102)),
            CapturedPacket(data: Array(Self.payload.prefix(100)), originalLength: 120, linkType: .ethernet,
                           interfaceIndex: 0, timestamp: Timestamp(seconds: 0)),
            CapturedPacket(data: [9, 8, 7], linkType: .linuxSLL2, interfaceIndex: 2,
                           timestamp: Timestamp(seconds: 12, nanoseconds: 345_000_000)),
        ]
        #expect(packets == expected)

        // libpcap 1.10 stops at the second link type; we read on.
        let reference = LibpcapCapture(bytes: file.bytes)
        #expect(reference.packets.count == 1 && reference.readError?.contains("different from the type") == true)
    }

    /// A single-interface pcapng file in each byte order and several resolutions: libpcap agrees.
    @Test(arguments: [CaptureFile.ByteOrder.littleEndian, .bigEndian], [nil, 3, 6, 9, 12, 0x80 | 20, 0x80 | 30] as [UInt8?])
    func pcapngTimestampsAsLibpcap(order: CaptureFile.ByteOrder, resolution: UInt8?) {
        var file = PcapngBuilder(order: order)
        file.section(order: order)
        file.interface(.ethernet, snapshotLength: 128, options: resolution.map { [(9, [$0])] } ?? [])
        for index in 0 ..< 5 {
            let ticks = UInt64(index) &* 0x1234_5678_9ABC &+ UInt64(index) * 999_999_999
            file.enhancedPacket(interface: 0, ticks: ticks, data: Array(Self.payload.prefix(20 + 25 * index)))
        }
        file.simplePacket(data: Array(Self.payload.prefix(128)), originalLength: 1500)
        file.obsoletePacket(interface: 0, ticks: 77, data: [1, 2, 3])
        expectSameAsLibpcap(file.bytes, format: .pcapng, "pcapng \(order) if_tsresol \(resolution.map { String($0) } ?? "-")")
    }

    @Test func pcapngErrorsSayWhatAndWhere() throws {
        func start() -> PcapngBuilder {
            var file = PcapngBuilder(order: .littleEndian)
            file.section(order: .littleEndian)
            file.interface(.ethernet)
            file.enhancedPacket(interface: 0, ticks: 0, data: [1, 2, 3, 4])
            return file
        }
        let prefix = start().bytes.count  // 28 + 20 + 56

        var file = start()
        file.enhancedPacket(interface: 1, ticks: 0, data: [1])
        var outcome = readAll(file.bytes)
        #expect(outcome.packets.count == 1)
        #expect(outcome.error == CaptureError(.unknownInterface(id: 1, described: 1), offset: prefix, packetNumber: 2))
        #expect(outcome.error?.description
            == "packet 2 at byte \(prefix): packet on interface 1, but its section describes 1 interface")
        #expect(LibpcapCapture(bytes: file.bytes).readError != nil)

        file = start()
        file.enhancedPacket(interface: 0, ticks: 0, data: [1, 2, 3, 4], capturedLength: 100)
        outcome = readAll(file.bytes)
        #expect(outcome.error?.reason == .capturedLengthExceedsBlock(100, available: 4 + 20))
        #expect(outcome.error?.packetNumber == 2)
        #expect(LibpcapCapture(bytes: file.bytes).readError != nil)

        file = start()
        file.enhancedPacket(interface: 0, ticks: 0, data: [1, 2, 3, 4])
        let cut = Array(file.bytes.dropLast(3))
        outcome = readAll(cut)
        #expect(outcome.error?.reason == .truncatedBlock(type: 6, length: 56, available: 53))
        #expect(outcome.error?.offset == prefix)
        #expect(readAll(Array(file.bytes.prefix(prefix + 5))).error?.reason
            == .truncatedBlock(type: nil, length: nil, available: 5))

        var bytes = file.bytes
        bytes[prefix + 4] = 57  // the leading length, no longer a multiple of 4
        #expect(readAll(bytes).error?.reason == .misalignedBlockLength(type: 6, length: 57))
        bytes[prefix + 4] = 52
        #expect(readAll(bytes).error?.reason == .blockLengthMismatch(type: 6, header: 52, trailer: 0))
        bytes[prefix + 4] = 28
        #expect(readAll(bytes).error?.reason == .blockTooShort(type: 6, length: 28, minimum: 32))

        file = start()
        file.section(order: .bigEndian)
        file.enhancedPacket(interface: 0, ticks: 0, data: [1])  // the new section has no interface yet
        outcome = readAll(file.bytes)
        #expect(outcome.packets.count == 1)
        #expect(outcome.error?.reason == .unknownInterface(id: 0, described: 0))

        file = start()
        file.section(order: .littleEndian, major: 2)
        #expect(readAll(file.bytes).error == CaptureError(.unsupportedPcapngVersion(major: 2, minor: 0), offset: prefix))
        bytes = file.bytes
        bytes[prefix + 8] = 0x99  // the byte-order magic
        #expect(readAll(bytes).error?.reason == .badByteOrderMagic(0x993C_2B1A))

        for (options, reason) in [
            ([(9, [20])], .timestampResolutionTooHigh(20)),
            ([(9, [0x80 | 64])], .timestampResolutionTooHigh(0xC0)),
            ([(9, [6, 0])], .badOptionLength(code: 9, length: 2)),
            ([(14, [0, 0, 0, 0])], .badOptionLength(code: 14, length: 4)),
        ] as [([(UInt16, [UInt8])], CaptureError.Reason)] {
            file = start()
            file.interface(.ethernet, options: options)
            #expect(readAll(file.bytes).error == CaptureError(reason, offset: prefix))
        }
        file = start()
        file.block(1, file.encode16(1) + file.encode16(0) + file.encode32(0) + file.encode16(2) + file.encode16(40))
        #expect(readAll(file.bytes).error?.reason == .truncatedOption(code: 2))

        // Files that only start like pcapng.
        #expect(readAll(Array(start().bytes.prefix(20))).error?.reason == .truncatedFileHeader(needed: 28, available: 20))
        bytes = start().bytes
        bytes[8] = 0
        #expect(readAll(bytes).error == CaptureError(.badByteOrderMagic(0x003C_2B1A), offset: 0))
    }
}
