import PacketFilter

/// libpcap's `protochain` walk, followed in Swift only to count its steps. libpcap's program loops
/// (backward jumps), so on some packets it walks further than our unrolled code, and on some it
/// never stops: AH sets the next offset to (length + 2) * 4 from the IP header without adding
/// the old one, so an AH whose length points back at itself loops forever in `bpf_filter`.
/// Before asking `bpf_filter` for a verdict, a comparison asks this walk how many headers
/// libpcap would skip, and leaves out the packets where that is more than our bound.
package enum OracleProtocolChain {
    /// The headers libpcap's walk skips over `data` for protocol `target` (nil: any protocol that
    /// is not an extension header), from the IP header at `networkOffset`; nil when it would skip
    /// more than `limit` (or loop forever).
    package static func skippedHeaders(
        in data: [UInt8], networkOffset: Int, ipv6: Bool, target: UInt32?, limit: Int
    ) -> Int? {
        func byte(_ offset: Int) -> UInt32? { offset >= 0 && offset < data.count ? UInt32(data[offset]) : nil }
        let first = byte(networkOffset + (ipv6 ? 6 : 9))
        let headerLength = ipv6 ? 40 : byte(networkOffset).map { ($0 & 0x0f) * 4 }
        guard var next = first, var offset = headerLength.map(Int.init) else { return 0 }
        var skipped = 0
        while next != target && next != 59 {
            let isExtension = ipv6 && [0, 60, 43, 44].contains(next)
            guard isExtension || next == 51 else { break }
            // Past the limit even when the packet ends here: libpcap's loads would reject it,
            // where our walk has stopped with "no match" (accepted under a `not`).
            skipped += 1
            if skipped > limit { return nil }
            // Both loads must be inside the packet, or libpcap's program ends there.
            guard let following = byte(networkOffset + offset), let length = byte(networkOffset + offset + 1)
            else { break }
            next = following
            offset = isExtension ? offset + Int(length + 1) * 8 : Int(length + 2) * 4
        }
        return skipped
    }

    /// Whether libpcap's walk for `target` could skip more than `limit` headers of a `linkType`
    /// packet.
    package static func mayExceed(_ limit: Int, in data: [UInt8], linkType: LinkType, target: UInt32?) -> Bool {
        ipHeaders(in: data, linkType: linkType).contains { header in
            skippedHeaders(in: data, networkOffset: header.offset, ipv6: header.ipv6, target: target, limit: limit) == nil
        }
    }

    /// The IP headers libpcap's link-layer tests would walk from: its EtherType, SLL protocol,
    /// version nibble or address family says IPv4 or IPv6. On Ethernet also after one VLAN tag,
    /// for `vlan and ... protochain`; on NULL any family value that means IPv6 somewhere.
    package static func ipHeaders(in data: [UInt8], linkType: LinkType) -> [(offset: Int, ipv6: Bool)] {
        func be16(_ at: Int) -> Int { at + 2 <= data.count ? Int(data[at]) << 8 | Int(data[at + 1]) : -1 }
        func byEtherType(_ type: Int, at offset: Int) -> [(offset: Int, ipv6: Bool)] {
            type == 0x0800 ? [(offset, false)] : type == 0x86dd ? [(offset, true)] : []
        }
        func byVersion(at offset: Int) -> [(offset: Int, ipv6: Bool)] {
            guard offset < data.count else { return [] }
            return data[offset] >> 4 == 4 ? [(offset, false)] : data[offset] >> 4 == 6 ? [(offset, true)] : []
        }
        switch linkType {
        case .ethernet:
            let tagged = [0x8100, 0x88a8, 0x9100].contains(be16(12)) ? byEtherType(be16(16), at: 18) : []
            return byEtherType(be16(12), at: 14) + tagged
        case .linuxSLL: return byEtherType(be16(14), at: 16)
        case .linuxSLL2: return byEtherType(be16(0), at: 20)
        case .raw: return byVersion(at: 0)
        case .ipv4: return [(0, false)]
        case .ipv6: return [(0, true)]
        case .null, .loop:
            guard data.count >= 4 else { return [] }
            let little = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
            let families = [little, little.byteSwapped]
            return (families.contains(2) ? [(4, false)] : [])
                + (families.contains { [10, 24, 28, 30].contains($0) } ? [(4, true)] : [])
        default: return []
        }
    }
}
