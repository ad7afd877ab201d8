import LibpcapOracle
import PacketFilter
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

/// Expects `compiler` to refuse `expression` with a message containing `message` at `location`
/// (`"1:13"`, or nil for the whole expression).
func expectRefusal(
    _ expression: String, at location: String?, saying message: String, compiler: PacketFilterCompiler = PacketFilterCompiler(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do throws(FilterSyntaxError) {
        let program = try compiler.compile(expression)
        Issue.record("accepted \(expression): \(program)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.location?.description == location, "\(expression): \(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "\(expression): \(error)", sourceLocation: sourceLocation)
    }
}
