import CBPF

/// Where the link layer puts its fields, and how it tells the network protocol: libpcap's
/// `init_linktype` offsets and `gen_linktype`. `vlan`, `mpls`, `pppoes`, `geneve` and `vxlan` move
/// the offsets for every primitive that comes after them in the text, as in libpcap, so this is
/// mutable state. Inside a tunnel the offsets depend on the packet (see ``PacketOffset``).
struct LinkLayer: Sendable {
    /// The link type being looked at: the capture's, Ethernet inside a tunnel, or PPP inside a
    /// PPPoE session (libpcap's `cstate->linktype`).
    private(set) var type: LinkType
    /// A live socket or a capture file: libpcap compiles a few tests differently for each.
    let source: PacketSource
    /// Where the link-layer header starts (libpcap's `off_linkhdr`): `link[...]`, `byte` and
    /// Ethernet addresses are relative to it.
    private(set) var headerOffset = PacketOffset.fixed(0)
    /// Where the 2-byte protocol field (EtherType, SLL protocol, PPP protocol) is, if any.
    private(set) var protocolFieldOffset: PacketOffset?
    /// Where the link layer's payload starts (libpcap's `off_linkpl`).
    private(set) var payloadOffset: PacketOffset
    /// Where the network-layer header starts within the payload (libpcap's `off_nl`).
    private(set) var networkWithinPayload: UInt32 = 0
    /// How many MPLS labels were passed: after one, protocols are told by the IP version.
    private(set) var mplsDepth = 0
    /// Inside a `geneve` or `vxlan` tunnel (until a `pppoes`): Ethernet-address tests first check
    /// that the tunnel carries an Ethernet header (libpcap's `is_geneve`/`is_encap`).
    private(set) var isTunnelled = false
    /// Scratch slots taken by tunnels' offsets, counted down from the top (below the 802.11
    /// offsets' slots): arithmetic takes them from the bottom.
    private(set) var tunnelSlots = 0
    /// Scratch slots at the top that hold 802.11 offsets computed at the program's start
    /// (see ``IEEE80211Offsets``).
    private(set) var wirelessSlots = 0

    static let etherTypeIPv4: UInt32 = 0x0800
    static let etherTypeIPv6: UInt32 = 0x86dd
    static let etherTypeARP: UInt32 = 0x0806
    static let etherTypeRARP: UInt32 = 0x8035
    static let etherTypeMPLS: UInt32 = 0x8847
    static let pppMPLSUnicast: UInt32 = 0x0281
    static let etherTypePPPoEDiscovery: UInt32 = 0x8863
    static let etherTypePPPoESession: UInt32 = 0x8864
    /// 802.1Q, 802.1ad and the old QinQ EtherType, the tags `vlan` accepts.
    static let vlanEtherTypes: [UInt32] = [0x8100, 0x88a8, 0x9100]
    /// The largest 802.3 length; larger values of the type/length field are EtherTypes.
    static let ethernetMTU: UInt32 = 1500
    /// An 802.2 LLC header with SNAP: DSAP, SSAP, control, organization code, EtherType.
    static let snapHeaderLength: UInt32 = 8
    /// The SLL protocol value for 802.2 LLC frames.
    static let sllProtocol802_2: UInt32 = 0x0004

    static let supported: [LinkType] = [
        .ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6, .null, .loop, .ieee802_11, .ieee802_11Radio,
    ] + pointToPointTypes

    init(_ type: LinkType, source: PacketSource = .live) throws(FilterSyntaxError) {
        self.type = type
        self.source = source
        if source == .inetSocket {
            // The IP header, through SKF_NET_OFF; the family is told by its version, as on RAW.
            self.type = .raw
            payloadOffset = .fixed(SpecialOffset.network)
            return
        }
        switch type {
        case .ethernet: (protocolFieldOffset, payloadOffset) = (.fixed(12), .fixed(14))
        case .linuxSLL: (protocolFieldOffset, payloadOffset) = (.fixed(14), .fixed(16))
        case .linuxSLL2: (protocolFieldOffset, payloadOffset) = (.fixed(0), .fixed(20))
        case .raw, .ipv4, .ipv6: (protocolFieldOffset, payloadOffset) = (nil, .fixed(0))
        case .null, .loop: (protocolFieldOffset, payloadOffset) = (nil, .fixed(4))
        case .ieee802_11, .ieee802_11Radio:
            // No protocol field: an LLC/SNAP header follows the variable-length 802.11 header,
            // and after a radiotap header of variable length the 802.11 header starts.
            protocolFieldOffset = nil
            payloadOffset = PacketOffset(slot: IEEE80211Offsets.payloadSlot, constant: 0)
            if type == .ieee802_11Radio {
                headerOffset = PacketOffset(slot: IEEE80211Offsets.radiotapLengthSlot, constant: 0)
            }
            networkWithinPayload = Self.snapHeaderLength
            wirelessSlots = IEEE80211Offsets.slotCount
        default:
            guard let offsets = Self.pointToPointOffsets(type) else {
                throw FilterSyntaxError(
                    "link type \(type) is not supported; use one of \(Self.supported.map(\.description).joined(separator: ", "))")
            }
            (protocolFieldOffset, payloadOffset) = offsets
        }
    }

