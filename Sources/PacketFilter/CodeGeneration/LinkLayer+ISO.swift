/// The OSI protocols (CLNP, ES-IS, IS-IS) by NLPID, where each link type puts them: libpcap's
/// `gen_proto` for `iso proto`, and its `off_nl_nosnap`.
extension LinkLayer {
    /// Where an ISO header starts after an 802.2 header without SNAP (libpcap's `off_linkpl` plus
    /// `off_nl_nosnap`): 3 bytes into Ethernet's and 802.11's payload, at the payload (after any
    /// MPLS labels) elsewhere.
    var isoHeaderOffset: PacketOffset {
        if isWireless { return payloadOffset + 3 }
        return networkOffset + (type == .ethernet ? 3 : 0)
    }

    /// The test for an ISO protocol by its NLPID. Frame Relay has the NLPID right after its
    /// control byte, and libpcap tests the two alone; Cisco HDLC's OSI type comes with a pad
    /// byte before the NLPID; elsewhere it is the first byte of the ISO header.
    func carriesISO(_ nlpid: UInt32) throws(FilterSyntaxError) -> Condition {
        switch type {
        case .frameRelay: frameRelayNLPID(nlpid)
        case .ciscoHDLC: .and(try carries(Self.llcSAPISO), .compare(.byte, at: isoHeaderOffset + 1, nlpid))
        default: .and(try carries(Self.llcSAPISO), .compare(.byte, at: isoHeaderOffset, nlpid))
        }
    }
}
