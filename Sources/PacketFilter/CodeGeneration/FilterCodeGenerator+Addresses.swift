import CBPF

/// `host`, `net` and Ethernet addresses, by direction (libpcap's `gen_host`, `gen_hostop`, `gen_bcmp`).
extension FilterCodeGenerator {
    func net(
        _ address: FilterAddress, mask: FilterAddress?, prefixLength: UInt32?, proto: FilterProtocol?, direction: FilterDirection?
    ) throws(FilterSyntaxError) -> Condition {
        switch address {
        case .ipv4, .number:
            var (value, netmask) = ipv4(address)
            if case .number = address, mask == nil, prefixLength == nil {
                // libpcap promotes a short network number: `net 10` is 10.0.0.0/8.
                while value != 0 && value & 0xff00_0000 == 0 {
                    value <<= 8
                    netmask <<= 8
                }
            }
            if let prefixLength {
                guard prefixLength <= 32 else { throw FilterSyntaxError("mask length must be <= 32") }
                netmask = prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength)
            } else if let mask {
                netmask = ipv4(mask).value
            }
            return try host4(value, netmask, proto: proto, direction: direction)
        case .ipv6(let address):
            return try host6(address, prefixLength: prefixLength ?? 128, proto: proto, direction: direction)
        case .ethernet:
            throw FilterSyntaxError("'net' takes an IP network, not an Ethernet address")
        case .decnet(let address):
            return try decnetHost(address, proto: proto, direction: direction)
        case .name(let name):
            guard var value = addressNames.network(name), value != 0 else { throw FilterSyntaxError("unknown network \(quotedExcerpt(name, quote: "'"))") }
            // libpcap's gen_scode left-justifies the network number and masks what it wrote:
            // `127` is 127.0.0.0/8, while `127.0.0.0` is that one address.
            var netmask = UInt32.max
            while value & 0xff00_0000 == 0 {
                value <<= 8
                netmask <<= 8
            }
            return try host4(value, netmask, proto: proto, direction: direction)
        }
    }

    func ipv4(_ address: FilterAddress) -> (value: UInt32, mask: UInt32) {
        switch address {
        case .ipv4(let value, let bits):
            // The parser writes 8 to 32 bits; a tree built by hand is clamped the same way.
            let shift = UInt32(32 - max(8, min(bits, 32)))
            return (value << shift, UInt32.max << shift)
        case .number(let value): return (value, UInt32.max)
        default: return (0, 0)
        }
    }

    func host(
        _ address: FilterAddress, proto: FilterProtocol?, direction: FilterDirection?
    ) throws(FilterSyntaxError) -> Condition {
        switch address {
        case .ipv4, .number:
            let (value, mask) = ipv4(address)
            return try host4(value, mask, proto: proto, direction: direction)
        case .ipv6(let address):
            return try host6(address, prefixLength: 128, proto: proto, direction: direction)
        case .ethernet(let bytes):
            guard bytes.count == 6 else {
                throw FilterSyntaxError("an Ethernet address has 6 bytes, not \(bytes.count)")
            }
            if link.isWireless { return wirelessHost(bytes, direction: direction) }
            if let direction, direction.isWirelessAddressField {
                throw FilterSyntaxError("\(direction.qualifierName) is only supported on 802.11 with 802.11 headers (link types IEEE802_11, IEEE802_11_RADIO)")
            }
            guard let offsets = link.ethernetAddressOffsets else {
                throw FilterSyntaxError("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel")
            }
            return inTunnelledEthernet(try byDirection(direction) { isSource in
                ethernetAddress(at: isSource ? offsets.source : offsets.destination, bytes)
            })
        case .decnet(let address):
            return try decnetHost(address, proto: proto, direction: direction)
        case .name(let name) where proto == .link:
            // libpcap's gen_scode: the link type first, then /etc/ethers.
            guard link.ethernetAddressOffsets != nil else {
                throw FilterSyntaxError("only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name")
            }
            guard let bytes = addressNames.ethernetAddress(name) else { throw FilterSyntaxError("unknown ether host \(quotedExcerpt(name, quote: "'"))") }
            return try host(.ethernet(bytes), proto: proto, direction: direction)
        case .name(let name):
            return try hostNamed(name, proto: proto, direction: direction)
        }
    }

    /// libpcap's `gen_dnhostop`: DECnet, with the address in its routing header.
    func decnetHost(_ address: UInt16, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
        guard proto == nil || proto == .decnet else {
            throw FilterSyntaxError("'\(proto!.rawValue)' modifier applied to a DECnet address")
        }
        let carries = try link.carries(LinkLayer.etherTypeDECnet)
        return try byDirection(direction) { isSource in
            .and(carries, DECnetAddressTest(address: address, isSource: isSource, payload: link.payloadOffset).condition)
        }
    }

    /// libpcap's `gen_scode` for a host name: every address the resolver gives, in its order,
    /// joined with `or`; IPv4 addresses as `host4`, IPv6 ones as `host6`, each kept only when
    /// the protocol qualifier allows its family.
    func hostNamed(_ name: String, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
        let addresses = HostNameResolver.addresses(of: name)
        guard !addresses.isEmpty else { throw FilterSyntaxError("unknown host \(quotedExcerpt(name, quote: "'"))") }
        var conditions: [Condition] = []
        for address in addresses {
            switch address {
            case .ipv4(let value):
                if proto == .ip6 { continue }
                conditions.append(try host4(value, UInt32.max, proto: proto, direction: direction))
            case .ipv6(let value):
                if proto == .ip || proto == .arp || proto == .rarp { continue }
                conditions.append(try host6(value, prefixLength: 128, proto: proto, direction: direction))
            }
        }
        guard !conditions.isEmpty else {
            throw FilterSyntaxError("unknown host \(quotedExcerpt(name, quote: "'")) for specified address family")
        }
        return .any(conditions)
    }

    /// libpcap's `gen_host` for IPv4: ip, arp and rarp when no protocol is given.
    func host4(_ value: UInt32, _ mask: UInt32, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
        // libpcap's gen_host hands a `decnet` number (or masked network) to gen_dnhostop,
        // which keeps its low 16 bits.
        if proto == .decnet { return try decnetHost(UInt16(truncatingIfNeeded: value), proto: proto, direction: direction) }
        let value = value & mask
        func hostOp(_ etherType: UInt32, source: UInt32, destination: UInt32) throws(FilterSyntaxError) -> Condition {
            let carries = try link.carries(etherType)
            return try byDirection(direction) { isSource in
                .and(carries, .compare(.word, at: net + (isSource ? source : destination), value, mask: mask))
            }
        }
        switch proto {
        case nil:
            let ip = try hostOp(LinkLayer.etherTypeIPv4, source: 12, destination: 16)
            // Below an MPLS label there is no ARP, and libpcap tests IP alone.
            guard link.mplsDepth == 0 else { return ip }
            return .or(
                .or(ip, try hostOp(LinkLayer.etherTypeARP, source: 14, destination: 24)),
                try hostOp(LinkLayer.etherTypeRARP, source: 14, destination: 24))
        case .ip?: return try hostOp(LinkLayer.etherTypeIPv4, source: 12, destination: 16)
        case .arp?: return try hostOp(LinkLayer.etherTypeARP, source: 14, destination: 24)
        case .rarp?: return try hostOp(LinkLayer.etherTypeRARP, source: 14, destination: 24)
        case .ip6?: throw FilterSyntaxError("'ip6' modifier applied to ip host")
        case let other?:
            if let name = other.libpcapName { throw FilterSyntaxError("\(name) host filtering not implemented") }
            throw FilterSyntaxError("'\(other.rawValue)' modifier applied to host")
        }
    }

    func host6(_ address: IPv6Address, prefixLength: UInt32, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
        guard proto == nil || proto == .ip6 else {
            throw FilterSyntaxError("'\(proto!.rawValue)' modifier applied to ip6 host")
        }
        let carries = try link.carries(LinkLayer.etherTypeIPv6)
        let words = address.words
        let masks = (0..<4).map { index -> UInt32 in
            let bits = max(0, min(32, Int(prefixLength) - 32 * index))
            return bits == 0 ? 0 : UInt32.max << UInt32(32 - bits)
        }
        let test = try byDirection(direction) { isSource in
            let base = net + (isSource ? 8 : 24)
            let tests = (0..<4).map { Condition.compare(.word, at: base + 4 * UInt32($0), words[$0] & masks[$0], mask: masks[$0]) }
            return .and(carries, Condition.all(tests))
        }
        guard link.isInetSocket, proto == nil, let mapped = try mappedIPv4(address, prefixLength: prefixLength, direction: direction) else {
            return test
        }
        return .or(test, mapped)
    }

    /// libpcap's `gen_bcmp`: the last four bytes as a word, then the first two.
    func ethernetAddress(at offset: PacketOffset, _ bytes: [UInt8]) -> Condition {
        let word = bytes[2...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let half = UInt32(bytes[0]) << 8 | UInt32(bytes[1])
        return .and(.compare(.word, at: offset + 2, word), .compare(.halfword, at: offset, half))
    }

    /// An Ethernet-address test, after the check that a tunnel carries an Ethernet header.
    func inTunnelledEthernet(_ test: Condition) -> Condition {
        link.tunnelledEthernetHeader.map { .and($0, test) } ?? test
    }

    func byDirection(
        _ direction: FilterDirection?, _ test: (_ isSource: Bool) -> Condition
    ) throws(FilterSyntaxError) -> Condition {
        switch direction {
        case .source?: return test(true)
        case .destination?: return test(false)
        case .sourceAndDestination?: return .and(test(true), test(false))
        case .sourceOrDestination?, nil: return .or(test(true), test(false))
        case let field?:
            try Self.requireAddressDirection(field, of: "addresses other than 802.11 MAC addresses")
            return .constant(false)
        }
    }

    /// Refuses 802.11's address-field qualifiers (`ra`, `addr1`, ...) for IP addresses and ports.
    static func requireAddressDirection(_ direction: FilterDirection?, of what: String) throws(FilterSyntaxError) {
        guard let direction, direction.isWirelessAddressField else { return }
        throw FilterSyntaxError("\(direction.qualifierName) is not a valid qualifier for \(what)")
    }
}
