import CBPF

/// A packet filter written in Swift: the same primitives as the tcpdump language, over the same
/// ``FilterExpression`` tree, so it compiles the same way and prints back as tcpdump text.
///
///     let dns = Filter { .udp; .port(53) }               // udp and port 53
///     let web = .tcp && .dstPort(80)                      // tcp and dst port 80
///     let syn = Filter.byte(.tcp, at: 13) & 2 != 0        // tcp[13] & 2 != 0
public struct Filter: Hashable, Sendable, CustomStringConvertible {
    /// The expression this filter stands for.
    public var expression: FilterExpression

    /// The filter for an expression tree, as the parser builds it.
    public init(_ expression: FilterExpression) {
        self.expression = expression
    }

    /// All the filters of the block must match (they are joined with `and`).
    public init(@FilterBuilder _ content: () -> Filter) {
        self = content()
    }

    /// The canonical tcpdump expression.
    public var description: String { expression.description }

    // MARK: Protocols

    /// `ip`: IPv4 packets.
    public static let ip = Filter(.primitive(.protocolAbbreviation(.ip)))
    /// `ip6`: IPv6 packets.
    public static let ip6 = Filter(.primitive(.protocolAbbreviation(.ip6)))
    /// `arp`: ARP packets.
    public static let arp = Filter(.primitive(.protocolAbbreviation(.arp)))
    /// `rarp`: reverse ARP packets.
    public static let rarp = Filter(.primitive(.protocolAbbreviation(.rarp)))
    /// `tcp`: TCP over IPv4 or IPv6.
    public static let tcp = Filter(.primitive(.protocolAbbreviation(.tcp)))
    /// `udp`: UDP over IPv4 or IPv6.
    public static let udp = Filter(.primitive(.protocolAbbreviation(.udp)))
    /// `sctp`: SCTP over IPv4 or IPv6.
    public static let sctp = Filter(.primitive(.protocolAbbreviation(.sctp)))
    /// `icmp`: ICMP over IPv4.
    public static let icmp = Filter(.primitive(.protocolAbbreviation(.icmp)))
    /// `icmp6`: ICMPv6.
    public static let icmp6 = Filter(.primitive(.protocolAbbreviation(.icmp6)))

    /// `[ip|ip6|ether] proto N`.
    public static func proto(_ number: UInt32, of layer: FilterProtocol? = nil) -> Filter {
        Filter(.primitive(.protocolNumber(.number(number), protocol: layer)))
    }

    // MARK: Addresses

    /// `[dir] host A.B.C.D`.
    public static func host(
        _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, direction: FilterDirection? = nil
    ) -> Filter {
        let value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
        return Filter(.primitive(.host(.ipv4(value, bits: 32), protocol: nil, direction: direction)))
    }

    /// `[dir] host ADDR` for an IPv6 address.
    public static func host(_ address: IPv6Address, direction: FilterDirection? = nil) -> Filter {
        Filter(.primitive(.host(.ipv6(address), protocol: nil, direction: direction)))
    }

    /// `[dir] net A.B.C.D/LEN`; bits outside the prefix are cleared.
    public static func net(
        _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, prefixLength: UInt8, direction: FilterDirection? = nil
    ) -> Filter {
        let length = UInt32(min(prefixLength, 32))
        let mask = length == 0 ? 0 : UInt32.max << (32 - length)
        let value = (UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)) & mask
        return Filter(.primitive(.net(.ipv4(value, bits: 32), mask: nil, prefixLength: length, protocol: nil, direction: direction)))
    }

    // MARK: Ports

    /// `[tcp|udp|sctp] [dir] port N`.
    public static func port(_ port: UInt16, on transport: FilterProtocol? = nil, direction: FilterDirection? = nil) -> Filter {
        Filter(.primitive(.port(.number(UInt32(port)), protocol: transport, direction: direction)))
    }

    /// `src port N`.
    public static func srcPort(_ port: UInt16) -> Filter { .port(port, direction: .source) }

    /// `dst port N`.
    public static func dstPort(_ port: UInt16) -> Filter { .port(port, direction: .destination) }

    /// `[tcp|udp|sctp] [dir] portrange LOW-HIGH`.
    public static func portRange(
        _ range: ClosedRange<UInt16>, on transport: FilterProtocol? = nil, direction: FilterDirection? = nil
    ) -> Filter {
        Filter(.primitive(.portRange(
            .number(UInt32(range.lowerBound)), .number(UInt32(range.upperBound)), protocol: transport, direction: direction)))
    }

    // MARK: Lengths and link-layer addresses

    /// `less N`: the packet is at most N bytes long.
    public static func less(_ length: UInt32) -> Filter { Filter(.primitive(.less(length))) }

    /// `greater N`: the packet is at least N bytes long.
    public static func greater(_ length: UInt32) -> Filter { Filter(.primitive(.greater(length))) }

    /// `ether broadcast`.
    public static let broadcast = Filter(.primitive(.broadcast(.link)))

    /// `[ether|ip|ip6] multicast`.
    public static func multicast(_ layer: FilterProtocol = .link) -> Filter { Filter(.primitive(.multicast(layer))) }

    // MARK: Packet bytes

    /// `proto[offset]`: one byte of a protocol's header.
    public static func byte(_ layer: FilterProtocol, at offset: UInt32) -> FilterValue {
        FilterValue(.load(layer, index: .constant(offset), size: 1))
    }

    /// `proto[index:size]`, with size 1, 2 or 4 (other sizes load 4 bytes).
    public static func load(_ layer: FilterProtocol, at index: FilterValue, size: Int) -> FilterValue {
        FilterValue(.load(layer, index: index.arithmetic, size: [1, 2, 4].contains(size) ? size : 4))
    }

    // MARK: Logic

    /// `lhs and rhs`: both must match.
    public static func && (lhs: Filter, rhs: Filter) -> Filter { Filter(.and(lhs.expression, rhs.expression)) }
    /// `lhs or rhs`: either matches.
    public static func || (lhs: Filter, rhs: Filter) -> Filter { Filter(.or(lhs.expression, rhs.expression)) }
    /// `not filter`.
    public static prefix func ! (filter: Filter) -> Filter { Filter(.not(filter.expression)) }
}

