/// The socket-buffer state that Linux ancillary loads and `SKF_NET_OFF`/`SKF_LL_OFF` loads read.
///
/// The defaults are those of a datagram on an AF_UNIX socket: no device, no VLAN tag, the
/// network header at the first byte and no link-layer header.
public struct PacketMetadata: Hashable, Sendable {
    /// The device a packet arrived on.
    public struct Device: Hashable, Sendable {
        /// `dev->ifindex`.
        public var index: UInt32
        /// `dev->type`, an `ARPHRD_*` value.
        public var hardwareType: UInt16

        /// A device with its index and `ARPHRD_*` type.
        public init(index: UInt32, hardwareType: UInt16) {
            self.index = index
            self.hardwareType = hardwareType
        }
    }

    /// `skb->protocol` in host order.
    public var `protocol`: UInt16 = 0
    /// `skb->pkt_type`.
    public var packetType: UInt8 = 0
    /// `skb->dev`. Without one, `ld #ifidx` and `ld #hatype` end the program and return A, as
    /// the kernel's translation of those loads does.
    public var device: Device? = nil
    /// `skb->mark`.
    public var mark: UInt32 = 0
    /// `skb->queue_mapping`.
    public var queue: UInt16 = 0
    /// `skb->hash`.
    public var rxHash: UInt32 = 0
    /// The CPU that runs the filter.
    public var cpu: UInt32 = 0
    /// `skb->vlan_tci`.
    public var vlanTag: UInt16 = 0
    /// Whether a VLAN tag is present in the metadata.
    public var vlanTagPresent: Bool = false
    /// `skb->vlan_proto` in host order.
    public var vlanProtocol: UInt16 = 0
    /// What the flow dissector reports as the payload offset (`skb_get_poff`).
    public var payloadOffset: UInt32 = 0
    /// The value `ld #rand` returns; the kernel draws a new one each time.
    public var random: UInt32 = 0
    /// Offset of the network header from the first byte of the packet (`SKF_NET_OFF`). Negative
    /// when the header is among ``bytesBeforePacket``: on a UDP or TCP socket the packet starts
    /// at the transport header and this is minus the IP header's length.
    public var networkHeaderOffset: Int = 0
    /// Offset of the link-layer header, or `nil` when it is not set (`SKF_LL_OFF` loads fail).
    public var linkLayerHeaderOffset: Int? = nil
    /// The bytes just before the packet's first byte, which only `SKF_NET_OFF` and `SKF_LL_OFF`
    /// loads reach (the kernel lets them read from `skb->head`): on a UDP or TCP socket, the IP
    /// header the kernel has already stepped over. Loads that start before these fail.
    public var bytesBeforePacket: [UInt8] = []

    /// Metadata with every number 0, no device, no VLAN tag, the network header at the packet's start
    /// and no link-layer header.
    public init() {}
}
