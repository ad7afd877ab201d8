import CBPF

/// `dns qname "NAME"`: a UDP datagram to port 53 on IPv4 (not a later fragment) or IPv6 (UDP
/// as the first next header), whose DNS header says query (QR = 0) with at least one question,
/// and whose first question name is NAME, letters compared without case. Compression pointers
/// are not followed: a name that uses one does not match.
struct DNSQueryMatcher {
    let name: DNSName
    let link: LinkLayer

    private static let dnsPort: UInt32 = 53
    private static let udpHeaderLength: UInt32 = 8
    private static let dnsHeaderLength: UInt32 = 12

    func condition() throws(FilterSyntaxError) -> Condition {
        guard !link.hasVariableOffsets else {
            throw FilterSyntaxError("'dns qname' is not supported inside a geneve or vxlan tunnel")
        }
        if link.isInetSocket { return try inetSocketCondition() }
        let net = link.networkOffset.constant
        // IPv4: the UDP header sits after a variable-length IP header, so every later load is
        // relative to X; `positionX` points X at the first byte of the question name.
        let loadHeaderLength: [Instruction] = [.loadIPv4HeaderLength(offset: net)]
        let udp4 = net
        let positionX4 = loadHeaderLength + [
            .txa, .arithmetic(.add, .constant(net + Self.udpHeaderLength + Self.dnsHeaderLength)), .tax,
        ]
        let ipv4 = Condition.all([
            try link.carries(LinkLayer.etherTypeIPv4),
            .compare(.byte, at: net + 9, IPProtocol.udp),
            .notLaterIPv4Fragment(networkOffset: .fixed(net)),
            .compareIndirect(loadX: loadHeaderLength, .halfword, at: udp4 + 2, .equal, Self.dnsPort),
            .not(.compareIndirect(loadX: loadHeaderLength, .byte, at: udp4 + Self.udpHeaderLength + 2, .bitsSet, 0x80)),
            .not(.compareIndirect(loadX: loadHeaderLength, .halfword, at: udp4 + Self.udpHeaderLength + 4, .equal, 0)),
            name.isDepthLimited
                ? nameMatches(depths: name.subdomainLabelCounts, positionX: loadHeaderLength, at: udp4 + Self.udpHeaderLength + Self.dnsHeaderLength)
                : nameMatches(positionX: positionX4),
        ])
        // IPv6: fixed offsets; X is pointed at the name the same way so one matcher serves both.
        let udp6 = net + 40
        let positionX6: [Instruction] = [.loadImmediate(.x, udp6 + Self.udpHeaderLength + Self.dnsHeaderLength)]
        let ipv6 = Condition.all([
            try link.carries(LinkLayer.etherTypeIPv6),
            .compare(.byte, at: net + 6, IPProtocol.udp),
            .compare(.halfword, at: udp6 + 2, Self.dnsPort),
            .not(.compare(.byte, at: udp6 + Self.udpHeaderLength + 2, .bitsSet, 0x80)),
            .not(.compare(.halfword, at: udp6 + Self.udpHeaderLength + 4, 0)),
            name.isDepthLimited
                ? nameMatches(depths: name.subdomainLabelCounts, positionX: [.loadImmediate(.x, 0)], at: udp6 + Self.udpHeaderLength + Self.dnsHeaderLength)
                : nameMatches(positionX: positionX6),
        ])
        return .or(ipv4, ipv6)
    }

    /// On a UDP socket the UDP header is at offset 0 for both IP versions; the IP header only
    /// says that the transport is UDP.
    private func inetSocketCondition() throws(FilterSyntaxError) -> Condition {
        let net = link.networkOffset
        let isUDP = Condition.or(
            .and(try link.carries(LinkLayer.etherTypeIPv4), .compare(.byte, at: net + 9, IPProtocol.udp)),
            .and(try link.carries(LinkLayer.etherTypeIPv6), .compare(.byte, at: net + 6, IPProtocol.udp)))
        return .all([
            isUDP,
            .compare(.halfword, at: .fixed(2), Self.dnsPort),
            .not(.compare(.byte, at: .fixed(Self.udpHeaderLength + 2), .bitsSet, 0x80)),
            .not(.compare(.halfword, at: .fixed(Self.udpHeaderLength + 4), 0)),
            nameMatches(positionX: [.loadImmediate(.x, Self.udpHeaderLength + Self.dnsHeaderLength)]),
        ])
    }

