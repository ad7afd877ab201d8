import CBPF

/// The packet-dependent offsets of 802.11 link types, which libpcap computes at the program's
/// start into scratch slots (`insert_compute_vloffsets`):
///
/// - With radiotap, the 802.11 header starts after the radiotap header, whose length is the
///   little-endian halfword at offset 2 (`gen_load_radiotap_llprefixlen`).
/// - The LLC header starts after the 802.11 header: 24 bytes, 2 more in a QoS data frame, then
///   rounded up to a multiple of 4 when radiotap's flags say the driver padded it
///   (`gen_load_802_11_header_len`). Only data frames have a payload; for other frames the
///   offset stays at 24.
///
/// libpcap emits each computation only when some primitive reads its slot, and turns its
/// optimizer off when the payload offset is needed: then its unoptimized code is the reference.
enum IEEE80211Offsets {
    /// The radiotap header's length, where the 802.11 header starts.
    static let radiotapLengthSlot: UInt32 = 15
    /// Where the 802.11 payload (the LLC header) starts.
    static let payloadSlot: UInt32 = 14
    static let slotCount = 2

    /// The 802.11 header of a data frame without QoS or padding.
    private static let minimumDataHeaderLength: UInt32 = 24
    /// The QoS control field of QoS data frames.
    private static let qosControlLength: UInt32 = 2

    /// Radiotap's presence bits, tested on the first presence word as loaded big-endian (the
    /// header is little-endian): TSFT, flags, and the extension bit.
    private static let tsftPresent: UInt32 = 0x0100_0000
    private static let flagsPresent: UInt32 = 0x0200_0000
    private static let extensionPresent: UInt32 = 0x0000_0080
    /// Radiotap's flag for padding between the 802.11 header and the payload.
    private static let dataPadding: UInt32 = 0x20

    /// `link[0] & 0x08 != 0 and link[0] & 0x04 == 0`, in libpcap's order (`gen_check_802_11_data_frame`).
    static func isDataFrame(header: PacketOffset) -> Condition {
        .and(.not(.compare(.byte, at: header, .bitsSet, 0x04)), .compare(.byte, at: header, .bitsSet, 0x08))
    }

    /// The code that fills the slots `condition` reads, for `linkType`, or nil when it reads
    /// neither. It always holds, and comes before everything else.
    static func prologue(for condition: Condition, linkType: LinkType, header: PacketOffset) -> Condition? {
        let needsPayload = condition.readsScratch(payloadSlot)
        let isRadiotap = linkType == .ieee802_11Radio
        let needsRadiotapLength = isRadiotap && (needsPayload || condition.readsScratch(radiotapLengthSlot))
        var start: [Instruction] = []
        if needsRadiotapLength {
            // The little-endian length, a byte at a time.
            start += [
                .loadAbsolute(.byte, offset: 3), .arithmetic(.shiftLeft, .constant(8)), .tax,
                .loadAbsolute(.byte, offset: 2), .arithmetic(.or, .x), .store(.a, slot: radiotapLengthSlot),
            ]
        }
        guard needsPayload else { return start.isEmpty ? nil : .always(start) }
        start += isRadiotap
            ? [.arithmetic(.add, .constant(minimumDataHeaderLength)), .store(.a, slot: payloadSlot)]
            : [.loadImmediate(.a, minimumDataHeaderLength), .store(.a, slot: payloadSlot)]

        let qos = Condition.compare(.byte, at: header, .bitsSet, 0x80)
        let skipQoSControl = Condition.always(adding(qosControlLength, andMask: nil))
        var dataFrame = Condition.or(.and(qos, skipQoSControl), .always([]))
        if isRadiotap {
            dataFrame = .and(dataFrame, radiotapPadding)
        }
        // The frame control byte comes first in libpcap's code; data frames then adjust the offset.
        let isData = Condition.and(
            .compare(.byte, at: header, .bitsSet, 0x08), .not(.compare(.byte, at: header, .bitsSet, 0x04)))
        return .and(.always(start), .or(.and(isData, dataFrame), .always([])))
    }

    /// When the first presence word has the flags field and no extension, and the flags (after
    /// the 8-byte TSFT field if present) say so, the payload offset rounds up to a multiple of 4.
    private static var radiotapPadding: Condition {
        let presence: [Instruction] = [.loadAbsolute(.word, offset: 4)]
        let tsft = Condition.test(presence, .bitsSet, .constant(tsftPresent))
        let padded = Condition.or(
            .and(tsft, .compare(.byte, at: 16, .bitsSet, dataPadding)),
            .and(.not(tsft), .compare(.byte, at: 8, .bitsSet, dataPadding)))
        let applies = Condition.all([
            .test(presence, .bitsSet, .constant(flagsPresent)),
            .not(.test(presence, .bitsSet, .constant(extensionPresent))),
            padded,
        ])
        return .or(.and(applies, .always(adding(3, andMask: ~3))), .always([]))
    }

    /// The payload slot plus `bytes`, under `mask` if given.
    private static func adding(_ bytes: UInt32, andMask mask: UInt32?) -> [Instruction] {
        [.loadScratch(.a, slot: payloadSlot), .arithmetic(.add, .constant(bytes))]
            + (mask.map { [.arithmetic(.and, .constant($0))] } ?? [])
            + [.store(.a, slot: payloadSlot)]
    }
}

extension Condition {
    /// Whether any test loads scratch slot `slot`.
    func readsScratch(_ slot: UInt32) -> Bool {
        switch self {
        case .test(let statements, _, _):
            statements.contains { statement in
                if case .loadScratch(_, let loaded) = statement { return loaded == slot }
                return false
            }
        case .constant: false
        case .not(let inner): inner.readsScratch(slot)
        case .conjunction(let operands), .disjunction(let operands): operands.contains { $0.readsScratch(slot) }
        }
    }
}