    /// Whether the packets start at the transport header, the IP header before them
    /// (``PacketSource/inetSocket``).
    var isInetSocket: Bool { source == .inetSocket }

    /// Whether offsets depend on the packet (after `geneve` or `vxlan`, and on 802.11).
    var hasVariableOffsets: Bool { payloadOffset.slot != nil }

    /// Whether primitives look at an 802.11 MAC header (libpcap's 802.11 link types, and not
    /// inside a PPPoE session).
    var isWireless: Bool { type == .ieee802_11 || type == .ieee802_11Radio }

    /// Whether the protocol field holds PPP protocol numbers: on the PPP link types, and inside
    /// a PPPoE session.
    var isPPP: Bool { Self.pppTypes.contains(type) }

    /// The scratch slots taken at the top, by 802.11 offsets and tunnels.
    var reservedSlots: Int { wirelessSlots + tunnelSlots }

    /// Where the network-layer header (IP, ARP, ...) starts.
    var networkOffset: PacketOffset { payloadOffset + networkWithinPayload }

    /// The test that the packet carries `etherType` (or an 802.2 SAP, for values up to 1500).
    func carries(_ etherType: UInt32) throws(FilterSyntaxError) -> Condition {
        if mplsDepth > 0 {
            // Below MPLS: the bottom-of-stack bit of the last label, then the IP version.
            let version: UInt32
            switch etherType {
            case Self.etherTypeIPv4: version = 0x40
            case Self.etherTypeIPv6: version = 0x60
            default: throw FilterSyntaxError("unsupported protocol over mpls")
            }
            return .and(
                .compare(.byte, at: networkOffset - 2, 0x01, mask: 0x01),
                .compare(.byte, at: networkOffset, version, mask: 0xf0))
        }
        if isPPP, let field = protocolFieldOffset {
            return .compare(.halfword, at: field, Self.pppProtocol(etherType))
        }
        switch type {
        case .ethernet:
            return try ethernetCarries(etherType)
        case .linuxSLL:
            if let framings = sllFramings(etherType) { return framings }
            if etherType <= Self.ethernetMTU {
                let isLLC = Condition.compare(.halfword, at: protocolFieldOffset!, Self.sllProtocol802_2)
                if [0x06, 0xfe, 0xf0].contains(etherType) {
                    return .and(isLLC, .compare(.halfword, at: payloadOffset, etherType << 8 | etherType))
                }
                return .and(isLLC, .compare(.byte, at: payloadOffset, etherType))
            }
            return .compare(.halfword, at: protocolFieldOffset!, etherType)
        case .linuxSLL2:
            return .compare(.halfword, at: protocolFieldOffset!, etherType)
        case .raw:
            switch etherType {
            case Self.etherTypeIPv4: return .compare(.byte, at: payloadOffset, 0x40, mask: 0xf0)
            case Self.etherTypeIPv6: return .compare(.byte, at: payloadOffset, 0x60, mask: 0xf0)
            default: return .constant(false)
            }
        case .ipv4:
            return .constant(etherType == Self.etherTypeIPv4)
        case .ipv6:
            return .constant(etherType == Self.etherTypeIPv6)
        case .null, .loop:
            return addressFamilyIs(etherType)
        case .ieee802_11, .ieee802_11Radio:
            return .and(IEEE80211Offsets.isDataFrame(header: headerOffset), try llcCarries(etherType))
        default:
            guard let test = pointToPointCarries(etherType) else {
                throw FilterSyntaxError("link type \(type) is not supported")
            }
            return test
        }
    }

