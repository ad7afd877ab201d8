import Foundation
import PacketFilter
import SystemPackage
import Testing

/// Files that `CaptureFileWriter` streams read back the same through libpcap, tcpdump and our
/// reader: bytes, lengths, nanosecond timestamps, link type and snapshot length.
struct CaptureFileWriterTests {
    static let sizes = [1, 14, 60, 999, 1000, 1001, 1514, 9000]

    static func packet(_ index: Int) -> (data: [UInt8], timestamp: CapturedPacket.Timestamp) {
        let data = (0 ..< sizes[index]).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
        let timestamp = CapturedPacket.Timestamp(
            seconds: 1_700_000_000 + Int64(index) * 3_600, nanoseconds: UInt64(index) * 123_456_789 + 1)
        return (data, timestamp)
    }

    @Test(arguments: [CaptureFile.Format.pcap, .pcapng])
    func writtenFilesReadBackWithLibpcapTcpdumpAndOurReader(format: CaptureFile.Format) throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("capture-file-writer-\(getpid())-\(format)").path
        defer { unlink(path) }
        // A small buffer, so that most packets are written by flushes on the way.
        var writer = try CaptureFileWriter(path: path, format: format, linkType: .ethernet, snapshotLength: 1000,
                                           interfaceName: "veth0", bufferCapacity: 4096)
        for index in Self.sizes.indices {
            let (data, timestamp) = Self.packet(index)
            try data.withUnsafeBytes {
                try writer.write($0, originalLength: data.count + index, timestamp: timestamp)
            }
        }
        #expect(writer.packetCount == Self.sizes.count)
        try writer.close()

        var ours = try CaptureReader(path: path)
        #expect(ours.format == format)
        var packets = [CapturedPacket]()
        while let packet = try ours.next() { packets.append(packet) }
        let reference = LibpcapCapture(path: path)
        #expect(reference.openError == nil && reference.readError == nil)
        #expect(reference.linkType == 1)
        try #require(packets.count == Self.sizes.count && reference.packets.count == Self.sizes.count)
        for index in Self.sizes.indices {
            let (data, timestamp) = Self.packet(index)
            let kept = Array(data.prefix(1000))
            #expect(packets[index].data == kept && reference.packets[index].data == kept)
            #expect(packets[index].originalLength == UInt32(data.count + index))
            #expect(reference.packets[index].originalLength == UInt32(data.count + index))
            #expect(packets[index].timestamp == timestamp)
            #expect(LibpcapCapture.timestamp(of: reference.packets[index], format: format) == timestamp)
        }
        #expect(ours.interfaces.first?.snapshotLength == 1000)
        if format == .pcapng {
            #expect(ours.interfaces.first?.ticksPerSecond == 1_000_000_000)
            #expect(ours.interfaces.first?.name == "veth0")
        }

        // tcpdump prints one line per packet with the timestamp we wrote, to the nanosecond.
        guard let printed = CaptureTcpdump.run(["-r", path, "-n", "-tt", "--nano"]) else {
            Issue.record("tcpdump is missing or failed on \(path)")
            return
        }
        // Frames of no known protocol come with a hex dump, on lines that start with a tab.
        let lines = String(decoding: printed.output, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("\t") }
        #expect(printed.status == 0 && lines.count == Self.sizes.count)
        for (index, line) in lines.prefix(Self.sizes.count).enumerated() {
            #expect(line.hasPrefix(Self.packet(index).timestamp.description + " "), "\(line)")
        }
    }

    /// On a descriptor it does not own, the writer leaves it open: the caller can go on writing.
    @Test func writingToADescriptorLeavesItOpen() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("capture-file-writer-fd-\(getpid())").path
        defer { unlink(path) }
        let descriptor = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate], permissions: .ownerReadWrite)
        var writer = CaptureFileWriter(descriptor: descriptor, format: .pcap, linkType: .raw, snapshotLength: 65_535)
        let datagram: [UInt8] = [0x45, 0, 0, 20] + [UInt8](repeating: 0, count: 16)
        try datagram.withUnsafeBytes {
            try writer.write($0, originalLength: 20, timestamp: CapturedPacket.Timestamp(seconds: 1, nanoseconds: 2))
        }
        try writer.close()
        #expect(try descriptor.seek(offset: 0, from: .current) == 24 + 16 + 20)
        try descriptor.close()
        let packets = try CaptureReader(path: path).packets()
        #expect(packets.map(\.data) == [datagram] && packets.first?.linkType == .raw)
        #expect(LibpcapCapture(path: path).packets.map(\.data) == [datagram])
    }
}
