import CBPF
import CBPFFuzz
import PacketFilter

/// The outcome of comparing libpcap's verdicts with ours over many packets.
package struct OracleVerdictTally: Sendable {
    package struct Disagreement: Sendable {
        package var pair: OracleCompiledPair
        package var packet: OraclePacket
        package var libpcap: UInt32
        package var ours: UInt32
        package var libpcapBpfFilter: UInt32
        package var oursBpfFilter: UInt32
        package var oursUnoptimized: UInt32?
    }

    /// Packets compared; counted by the caller, or by `compareMutated`.
    package var packets = 0
    package var runs = 0
    package var disagreements = 0
    /// libpcap's program through our interpreter and through bpf_filter disagree.
    package var referenceInconsistencies = 0
    /// Packets not compared: libpcap's optimized and unoptimized programs disagree on them.
    package var libpcapSelfDisagreements = 0
    package var inconsistencyExamples: [String] = []
    /// Disagreements that disappear when the packet gets 1024 more (zero) bytes.
    package var truncationOnlyCount = 0
    /// Expressions with a disagreement on a complete (or completed) packet.
    package var semanticExpressions: Set<String> = []
    /// The first disagreement of each kind (`semantic` or `truncation`) and expression, keyed by
    /// kind, link type and expression, tab-separated.
    package var firstByExpression: [String: Disagreement] = [:]
    /// The keys of `firstByExpression` in the order of their first disagreement.
    package var expressionOrder: [String] = []
    /// Disagreements where our unoptimized program agrees with libpcap (an optimizer problem).
    package var optimizerOnly = 0

    /// Packets where libpcap's program reads a relation's temporary as an 802.11 offset (its
    /// slot clash, see ``OracleOffsetRegisterRepair``) and ours agrees with the repaired program.
    package var libpcapOffsetSlotClashes = 0

    /// Expressions, runs and disagreements of one link type.
    package struct LinkTypeCounts: Sendable {
        /// Expressions compared on packets (by `compare(_:on:)` and `compareMutated`).
        package var expressions = 0
        package var runs = 0
        package var disagreements = 0
    }

    package var byLinkType: [LinkType: LinkTypeCounts] = [:]

    package init() {}

    /// Packets not compared: libpcap's `protochain` loop could walk more headers than our
    /// unrolled one (or loop forever in bpf_filter).
    package var protocolChainsBeyondBound = 0

    /// Runs both programs on `packet`. libpcap's verdict is only defined where its optimized and
    /// unoptimized programs agree; elsewhere the packet is counted in `libpcapSelfDisagreements`.
    package mutating func compare(_ pair: OracleCompiledPair, _ packet: OraclePacket) {
        if pair.walksProtocolChains(packet) {
            protocolChainsBeyondBound += 1
            return
        }
        runs += 1
        byLinkType[pair.linkType, default: LinkTypeCounts()].runs += 1
        let reference = pair.libpcapVerdict(packet)
        let ours = pair.oursVerdict(packet)
        if pair.libpcapInterpreter != nil, !pair.libpcapUsesAncillaryData, !pair.libpcapShiftsByX,
           runs % 7 == 0 {
            let direct = OracleLibpcap.filter(pair.libpcapInsns, packet: packet.data, wireLength: packet.wireLength)
            if direct != reference {
                referenceInconsistencies += 1
                if inconsistencyExamples.count < 3 {
                    inconsistencyExamples.append(
                        "\(pair.label) on \(packet.origin) "
                            + "(\(packet.data.count) bytes, wire \(packet.wireLength)) \(packet.hex): libpcap's "
                            + "program returns \(reference) in our interpreter, \(direct) in bpf_filter\n"
                            + TcpdumpFormat.format(raw: pair.libpcap, style: .listing))
                }
            }
        }
        if let unoptimized = pair.libpcapUnoptimizedInterpreter,
           unoptimized.run(packet: packet.data, wireLength: packet.wireLength) != reference {
            libpcapSelfDisagreements += 1
            return
        }
        guard reference != ours else { return }
        if let repaired = pair.libpcapRepairedInterpreter,
           repaired.run(packet: packet.data, wireLength: packet.wireLength) == ours {
            libpcapOffsetSlotClashes += 1
            return
        }
        disagreements += 1
        byLinkType[pair.linkType, default: LinkTypeCounts()].disagreements += 1
        let unoptimized = pair.oursUnoptimizedInterpreter?.run(packet: packet.data, wireLength: packet.wireLength)
        if unoptimized == reference { optimizerOnly += 1 }
        // Short-packet-only: with 1024 zero bytes appended (and the same wire length, so that `len`
        // is unchanged), both give the same verdict: the programs differ only in which loads they
        // make past the end of a short or truncated packet.
        var full = packet
        full.data += [UInt8](repeating: 0, count: 1024)
        let truncationOnly = !pair.walksProtocolChains(full) && pair.libpcapVerdict(full) == pair.oursVerdict(full)
        if truncationOnly { truncationOnlyCount += 1 }
        let key = "\(truncationOnly ? "truncation" : "semantic")\t\(pair.linkType.name ?? "?")\t\(pair.expression)"
        if !truncationOnly { semanticExpressions.insert("\(pair.linkType.name ?? "?")\t\(pair.expression)") }
        if firstByExpression[key] == nil {
            expressionOrder.append(key)
            firstByExpression[key] = Disagreement(
                pair: pair, packet: packet, libpcap: reference, ours: ours,
                libpcapBpfFilter: OracleLibpcap.filter(pair.libpcapInsns, packet: packet.data,
                                                       wireLength: packet.wireLength),
                oursBpfFilter: OracleLibpcap.filter(OracleLibpcap.insns(pair.ours.raw), packet: packet.data,
                                                    wireLength: packet.wireLength),
                oursUnoptimized: unoptimized)
        }
    }

    /// Compares each pair on every packet of its link type; returns how many pairs had packets.
    @discardableResult
    package mutating func compare(_ pairs: [OracleCompiledPair], on packets: [LinkType: [OraclePacket]]) -> Int {
        var expressions = 0
        for pair in pairs {
            guard let slice = packets[pair.linkType], !slice.isEmpty else { continue }
            expressions += 1
            byLinkType[pair.linkType, default: LinkTypeCounts()].expressions += 1
            for packet in slice { compare(pair, packet) }
        }
        return expressions
    }

    /// Compares `pair` on `count` packets of `mutator`, mutated with the constants of both programs.
    package mutating func compareMutated(_ pair: OracleCompiledPair, count: Int, mutator: OracleMutator,
                                        random: inout FuzzRandom)
    {
        let probes = OracleMutator.Probes([pair.libpcap, pair.ours.raw])
        byLinkType[pair.linkType, default: LinkTypeCounts()].expressions += 1
        for _ in 0 ..< count {
            packets += 1
            compare(pair, mutator.packet(for: pair.linkType, probes: probes, random: &random))
        }
    }

    /// The first disagreement of each expression, in order.
    package var firstDisagreements: [Disagreement] {
        var seen = Set<Substring>()
        return expressionOrder.compactMap { key in
            guard seen.insert(key.split(separator: "\t", maxSplits: 1)[1]).inserted else { return nil }
            return firstByExpression[key]
        }
    }

    /// One line of counts.
    package var summary: String {
        "\(runs) runs, \(disagreements) disagreements (\(disagreements - truncationOnlyCount) whatever the packet length in "
            + "\(semanticExpressions.count) expressions, \(truncationOnlyCount) only on short packets) in "
            + "\(firstDisagreements.count) expressions, "
            + "\(optimizerOnly) where our unoptimized program agrees with libpcap; interpreter vs bpf_filter on "
            + "libpcap's programs: \(referenceInconsistencies) inconsistencies; \(libpcapSelfDisagreements) packets "
            + "not compared because libpcap's optimized and unoptimized programs disagree on them"
            + (protocolChainsBeyondBound == 0 ? "" : "; \(protocolChainsBeyondBound) packets not compared because "
                + "libpcap's protochain loop could skip more headers than our unrolled walk")
            + (libpcapOffsetSlotClashes == 0 ? "" : "; \(libpcapOffsetSlotClashes) packets where libpcap's program "
                + "reads a relation's temporary as its 802.11 offset and ours gives the verdict of the repaired program")
    }

    /// The counts of each of `linkTypes`, one per line: expressions × runs, disagreements.
    package func linkTypeCounts(_ linkTypes: [LinkType]) -> String {
        linkTypes.map { linkType in
            let counts = byLinkType[linkType] ?? LinkTypeCounts()
            return "\(linkType.name ?? linkType.description): \(counts.expressions) expressions, \(counts.runs) runs, "
                + "\(counts.disagreements) disagreements"
        }.joined(separator: "\n")
    }

    /// The first `limit` disagreements in full (those on complete packets first), then one line per
    /// further expression.
    package func report(limit: Int = 5) -> String {
        var text = inconsistencyExamples.map { "--- interpreter/bpf_filter inconsistency: \($0)" }.joined()
        let ordered = expressionOrder.filter { $0.hasPrefix("semantic") } + expressionOrder.filter { $0.hasPrefix("truncation") }
        for (index, key) in ordered.enumerated() {
            guard let d = firstByExpression[key] else { continue }
            if index < limit {
                text += """
                    --- disagreement \(index + 1) (\(key.hasPrefix("semantic") ? "on complete packets" : "short packets only: loads past the end")): \
                    \(d.pair.label)
                    packet (\(d.packet.origin), \(d.packet.data.count) captured bytes, wire \(d.packet.wireLength)):
                    \(d.packet.hex)
                    libpcap returns \(d.libpcap) (bpf_filter \(d.libpcapBpfFilter)), ours returns \(d.ours) \
                    (bpf_filter \(d.oursBpfFilter)), ours unoptimized \(d.oursUnoptimized.map(String.init) ?? "-")
                    libpcap's program\(d.pair.libpcapIsUnoptimized ? " (unoptimized)" : ""):
                    \(TcpdumpFormat.format(raw: d.pair.libpcap, style: .listing))ours:
                    \(TcpdumpFormat.format(d.pair.ours, style: .listing))
                    """
            } else {
                text += "also (\(key.hasPrefix("semantic") ? "complete" : "short only")): "
                    + "\(d.pair.label) on \(d.packet.origin): "
                    + "libpcap \(d.libpcap), ours \(d.ours), ours unoptimized "
                    + "\(d.oursUnoptimized.map(String.init) ?? "-")\n"
            }
        }
        return text
    }
}
