import CBPF

/// A word of the pcap-filter language, as libpcap's scanner splits the text.
enum TokenKind: Hashable, Sendable {
    /// A keyword (`host`, `tcp`, `and`, ...). `and`/`&&`, `or`/`||` and `not`/`!` are
    /// keywords too.
    case keyword(Keyword)
    /// A number: decimal, `0x` hexadecimal, `0` octal, or a named constant such as `tcp-syn`.
    case number(UInt32)
    /// A name: a host, a service, a protocol after `\`, ...
    case identifier(String)
    /// A dotted IPv4 address or prefix, one to four parts (`10`, `10.1`, `10.1.2.3`).
    case ipv4(String)
    /// An IPv6 address.
    case ipv6(String)
    /// An Ethernet address (`aa:bb:cc:dd:ee:ff`, `aa-bb-...`, `aabb.ccdd.eeff`).
    case mac(String)
    /// Text in double quotes (this package's extension, for `dns qname "example.com"`).
    case string(String)
    /// One of `( ) [ ] : + - * / % & | ^ << >> = != < <= > >=`.
    case punctuation(String)
    case end
}

struct Token: Hashable, Sendable {
    var kind: TokenKind
    /// The text as written.
    var text: String
    var location: SourcePosition
}

/// The keywords of the pcap-filter language that this package knows. Spellings that mean
/// the same (`ether`/`link`, `len`/`length`, `&&`/`and`) share a case.
enum Keyword: String, Hashable, Sendable, CaseIterable {
    case src, dst, host, net, mask, port, portrange, proto, protochain, gateway
    case link, ip, ip6, arp, rarp, tcp, udp, icmp, icmp6, sctp, igmp, igrp, pim, vrrp, carp
    case ah, esp, radio, atalk, aarp, decnet, lat, sca, moprc, mopdl, iso, esis, isis, clnp
    case stp, ipx, netbeui, l1, l2, iih, lsp, snp, csnp, psnp
    case less, greater, byte, broadcast, multicast
    case and, or, not
    case len, inbound, outbound, ifindex
    case vlan, mpls, pppoed, pppoes, geneve, vxlan, llc
    case type, subtype, dir, addr1, addr2, addr3, addr4, ra, ta

    /// Every spelling libpcap's scanner gives this keyword.
    static let spellings: [String: Keyword] = {
        var table: [String: Keyword] = [:]
        for keyword in Keyword.allCases { table[keyword.rawValue] = keyword }
        for (spelling, keyword) in [
            ("ether", Keyword.link), ("ppp", .link), ("slip", .link), ("fddi", .link), ("tr", .link),
            ("wlan", .link), ("es-is", .esis), ("is-is", .isis), ("length", .len), ("direction", .dir),
            ("address1", .addr1), ("address2", .addr2), ("address3", .addr3), ("address4", .addr4),
        ] {
            table[spelling] = keyword
        }
        return table
    }()
}

/// libpcap's named constants, which its scanner turns into numbers wherever they appear.
let namedConstants: [String: UInt32] = [
    "icmptype": 0, "icmpcode": 1,
    "icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
    "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
    "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17,
    "icmp-maskreply": 18,
    "icmp6type": 0, "icmp6code": 1,
    "icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
    "icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
    "icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
    "icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
    "icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
    "icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139, "icmp6-nodeinformationresponse": 140,
    "icmp6-ineighbordiscoverysolicit": 141, "icmp6-ineighbordiscoveryadvert": 142,
    "icmp6-multicastlistenerreportv2": 143, "icmp6-homeagentdiscoveryrequest": 144,
    "icmp6-homeagentdiscoveryreply": 145, "icmp6-mobileprefixsolicit": 146,
    "icmp6-mobileprefixadvert": 147, "icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
    "icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152,
    "icmp6-multicastrouterterm": 153,
    "tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
    "tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
]
