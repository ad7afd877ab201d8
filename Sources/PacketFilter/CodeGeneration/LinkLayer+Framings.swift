/// IPX and AppleTalk come in several framings, which libpcap's `gen_ether_linktype` and
/// `gen_linux_sll_linktype` test together: Ethernet II, then on 802.3 frames a SNAP header, the
/// 802.2 SAP, or (IPX only) Novell's raw 802.3 with 0xFFFF where the LLC header would be.
extension LinkLayer {
    static let etherTypeDECnet: UInt32 = 0x6003
    static let llcSAPIPX: UInt32 = 0xe0
    static let etherTypeIPX: UInt32 = 0x8137
    static let etherTypeAppleTalk: UInt32 = 0x809b
    static let etherTypeAppleTalkARP: UInt32 = 0x80f3
    /// The SLL protocol value for Novell's raw 802.3 frames.
    private static let sllProtocol802_3: UInt32 = 0x0001
    /// SNAP organization codes: Apple's, for AppleTalk; zero (an EtherType follows) otherwise.
    private static let appleOrganization: UInt32 = 0x08_0007
    private static let encapsulatedEthernet: UInt32 = 0

    /// On Ethernet: the framings of IPX (asked for by its SAP, as `ipx` does) and of AppleTalk
    /// and AARP; nil for any other protocol.
    func ethernetFramings(_ etherType: UInt32) -> Condition? {
        guard let typeOffset = protocolFieldOffset else { return nil }
        let isEthernetII = Condition.compare(.halfword, at: typeOffset, etherType == Self.llcSAPIPX ? Self.etherTypeIPX : etherType)
        let is802_3 = Condition.not(.compare(.halfword, at: typeOffset, .greaterThan, Self.ethernetMTU))
        switch etherType {
        case Self.llcSAPIPX:
            let is802_2OrRaw = Condition.or(
                .compare(.byte, at: payloadOffset, Self.llcSAPIPX), .compare(.halfword, at: payloadOffset, 0xffff))
            return .or(isEthernetII, .and(is802_3, .or(snap(Self.encapsulatedEthernet, Self.etherTypeIPX), is802_2OrRaw)))
        case Self.etherTypeAppleTalk, Self.etherTypeAppleTalkARP:
            return .or(isEthernetII, .and(is802_3, appleTalkSNAP(etherType)))
        default:
            return nil
        }
    }

    /// On Linux SLL, where the protocol field says 802.2 or raw 802.3 itself; nil for a
    /// protocol other than IPX, AppleTalk and AARP.
    func sllFramings(_ etherType: UInt32) -> Condition? {
        guard let typeOffset = protocolFieldOffset else { return nil }
        let is802_2 = Condition.compare(.halfword, at: typeOffset, Self.sllProtocol802_2)
        switch etherType {
        case Self.llcSAPIPX:
            let overLLC = Condition.or(.compare(.byte, at: payloadOffset, Self.llcSAPIPX), snap(Self.encapsulatedEthernet, Self.etherTypeIPX))
            return .or(
                .compare(.halfword, at: typeOffset, Self.etherTypeIPX),
                .or(.compare(.halfword, at: typeOffset, Self.sllProtocol802_3), .and(is802_2, overLLC)))
        case Self.etherTypeAppleTalk, Self.etherTypeAppleTalkARP:
            return .or(.compare(.halfword, at: typeOffset, etherType), .and(is802_2, appleTalkSNAP(etherType)))
        default:
            return nil
        }
    }

    /// AppleTalk in SNAP carries Apple's organization code; AARP an encapsulated EtherType.
    private func appleTalkSNAP(_ etherType: UInt32) -> Condition {
        snap(etherType == Self.etherTypeAppleTalk ? Self.appleOrganization : Self.encapsulatedEthernet, etherType)
    }

    /// An LLC header with SNAP (DSAP and SSAP 0xAA, control UI), then the organization code and
    /// protocol: libpcap's `gen_snap`, compared as its `gen_bcmp` does, the last word first.
    private func snap(_ organization: UInt32, _ etherType: UInt32) -> Condition {
        .and(
            .compare(.word, at: payloadOffset + 4, (organization & 0xffff) << 16 | etherType),
            .compare(.word, at: payloadOffset, 0xaaaa_0300 | organization >> 16))
    }
}
