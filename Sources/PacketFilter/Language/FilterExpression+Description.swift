/// The canonical tcpdump text: every qualifier written out, `and`/`or` grouped with
/// parentheses where libpcap's left-to-right reading would group them differently, and
/// arithmetic fully parenthesized. Parsing the text gives back the same expression.
extension FilterExpression: CustomStringConvertible {
    public var description: String {
        switch self {
        case .primitive(let primitive): primitive.description
        case .comparison(let left, let relation, let right): "\(left) \(relation.rawValue) \(right)"
        case .not(let inner): "not \(inner.operandText)"
        case .and(let first, let second): "\(first) and \(second.operandText)"
        case .or(let first, let second): "\(first) or \(second.operandText)"
        }
    }

    /// The text as an operand of `and`, `or` or `not`.
    private var operandText: String {
        switch self {
        case .and, .or: "(\(description))"
        default: description
        }
    }
}

extension FilterPrimitive: CustomStringConvertible {
    public var description: String {
        func qualifiers(_ proto: FilterProtocol?, _ direction: FilterDirection?) -> String {
            [proto?.rawValue, direction?.rawValue].compactMap { $0 }.map { $0 + " " }.joined()
        }
        switch self {
        case .host(let address, let proto, let direction):
            return qualifiers(proto, direction) + "host \(address)"
        case .net(let address, let mask, let prefixLength, let proto, let direction):
            let suffix = prefixLength.map { "/\($0)" } ?? mask.map { " mask \($0)" } ?? ""
            return qualifiers(proto, direction) + "net \(address)\(suffix)"
        case .port(let port, let proto, let direction):
            return qualifiers(proto, direction) + "port \(port)"
        case .portRange(let low, let high, let proto, let direction):
            return qualifiers(proto, direction) + "portrange \(low)-\(high)"
        case .protocolAbbreviation(let proto):
            return proto.rawValue
        case .protocolNumber(let value, let proto):
            return qualifiers(proto, nil) + "proto \(value)"
        case .protocolChain(let value, let proto):
            return qualifiers(proto, nil) + "protochain \(value)"
        case .less(let length): return "less \(length)"
        case .greater(let length): return "greater \(length)"
        case .broadcast(let proto): return qualifiers(proto, nil) + "broadcast"
        case .multicast(let proto): return qualifiers(proto, nil) + "multicast"
        case .vlan(let id): return id.map { "vlan \($0)" } ?? "vlan"
        case .mpls(let label): return label.map { "mpls \($0)" } ?? "mpls"
        case .pppoeDiscovery: return "pppoed"
        case .pppoeSession(let session): return session.map { "pppoes \($0)" } ?? "pppoes"
        case .geneve(let vni): return vni.map { "geneve \($0)" } ?? "geneve"
        case .vxlan(let vni): return vni.map { "vxlan \($0)" } ?? "vxlan"
        case .direction(let inbound): return inbound ? "inbound" : "outbound"
        case .interfaceIndex(let index): return "ifindex \(index)"
        case .byte(let index, let op, let value): return "byte \(index) \(op.rawValue) \(value)"
        case .llc(let frame): return frame.map { "llc \($0.rawValue)" } ?? "llc"
        case .dnsQueryName(let name): return "dns qname \"\(name)\""
        case .wirelessFrameType(let type, let subtype):
            let typeText = "type \(IEEE80211Names.typeText(type))"
            return subtype.map { typeText + " subtype \(IEEE80211Names.subtypeText($0, ofType: type))" } ?? typeText
        case .wirelessDirection(let direction): return "dir \(IEEE80211Names.directionText(direction))"
        }
    }
}

extension FilterArithmetic: CustomStringConvertible {
    public var description: String {
        switch self {
        case .constant(let value): String(value)
        case .length: "len"
        case .load(let proto, let index, let size):
            size == 1 ? "\(proto.rawValue)[\(index)]" : "\(proto.rawValue)[\(index):\(size)]"
        case .binary(let op, let left, let right): "(\(left) \(op.rawValue) \(right))"
        case .negate(let inner): "-\(inner)"
        }
    }
}
