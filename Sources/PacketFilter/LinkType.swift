/// A capture's link-layer header type: the `LINKTYPE_` value written in pcap and pcapng files.
///
/// libpcap's API speaks in `DLT_` values, which equal the `LINKTYPE_` ones except for a few
/// historical types (`RAW` is `LINKTYPE_RAW` 101 in files and `DLT_RAW` 12 or 14 in the API).
/// The names are libpcap's `pcap_datalink_val_to_name` names, as tcpdump's `-y` takes them.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `LINKTYPE_` value.
    public var rawValue: UInt32

    /// The link type with this `LINKTYPE_` value.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// BSD loopback: a 4-byte address family in the host's byte order.
    public static let null = LinkType(rawValue: 0)
    /// Ethernet (10 Mb and up).
    public static let ethernet = LinkType(rawValue: 1)
    /// SLIP, each packet behind a 16-byte pseudo-header: the direction (0 received, 1 sent),
    /// then the first 15 bytes of the (Van Jacobson compressed) header the BSD SLIP driver saw.
    public static let slip = LinkType(rawValue: 8)
    /// PPP, RFC 1661 framing: the HDLC-like address and control bytes, then the 2-byte protocol.
    public static let ppp = LinkType(rawValue: 9)
    /// PPP in HDLC-like framing (RFC 1662), libpcap's `PPP_SERIAL` (`LINKTYPE_PPP_HDLC` in files).
    public static let pppSerial = LinkType(rawValue: 50)
    /// A PPPoE session frame without its Ethernet header: the 6-byte PPPoE header, then PPP.
    public static let pppOverEthernet = LinkType(rawValue: 51)
    /// Raw IP: the packet starts with an IPv4 or IPv6 header.
    public static let raw = LinkType(rawValue: 101)
    /// Cisco HDLC: address and control bytes, then an EtherType (0xFEFE for OSI protocols).
    public static let ciscoHDLC = LinkType(rawValue: 104)
    /// 802.11 frames, starting with the 802.11 MAC header.
    public static let ieee802_11 = LinkType(rawValue: 105)
    /// Frame Relay: the Q.922 address, then (Q.933, RFC 2427) a control byte and an NLPID.
    public static let frameRelay = LinkType(rawValue: 107)
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    /// Linux "cooked" capture, version 1 (16-byte header).
    public static let linuxSLL = LinkType(rawValue: 113)
    /// 802.11 with a radiotap header.
    public static let ieee802_11Radio = LinkType(rawValue: 127)
    /// Raw IPv4.
    public static let ipv4 = LinkType(rawValue: 228)
    /// Raw IPv6.
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux "cooked" capture, version 2 (20-byte header with the interface index).
    public static let linuxSLL2 = LinkType(rawValue: 276)

    private static let names: [(LinkType, String, String)] = [
        (.null, "NULL", "BSD loopback"),
        (.ethernet, "EN10MB", "Ethernet"),
        (.slip, "SLIP", "SLIP"),
        (.ppp, "PPP", "PPP"),
        (.pppSerial, "PPP_SERIAL", "PPP over serial"),
        (.pppOverEthernet, "PPP_ETHER", "PPPoE"),
        (.raw, "RAW", "Raw IP"),
        (.ciscoHDLC, "C_HDLC", "Cisco HDLC"),
        (.ieee802_11, "IEEE802_11", "802.11"),
        (.frameRelay, "FRELAY", "Frame Relay"),
        (.loop, "LOOP", "OpenBSD loopback"),
        (.linuxSLL, "LINUX_SLL", "Linux cooked v1"),
        (.ieee802_11Radio, "IEEE802_11_RADIO", "802.11 plus radiotap header"),
        (.ipv4, "IPV4", "Raw IPv4"),
        (.ipv6, "IPV6", "Raw IPv6"),
        (.linuxSLL2, "LINUX_SLL2", "Linux cooked v2"),
    ]

    /// The link types this package knows by name.
    public static var known: [LinkType] { names.map(\.0) }

    /// libpcap's name for the type, such as `EN10MB`, or nil for a type this package doesn't name.
    public var name: String? {
        Self.names.first { $0.0 == self }?.1
    }

    /// A one-line human description, such as `Ethernet`.
    public var summary: String? {
        Self.names.first { $0.0 == self }?.2
    }

    /// The type libpcap calls `name` (case-insensitive, with or without the `DLT_` or
    /// `LINKTYPE_` prefix), or nil.
    public init?(name: String) {
        var key = name.uppercased()
        for prefix in ["DLT_", "LINKTYPE_"] where key.hasPrefix(prefix) {
            key.removeFirst(prefix.count)
        }
        guard let entry = Self.names.first(where: { $0.1 == key }) else { return nil }
        self = entry.0
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        name ?? "LINKTYPE \(rawValue)"
    }
}
