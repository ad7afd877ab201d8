import CBPF

/// Code for filters on UDP and TCP sockets (``PacketSource/inetSocket``). The kernel runs them
/// with the packet starting at the transport header (`udp_queue_rcv_one_skb` and `tcp_filter`
/// pass the socket buffer with `data` there), so transport fields are at offset 0 whatever the
/// IP version and its extension headers, and IP fields are behind `SKF_NET_OFF`. There is no
/// link layer to test, and what needs one is refused here, by name.
extension FilterCodeGenerator {
    /// The protocols a UDP or TCP socket's packets can be: IPv4, IPv6 and what IP carries.
    private static let protocolsOverIP: Set<FilterProtocol> = [
        .ip, .ip6, .tcp, .udp, .sctp, .icmp, .icmp6, .igmp, .igrp, .pim, .vrrp, .carp, .ah, .esp,
    ]

    private static let transportProtocols: Set<FilterProtocol> = [
        .tcp, .udp, .sctp, .icmp, .icmp6, .igmp, .igrp, .pim, .vrrp, .carp,
    ]

    /// Where the transport header of an IPv6 packet starts: 40 bytes after the network header,
    /// or on an inet socket, at the packet's first byte.
    var transport6: PacketOffset { link.isInetSocket ? .fixed(0) : net + 40 }

    /// Refuses a primitive that cannot apply to packets that start at the transport header.
    static func refuseOnInetSocket(_ primitive: FilterPrimitive) throws(FilterSyntaxError) {
        switch primitive {
        case .host(let address, let proto, _), .net(let address, _, _, let proto, _):
            if case .ethernet = address { throw linkLayerRefusal("ether host") }
            if case .decnet = address { throw notOverIPRefusal(.decnet) }
            try requireOverIP(proto)
        case .port(_, let proto, _), .portRange(_, _, let proto, _): try requireOverIP(proto)
        case .protocolAbbreviation(let proto): try requireOverIP(proto)
        case .protocolNumber(_, let proto):
            if proto == .link { throw linkLayerRefusal("ether proto") }
            try requireOverIP(proto)
        case .protocolChain:
            throw FilterSyntaxError("'protochain' is not supported on an inet socket: the kernel has already walked the IPv6 extension headers, and the transport header is at offset 0")
        case .less: throw lengthRefusal("less")
        case .greater: throw lengthRefusal("greater")
        case .broadcast(let proto), .multicast(let proto):
            if proto == nil || proto == .link {
                throw linkLayerRefusal(primitive == .broadcast(proto) ? "ether broadcast" : "ether multicast")
            }
            try requireOverIP(proto)
        case .vlan: throw linkLayerRefusal("vlan")
        case .mpls: throw linkLayerRefusal("mpls")
        case .pppoeDiscovery: throw linkLayerRefusal("pppoed")
        case .pppoeSession: throw linkLayerRefusal("pppoes")
        case .llc: throw linkLayerRefusal("llc")
        case .byte: throw linkLayerRefusal("byte")
        case .wirelessFrameType: throw linkLayerRefusal("wlan type")
        case .wirelessDirection: throw linkLayerRefusal("wlan dir")
        case .geneve: throw tunnelRefusal("geneve")
        case .vxlan: throw tunnelRefusal("vxlan")
        case .direction(let inbound):
            throw FilterSyntaxError("'\(inbound ? "inbound" : "outbound")' cannot apply on an inet socket: its filter sees only the packets the socket receives")
        case .interfaceIndex, .dnsQueryName:
            return
        }
    }

    /// `proto[index:size]` on an inet socket: the header `proto` names and the tests that it is
    /// there. A transport header is at offset 0 for IPv4 and IPv6 alike (the kernel has
    /// reassembled fragments), unlike libpcap's `udp[...]`, which reads IPv4 only.
    func inetSocketHeader(_ proto: FilterProtocol) throws(FilterSyntaxError) -> (base: PacketOffset, guards: [Condition]) {
        switch proto {
        case .link, .radio: throw Self.linkLayerRefusal("\(proto.rawValue)[...]")
        case .ip, .ip6: return (net, [try abbreviation(proto)])
        case _ where Self.transportProtocols.contains(proto): return (.fixed(0), [try abbreviation(proto)])
        default: throw Self.notOverIPRefusal(proto)
        }
    }

    /// An IPv6 host or network inside `::ffff:0:0/96`, without `ip6`, also matches IPv4 packets from or to the
    /// embedded address: an AF_INET6 socket receives IPv4 traffic with such addresses, and
    /// reports its peers in that form, but the kernel hands the filter the IPv4 header.
    func mappedIPv4(_ address: IPv6Address, prefixLength: UInt32, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition? {
        let words = address.words
        guard prefixLength >= 96, words[0] == 0, words[1] == 0, words[2] == 0xffff else { return nil }
        let bits = prefixLength - 96
        let mask: UInt32 = bits == 0 ? 0 : UInt32.max << (32 - bits)
        let carries = try link.carries(LinkLayer.etherTypeIPv4)
        return try byDirection(direction) { isSource in
            .and(carries, .compare(.word, at: net + (isSource ? 12 : 16), words[3] & mask, mask: mask))
        }
    }

    private static func tunnelRefusal(_ name: String) -> FilterSyntaxError {
        FilterSyntaxError("'\(name)' is not supported on an inet socket: it tests the Ethernet frame inside the tunnel")
    }

    private static func requireOverIP(_ proto: FilterProtocol?) throws(FilterSyntaxError) {
        guard let proto, !protocolsOverIP.contains(proto) else { return }
        if proto == .link || proto == .radio { throw linkLayerRefusal(proto.rawValue) }
        throw notOverIPRefusal(proto)
    }

    private static func linkLayerRefusal(_ what: String) -> FilterSyntaxError {
        FilterSyntaxError("'\(what)' needs a link-layer header, which a filter on an inet socket does not see: the kernel hands it the packet from the transport header")
    }

    private static func notOverIPRefusal(_ proto: FilterProtocol) -> FilterSyntaxError {
        FilterSyntaxError("'\(proto.rawValue)' cannot match on an inet socket: its filter sees only IPv4 and IPv6 packets")
    }

    /// `len`, `less` and `greater` count the packet from the link-layer header in tcpdump; on an
    /// inet socket `ld len` counts from the transport header, so the same number would mean
    /// something else.
    static func lengthRefusal(_ what: String) -> FilterSyntaxError {
        FilterSyntaxError("'\(what)' is refused on an inet socket: the kernel's length counts from the transport header, not the link layer as in tcpdump; compare ip[2:2] (IPv4 total length), ip6[4:2] (IPv6 payload length) or udp[4:2] instead")
    }
}
