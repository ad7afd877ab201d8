import CBPF

/// Turns a ``FilterExpression`` into a ``Condition`` with libpcap's `gencode.c` meaning: the
/// same tests, in the same order, so that even truncated packets get libpcap's verdicts.
struct FilterCodeGenerator {
    /// Mutated by `vlan`, `mpls` and `pppoes`, which move the offsets of later primitives.
    var link: LinkLayer
    let services: ServiceDatabase
    let addressNames: AddressNameLookup
    /// The network's mask for `ip broadcast`; tcpdump uses 0 when it reads a file.
    let netmask: UInt32
    /// Whether the expression has a primitive for which libpcap turns its optimizer off
    /// (`protochain`, `geneve`): then libpcap's unoptimized code is the reference, and no load
    /// may be folded away, wherever it stands in the text.
    var keepsEveryLoad = false

    private static let ipv6FragmentHeader: UInt32 = 44
    /// Scratch slots for intermediate arithmetic values; the kernel has 16.
    static let scratchSlots = 16

    var net: PacketOffset { link.networkOffset }

    mutating func condition(_ expression: FilterExpression) throws(FilterSyntaxError) -> Condition {
        switch expression {
        case .primitive(let primitive): try condition(primitive)
        case .comparison(let left, let relation, let right): try comparison(left, relation, right)
        case .not(let inner): .not(try condition(inner))
        // The first operand is generated first: a `vlan` in it moves the offsets of the second.
        case .and(let first, let second):
            .and(try condition(first), try condition(second))
        case .or(let first, let second):
            .or(try condition(first), try condition(second))
        }
    }

    // MARK: Primitives

