import Foundation
import PacketFilter
import SystemPackage
import Testing

// The reader streams through a fixed buffer: whatever the buffer's size and however the bytes
// arrive (a file, a pipe in small writes, memory), it reads the same packets and fails with the
// same error at the same place; a block longer than libpcap reads is refused before it is read.

/// Everything a reading gives: the packets and the error's whole text, if any.
private struct Reading: Equatable {
    var packets: [CapturedPacket] = []
    var error: String?
    var interfaces: [CaptureFile.Interface] = []

    init(_ open: () throws(CaptureError) -> CaptureReader) {
        do throws(CaptureError) {
            var reader = try open()
            defer { interfaces = reader.interfaces }
            do throws(CaptureError) {
                while let packet = try reader.next() { packets.append(packet) }
            } catch {
                self.error = error.description
            }
        } catch {
            self.error = error.description
        }
    }
}

@Suite struct CaptureStreamingTests {
    static let capacities = [1, 3, 17, 64, 1000]

    /// Whole files and cut ones read the same with every buffer capacity.
    static func expectSameThroughEveryBuffer(_ bytes: [UInt8], _ comment: String) {
        let reference = Reading { () throws(CaptureError) in try CaptureReader(bytes: bytes) }
        for capacity in Self.capacities {
            let reading = Reading { () throws(CaptureError) in try CaptureReader(bytes: bytes, bufferCapacity: capacity) }
            #expect(reading == reference, "\(comment), buffer of \(capacity) bytes")
        }
    }

    @Test(.enabled(if: CaptureCorpus.isPresent, CaptureCorpus.absent))
    func corpusReadsTheSameThroughEveryBuffer() throws {
        var files = 0
        for path in CaptureMutationTests.sample {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            Self.expectSameThroughEveryBuffer(bytes, path)
            for length in [bytes.count / 3, bytes.count - 1] where length > 0 {
                Self.expectSameThroughEveryBuffer(Array(bytes.prefix(length)), "\(path) cut at \(length)")
            }
            files += 1
        }
        print("capture streaming: \(files) corpus files, whole and cut, read the same through buffers of "
            + "\(Self.capacities) bytes")
        #expect(files > 100)
    }

    /// A pcapng file of two sections, options, skipped blocks and cut packets, and pcap files
    /// of each header variant, read the same through every buffer.
    @Test func builtFilesReadTheSameThroughEveryBuffer() throws {
        var file = PcapngBuilder(order: .littleEndian)
        file.section(order: .littleEndian)
        file.interface(.ethernet, snapshotLength: 100, options: [(2, Array("eth0".utf8)), (9, [9])])
        for index in 0 ..< 40 {
            file.block(4, [UInt8](repeating: UInt8(index), count: index * 3))
            file.enhancedPacket(interface: 0, ticks: UInt64(index) << 20, data: (0 ..< index * 7).map { UInt8($0 & 0xFF) })
        }
        file.section(order: .bigEndian)
        file.interface(.raw)
        file.simplePacket(data: [0x45] + [UInt8](repeating: 1, count: 300))
        Self.expectSameThroughEveryBuffer(file.bytes, "pcapng")
        for length in stride(from: 0, to: file.bytes.count, by: 37) {
            Self.expectSameThroughEveryBuffer(Array(file.bytes.prefix(length)), "pcapng cut at \(length)")
        }
        var pcap = PcapWriter(linkType: .ethernet, snapshotLength: 64, byteOrder: .bigEndian, resolution: .nanoseconds)
        for index in 0 ..< 50 { pcap.append((0 ..< index * 5).map { UInt8($0 & 0xFF) }) }
        for length in stride(from: 0, through: pcap.bytes.count, by: 29) {
            Self.expectSameThroughEveryBuffer(Array(pcap.bytes.prefix(length)), "pcap cut at \(length)")
        }
    }

