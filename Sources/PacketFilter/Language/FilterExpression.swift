/// A parsed pcap-filter expression, with every qualifier spelled out: `host a or b` parses to
/// two `host` primitives. Both the text parser and the Swift DSL build this tree.
public indirect enum FilterExpression: Hashable, Sendable {
    /// A primitive: `host 10.0.0.1`, `tcp port 80`, `vlan 100`, ...
    case primitive(FilterPrimitive)
    /// `arith relop arith`, such as `tcp[13] & 2 != 0`.
    case comparison(FilterArithmetic, FilterRelation, FilterArithmetic)
    /// `not expr`.
    case not(FilterExpression)
    /// `lhs and rhs`.
    case and(FilterExpression, FilterExpression)
    /// `lhs or rhs`.
    case or(FilterExpression, FilterExpression)
}

/// A protocol qualifier (`ip`, `tcp`, `ether`, ...), libpcap's `pname`.
public enum FilterProtocol: String, Hashable, Sendable, CaseIterable {
    /// `ether` (also spelled `link`, `ppp`, `slip`, `fddi`, `tr`, `wlan`).
    case link = "ether"
    /// Network and transport protocols, by their pcap-filter names.
    case ip, ip6, arp, rarp, tcp, udp, icmp, icmp6, sctp, igmp, igrp, pim, vrrp, carp, ah, esp
    /// Link-level and legacy protocols, by their pcap-filter names.
    case stp, radio, atalk, aarp, decnet, lat, sca, moprc, mopdl, iso, esis, isis, clnp, ipx, netbeui
    /// IS-IS PDU types, by their pcap-filter names.
    case l1, l2, iih, lsp, snp, csnp, psnp
}

/// Which address of a packet a primitive tests.
public enum FilterDirection: String, Hashable, Sendable, CaseIterable {
    /// `src`: the source address or port.
    case source = "src"
    /// `dst`: the destination address or port.
    case destination = "dst"
    /// `src or dst`; also what no direction means.
    case sourceOrDestination = "src or dst"
    /// `src and dst`: both must match.
    case sourceAndDestination = "src and dst"
    /// 802.11's four address fields, by position in the MAC header (802.11 link types only).
    case address1 = "addr1", address2 = "addr2", address3 = "addr3", address4 = "addr4"
    /// 802.11's receiver address (address 1 of frames other than management frames).
    case receiver = "ra"
    /// 802.11's transmitter address (address 2 of frames that have one).
    case transmitter = "ta"

    /// Whether the direction names one of 802.11's address fields rather than source or destination.
    var isWirelessAddressField: Bool {
        switch self {
        case .source, .destination, .sourceOrDestination, .sourceAndDestination: false
        case .address1, .address2, .address3, .address4, .receiver, .transmitter: true
        }
    }

    /// How libpcap names the qualifier in its errors: `'addr1' and 'address1'`, `'ra'`.
    var qualifierName: String {
        switch self {
        case .address1, .address2, .address3, .address4:
            "'\(rawValue)' and 'address\(rawValue.last!)'"
        default: "'\(rawValue)'"
        }
    }
}

/// An address as written: libpcap treats dotted IPv4 text with fewer than four parts as a
/// prefix (`host 10.1` tests 10.1.0.0/16).
public enum FilterAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address or prefix, with the number of bits written (8, 16, 24 or 32).
    case ipv4(UInt32, bits: Int)
    /// A bare number used as an IPv4 address (`host 167772161`, `net 10`).
    case number(UInt32)
    /// An IPv6 address or prefix.
    case ipv6(IPv6Address)
    /// A 6-byte Ethernet (MAC) address.
    case ethernet([UInt8])
    /// A DECnet address, `AREA.NODE`: the area in the top 6 bits, the node in the low 10.
    case decnet(UInt16)
    /// A host name, resolved at compile time.
    case name(String)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .ipv4(let value, let bits):
            // Right-aligned: the last part written is the low byte.
            Self.dotted(value, parts: max(8, min(bits, 32)) / 8)
        case .number(let value): String(value)
        case .ipv6(let address): address.description
        case .ethernet(let bytes): bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: ":")
        case .decnet(let address): "\(address >> 10).\(address & 0x3ff)"
        case .name(let name): name
        }
    }

    /// `parts` bytes of a right-aligned value, most significant first, joined by dots.
    private static func dotted(_ value: UInt32, parts: Int) -> String {
        (0..<parts).map { index -> String in
            let shift = UInt32(8 * (parts - 1 - index))
            return String((value >> shift) & 0xff)
        }.joined(separator: ".")
    }
}

/// A port as written: a number, or a service name looked up in `/etc/services`.
public enum FilterPort: Hashable, Sendable, CustomStringConvertible {
    /// A port number.
    case number(UInt32)
    /// A service name from `/etc/services`.
    case service(String)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .number(let value): String(value)
        case .service(let name): name
        }
    }
}

/// A protocol as written after `proto` or `protochain`: a number, or a name after `\`
/// (`proto \tcp`), looked up in `/etc/protocols` or libpcap's EtherType names.
public enum FilterProtocolNumber: Hashable, Sendable, CustomStringConvertible {
    /// A protocol number.
    case number(UInt32)
    /// A protocol name, written after a backslash.
    case name(String)

    /// `6` or `\tcp`: a name needs the backslash, since most are also keywords.
    public var description: String {
        switch self {
        case .number(let value): String(value)
        case .name(let name): "\\" + name
        }
    }
}

