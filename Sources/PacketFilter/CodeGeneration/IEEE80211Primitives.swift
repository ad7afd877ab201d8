import CBPF

/// The 802.11 primitives, with libpcap's tests in its order: addresses (`gen_wlanhostop`), which
/// sit at different places by frame type and To DS/From DS bits; `broadcast` and `multicast`;
/// `type`/`subtype` (`gen_p80211_type`) and `dir` (`gen_p80211_fcdir`). Offsets count from the
/// 802.11 header, after any radiotap header.
extension FilterCodeGenerator {
    private var frameControl: PacketOffset { link.headerOffset }
    private var flags: PacketOffset { link.headerOffset + 1 }

    /// `link[0] & bits != 0`: the frame control's first byte (version, type, subtype).
    private func frameControlHas(_ bits: UInt32) -> Condition {
        .compare(.byte, at: frameControl, .bitsSet, bits)
    }

    /// `link[1] & bits != 0`: the flags byte (To DS 0x01, From DS 0x02).
    private func flagsHave(_ bits: UInt32) -> Condition {
        .compare(.byte, at: flags, .bitsSet, bits)
    }

    private func isControlFrame() -> Condition {
        .compare(.byte, at: frameControl, IEEE80211Names.control, mask: IEEE80211Names.typeMask)
    }

    private func subtypeIs(_ subtype: UInt32) -> Condition {
        .compare(.byte, at: frameControl, subtype, mask: IEEE80211Names.subtypeMask)
    }

    /// An address field of the 802.11 header, `offset` bytes in.
    private func addressField(_ offset: UInt32, is bytes: [UInt8]) -> Condition {
        ethernetAddress(at: link.headerOffset + offset, bytes)
    }

    func requireWireless(_ what: String) throws(FilterSyntaxError) {
        guard link.isWireless else {
            throw FilterSyntaxError("\(what) supported only on 802.11 link types (IEEE802_11, IEEE802_11_RADIO), not \(link.type.summary ?? link.type.description)")
        }
    }

    /// `wlan [dir] host MAC` (libpcap's `gen_wlanhostop`).
    func wirelessHost(_ bytes: [UInt8], direction: FilterDirection?) -> Condition {
        let field = { (offset: UInt32) in self.addressField(offset, is: bytes) }
        switch direction {
        case .source?:
            // Management frames: address 2. Data frames: address 2 unless From DS, then address 3
            // unless To DS too, then address 4. Control frames have no source.
            let fromDS = Condition.or(.and(.not(flagsHave(0x01)), field(16)), .and(flagsHave(0x01), field(24)))
            let data = Condition.or(.and(.not(flagsHave(0x02)), field(10)), .and(flagsHave(0x02), fromDS))
            return .and(
                .not(frameControlHas(0x04)),
                .or(.and(.not(frameControlHas(0x08)), field(10)), .and(frameControlHas(0x08), data)))
        case .destination?:
            // Management frames: address 1. Data frames: address 1 unless To DS, then address 3.
            let data = Condition.or(.and(.not(flagsHave(0x01)), field(4)), .and(flagsHave(0x01), field(16)))
            return .and(
                .not(frameControlHas(0x04)),
                .or(.and(.not(frameControlHas(0x08)), field(4)), .and(frameControlHas(0x08), data)))
        case .sourceAndDestination?:
            return .and(wirelessHost(bytes, direction: .source), wirelessHost(bytes, direction: .destination))
        case .sourceOrDestination?, nil:
            return .or(wirelessHost(bytes, direction: .source), wirelessHost(bytes, direction: .destination))
        case .address1?:
            return field(4)
        case .address2?:
            // Every frame but CTS and ACK control frames.
            let hasAddress2 = Condition.or(
                .not(isControlFrame()), .and(.not(subtypeIs(0xc0)), .not(subtypeIs(0xd0))))
            return .and(hasAddress2, field(10))
        case .address3?:
            return .and(.not(isControlFrame()), field(16))
        case .address4?:
            return .and(
                .compare(.byte, at: flags, 0x03, mask: IEEE80211Names.directionMask), field(24))
        case .receiver?:
            // Address 1 of frames other than management frames.
            return .and(frameControlHas(0x08), field(4))
        case .transmitter?:
            // Address 2 of frames other than management frames, CTS and ACK.
            let hasAddress2 = Condition.or(
                .not(isControlFrame()), .and(.not(subtypeIs(0xc0)), .not(subtypeIs(0xd0))))
            return .and(.and(frameControlHas(0x08), hasAddress2), field(10))
        }
    }

    /// `multicast` on 802.11: the group bit of the destination address, which is address 3 in
    /// data frames to the DS and address 1 otherwise; control frames have none.
    func wirelessMulticast() -> Condition {
        let groupBit = { (offset: UInt32) in Condition.compare(.byte, at: self.link.headerOffset + offset, .bitsSet, 1) }
        let data = Condition.or(.and(.not(flagsHave(0x01)), groupBit(4)), .and(flagsHave(0x01), groupBit(16)))
        return .and(
            .not(frameControlHas(0x04)),
            .or(.and(.not(frameControlHas(0x08)), groupBit(4)), .and(frameControlHas(0x08), data)))
    }

    /// `type T [subtype S]`, `subtype S`: the frame control's first byte under the type mask, or
    /// the type and subtype masks.
    func wirelessFrameType(_ type: UInt32, subtype: UInt32?) throws(FilterSyntaxError) -> Condition {
        try requireWireless("802.11 frame types ('type', 'subtype') are")
        guard let subtype else { return .compare(.byte, at: frameControl, type, mask: IEEE80211Names.typeMask) }
        return .compare(.byte, at: frameControl, type | subtype, mask: IEEE80211Names.typeMask | IEEE80211Names.subtypeMask)
    }

    /// `dir D`: the To DS and From DS bits.
    func wirelessDirection(_ direction: UInt32) throws(FilterSyntaxError) -> Condition {
        try requireWireless("802.11 frame directions ('dir') are")
        return .compare(.byte, at: flags, direction, mask: IEEE80211Names.directionMask)
    }
}
