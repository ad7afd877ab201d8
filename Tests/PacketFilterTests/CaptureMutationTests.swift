import CBPFFuzz
import Foundation
import PacketFilter
import Testing

// Damaged captures: real files cut short and corrupted at random (with a fixed seed). Reading
// must never trap; it ends with an error or with fewer packets.

@Suite struct CaptureMutationTests {
    /// Reads to the end or the first error, which must say something.
    static func read(_ bytes: [UInt8]) -> (packets: [CapturedPacket], error: CaptureError?) {
        let outcome = readAll(bytes)
        if let error = outcome.error { #expect(!error.description.isEmpty) }
        return outcome
    }

    /// Every pcapng file and every fifth pcap file of the corpus.
    static var sample: [String] {
        CaptureCorpus.files.enumerated().filter { $0.element.hasSuffix(".pcapng") || $0.offset % 5 == 0 }.map(\.element)
    }

    @Test(.enabled(if: CaptureCorpus.isPresent, CaptureCorpus.absent))
    func truncatedFilesReadAPrefixThenFail() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        var cuts = 0
        var differFromLibpcap = [String]()
        for path in Self.sample {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let whole = Self.read(bytes)
            guard whole.error == nil, bytes.count > 1 else { continue }
            var lengths = Set([0, 1, 4, 8, 12, 20, 23, 24, 27, 28, 39, 40, bytes.count - 1])
            for _ in 0 ..< 6 { lengths.insert(Int.random(in: 0 ..< bytes.count, using: &random)) }
            for length in lengths.sorted() where length < bytes.count {
                let cut = Array(bytes.prefix(length))
                let outcome = Self.read(cut)
                cuts += 1
                // What was read is exactly what the whole file starts with.
                #expect(Array(whole.packets.prefix(outcome.packets.count)) == outcome.packets, "\(path) cut at \(length)")
                let reference = LibpcapCapture(bytes: cut)
                if reference.openError == nil,
                   reference.packets.count != outcome.packets.count
                    || (reference.readError == nil) != (outcome.error == nil)
                {
                    differFromLibpcap.append("\(path) cut at \(length): libpcap \(reference.packets.count) "
                        + "\(reference.readError ?? ""), ours \(outcome.packets.count) "
                        + "\(outcome.error.map(String.init(describing:)) ?? "")")
                }
            }
        }
        print("capture mutation: \(cuts) truncations of \(Self.sample.count) files, "
            + "\(differFromLibpcap.count) read differently from libpcap")
        #expect(differFromLibpcap.isEmpty, "\(differFromLibpcap.prefix(20).joined(separator: "\n"))")
    }

    @Test(.enabled(if: CaptureCorpus.isPresent, CaptureCorpus.absent))
    func corruptedFilesNeverTrap() throws {
        var random = SplitMix64(seed: 0x5EED_0002)
        var runs = 0
        var failures = 0
        let interesting: [UInt32] = [0, 1, 3, 4, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF0, 0xFFFF_FFFC, 0xFFFF_FFFF]
        for path in CaptureCorpus.files {
            let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            guard original.count >= 8 else { continue }
            for round in 0 ..< 32 {
                var bytes = original
                // Damage near the start, where the headers are, as often as anywhere else.
                let span = round % 2 == 0 ? min(bytes.count, 96) : bytes.count
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &random) {
                    let at = Int.random(in: 0 ..< span, using: &random)
                    if Bool.random(using: &random), at + 4 <= bytes.count {
                        // A whole 32-bit field, such as a length, set to an edge value.
                        let value = interesting.randomElement(using: &random)!
                        withUnsafeBytes(of: Bool.random(using: &random) ? value.bigEndian : value.littleEndian) {
                            bytes.replaceSubrange(at ..< at + 4, with: $0)
                        }
                    } else {
                        bytes[at] = UInt8.random(in: 0 ... 255, using: &random)
                    }
                }
                if round % 6 == 5 { bytes.removeLast(Int.random(in: 0 ..< min(bytes.count, 64), using: &random)) }
                let outcome = Self.read(bytes)
                runs += 1
                if outcome.error != nil { failures += 1 }
            }
        }
        // Random bytes too: mostly not a capture file, sometimes one with a random header.
        for length in 0 ..< 200 {
            var bytes = (0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
            if length >= 4 {
                let magic: [UInt8] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A],
                                      [0x34, 0xCD, 0xB2, 0xA1]][length % 4]
                bytes.replaceSubrange(0 ..< 4, with: magic)
            }
            _ = Self.read(bytes)
            runs += 1
        }
        print("capture mutation: \(runs) corrupted or random inputs read without trapping, \(failures) ended in an error")
    }
}
