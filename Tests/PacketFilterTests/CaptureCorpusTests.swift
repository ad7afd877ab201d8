import CPcap
import Foundation
import PacketFilter
import Testing

// Every capture of the shared corpus, read by libpcap and by us, compared packet by packet.

@Suite struct CaptureCorpusTests {
    /// Link types whose pseudo-header libpcap rewrites into host byte order when the file's
    /// order differs (`swap_pseudo_headers`): we give the bytes as the file holds them.
    static let pseudoHeaderTypes: Set<UInt32> = [113, 117, 189, 220, 239, 276]

    struct Outcome {
        var packets: [CapturedPacket] = []
        var error: CaptureError?
        var format: CaptureFile.Format?
        var byteOrder: CaptureFile.ByteOrder?
    }

    static func readOurs(_ path: String) -> Outcome {
        var outcome = Outcome()
        do throws(CaptureError) {
            var reader = try CaptureReader(path: path)
            outcome.format = reader.format
            outcome.byteOrder = reader.byteOrder
            while let packet = try reader.next() {
                outcome.packets.append(packet)
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    @Test(.enabled(if: CaptureCorpus.isPresent, CaptureCorpus.absent))
    func everyFileReadsAsLibpcapReadsIt() {
        var filesCompared = 0
        var packetsCompared = 0
        var pseudoHeaderDifferences = 0
        var refusedAtOpen = [(String, String, Outcome)]()
        var libpcapStoppedEarly = [(String, String, Int, Outcome)]()
        var mismatches = [String]()

        for path in CaptureCorpus.files {
            let name = String(path.split(separator: "/").suffix(2).joined(separator: "/"))
            let reference = LibpcapCapture(path: path)
            let ours = Self.readOurs(path)
            if let openError = reference.openError {
                refusedAtOpen.append((name, openError, ours))
                if let error = ours.error {
                    #expect(error.description.hasPrefix(path + ": "), "\(error)")
                }
                continue
            }
            filesCompared += 1
            let swapped = ours.byteOrder != CaptureFile.ByteOrder.host
            for (index, (expected, actual)) in zip(reference.packets, ours.packets).enumerated() {
                packetsCompared += 1
                var problems = [String]()
                if actual.linkType.rawValue != reference.linkType {
                    problems.append("link type \(actual.linkType.rawValue) != \(reference.linkType)")
                }
                if actual.capturedLength != Int(expected.capturedLength) {
                    problems.append("caplen \(actual.capturedLength) != \(expected.capturedLength)")
                }
                if actual.originalLength != expected.originalLength {
                    if !(swapped && reference.linkType == 220) {
                        problems.append("len \(actual.originalLength) != \(expected.originalLength)")
                    }
                }
                if actual.data != expected.data {
                    if swapped && Self.pseudoHeaderTypes.contains(reference.linkType) {
                        pseudoHeaderDifferences += 1
                    } else {
                        problems.append("bytes differ")
                    }
                }
                if let format = ours.format, let timestamp = LibpcapCapture.timestamp(of: expected, format: format),
                   timestamp != actual.timestamp
                {
                    problems.append("timestamp \(actual.timestamp) != \(timestamp)")
                }
                if !problems.isEmpty {
                    mismatches.append("\(name) packet \(index + 1): " + problems.joined(separator: ", "))
                }
            }
            let theirs = reference.packets.count
            if let readError = reference.readError, ours.packets.count >= theirs {
                // libpcap stopped at a record it refuses; we read on or stop there too.
                libpcapStoppedEarly.append((name, readError, theirs, ours))
                if let error = ours.error {
                    #expect(error.description.hasPrefix(path + ": "), "\(error)")
                }
            } else if ours.packets.count != theirs || (ours.error == nil) != (reference.readError == nil) {
                mismatches.append(
                    "\(name): libpcap read \(theirs) packets\(reference.readError.map { " then: \($0)" } ?? ""), "
                        + "we read \(ours.packets.count)\(ours.error.map { " then: \($0)" } ?? "")")
            }
        }

        print("capture corpus: \(CaptureCorpus.files.count) files, \(filesCompared) compared with libpcap, "
            + "\(packetsCompared) packets compared, \(pseudoHeaderDifferences) packets whose pseudo-header "
            + "libpcap byte-swapped")
        print("libpcap refused \(refusedAtOpen.count) files at open:")
        for (name, reason, ours) in refusedAtOpen {
            let verdict = ours.error.map { "we fail: \($0)" } ?? "we read \(ours.packets.count) packets"
            print("  \(name): libpcap: \(reason); \(verdict)")
        }
        print("libpcap stopped early with an error in \(libpcapStoppedEarly.count) files:")
        for (name, reason, count, ours) in libpcapStoppedEarly {
            let verdict = ours.error.map { "we read \(ours.packets.count), then: \($0)" }
                ?? "we read all \(ours.packets.count)"
            print("  \(name): libpcap read \(count), then: \(reason); \(verdict)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(40).joined(separator: "\n"))")
        #expect(filesCompared > 800)
    }

    /// Every corpus file that we read fully, written again by `PcapWriter` in one of the four
    /// byte order and resolution combinations, reads back identically with libpcap and with us.
    @Test(.enabled(if: CaptureCorpus.isPresent, CaptureCorpus.absent))
    func corpusRewrittenByPcapWriterReadsBackIdentically() throws {
        let variants: [(CaptureFile.ByteOrder, PcapWriter.Resolution)] = [
            (.littleEndian, .microseconds), (.bigEndian, .microseconds),
            (.littleEndian, .nanoseconds), (.bigEndian, .nanoseconds),
        ]
        var filesWritten = 0
        for (index, path) in CaptureCorpus.files.enumerated() {
            guard let packets = try? CaptureReader(path: path).packets(),
                  let first = packets.first, packets.allSatisfy({ $0.linkType == first.linkType })
            else { continue }
            let (order, resolution) = variants[index % variants.count]
            var writer = PcapWriter(
                linkType: first.linkType, snapshotLength: first.linkType.maximumSnapshotLength, byteOrder: order,
                resolution: resolution)
            for packet in packets { writer.append(packet) }

            let again = try CaptureReader(bytes: writer.bytes).packets()
            let reference = LibpcapCapture(bytes: writer.bytes)
            #expect(reference.openError == nil && reference.readError == nil, "\(path)")
            #expect(reference.linkType == first.linkType.rawValue, "\(path)")
            #expect(reference.packets.count == packets.count, "\(path)")
            for (original, (ours, theirs)) in zip(packets, zip(again, reference.packets)) {
                var expected = original
                if resolution == .microseconds {
                    expected.timestamp.nanoseconds -= expected.timestamp.nanoseconds % 1000
                }
                expected.timestamp.seconds = Int64(UInt32(truncatingIfNeeded: expected.timestamp.seconds))
                #expect(ours == expected, "\(path)")
                // libpcap rewrites some pseudo-headers into host byte order.
                let rewritten = order != .host && Self.pseudoHeaderTypes.contains(first.linkType.rawValue)
                #expect(theirs.data == original.data || rewritten, "\(path)")
                #expect(theirs.originalLength == original.originalLength, "\(path)")
                #expect(LibpcapCapture.timestamp(of: theirs, format: .pcap) == expected.timestamp, "\(path)")
            }
            filesWritten += 1
        }
        print("PcapWriter: \(filesWritten) corpus files rewritten and read back by libpcap")
    }
}
