import LibpcapOracle
import Testing

// The libpcap oracle itself (libpcap's compiler and bpf_filter, the corpus tables, the compiled
// pairs, the verdict tally and the packet mutations) is the LibpcapOracle module, shared with the
// PacketFilterComparison benchmark. Here: what only the tests need.

extension OracleCorpus {
    static let absent = Comment(
        rawValue: "skipped: the shared corpus \(OracleCorpus.shared.directory) (libpcap-testrun, pcap) is absent")
}

extension OracleAcceptCompilation {
    /// The accept table of the shared corpus, compiled once for every test.
    static let shared = OracleAcceptCompilation(corpus: .shared)
}