/// A value in a filter's arithmetic: a constant, the packet length, or packet bytes.
/// Comparing two values gives a ``Filter``.
public struct FilterValue: Sendable, ExpressibleByIntegerLiteral {
    /// The arithmetic expression.
    public var arithmetic: FilterArithmetic

    /// The value of an arithmetic expression tree.
    public init(_ arithmetic: FilterArithmetic) {
        self.arithmetic = arithmetic
    }

    /// A constant, written as an integer literal: `FilterValue.length > 100`.
    public init(integerLiteral value: UInt32) {
        arithmetic = .constant(value)
    }

    /// `len`: the packet's length on the wire.
    public static let length = FilterValue(.length)

    private static func binary(_ op: FilterArithmeticOperator, _ lhs: FilterValue, _ rhs: FilterValue) -> FilterValue {
        FilterValue(.binary(op, lhs.arithmetic, rhs.arithmetic))
    }

    /// `lhs + rhs`, modulo 2^32.
    public static func + (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.add, lhs, rhs) }
    /// `lhs - rhs`, modulo 2^32.
    public static func - (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.subtract, lhs, rhs) }
    /// `lhs * rhs`, modulo 2^32.
    public static func * (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.multiply, lhs, rhs) }
    /// `lhs / rhs`, unsigned.
    public static func / (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.divide, lhs, rhs) }
    /// `lhs % rhs`, unsigned. As in libpcap's grammar, `%` in text takes everything to its right.
    public static func % (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.modulo, lhs, rhs) }
    /// `lhs & rhs`, bitwise.
    public static func & (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.and, lhs, rhs) }
    /// `lhs | rhs`, bitwise.
    public static func | (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.or, lhs, rhs) }
    /// `lhs ^ rhs`, bitwise exclusive or.
    public static func ^ (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.xor, lhs, rhs) }
    /// `lhs << rhs`.
    public static func << (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.shiftLeft, lhs, rhs) }
    /// `lhs >> rhs`, logical.
    public static func >> (lhs: FilterValue, rhs: FilterValue) -> FilterValue { binary(.shiftRight, lhs, rhs) }
    /// `-value`, modulo 2^32.
    public static prefix func - (value: FilterValue) -> FilterValue { FilterValue(.negate(value.arithmetic)) }

    private static func compare(_ lhs: FilterValue, _ relation: FilterRelation, _ rhs: FilterValue) -> Filter {
        Filter(.comparison(lhs.arithmetic, relation, rhs.arithmetic))
    }

    /// `lhs == rhs`: a filter that matches when the two are equal.
    public static func == (lhs: FilterValue, rhs: FilterValue) -> Filter { compare(lhs, .equal, rhs) }
    /// `lhs != rhs`.
    public static func != (lhs: FilterValue, rhs: FilterValue) -> Filter { compare(lhs, .notEqual, rhs) }
    /// `lhs < rhs`, unsigned.
    public static func < (lhs: FilterValue, rhs: FilterValue) -> Filter { compare(lhs, .less, rhs) }
    /// `lhs <= rhs`, unsigned.
    public static func <= (lhs: FilterValue, rhs: FilterValue) -> Filter { compare(lhs, .lessOrEqual, rhs) }
    /// `lhs > rhs`, unsigned.
    public static func > (lhs: FilterValue, rhs: FilterValue) -> Filter { compare(lhs, .greater, rhs) }
    /// `lhs >= rhs`, unsigned.
    public static func >= (lhs: FilterValue, rhs: FilterValue) -> Filter { compare(lhs, .greaterOrEqual, rhs) }
}

/// Joins the filters of a block with `and`.
@resultBuilder
public enum FilterBuilder {
    /// A filter, as written in the block.
    public static func buildExpression(_ filter: Filter) -> Filter { filter }

    /// The filters joined with `and`; an empty block matches every packet.
    public static func buildBlock(_ filters: Filter...) -> Filter {
        filters.dropFirst().reduce(filters.first ?? Filter(.comparison(.constant(0), .equal, .constant(0)))) { $0 && $1 }
    }

    /// An `if` without `else`: its filter, or one that matches every packet.
    public static func buildOptional(_ filter: Filter?) -> Filter {
        filter ?? Filter(.comparison(.constant(0), .equal, .constant(0)))
    }

    /// The `if` branch of an `if`/`else`.
    public static func buildEither(first filter: Filter) -> Filter { filter }
    /// The `else` branch of an `if`/`else`.
    public static func buildEither(second filter: Filter) -> Filter { filter }
}

extension PacketFilterCompiler {
    /// Compiles a filter written with the Swift DSL.
    public func compile(_ filter: Filter) throws(FilterSyntaxError) -> Program {
        try compile(filter.expression)
    }
}
