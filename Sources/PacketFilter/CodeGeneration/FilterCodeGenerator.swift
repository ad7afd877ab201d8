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

    static let ipv6FragmentHeader: UInt32 = 44
    /// Scratch slots for intermediate arithmetic values; the kernel has 16.
    static let scratchSlots = 16

    var net: PacketOffset { link.networkOffset }

    mutating func condition(_ expression: FilterExpression) throws(FilterSyntaxError) -> Condition {
        switch expression {
        case .primitive(let primitive): try condition(primitive)
        case .comparison(let left, let relation, let right): try comparison(left, relation, right)
        case .not(let inner): .not(try condition(inner))
        // Operands are generated left to right: a `vlan` in one moves the offsets of the next.
        // A chain of one operator is generated in a loop.
        case .and:
            .conjunction(try conditions(expression.andOperands))
        case .or:
            .disjunction(try conditions(expression.orOperands))
        }
    }

    mutating func conditions(_ operands: [FilterExpression]) throws(FilterSyntaxError) -> [Condition] {
        var conditions = [Condition]()
        conditions.reserveCapacity(operands.count)
        for operand in operands { conditions.append(try condition(operand)) }
        return conditions
    }

    // MARK: Primitives

    mutating func condition(_ primitive: FilterPrimitive) throws(FilterSyntaxError) -> Condition {
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
    var isoOffset: PacketOffset { link.isoHeaderOffset }

    /// `[ip|ip6] protochain N`, unrolled (see ``ProtocolChainWalk``). libpcap turns its
    /// optimizer off for it, so the whole expression keeps every load libpcap's unoptimized code makes.
    mutating func protocolChain(_ number: UInt32, _ proto: FilterProtocol?) throws(FilterSyntaxError) -> Condition {
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
    func isoProtocol(_ number: UInt32) throws(FilterSyntaxError) -> Condition {
        try link.carriesISO(number)
    }

    func isisPDU(_ type: UInt32) throws(FilterSyntaxError) -> Condition {
        .and(try isoProtocol(0x83), .compare(.byte, at: isoOffset + 4, type))
    }

    func isisPDUs(_ types: [UInt32]) throws(FilterSyntaxError) -> Condition {
        var conditions: [Condition] = []
        for type in types { conditions.append(try isisPDU(type)) }
        return .any(conditions)
    }

    /// `llc [frame]`: on Ethernet an 802.3 length, not NetWare's raw 0xFFFF; on 802.11 a data
    /// frame; then the control byte.
    func llc(_ frame: FilterLLCFrame?) throws(FilterSyntaxError) -> Condition {
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
    func ipProtocol4(_ number: UInt32) throws(FilterSyntaxError) -> Condition {
        .and(try link.carries(LinkLayer.etherTypeIPv4), .compare(.byte, at: net + 9, number))
    }

    /// IPv6 with this next header, directly or after one fragment header (libpcap 1.10).
    func ipProtocol6(_ number: UInt32) throws(FilterSyntaxError) -> Condition {
        .and(
            try link.carries(LinkLayer.etherTypeIPv6),
            .or(
                .compare(.byte, at: net + 6, number),
                .and(.compare(.byte, at: net + 6, Self.ipv6FragmentHeader), .compare(.byte, at: net + 40, number))))
    }
}