    private mutating func condition(_ primitive: FilterPrimitive) throws(FilterSyntaxError) -> Condition {
        if link.isInetSocket { try Self.refuseOnInetSocket(primitive) }
        switch primitive {
        case .host(let address, let proto, let direction):
            if case .ethernet = address {} else { try Self.requireAddressDirection(direction, of: "addresses other than 802.11 MAC addresses") }
            return try host(address, proto: proto, direction: direction)
        case .net(let address, let mask, let prefixLength, let proto, let direction):
            try Self.requireAddressDirection(direction, of: "addresses other than 802.11 MAC addresses")
            return try net(address, mask: mask, prefixLength: prefixLength, proto: proto, direction: direction)
        case .port(let port, let proto, let direction):
            try Self.requireAddressDirection(direction, of: "ports")
            let (number, transport) = try services.resolve(port, protocol: proto)
            return .or(
                try port6(transport, direction) { self.portAtom6($0, number) },
                try port4(transport, direction) { self.portAtom4($0, number) })
        case .portRange(let low, let high, let proto, let direction):
            try Self.requireAddressDirection(direction, of: "port ranges")
            let (first, firstTransport) = try services.resolve(low, protocol: proto)
            let (second, secondTransport) = try services.resolve(high, protocol: proto)
            let (low, high) = (min(first, second), max(first, second))
            // Ends that imply different transports leave the transport open, as libpcap does.
            let transport = firstTransport == secondTransport ? firstTransport : proto
            return .or(
                try port6(transport, direction) { self.rangeAtom6($0, low, high) },
                try port4(transport, direction) { self.rangeAtom4($0, low, high) })
        case .protocolAbbreviation(let proto):
            return try abbreviation(proto)
        case .protocolNumber(let value, let proto):
            let number: UInt32
            switch value {
            case .number(let n): number = n
            case .name(let name): number = try ProtocolNames.number(of: name, qualifier: proto, at: nil)
            }
            switch proto {
            case nil: return .or(try ipProtocol4(number), try ipProtocol6(number))
            case .ip: return try ipProtocol4(number)
            case .ip6: return try ipProtocol6(number)
            case .link: return try link.carries(number)
            case .iso: return try isoProtocol(number)
            case .isis: return try isisPDU(number)
            case let other?:
                switch other {
                case .atalk, .decnet:
                    throw FilterSyntaxError("\(other.libpcapName!) encapsulation is not specifiable")
                case .sca, .lat, .mopdl, .moprc:
                    throw FilterSyntaxError("\(other.libpcapName!) does not encapsulate another protocol")
                default: break
                }
                throw FilterSyntaxError("'\(other.rawValue) proto' is bogus")
            }
        case .protocolChain(let value, let proto):
            let number: UInt32
            switch value {
            case .number(let n): number = n
            case .name(let name): number = try ProtocolNames.number(of: name, qualifier: proto, at: nil)
            }
            return try protocolChain(number, proto)
        case .less(let length):
            return .not(.test([.loadLength(.a)], .greaterThan, .constant(length)))
        case .greater(let length):
            return .test([.loadLength(.a)], .greaterOrEqual, .constant(length))
        case .broadcast(let proto):
            switch proto {
            case nil, .link?:
                if link.isWireless { return wirelessHost([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], direction: .destination) }
                guard let offsets = link.ethernetAddressOffsets else {
                    throw FilterSyntaxError("not a broadcast link")
                }
                return inTunnelledEthernet(ethernetAddress(at: offsets.destination, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
            case .ip?:
                // libpcap's PCAP_NETMASK_UNKNOWN.
                guard netmask != 0xffff_ffff else {
                    throw FilterSyntaxError("netmask not known, so 'ip broadcast' not supported")
                }
                let hostmask = ~netmask
                return .and(
                    try link.carries(LinkLayer.etherTypeIPv4),
                    .or(.compare(.word, at: net + 16, 0, mask: hostmask), .compare(.word, at: net + 16, hostmask, mask: hostmask)))
            case let other?:
                throw FilterSyntaxError("only link-layer/IP broadcast filters supported, not '\(other.rawValue) broadcast'")
            }
        case .multicast(let proto):
            switch proto {
            case nil, .link?:
                if link.isWireless { return wirelessMulticast() }
                guard let offsets = link.ethernetAddressOffsets else {
                    throw FilterSyntaxError("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel")
                }
                return inTunnelledEthernet(.compare(.byte, at: offsets.destination, .bitsSet, 1))
            case .ip?:
                return .and(try link.carries(LinkLayer.etherTypeIPv4), .compare(.byte, at: net + 16, .greaterOrEqual, 224))
            case .ip6?:
                return .and(try link.carries(LinkLayer.etherTypeIPv6), .compare(.byte, at: net + 24, 255))
            case let other?:
                throw FilterSyntaxError("only link-layer/IP multicast filters supported, not '\(other.rawValue) multicast'")
            }
        case .direction(let inbound):
            let outgoing: Condition
            switch link.type {
            case .linuxSLL: outgoing = .compare(.halfword, at: 0, 4)
            case .linuxSLL2: outgoing = .compare(.byte, at: 10, 4)
            case .slip: outgoing = .not(.compare(.byte, at: 0, 0))  // libpcap 1.10: any direction but 0 is sent
            default:
                guard link.source == .live else {
                    throw FilterSyntaxError("inbound/outbound not supported on \(link.type.summary ?? link.type.description) when reading savefiles")
                }
                outgoing = .test([.loadAncillary(.packetType, size: .halfword)], .equal, .constant(4))
            }
            return inbound ? .not(outgoing) : outgoing
        case .interfaceIndex(let index):
            // SLL2 records the interface; elsewhere a live socket asks the kernel.
            if link.type == .linuxSLL2 { return .compare(.word, at: 4, index) }
            guard link.source == .live || link.isInetSocket else {
                throw FilterSyntaxError("ifindex not supported on \(link.type.summary ?? link.type.description) when reading savefiles")
            }
            return .test([.loadAncillary(.interfaceIndex, size: .word)], .equal, .constant(index))
        case .llc(let frame):
            return try llc(frame)
        case .dnsQueryName(let name):
            return try DNSQueryMatcher(name: name, link: link).condition()
        case .byte(let index, let op, let value):
            let offset = link.headerOffset + index
            switch op {
            case .equal: return .compare(.byte, at: offset, value)
            case .less: return .not(.compare(.byte, at: offset, .greaterOrEqual, value))
            case .greater: return .compare(.byte, at: offset, .greaterThan, value)
            case .and: return .not(.test([.arithmetic(.and, .constant(value))], .equal, .constant(0)))
            case .or: return .not(.test([.arithmetic(.or, .constant(value))], .equal, .constant(0)))
            }
        case .vlan(let id): return try link.vlan(id)
        case .mpls(let label): return try link.mpls(label)
        case .pppoeDiscovery: return try link.carries(LinkLayer.etherTypePPPoEDiscovery)
        case .pppoeSession(let session): return try link.pppoeSession(session)
        case .geneve(let vni): return try tunnel(.geneve, vni: vni)
        case .vxlan(let vni): return try tunnel(.vxlan, vni: vni)
        case .wirelessFrameType(let type, let subtype): return try wirelessFrameType(type, subtype: subtype)
        case .wirelessDirection(let direction): return try wirelessDirection(direction)
        }
    }

    func abbreviation(_ proto: FilterProtocol) throws(FilterSyntaxError) -> Condition {
        switch proto {
        case .ip: try link.carries(LinkLayer.etherTypeIPv4)
        case .ip6: try link.carries(LinkLayer.etherTypeIPv6)
        case .arp: try link.carries(LinkLayer.etherTypeARP)
        case .rarp: try link.carries(LinkLayer.etherTypeRARP)
        case .tcp: .or(try ipProtocol4(IPProtocol.tcp), try ipProtocol6(IPProtocol.tcp))
        case .udp: .or(try ipProtocol4(IPProtocol.udp), try ipProtocol6(IPProtocol.udp))
        case .sctp: .or(try ipProtocol4(IPProtocol.sctp), try ipProtocol6(IPProtocol.sctp))
        case .pim: .or(try ipProtocol4(103), try ipProtocol6(103))
        case .ah: .or(try ipProtocol4(51), try ipProtocol6(51))
        case .esp: .or(try ipProtocol4(50), try ipProtocol6(50))
        case .icmp: try ipProtocol4(1)
        case .igmp: try ipProtocol4(2)
        case .igrp: try ipProtocol4(9)
        case .vrrp, .carp: try ipProtocol4(112)
        case .icmp6: try ipProtocol6(58)
        case .stp: try link.carries(0x42)
        case .ipx: try link.carries(LinkLayer.llcSAPIPX)
        case .atalk: try link.carries(LinkLayer.etherTypeAppleTalk)
        case .aarp: try link.carries(LinkLayer.etherTypeAppleTalkARP)
        case .decnet: try link.carries(LinkLayer.etherTypeDECnet)
        case .lat: try link.carries(0x6004)
        case .sca: try link.carries(0x6007)
        case .mopdl: try link.carries(0x6001)
        case .moprc: try link.carries(0x6002)
        case .netbeui: try link.carries(0xf0)
        case .iso: try link.carries(0xfe)
        case .clnp: try isoProtocol(0x81)
        case .esis: try isoProtocol(0x82)
        case .isis: try isoProtocol(0x83)
        // IS-IS PDU types, as libpcap groups them.
        case .l1: try isisPDUs([26, 24, 18, 15, 17])
        case .l2: try isisPDUs([27, 25, 20, 16, 17])
        case .iih: try isisPDUs([15, 16, 17])
        case .lsp: try isisPDUs([18, 20])
        case .snp: try isisPDUs([24, 25, 26, 27])
        case .csnp: try isisPDUs([24, 25])
        case .psnp: try isisPDUs([26, 27])
        case .link: throw FilterSyntaxError("link layer applied in wrong context")
        default: throw FilterSyntaxError("'\(proto.rawValue)' is not supported by this compiler")
        }
    }

    /// Where an ISO network header starts after an 802.2 header without SNAP (libpcap's
    /// `off_nl_nosnap`).
    private var isoOffset: PacketOffset { link.isoHeaderOffset }

    /// `[ip|ip6] protochain N`, unrolled (see ``ProtocolChainWalk``). libpcap turns its
    /// optimizer off for it, so the whole expression keeps every load libpcap's unoptimized code makes.
    private mutating func protocolChain(_ number: UInt32, _ proto: FilterProtocol?) throws(FilterSyntaxError) -> Condition {
        guard !link.hasVariableOffsets else {
            throw FilterSyntaxError("'protochain' not supported with variable length headers (after geneve or vxlan)")
        }
        let walk = ProtocolChainWalk(target: number, networkOffset: net.constant)
        switch proto {
        case nil:
            return .or(try protocolChain(number, .ip), try protocolChain(number, .ip6))
        case .ip?: return .and(try link.carries(LinkLayer.etherTypeIPv4), walk.ipv4)
        case .ip6?: return .and(try link.carries(LinkLayer.etherTypeIPv6), walk.ipv6)
        case let other?: throw FilterSyntaxError("bad protocol applied for 'protochain': '\(other.rawValue)'")
        }
    }

    /// An ISO protocol (CLNP, ES-IS, IS-IS) by NLPID, where the link type carries it.
    private func isoProtocol(_ number: UInt32) throws(FilterSyntaxError) -> Condition {
        try link.carriesISO(number)
    }

    private func isisPDU(_ type: UInt32) throws(FilterSyntaxError) -> Condition {
        .and(try isoProtocol(0x83), .compare(.byte, at: isoOffset + 4, type))
    }

    private func isisPDUs(_ types: [UInt32]) throws(FilterSyntaxError) -> Condition {
        var conditions: [Condition] = []
        for type in types { conditions.append(try isisPDU(type)) }
        return .any(conditions)
    }

    /// `llc [frame]`: on Ethernet an 802.3 length, not NetWare's raw 0xFFFF; on 802.11 a data
    /// frame; then the control byte.
    private func llc(_ frame: FilterLLCFrame?) throws(FilterSyntaxError) -> Condition {
        let llcHeader = link.payloadOffset
        let isLLC: Condition
        if link.isWireless {
            isLLC = IEEE80211Offsets.isDataFrame(header: link.headerOffset)
        } else if link.type == .ethernet, !link.isPPP, let typeOffset = link.protocolFieldOffset {
            isLLC = .and(
                .not(.compare(.halfword, at: typeOffset, .greaterThan, LinkLayer.ethernetMTU)),
                .not(.compare(.halfword, at: llcHeader, 0xffff)))
        } else {
            throw FilterSyntaxError("'llc' not supported for \(link.type.summary ?? link.type.description)")
        }
        guard let frame else { return isLLC }
        // The control byte follows DSAP and SSAP.
        let (value, mask) = frame.controlValueAndMask
        let control = Condition.compare(.byte, at: llcHeader + 2, value, mask: mask)
        return .and(isLLC, control)
    }

    /// IPv4 with this protocol in its header (fragments included).
    private func ipProtocol4(_ number: UInt32) throws(FilterSyntaxError) -> Condition {
        .and(try link.carries(LinkLayer.etherTypeIPv4), .compare(.byte, at: net + 9, number))
    }

    /// IPv6 with this next header, directly or after one fragment header (libpcap 1.10).
    private func ipProtocol6(_ number: UInt32) throws(FilterSyntaxError) -> Condition {
        .and(
            try link.carries(LinkLayer.etherTypeIPv6),
            .or(
                .compare(.byte, at: net + 6, number),
                .and(.compare(.byte, at: net + 6, Self.ipv6FragmentHeader), .compare(.byte, at: net + 40, number))))
    }

    // MARK: Hosts and networks

    private func net(
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

    private func ipv4(_ address: FilterAddress) -> (value: UInt32, mask: UInt32) {
        switch address {
        case .ipv4(let value, let bits):
            // The parser writes 8 to 32 bits; a tree built by hand is clamped the same way.
            let shift = UInt32(32 - max(8, min(bits, 32)))
            return (value << shift, UInt32.max << shift)
        case .number(let value): return (value, UInt32.max)
        default: return (0, 0)
        }
    }

    private func host(
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
    private func decnetHost(_ address: UInt16, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
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
    private func hostNamed(_ name: String, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
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
    private func host4(_ value: UInt32, _ mask: UInt32, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
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

    private func host6(_ address: IPv6Address, prefixLength: UInt32, proto: FilterProtocol?, direction: FilterDirection?) throws(FilterSyntaxError) -> Condition {
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
    private func inTunnelledEthernet(_ test: Condition) -> Condition {
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
    private static func requireAddressDirection(_ direction: FilterDirection?, of what: String) throws(FilterSyntaxError) {
        guard let direction, direction.isWirelessAddressField else { return }
        throw FilterSyntaxError("\(direction.qualifierName) is not a valid qualifier for \(what)")
    }

    // MARK: Ports

    private func transports(_ transport: FilterProtocol?) throws(FilterSyntaxError) -> [UInt32] {
        switch transport {
        case nil: [IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp]
        case .tcp?: [IPProtocol.tcp]
        case .udp?: [IPProtocol.udp]
        case .sctp?: [IPProtocol.sctp]
        case let other?: throw FilterSyntaxError("illegal qualifier of 'port': \(other.rawValue)")
        }
    }

    /// IPv4, not a later fragment, with one of the transports and ports that pass `atom`.
    func port4(
        _ transport: FilterProtocol?, _ direction: FilterDirection?, _ atom: (_ offset: UInt32) -> Condition
    ) throws(FilterSyntaxError) -> Condition {
        let notLaterFragment = Condition.notLaterIPv4Fragment(networkOffset: net)
        let ports = try byDirection(direction) { atom($0 ? 0 : 2) }
        let operations = try transports(transport).map { number in
            Condition.and(.and(.compare(.byte, at: net + 9, number), notLaterFragment), ports)
        }
        return .and(try link.carries(LinkLayer.etherTypeIPv4), .any(operations))
    }

    /// IPv6 with one of the transports as the first next header, and ports that pass `atom`.
    func port6(
        _ transport: FilterProtocol?, _ direction: FilterDirection?, _ atom: (_ offset: UInt32) -> Condition
    ) throws(FilterSyntaxError) -> Condition {
        let ports = try byDirection(direction) { atom($0 ? 0 : 2) }
        let operations = try transports(transport).map { number in
            Condition.and(.compare(.byte, at: net + 6, number), ports)
        }
        return .and(try link.carries(LinkLayer.etherTypeIPv6), .any(operations))
    }

    /// X = the IPv4 header's length (plus the variable part of its offset, in a tunnel); the
    /// transport header is at X + `net.constant`.
    private var loadIPv4HeaderLength: [Instruction] { net.ipv4HeaderLengthInX }

    func portAtom4(_ offset: UInt32, _ port: UInt32) -> Condition {
        if link.isInetSocket { return .compare(.halfword, at: .fixed(offset), port) }
        return .compareIndirect(loadX: loadIPv4HeaderLength, .halfword, at: net.constant + offset, .equal, port)
    }

    func portAtom6(_ offset: UInt32, _ port: UInt32) -> Condition {
        .compare(.halfword, at: transport6 + offset, port)
    }

    private func rangeAtom4(_ offset: UInt32, _ low: UInt32, _ high: UInt32) -> Condition {
        if link.isInetSocket { return rangeAtom6(offset, low, high) }
        return .and(
            .compareIndirect(loadX: loadIPv4HeaderLength, .halfword, at: net.constant + offset, .greaterOrEqual, low),
            .not(.compareIndirect(loadX: loadIPv4HeaderLength, .halfword, at: net.constant + offset, .greaterThan, high)))
    }

    private func rangeAtom6(_ offset: UInt32, _ low: UInt32, _ high: UInt32) -> Condition {
        .and(
            .compare(.halfword, at: transport6 + offset, .greaterOrEqual, low),
            .not(.compare(.halfword, at: transport6 + offset, .greaterThan, high)))
    }

    // MARK: Arithmetic

    /// A value computed into A, and the tests that must hold first (the protocol of a load).
    private struct Value {
        var guards: [Condition] = []
        var statements: [Instruction]
        /// `k` when libpcap's code for this value starts with `ld #k`: the constant itself, or the
        /// first constant of its leftmost operand or index, whatever follows. libpcap's `gen_arth`
        /// checks only that statement of a divisor or shift amount (`len / ip[0]` is a "division
        /// by zero" to it, `len << tcp[40:2]` a "shift by more than 31 bits").
        var leadingConstant: UInt32? = nil
        /// The value, when it is known without running the statements (guards may remain).
        var constant: UInt32? {
            guard statements.count == 1, case .loadImmediate(.a, let k) = statements[0] else { return nil }
            return k
        }
    }

    private func comparison(_ left: FilterArithmetic, _ relation: FilterRelation, _ right: FilterArithmetic) throws(FilterSyntaxError) -> Condition {
        let a = try value(left, depth: 0)
        let b = try value(right, depth: 1)
        var statements = a.statements
        let operand: Operand
        if let k = b.constant {
            operand = .constant(k)
        } else {
            statements += [.store(.a, slot: 0)] + b.statements + [.tax, .loadScratch(.a, slot: 0)]
            operand = .x
        }
        let test: Condition
        switch relation {
        case .equal: test = .test(statements, .equal, operand)
        case .notEqual: test = .not(.test(statements, .equal, operand))
        case .greater: test = .test(statements, .greaterThan, operand)
        case .greaterOrEqual: test = .test(statements, .greaterOrEqual, operand)
        case .less: test = .not(.test(statements, .greaterOrEqual, operand))
        case .lessOrEqual: test = .not(.test(statements, .greaterThan, operand))
        }
        let guards = a.guards + b.guards
        return guards.isEmpty ? test : .and(.all(guards), test)
    }

    private func value(_ expression: FilterArithmetic, depth: Int) throws(FilterSyntaxError) -> Value {
        // Tunnels keep their offsets in the top slots for the rest of the program.
        guard depth < Self.scratchSlots - link.reservedSlots else {
            throw FilterSyntaxError("arithmetic expression too deeply nested")
        }
        switch expression {
        case .constant(let k):
            return Value(statements: [.loadImmediate(.a, k)], leadingConstant: k)
        case .length:
            if link.isInetSocket { throw Self.lengthRefusal("len") }
            return Value(statements: [.loadLength(.a)])
        case .negate(let inner):
            var result = try value(inner, depth: depth)
            if let k = result.constant {
                result.statements = [.loadImmediate(.a, 0 &- k)]
            } else {
                result.statements.append(.negate)
            }
            return result
        case .binary(let op, let left, let right):
            var result = try value(left, depth: depth)
            let rhs = try value(right, depth: depth + 1)
            let operation = Self.operation(op)
            if let k = rhs.leadingConstant {
                if op == .divide && k == 0 { throw FilterSyntaxError("division by zero") }
                if op == .modulo && k == 0 { throw FilterSyntaxError("modulus by zero") }
                if (op == .shiftLeft || op == .shiftRight) && k > 31 { throw FilterSyntaxError("shift by more than 31 bits") }
            }
            if let k = rhs.constant {
                // libpcap folds constants as it generates code and checks the folded value.
                if op == .divide && k == 0 { throw FilterSyntaxError("division by zero") }
                if op == .modulo && k == 0 { throw FilterSyntaxError("modulus by zero") }
                if (op == .shiftLeft || op == .shiftRight) && k > 31 { throw FilterSyntaxError("shift by more than 31 bits") }
                if let left = result.constant {
                    // Both known: fold, as libpcap's optimizer does.
                    result.statements = [.loadImmediate(.a, operation.apply(left, k))]
                } else if k == 0 && (op == .and || op == .multiply) && !keepsEveryLoad {
                    // The value is 0 whatever was loaded; libpcap's optimizer drops those loads.
                    result.statements = [.loadImmediate(.a, 0)]
                } else {
                    result.statements.append(.arithmetic(operation, .constant(k)))
                }
            } else {
                result.statements += [.store(.a, slot: UInt32(depth))] + rhs.statements
                result.statements += [.tax, .loadScratch(.a, slot: UInt32(depth)), .arithmetic(operation, .x)]
            }
            // libpcap's gen_arth keeps the left operand's protocol tests and drops the right
            // one's: `len + ip[0] > 1` tests no EtherType. Its verdicts follow, so ours do too.
            return result
        case .load(let proto, let index, let size):
            return try load(proto, index: index, size: size, depth: depth)
        }
    }

    private static func operation(_ op: FilterArithmeticOperator) -> ArithmeticOperation {
        switch op {
        case .add: .add
        case .subtract: .subtract
        case .multiply: .multiply
        case .divide: .divide
        case .modulo: .modulo
        case .and: .and
        case .or: .or
        case .xor: .xor
        case .shiftLeft: .shiftLeft
        case .shiftRight: .shiftRight
        }
    }

    /// libpcap's `gen_load`: `proto[index:size]`, relative to the start of `proto`'s header.
    private func load(_ proto: FilterProtocol, index: FilterArithmetic, size: Int, depth: Int) throws(FilterSyntaxError) -> Value {
        let loadSize: LoadSize = size == 1 ? .byte : size == 2 ? .halfword : .word
        var result = try value(index, depth: depth)
        if link.isInetSocket {
            let header = try inetSocketHeader(proto)
            result.guards = header.guards + result.guards
            result.statements += header.base.indexInX + [.loadIndirect(loadSize, offset: header.base.constant)]
            return result
        }
        switch proto {
        case .link:
            let header = link.headerOffset
            result.statements += header.indexInX + [.loadIndirect(loadSize, offset: header.constant)]
        case .ip, .arp, .rarp, .ip6, .atalk, .decnet, .sca, .lat, .moprc, .mopdl:
            result.guards.append(try abbreviation(proto))
            result.statements += net.indexInX + [.loadIndirect(loadSize, offset: net.constant)]
        case .tcp, .udp, .sctp, .icmp, .igmp, .igrp, .pim, .vrrp, .carp:
            let notLaterFragment = Condition.notLaterIPv4Fragment(networkOffset: net)
            result.guards = [try abbreviation(.ip)] + result.guards + [try abbreviation(proto), notLaterFragment]
            let slot = UInt32(depth)
            result.statements += [.store(.a, slot: slot)] + loadIPv4HeaderLength + [
                .loadScratch(.a, slot: slot), .arithmetic(.add, .x), .tax, .loadIndirect(loadSize, offset: net.constant),
            ]
        case .radio:
            // Radiotap's fields, from the start of the packet.
            guard link.type == .ieee802_11Radio else { throw FilterSyntaxError("radio information not present in capture") }
            result.statements += [.tax, .loadIndirect(loadSize, offset: 0)]
        case .icmp6:
            result.guards = [try abbreviation(.ip6)] + result.guards + [.compare(.byte, at: net + 6, 58)]
            result.statements += net.indexInX + [.loadIndirect(loadSize, offset: net.constant + 40)]
        default:
            throw FilterSyntaxError("'\(proto.rawValue)[...]' is not supported by this compiler")
        }
        return result
    }
}

extension FilterProtocol {
    /// How libpcap names the protocols whose hosts, or whose `proto N`, it does not filter.
    var libpcapName: String? {
        switch self {
        case .atalk: "AppleTalk"
        case .aarp: "AARP"
        case .decnet: "DECNET"
        case .sca: "SCA"
        case .lat: "LAT"
        case .mopdl: "MOPDL"
        case .moprc: "MOPRC"
        case .iso: "ISO"
        case .ipx: "IPX"
        default: nil
        }
    }
}

extension FilterLLCFrame {
    /// libpcap's control-byte test for each format and command, as a value under a mask:
    /// the format bits (mask 0x03), the supervisory command bits (0x0f), or the unnumbered
    /// command bits without the poll/final bit (0xef); information frames have bit 0 clear.
    var controlValueAndMask: (value: UInt32, mask: UInt32) {
        switch self {
        case .i: (0x00, 0x01)
        case .s: (0x01, 0x03)
        case .u: (0x03, 0x03)
        case .rr: (0x01, 0x0f)
        case .rnr: (0x05, 0x0f)
        case .rej: (0x09, 0x0f)
        case .ui: (0x03, 0xef)
        case .ua: (0x63, 0xef)
        case .disc: (0x43, 0xef)
        case .dm: (0x0f, 0xef)
        case .sabme: (0x6f, 0xef)
        case .test: (0xe3, 0xef)
        case .xid: (0xaf, 0xef)
        case .frmr: (0x87, 0xef)
        }
    }
}

/// IP protocol numbers the code generator tests (IANA's, as in `/etc/protocols`).
enum IPProtocol {
    static let tcp: UInt32 = 6
    static let udp: UInt32 = 17
    static let sctp: UInt32 = 132
}
