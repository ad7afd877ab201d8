/// The canonical tcpdump text: every qualifier written out, `and`/`or` grouped with
/// parentheses where libpcap's left-to-right reading would group them differently, and
/// arithmetic fully parenthesized. Parsing the text gives back the same expression.
extension FilterExpression: CustomStringConvertible {
    /// The canonical tcpdump text, which parses back to the same tree.
    public var description: String { CanonicalText.render(.expression(self)) }
}

extension FilterArithmetic: CustomStringConvertible {
    /// The canonical tcpdump text, which parses back to the same tree.
    public var description: String { CanonicalText.render(.arithmetic(self)) }
}

/// Writes the canonical text with a stack of pieces instead of recursion, so that a tree of any
/// depth prints (the Swift DSL can build trees deeper than ``FilterExpression/maximumDepth``).
private enum CanonicalText {
    enum Piece {
        case text(String)
        case expression(FilterExpression)
        /// An operand of `and`, `or` or `not`: parenthesized when it is an `and` or an `or`.
        case operand(FilterExpression)
        case arithmetic(FilterArithmetic)
    }

    static func render(_ root: Piece) -> String {
        var text = ""
        // The last piece is written next, so a node pushes its parts in reverse.
        var pending = [root]
        while let piece = pending.popLast() {
            switch piece {
            case .text(let part):
                text += part
            case .operand(let expression):
                switch expression {
                case .and, .or:
                    text += "("
                    pending += [.text(")"), .expression(expression)]
                default:
                    pending.append(.expression(expression))
                }
            case .expression(.primitive(let primitive)):
                text += primitive.description
            case .expression(.comparison(let left, let relation, let right)):
                pending += [.arithmetic(right), .text(" \(relation.rawValue) "), .arithmetic(left)]
            case .expression(.not(let inner)):
                text += "not "
                pending.append(.operand(inner))
            case .expression(.and(let first, let second)):
                pending += [.operand(second), .text(" and "), .expression(first)]
            case .expression(.or(let first, let second)):
                pending += [.operand(second), .text(" or "), .expression(first)]
            case .arithmetic(.constant(let value)):
                text += String(value)
            case .arithmetic(.length):
                text += "len"
            case .arithmetic(.load(let proto, let index, let size)):
                text += "\(proto.rawValue)["
                pending += [.text(size == 1 ? "]" : ":\(size)]"), .arithmetic(index)]
            case .arithmetic(.binary(let op, let left, let right)):
                text += "("
                pending += [.text(")"), .arithmetic(right), .text(" \(op.rawValue) "), .arithmetic(left)]
            case .arithmetic(.negate(let inner)):
                text += "-"
                pending.append(.arithmetic(inner))
            }
        }
        return text
    }
}

extension FilterPrimitive: CustomStringConvertible {
    /// The canonical tcpdump text, which parses back to the same tree.
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
