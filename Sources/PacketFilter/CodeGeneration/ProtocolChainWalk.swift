import CBPF

/// `ip protochain N` and `ip6 protochain N`: libpcap's `gen_protochain`, which walks the chain
/// of headers after the IP header looking for protocol N. libpcap loops with a backward jump,
/// which the Linux kernel refuses (libpcap then filters in user space); this walk is unrolled
/// instead, for at most ``maximumSkippedHeaders`` headers. A chain that still goes on after
/// that many headers is not matched.
///
/// Each step is libpcap's loop body, with the same loads in the same order, so truncated
/// packets get libpcap's verdicts: A holds the current protocol and X the offset of its
/// header from the network header.
/// - the protocol is N: match; it is 59 (no next header): no match;
/// - IPv6 only: hop-by-hop (0), destination options (60), routing (43) or fragment (44): the
///   next protocol is the header's first byte, and X moves on by (second byte + 1) * 8;
/// - AH (51): the next protocol is the header's first byte, and X becomes (second byte + 2) * 4.
///   libpcap does not add the old X here, and we keep its verdicts;
/// - anything else: no match.
struct ProtocolChainWalk {
    /// How many headers the unrolled walk skips before it gives up with "no match". Real
    /// packets rarely carry more than three extension headers; eight keeps `protochain N` (both
    /// IP versions) near 250 instructions, so that several fit in the kernel's 4096.
    static let maximumSkippedHeaders = 8

    /// The protocol looked for.
    let target: UInt32
    /// Where the IP header starts.
    let networkOffset: UInt32

    static let noNextHeader: UInt32 = 59
    static let authenticationHeader: UInt32 = 51
    /// Hop-by-hop options, destination options, routing and fragment, in libpcap's order.
    static let ipv6ExtensionHeaders: [UInt32] = [0, 60, 43, 44]
    /// Holds the next protocol while X moves on; free, since it lives within one test.
    private static let scratchSlot: UInt32 = 0

    /// The walk over an IPv4 packet (the link-layer test is the caller's).
    var ipv4: Condition {
        let start: [Instruction] = [.loadAbsolute(.byte, offset: networkOffset + 9), .loadIPv4HeaderLength(offset: networkOffset)]
        return step(0, entering: start, ipv6: false)
    }

    /// The walk over an IPv6 packet (the link-layer test is the caller's).
    var ipv6: Condition {
        let start: [Instruction] = [.loadAbsolute(.byte, offset: networkOffset + 6), .loadImmediate(.x, 40)]
        return step(0, entering: start, ipv6: true)
    }

    /// The header reached after `skipped` headers, with `entering` setting A and X to it.
    private func step(_ skipped: Int, entering: [Instruction], ipv6: Bool) -> Condition {
        let found = Condition.test(entering, .equal, .constant(target))
        guard skipped < Self.maximumSkippedHeaders else { return found }
        // Each kind of header moves A and X on its own way; both ways then join the same next
        // step, so the unrolled walk grows linearly, not as a tree.
        var skips = [Condition.and(Self.protocolIs(Self.authenticationHeader), Condition.always(skipAuthenticationHeader))]
        if ipv6 {
            skips.insert(.and(.any(Self.ipv6ExtensionHeaders.map(Self.protocolIs)), Condition.always(skipExtensionHeader)), at: 0)
        }
        let next = Condition.and(.any(skips), step(skipped + 1, entering: [], ipv6: ipv6))
        return .or(found, .and(.not(Self.protocolIs(Self.noNextHeader)), next))
    }

    /// A compared with a protocol, as the previous test left it.
    private static func protocolIs(_ number: UInt32) -> Condition {
        .test([], .equal, .constant(number))
    }

    /// A = the next protocol; X += (length + 1) * 8.
    private var skipExtensionHeader: [Instruction] {
        [
            .loadIndirect(.byte, offset: networkOffset), .store(.a, slot: Self.scratchSlot),
            .loadIndirect(.byte, offset: networkOffset + 1), .arithmetic(.add, .constant(1)),
            .arithmetic(.multiply, .constant(8)), .arithmetic(.add, .x), .tax, .loadScratch(.a, slot: Self.scratchSlot),
        ]
    }

    /// A = the next protocol; X = (length + 2) * 4, as libpcap computes it.
    private var skipAuthenticationHeader: [Instruction] {
        [
            .txa, .loadIndirect(.byte, offset: networkOffset), .store(.a, slot: Self.scratchSlot),
            .txa, .arithmetic(.add, .constant(1)), .tax, .loadIndirect(.byte, offset: networkOffset),
            .arithmetic(.add, .constant(2)), .arithmetic(.multiply, .constant(4)), .tax,
            .loadScratch(.a, slot: Self.scratchSlot),
        ]
    }
}