    /// The 4-byte address family of NULL and LOOP. LOOP stores it in network order, NULL in the
    /// order of the machine that captured: the file's byte order, or for a live socket
    /// libpcap's host (little-endian here). A file may come from any BSD, so IPv6 is any of
    /// their AF_INET6 values; live, it is Linux's 10.
    private func addressFamilyIs(_ etherType: UInt32) -> Condition {
        let families: [UInt32]
        switch etherType {
        case Self.etherTypeIPv4: families = [2]
        case Self.etherTypeIPv6: families = source == .live ? [10] : [24, 28, 30]
        default: return .constant(false)
        }
        let bigEndian: Bool
        switch (type, source) {
        case (.loop, _): bigEndian = true
        case (_, .live), (_, .inetSocket): bigEndian = false
        case (_, .captureFile(let fileIsBigEndian)): bigEndian = fileIsBigEndian
        }
        return .any(families.map { .compare(.word, at: 0, bigEndian ? $0 : $0.byteSwapped) })
    }

    private func ethernetCarries(_ etherType: UInt32) throws(FilterSyntaxError) -> Condition {
        let typeOffset = protocolFieldOffset!
        let isLLC = Condition.not(.compare(.halfword, at: typeOffset, .greaterThan, Self.ethernetMTU))
        switch etherType {
        case 0x06, 0xfe, 0xf0:
            // IP, ISO and NetBEUI over 802.2: DSAP and SSAP both equal the SAP.
            return .and(isLLC, .compare(.halfword, at: payloadOffset, etherType << 8 | etherType))
        default:
            if let framings = ethernetFramings(etherType) { return framings }
            if etherType <= Self.ethernetMTU {
                return .and(isLLC, .compare(.byte, at: payloadOffset, etherType))
            }
            return .compare(.halfword, at: typeOffset, etherType)
        }
    }

    /// libpcap's `gen_llc_linktype`, after an 802.11 header: IP, ISO and NetBEUI SAPs in both
    /// DSAP and SSAP, other SAPs in the DSAP, EtherTypes where a SNAP header has them.
    private func llcCarries(_ etherType: UInt32) throws(FilterSyntaxError) -> Condition {
        switch etherType {
        case 0x06, 0xfe, 0xf0: return .compare(.halfword, at: payloadOffset, etherType << 8 | etherType)
        case Self.etherTypeAppleTalk:
            // libpcap tests AppleTalk's SNAP header here; not done yet.
            throw FilterSyntaxError("AppleTalk over 802.11 is not supported by this compiler")
        case ...Self.ethernetMTU: return .compare(.byte, at: payloadOffset, etherType)
        default: return .compare(.halfword, at: payloadOffset + 6, etherType)
        }
    }

    /// libpcap's `ethertype_to_ppptype`: the protocols it knows by EtherType or 802.2 SAP; any
    /// other value is compared as it is.
    private static func pppProtocol(_ etherType: UInt32) -> UInt32 {
        switch etherType {
        case etherTypeIPv4: 0x0021
        case etherTypeIPv6: 0x0057
        case etherTypeDECnet: 0x0027
        case etherTypeAppleTalk: 0x0029
        case 0xfe: 0x0023  // OSI, by its SAP
        case 0x0600: 0x0025  // XNS
        case 0x42: 0x0031  // bridging PDUs, by the spanning tree SAP
        case llcSAPIPX: 0x002b
        default: etherType
        }
    }

    /// Where the link-layer destination and source addresses are, for link types that have
    /// Ethernet addresses in fixed places.
    var ethernetAddressOffsets: (source: PacketOffset, destination: PacketOffset)? {
        type == .ethernet ? (headerOffset + 6, headerOffset) : nil
    }

    /// In a tunnel, the test that comes before an Ethernet-address test: the tunnel carries an
    /// Ethernet header, that is, the link header and payload offsets differ (libpcap's
    /// `gen_geneve_ll_check`).
    var tunnelledEthernetHeader: Condition? {
        guard isTunnelled, let header = headerOffset.slot, let payload = payloadOffset.slot else { return nil }
        return .not(.test([.loadScratch(.a, slot: header), .loadScratch(.x, slot: payload)], .equal, .x))
    }

    // MARK: Encapsulations that move later offsets

    /// The scratch slots that hold a tunnel's offsets: of the inner Ethernet header (or, in Geneve
    /// without one, of the payload), of its EtherType, and of its payload.
    struct TunnelSlots {
        var header: UInt32
        var protocolField: UInt32
        var payload: UInt32
    }

    /// The most tunnels an expression can enter: each keeps three scratch slots.
    static let maximumTunnels = 4

