import Foundation
import PacketFilter

/// The shared corpus: libpcap's TESTrun tables and the tcpdump and libpcap test captures.
package struct OracleCorpus: Sendable {
    package var directory: String

    package init(directory: String) {
        self.directory = directory
    }

    /// `../shared/corpus` beside the package, from this source file's location.
    package static let shared = OracleCorpus(directory: besidePackage(URL(fileURLWithPath: #filePath)))

    /// The first corpus with an accept table: beside the package (from this source file, symlinks
    /// resolved), then `../shared/corpus` from the working directory.
    package static func locate() -> OracleCorpus? {
        [
            besidePackage(URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()),
            FileManager.default.currentDirectoryPath + "/../shared/corpus",
        ].map(OracleCorpus.init(directory:)).first { FileManager.default.fileExists(atPath: $0.acceptTable) }
    }

    private static func besidePackage(_ source: URL) -> String {
        source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }

    package var acceptTable: String { directory + "/libpcap-testrun/accept.tsv" }
    package var applyTable: String { directory + "/libpcap-testrun/apply.tsv" }
    package var tcpdumpCaptures: String { directory + "/pcap/tcpdump-tests" }
    package var filterCaptures: String { directory + "/pcap/libpcap-filter-tests" }

    /// Whether the tables and both capture directories are there.
    package var isPresent: Bool {
        [acceptTable, applyTable, tcpdumpCaptures, filterCaptures].allSatisfy {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    /// Every capture of `tcpdump-tests`, sorted by name.
    package var tcpdumpCaptureFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tcpdumpCaptures)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { tcpdumpCaptures + "/" + $0 }
    }

    /// The tab-separated rows of a table with at least 3 fields, the 4th (the expression) holding any tabs.
    static func rows(of path: String) -> [[String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            return fields.count >= 3 ? fields + (fields.count > 3 ? [] : [""]) : nil
        }
    }
}

/// A row of `accept.tsv`: an expression libpcap accepts for a link type.
package struct OracleAcceptRow: Sendable {
    package var name: String
    package var linkTypeName: String
    /// `same`, `differ` or `optfail`.
    package var kind: String
    package var expression: String

    package static func load(from corpus: OracleCorpus) -> [OracleAcceptRow] {
        OracleCorpus.rows(of: corpus.acceptTable).map {
            OracleAcceptRow(name: $0[0], linkTypeName: $0[1], kind: $0[2], expression: $0[3])
        }
    }
}

/// A row of `apply.tsv`: an expression and the return value it gives each packet of a capture.
package struct OracleApplyRow: Sendable {
    package var name: String
    /// The capture's file name in `libpcap-filter-tests`.
    package var capture: String
    package var expected: [UInt32]
    package var expression: String

    package static func load(from corpus: OracleCorpus) -> [OracleApplyRow] {
        OracleCorpus.rows(of: corpus.applyTable).map {
            OracleApplyRow(
                name: $0[0], capture: $0[1],
                expected: $0[2].split(separator: ",").compactMap { UInt32($0.trimmingCharacters(in: .whitespaces)) },
                expression: $0[3])
        }
    }
}

/// The packets of the tcpdump captures, by link type.
package struct OracleCapturePackets: Sendable {
    package var packets: [LinkType: [OraclePacket]] = [:]
    /// How many captures hold packets of each link type.
    package var captures: [LinkType: Int] = [:]
    /// Captures `CaptureReader` cannot open.
    package var unreadable = 0

    /// The packets of `linkTypes` of every tcpdump-tests capture, at most `perCapture` of each
    /// capture, read with `CaptureReader` up to the first error.
    package init(corpus: OracleCorpus, perCapture: Int = .max, linkTypes: Set<LinkType>) {
        for path in corpus.tcpdumpCaptureFiles {
            guard var reader = try? CaptureReader(path: path) else {
                unreadable += 1
                continue
            }
            var taken = [LinkType: Int]()
            let name = (path as NSString).lastPathComponent
            var index = 0
            while let packet = try? reader.next() {
                index += 1
                guard linkTypes.contains(packet.linkType) else { continue }
                let count = taken[packet.linkType, default: 0]
                if count >= perCapture { continue }
                if count == 0 { captures[packet.linkType, default: 0] += 1 }
                taken[packet.linkType] = count + 1
                packets[packet.linkType, default: []].append(OraclePacket(
                    data: packet.data, wireLength: max(packet.originalLength, UInt32(packet.data.count)),
                    origin: "\(name) #\(index)"))
            }
        }
    }

    /// Every packet, of every link type.
    package var count: Int { packets.values.reduce(0) { $0 + $1.count } }
}
