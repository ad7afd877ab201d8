/// The point-to-point link types, with libpcap's `init_linktype` offsets and `gen_linktype`
/// tests: PPP (plain, in HDLC-like framing, and a PPPoE session without its Ethernet header),
/// Cisco HDLC, SLIP and Frame Relay. None has link-layer addresses.
extension LinkLayer {
    static let pointToPointTypes: [LinkType] = [.ppp, .pppSerial, .pppOverEthernet, .ciscoHDLC, .slip, .frameRelay]
    /// The link types whose protocol field holds PPP protocol numbers.
    static let pppTypes: Set<LinkType> = [.ppp, .pppSerial, .pppOverEthernet]

    /// The 802.2 SAP that stands for the OSI protocols.
    static let llcSAPISO: UInt32 = 0xfe
    /// Cisco HDLC's type for OSI, in place of an EtherType.
    private static let ciscoHDLCTypeOSI: UInt32 = 0xfefe
    /// Q.933's control byte, UI, which comes before Frame Relay's NLPID.
    static let frameRelayUnnumberedInformation: UInt32 = 0x03
    /// The NLPIDs libpcap tests on Frame Relay: IP, IPv6, and CLNP, ES-IS, IS-IS for OSI.
    private static let nlpidIPv4: UInt32 = 0xcc
    private static let nlpidIPv6: UInt32 = 0x8e
    private static let nlpidsOSI: [UInt32] = [0x81, 0x82, 0x83]

    /// Where the protocol field (if any) and the payload are, or nil for another link type.
    ///
    /// PPP and Cisco HDLC have the address and control bytes first (libpcap assumes them even
    /// where PPP leaves them out), a PPPoE session its 6-byte header; SLIP's packet follows its
    /// 16-byte pseudo-header. Frame Relay has no protocol field: libpcap reads the NLPID after a
    /// 2-byte address and control byte, and the network header from the frame's first byte (an
    /// offset it marks as to be done), so its verdicts do, and ours follow.
    static func pointToPointOffsets(_ type: LinkType) -> (protocolField: PacketOffset?, payload: PacketOffset)? {
        switch type {
        case .ppp, .pppSerial, .ciscoHDLC: (.fixed(2), .fixed(4))
        case .pppOverEthernet: (.fixed(6), .fixed(8))
        case .slip: (nil, .fixed(16))
        case .frameRelay: (nil, .fixed(0))
        default: nil
        }
    }

    /// The test that the packet carries `etherType` (or an 802.2 SAP) on Cisco HDLC, SLIP and
    /// Frame Relay; nil on other link types (the PPP ones compare PPP protocol numbers).
    ///
    /// - Cisco HDLC: the type field, which holds EtherTypes, and 0xFEFE for OSI.
    /// - SLIP: only IPv4 and IPv6, by the version nibble of the link header's first byte. That
    ///   byte is the pseudo-header's direction, not the IP header: libpcap 1.10 tests it there,
    ///   so its verdicts (and tcpdump's) do, and ours follow.
    /// - Frame Relay: the control byte and NLPID after a 2-byte address: IPv4, IPv6, and any of
    ///   CLNP, ES-IS and IS-IS for OSI; nothing else.
    func pointToPointCarries(_ etherType: UInt32) -> Condition? {
        switch type {
        case .ciscoHDLC:
            guard let field = protocolFieldOffset else { return nil }
            return .compare(.halfword, at: field, etherType == Self.llcSAPISO ? Self.ciscoHDLCTypeOSI : etherType)
        case .slip:
            switch etherType {
            case Self.etherTypeIPv4: return .compare(.byte, at: headerOffset, 0x40, mask: 0xf0)
            case Self.etherTypeIPv6: return .compare(.byte, at: headerOffset, 0x60, mask: 0xf0)
            default: return .constant(false)
            }
        case .frameRelay:
            switch etherType {
            case Self.etherTypeIPv4: return frameRelayNLPID(Self.nlpidIPv4)
            case Self.etherTypeIPv6: return frameRelayNLPID(Self.nlpidIPv6)
            case Self.llcSAPISO: return .any(Self.nlpidsOSI.map(frameRelayNLPID))
            default: return .constant(false)
            }
        default:
            return nil
        }
    }

    /// Frame Relay's UI control byte and `nlpid`, as one halfword 2 bytes into the frame.
    func frameRelayNLPID(_ nlpid: UInt32) -> Condition {
        .compare(.halfword, at: headerOffset + 2, Self.frameRelayUnnumberedInformation << 8 | nlpid)
    }
}