/// A primitive of the language, with its qualifiers.
public enum FilterPrimitive: Hashable, Sendable {
    /// `[proto] [dir] host ADDR`; a nil protocol means libpcap's default set for the address.
    case host(FilterAddress, protocol: FilterProtocol?, direction: FilterDirection?)
    /// `[proto] [dir] net ADDR[/len | mask MASK]`: `mask` is the netmask.
    case net(FilterAddress, mask: FilterAddress?, prefixLength: UInt32?, protocol: FilterProtocol?, direction: FilterDirection?)
    /// `[tcp|udp|sctp] [dir] port N`.
    case port(FilterPort, protocol: FilterProtocol?, direction: FilterDirection?)
    /// `[tcp|udp|sctp] [dir] portrange N-M`.
    case portRange(FilterPort, FilterPort, protocol: FilterProtocol?, direction: FilterDirection?)
    /// `tcp`, `ip`, `arp`, ... on its own.
    case protocolAbbreviation(FilterProtocol)
    /// `[ether|ip|ip6|...] proto N` or `proto \name`.
    case protocolNumber(FilterProtocolNumber, protocol: FilterProtocol?)
    /// `[ip|ip6] protochain N`.
    case protocolChain(FilterProtocolNumber, protocol: FilterProtocol?)
    /// `less N`: the wire length is at most N.
    case less(UInt32)
    /// `greater N`: the wire length is at least N.
    case greater(UInt32)
    /// `[ether|ip] broadcast`.
    case broadcast(FilterProtocol?)
    /// `[ether|ip|ip6] multicast`.
    case multicast(FilterProtocol?)
    /// `vlan [id]`.
    case vlan(UInt32?)
    /// `mpls [label]`.
    case mpls(UInt32?)
    /// `pppoed`.
    case pppoeDiscovery
    /// `pppoes [session]`.
    case pppoeSession(UInt32?)
    /// `geneve [vni]`: Geneve over UDP port 6081; later primitives look inside the tunnel.
    case geneve(UInt32?)
    /// `vxlan [vni]`: VXLAN over UDP port 4789; later primitives look inside the tunnel.
    case vxlan(UInt32?)
    /// `inbound` (true) or `outbound` (false).
    case direction(inbound: Bool)
    /// `ifindex N`.
    case interfaceIndex(UInt32)
    /// `byte N op V`: the link-layer byte at N compared with, or combined with, V.
    case byte(UInt32, FilterByteOperator, UInt32)
    /// `llc [frame]`: an 802.2 LLC frame, optionally of one format or command.
    case llc(FilterLLCFrame?)
    /// `dns qname "NAME"` (this package's extension, not libpcap's): a DNS query over UDP whose
    /// first question is NAME, ignoring case; `"*.NAME"` matches the names below NAME. See
    /// docs/packet-filters.md for the exact rules.
    case dnsQueryName(DNSName)
    /// `type T [subtype S]` or `subtype S`: the 802.11 frame type (bits 0x0c of the frame
    /// control's first byte) and, if given, subtype (bits 0xf0).
    case wirelessFrameType(type: UInt32, subtype: UInt32?)
    /// `dir D`: the 802.11 To DS/From DS bits (0 nods, 1 tods, 2 fromds, 3 dstods).
    case wirelessDirection(UInt32)
}

extension FilterPrimitive {
    /// The largest Geneve or VXLAN network identifier (24 bits).
    public static let maximumVNI: UInt32 = 0xff_ffff
}

/// The LLC frame formats and commands `llc` takes.
public enum FilterLLCFrame: String, Hashable, Sendable, CaseIterable {
    /// Information, supervisory and unnumbered formats.
    case i, s, u
    /// Supervisory commands.
    case rr, rnr, rej
    /// Unnumbered commands.
    case ui, ua, disc, dm, sabme, test, xid, frmr
}

/// The operators of libpcap's `byte` primitive.
public enum FilterByteOperator: String, Hashable, Sendable, CaseIterable {
    /// `byte N = V`, `byte N < V`, `byte N > V`: compare byte N with V.
    case equal = "=", less = "<", greater = ">"
    /// `byte N & V`: libpcap tests `A & V != 0` on whatever A holds, without loading byte N.
    case and = "&"
    /// `byte N | V`: likewise `A | V != 0`.
    case or = "|"
}

/// A comparison operator of `arith relop arith`.
public enum FilterRelation: String, Hashable, Sendable, CaseIterable {
    /// `=` (also written `==`), `!=`, `<`, `<=`, `>`, `>=`: unsigned 32-bit comparisons.
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// A binary operator of the arithmetic sub-language.
public enum FilterArithmeticOperator: String, Hashable, Sendable, CaseIterable {
    /// `+`, `-`, `*`, `/`, `%`: unsigned 32-bit arithmetic.
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    /// `&`, `|`, `^`, `<<`, `>>`: bitwise operations and logical shifts.
    case and = "&", or = "|", xor = "^", shiftLeft = "<<", shiftRight = ">>"
}

/// An arithmetic expression over packet bytes, the packet length and constants.
public indirect enum FilterArithmetic: Hashable, Sendable {
    /// A number.
    case constant(UInt32)
    /// `len`: the packet's wire length.
    case length
    /// `proto[index : size]`, with size 1, 2 or 4.
    case load(FilterProtocol, index: FilterArithmetic, size: Int)
    /// `lhs op rhs`.
    case binary(FilterArithmeticOperator, FilterArithmetic, FilterArithmetic)
    /// `-value`.
    case negate(FilterArithmetic)
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
