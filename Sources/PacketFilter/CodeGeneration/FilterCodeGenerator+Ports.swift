import CBPF

/// `port` and `portrange`: IPv4 that is not a later fragment and IPv6, per transport (libpcap's `gen_port`).
extension FilterCodeGenerator {
    func transports(_ transport: FilterProtocol?) throws(FilterSyntaxError) -> [UInt32] {
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
    var loadIPv4HeaderLength: [Instruction] { net.ipv4HeaderLengthInX }

    func portAtom4(_ offset: UInt32, _ port: UInt32) -> Condition {
        if link.isInetSocket { return .compare(.halfword, at: .fixed(offset), port) }
        return .compareIndirect(loadX: loadIPv4HeaderLength, .halfword, at: net.constant + offset, .equal, port)
    }

    func portAtom6(_ offset: UInt32, _ port: UInt32) -> Condition {
        .compare(.halfword, at: transport6 + offset, port)
    }

    func rangeAtom4(_ offset: UInt32, _ low: UInt32, _ high: UInt32) -> Condition {
        if link.isInetSocket { return rangeAtom6(offset, low, high) }
        return .and(
            .compareIndirect(loadX: loadIPv4HeaderLength, .halfword, at: net.constant + offset, .greaterOrEqual, low),
            .not(.compareIndirect(loadX: loadIPv4HeaderLength, .halfword, at: net.constant + offset, .greaterThan, high)))
    }

    func rangeAtom6(_ offset: UInt32, _ low: UInt32, _ high: UInt32) -> Condition {
        .and(
            .compare(.halfword, at: transport6 + offset, .greaterOrEqual, low),
            .not(.compare(.halfword, at: transport6 + offset, .greaterThan, high)))
    }
}