    /// Takes three more scratch slots for a tunnel's offsets (libpcap's `alloc_reg`).
    mutating func allocateTunnelSlots() throws(FilterSyntaxError) -> TunnelSlots {
        guard tunnelSlots < 3 * Self.maximumTunnels else {
            throw FilterSyntaxError("more than \(Self.maximumTunnels) geneve or vxlan tunnels: no scratch memory left for their offsets")
        }
        let top = UInt32(15 - reservedSlots)
        tunnelSlots += 3
        return TunnelSlots(header: top, protocolField: top - 1, payload: top - 2)
    }

    /// The top slots that tunnels took, which the program zeroes first.
    var tunnelSlotRange: Range<UInt32> {
        UInt32(16 - reservedSlots)..<UInt32(16 - wirelessSlots)
    }

    /// Every later primitive looks at the Ethernet frame (or Geneve payload) inside the tunnel,
    /// at the offsets the tunnel test stored in `slots` (libpcap's `PUSH_LINKHDR` to Ethernet).
    mutating func enterTunnel(_ slots: TunnelSlots) {
        type = .ethernet
        headerOffset = PacketOffset(slot: slots.header, constant: 0)
        protocolFieldOffset = PacketOffset(slot: slots.protocolField, constant: 0)
        payloadOffset = PacketOffset(slot: slots.payload, constant: 0)
        networkWithinPayload = 0
        isTunnelled = true
    }

    /// `vlan [id]` (libpcap's `gen_vlan` without the kernel's VLAN extensions): an 802.1Q,
    /// 802.1ad or QinQ tag, then every later primitive looks 4 bytes further.
    mutating func vlan(_ id: UInt32?) throws(FilterSyntaxError) -> Condition {
        guard mplsDepth == 0 else { throw FilterSyntaxError("no VLAN match after MPLS") }
        guard type == .ethernet else {
            throw FilterSyntaxError("no VLAN support for \(type.summary ?? type.description)")
        }
        var test = Condition.any(Self.vlanEtherTypes.map { Condition.compare(.halfword, at: protocolFieldOffset!, $0) })
        if let id {
            test = .and(test, .compare(.halfword, at: payloadOffset, id, mask: 0x0fff))
        }
        payloadOffset += 4
        protocolFieldOffset! += 4
        return test
    }

    /// `mpls [label]`: an MPLS label stack entry, then every later primitive looks past it. The
    /// first label needs Ethernet, Cisco HDLC or PPP (not PPP_SERIAL or PPP_ETHER: libpcap
    /// 1.10 checks for DLT_PPP alone, which a PPPoE session also is).
    mutating func mpls(_ label: UInt32?) throws(FilterSyntaxError) -> Condition {
        var test: Condition
        if mplsDepth > 0 {
            // A further label: the previous one must not be the bottom of the stack.
            test = .compare(.byte, at: networkOffset - 2, 0, mask: 0x01)
        } else if type == .ppp {
            test = .compare(.halfword, at: protocolFieldOffset!, Self.pppMPLSUnicast)
        } else {
            guard type == .ethernet || type == .ciscoHDLC else {
                throw FilterSyntaxError("no MPLS support for \(type.summary ?? type.description)")
            }
            test = .compare(.halfword, at: protocolFieldOffset!, Self.etherTypeMPLS)
        }
        if let label {
            test = .and(test, .compare(.word, at: networkOffset, label << 12, mask: 0xffff_f000))
        }
        networkWithinPayload += 4
        mplsDepth += 1
        return test
    }

    /// `pppoes [session]`: a PPPoE session frame, then later primitives look inside its PPP frame
    /// as on the PPP link type (libpcap's PUSH_LINKHDR to DLT_PPP).
    mutating func pppoeSession(_ session: UInt32?) throws(FilterSyntaxError) -> Condition {
        var test = try carries(Self.etherTypePPPoESession)
        if let session {
            test = .and(test, .compare(.word, at: networkOffset, session, mask: 0x0000_ffff))
        }
        // The PPPoE header is 6 bytes; the PPP protocol field follows, then the PPP payload.
        let pppHeader = networkOffset + 6
        // libpcap's PUSH_LINKHDR: `link[...]` and `byte` now count from the PPP header.
        headerOffset = pppHeader
        protocolFieldOffset = pppHeader
        payloadOffset = pppHeader + 2
        networkWithinPayload = 0
        type = .ppp
        isTunnelled = false
        return test
    }
}
