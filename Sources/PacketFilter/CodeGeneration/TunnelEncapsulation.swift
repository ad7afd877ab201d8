import CBPF

/// `geneve [vni]` and `vxlan [vni]`: libpcap's `gen_geneve` (1.10) and `gen_vxlan` (1.11). The
/// test is a UDP datagram to the tunnel's port over IPv4 (not a later fragment) or IPv6 (UDP as
/// the first next header), whose tunnel header passes a check and carries the VNI if one is
/// given. When it holds, it stores the offsets of the frame inside in scratch slots, and every
/// later primitive in the text looks inside the tunnel, X-relative to those slots.
///
/// - Geneve: version 0 (the top two bits of the first byte). The header is 8 bytes plus 4 per
///   option word (the low 6 bits of the first byte). With protocol type 0x6558 (Ethernet) an
///   Ethernet header follows; with any other, the payload starts right after the Geneve header
///   and the protocol type stands for the EtherType.
/// - VXLAN: the flags byte is exactly 0x08 (the VNI flag); an Ethernet frame follows the
///   8-byte header.
extension FilterCodeGenerator {
    enum Tunnel {
        case geneve, vxlan

        var port: UInt32 { self == .geneve ? 6081 : 4789 }
        var name: String { self == .geneve ? "geneve" : "vxlan" }
    }

    /// Geneve's protocol type for an Ethernet frame (Transparent Ethernet Bridging).
    private static let transparentEthernetBridging: UInt32 = 0x6558
    private static let udpHeaderLength: UInt32 = 8

    mutating func tunnel(_ tunnel: Tunnel, vni: UInt32?) throws(FilterSyntaxError) -> Condition {
        guard link.mplsDepth == 0 else {
            throw FilterSyntaxError("'\(tunnel.name)' after 'mpls' is not supported by this compiler")
        }
        if let vni, vni > FilterPrimitive.maximumVNI {
            throw FilterSyntaxError("\(tunnel.name) VNI \(vni) greater than maximum \(FilterPrimitive.maximumVNI)")
        }
        let net = self.net
        // The tunnel header, relative to the UDP header: IPv4's is X-relative (its header length
        // varies), IPv6's is 40 bytes on.
        let ipv4 = Condition.all(
            [try port4(.udp, .destination) { self.portAtom4($0, tunnel.port) }]
                + Self.headerChecks(tunnel, vni: vni) { size, offset, value, mask in
                    .compareIndirect(loadX: net.ipv4HeaderLengthInX, size, at: net.constant + offset, value, mask: mask)
                }
                // A = the IPv4 header's length (plus the variable part of its offset).
                + [.always(net.ipv4HeaderLengthInX + [.txa])])
        let ipv6HeaderLength: [Instruction] = net.slot.map {
            [.loadScratch(.x, slot: $0), .loadImmediate(.a, 40), .arithmetic(.add, .x), .tax]
        } ?? [.loadImmediate(.a, 40), .tax]
        let ipv6 = Condition.all(
            [try port6(.udp, .destination) { self.portAtom6($0, tunnel.port) }]
                + Self.headerChecks(tunnel, vni: vni) { size, offset, value, mask in
                    .compare(size, at: net + 40 + offset, value, mask: mask)
                }
                + [.always(ipv6HeaderLength)])
        let slots = try link.allocateTunnelSlots()
        // A holds the IP header's length; the tunnel header starts after it and the UDP header.
        let tunnelHeader: [Instruction] = [.arithmetic(.add, .constant(net.constant + Self.udpHeaderLength))]
        let offsets = tunnel == .geneve ? Self.geneveOffsets(tunnelHeader, slots) : Self.vxlanOffsets(tunnelHeader, slots)
        link.enterTunnel(slots)
        return .and(.or(ipv4, ipv6), offsets)
    }

    /// The tunnel header's checks, each as `compare(size, offset from the UDP header, value, mask)`.
    private static func headerChecks(
        _ tunnel: Tunnel, vni: UInt32?, _ compare: (LoadSize, UInt32, UInt32, UInt32) -> Condition
    ) -> [Condition] {
        let header = udpHeaderLength
        var checks = [
            tunnel == .geneve ? compare(.byte, header, 0, 0xc0) : compare(.byte, header, 0x08, 0xff)
        ]
        // The VNI is the top 3 bytes of the header's second word.
        if let vni { checks.append(compare(.word, header + 4, vni << 8, 0xffff_ff00)) }
        return checks
    }

    /// With A at the Geneve header: the protocol field's offset (2 bytes in), the end of the
    /// header (8 + 4 × option words), then, for an Ethernet payload, 12 and 14 bytes further.
    private static func geneveOffsets(_ tunnelHeader: [Instruction], _ slots: LinkLayer.TunnelSlots) -> Condition {
        let header = tunnelHeader + [
            .tax, .arithmetic(.add, .constant(2)), .store(.a, slot: slots.protocolField),
            .loadIndirect(.byte, offset: 0), .arithmetic(.and, .constant(0x3f)), .arithmetic(.multiply, .constant(4)),
            .arithmetic(.add, .constant(8)), .arithmetic(.add, .x), .store(.a, slot: slots.header),
        ]
        let carriesEthernet = Condition.test(
            [.loadIndirect(.halfword, offset: 2), .loadScratch(.x, slot: slots.header)], .equal,
            .constant(transparentEthernetBridging))
        let ethernet: [Instruction] = [
            .txa, .arithmetic(.add, .constant(12)), .store(.a, slot: slots.protocolField),
            .arithmetic(.add, .constant(2)), .tax,
        ]
        // Either way X ends at the payload.
        return .all([
            .always(header),
            .or(.and(carriesEthernet, .always(ethernet)), .always([])),
            .always([.store(.x, slot: slots.payload)]),
        ])
    }

    /// With A at the VXLAN header: the Ethernet header 8 bytes on, its EtherType 12 further,
    /// its payload 2 more.
    private static func vxlanOffsets(_ tunnelHeader: [Instruction], _ slots: LinkLayer.TunnelSlots) -> Condition {
        .always(tunnelHeader + [
            .arithmetic(.add, .constant(8)), .store(.a, slot: slots.header),
            .arithmetic(.add, .constant(12)), .store(.a, slot: slots.protocolField),
            .arithmetic(.add, .constant(2)), .tax, .store(.x, slot: slots.payload),
        ])
    }
}