    /// The name test, with `positionX` setting X to the name's first byte.
    private func nameMatches(positionX: [Instruction]) -> Condition {
        let suffix = name.wireFormat
        guard name.matchesSubdomains else {
            return bytesMatch(suffix, before: positionX)
        }
        // Walk up to `maximumSubdomainLabels` labels; after each, try the domain's labels.
        func step(_ remaining: Int, first: Bool) -> Condition {
            let setup = first ? positionX : []
            let lengthByte: [Instruction] = setup + [.loadIndirect(.byte, offset: 0)]
            // X += length + 1: to the next label.
            let advance: [Instruction] = [
                .loadIndirect(.byte, offset: 0), .arithmetic(.add, .x), .arithmetic(.add, .constant(1)), .tax,
            ]
            let next = remaining > 1 ? Condition.or(bytesMatch(suffix, before: advance), step(remaining - 1, first: false))
                : bytesMatch(suffix, before: advance)
            return .all([
                // A zero length ends the name; the top two bits set mean a pointer or an
                // extended label, which this matcher does not follow.
                .not(.test(lengthByte, .equal, .constant(0))),
                .not(.test([.loadIndirect(.byte, offset: 0)], .bitsSet, .constant(0xc0))),
                next,
            ])
        }
        return step(DNSName.maximumSubdomainLabels, first: true)
    }

    /// Exactly `depths` labels of any content, then the suffix, from X + `nameOffset` once
    /// `positionX` ran. X moves by each label's length alone, and each later read adds one more
    /// to its offset: one instruction fewer per label than moving X to the label, which keeps
    /// eight labels in front of `example.com` within xt_bpf's 64 instructions on raw IPv4.
    private func nameMatches(depths: ClosedRange<Int>, positionX: [Instruction], at nameOffset: UInt32) -> Condition {
        let suffix = name.wireFormat
        // `index` labels are behind; `pending` moves X past the last of them.
        func label(_ index: Int, pending: [Instruction]) -> Condition {
            let offset = nameOffset + UInt32(index)
            let lengthByte: [Instruction] = [.loadIndirect(.byte, offset: offset)]
            let advance = lengthByte + [.arithmetic(.add, .x), .tax]
            let depth = index + 1
            let suffixThere = bytesMatch(suffix, before: advance, at: nameOffset + UInt32(depth))
            let next: Condition =
                if depth < depths.lowerBound {
                    label(depth, pending: advance)
                } else if depth < depths.upperBound {
                    // The suffix test moves X; the next label's test follows it.
                    .or(suffixThere, label(depth, pending: []))
                } else {
                    suffixThere
                }
            return .all([
                // A zero length ends the name; the top two bits set mean a pointer or an
                // extended label, which this matcher does not follow.
                .not(.test(pending + lengthByte, .equal, .constant(0))),
                .not(.test(lengthByte, .bitsSet, .constant(0xc0))),
                next,
            ])
        }
        return label(0, pending: positionX)
    }

    /// `bytes` at X + `base`, letters without case: 4, 2 or 1 bytes per load, with `| 0x20` on
    /// letters.
    private func bytesMatch(_ bytes: [UInt8], before prefix: [Instruction], at base: UInt32 = 0) -> Condition {
        var tests: [Condition] = []
        var offset = 0
        while offset < bytes.count {
            let size: LoadSize = bytes.count - offset >= 4 ? .word : bytes.count - offset >= 2 ? .halfword : .byte
            let chunk = bytes[offset..<(offset + size.byteCount)]
            var expected: UInt32 = 0
            var caseMask: UInt32 = 0
            for byte in chunk {
                let isLetter = (0x61...0x7a).contains(byte)
                expected = expected << 8 | UInt32(byte)
                caseMask = caseMask << 8 | (isLetter ? 0x20 : 0)
            }
            var statements: [Instruction] = offset == 0 ? prefix : []
            statements.append(.loadIndirect(size, offset: base + UInt32(offset)))
            if caseMask != 0 { statements.append(.arithmetic(.or, .constant(caseMask))) }
            tests.append(.test(statements, .equal, .constant(expected)))
            offset += size.byteCount
        }
        return .all(tests)
    }
}

extension DNSName {
    /// Whether a rule set limited the wildcard to some depths.
    var isDepthLimited: Bool {
        matchesSubdomains && subdomainLabelCounts != 1...Self.maximumSubdomainLabels
    }
}
