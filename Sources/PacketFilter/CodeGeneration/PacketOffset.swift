import CBPF

/// Where a header starts in the packet: a constant, or, inside a `geneve` or `vxlan` tunnel, a
/// scratch slot's value (computed from the packet when the tunnel test ran) plus a constant.
/// libpcap's `bpf_abs_offset`: its loads through a variable offset put the slot in X and load
/// relative to X.
struct PacketOffset: Hashable, Sendable {
    /// The scratch slot that holds the variable part, if any.
    var slot: UInt32?
    var constant: UInt32

    static func fixed(_ constant: UInt32) -> PacketOffset { PacketOffset(slot: nil, constant: constant) }

    static func + (offset: PacketOffset, bytes: UInt32) -> PacketOffset {
        PacketOffset(slot: offset.slot, constant: offset.constant + bytes)
    }

    static func += (offset: inout PacketOffset, bytes: UInt32) {
        offset = offset + bytes
    }

    /// Wraps below 0 as libpcap's unsigned offsets do (an MPLS label before the tunnel's start).
    static func - (offset: PacketOffset, bytes: UInt32) -> PacketOffset {
        PacketOffset(slot: offset.slot, constant: offset.constant &- bytes)
    }

    /// `ld size [constant]`, or `ldx M[slot]; ld size [x + constant]`.
    func load(_ size: LoadSize) -> [Instruction] {
        guard let slot else { return [.loadAbsolute(size, offset: constant)] }
        return [.loadScratch(.x, slot: slot), .loadIndirect(size, offset: constant)]
    }

    /// X = the variable part plus A, so that `ld [x + constant]` loads A bytes further: libpcap's
    /// `proto[expr]` with the index in A.
    var indexInX: [Instruction] {
        guard let slot else { return [.tax] }
        return [.loadScratch(.x, slot: slot), .arithmetic(.add, .x), .tax]
    }

    /// X = the length of the IPv4 header here, plus the variable part (libpcap's
    /// `gen_loadx_iphdrlen`): then `ld [x + constant + k]` loads byte k of the transport header.
    var ipv4HeaderLengthInX: [Instruction] {
        guard let slot else { return [.loadIPv4HeaderLength(offset: constant)] }
        return [
            .loadScratch(.x, slot: slot), .loadIndirect(.byte, offset: constant), .arithmetic(.and, .constant(0x0f)),
            .arithmetic(.shiftLeft, .constant(2)), .arithmetic(.add, .x), .tax,
        ]
    }
}