    /// A pipe that a writer fills a few bytes at a time reads as the file does, to the error.
    @Test func aPipeReadsAsTheFileDoes() throws {
        var file = PcapngBuilder(order: .bigEndian)
        file.section(order: .bigEndian)
        file.interface(.ethernet, options: [(9, [6])])
        for index in 0 ..< 200 {
            file.enhancedPacket(interface: 0, ticks: UInt64(index), data: [UInt8](repeating: UInt8(index & 0xFF), count: index))
        }
        for bytes in [file.bytes, Array(file.bytes.dropLast(5))] {
            let pipe = try FileDescriptor.pipe()
            let writer = Thread {
                var offset = 0
                while offset < bytes.count {
                    let count = min(7 + offset % 13, bytes.count - offset)
                    _ = try? bytes[offset ..< offset + count].withUnsafeBytes { try pipe.writeEnd.writeAll($0) }
                    offset += count
                }
                try? pipe.writeEnd.close()
            }
            writer.start()
            let reading = Reading { () throws(CaptureError) in
                try CaptureReader(descriptor: pipe.readEnd, path: "<pipe>", bufferCapacity: 100)
            }
            try pipe.readEnd.close()
            let reference = Reading { () throws(CaptureError) in try CaptureReader(bytes: bytes) }
            #expect(reading.packets == reference.packets && reading.packets.count >= 199)
            #expect(reading.error == reference.error.map { "<pipe>: " + $0 })
        }
    }

    /// A block longer than libpcap reads (16 MiB before an interface asks for more) is refused
    /// at its header, as libpcap refuses it; a D-Bus interface, whose messages may be 128 MiB,
    /// raises the bound, for libpcap too.
    @Test func blocksLongerThanLibpcapReadsAreRefused() throws {
        var file = PcapngBuilder(order: .littleEndian)
        file.section(order: .littleEndian)
        file.interface(.ethernet)
        file.enhancedPacket(interface: 0, ticks: 1, data: [1, 2, 3])
        let header = file.bytes.count
        // A block header claiming 2 GiB, and nothing after it.
        let claimed = file.bytes + file.encode32(0x0BAD_CAFE) + file.encode32(0x7FFF_FFF0)
        let outcome = readAll(claimed)
        #expect(outcome.packets.count == 1)
        #expect(outcome.error?.reason == .blockTooLarge(type: 0x0BAD_CAFE, length: 0x7FFF_FFF0, maximum: 16 << 20))
        #expect(outcome.error?.offset == header)
        #expect(LibpcapCapture(bytes: claimed).readError != nil)

        // A real block of 17 MiB: refused on Ethernet, read after a D-Bus interface.
        var large = file
        large.block(0x0BAD_CAFE, [UInt8](repeating: 0, count: 17 << 20))
        large.enhancedPacket(interface: 0, ticks: 2, data: [4, 5, 6])
        let refused = readAll(large.bytes)
        #expect(refused.packets.count == 1 && refused.error?.reason == .blockTooLarge(
            type: 0x0BAD_CAFE, length: UInt32(12 + (17 << 20)), maximum: 16 << 20))
        let libpcapRefused = LibpcapCapture(bytes: large.bytes)
        #expect(libpcapRefused.packets.count == 1 && libpcapRefused.readError != nil)

        var dbus = PcapngBuilder(order: .littleEndian)
        dbus.section(order: .littleEndian)
        dbus.interface(LinkType(rawValue: 231))
        dbus.block(0x0BAD_CAFE, [UInt8](repeating: 0, count: 17 << 20))
        dbus.enhancedPacket(interface: 0, ticks: 2, data: [4, 5, 6])
        let read = readAll(dbus.bytes)
        let libpcapRead = LibpcapCapture(bytes: dbus.bytes)
        #expect(read.error == nil && read.packets.count == 1)
        #expect(libpcapRead.readError == nil && libpcapRead.packets.count == 1)
    }

    /// The view a reader gives without copying holds what the copy holds.
    @Test func packetViewsHoldWhatCopiesHold() throws {
        var file = PcapngBuilder(order: .bigEndian)
        file.section(order: .bigEndian)
        file.interface(.ethernet, snapshotLength: 10, options: [(9, [0x80 | 10]), (14, file.encode64(5))])
        file.enhancedPacket(interface: 0, ticks: 1024 * 3 + 256, data: Array(0 ..< 20), originalLength: 64)
        var views = try CaptureReader(bytes: file.bytes)
        let view = try #require(try views.nextPacket())
        #expect(Array(view.bytes) == Array(0 ..< 10) && view.capturedLength == 10 && view.originalLength == 64)
        #expect(view.timestamp == CapturedPacket.Timestamp(seconds: 8, nanoseconds: 250_000_000))
        let copy = CapturedPacket(view)
        #expect(try CaptureReader(bytes: file.bytes).packets() == [copy])
        #expect(try views.nextPacket() == nil)
    }
}
