/// A traffic-control handle, `major:minor` in 32 bits, as tc writes it (`1:10`, `ffff:fff2`):
/// a qdisc's handle (`1:`), a class's id (`1:10`), or a filter's parent.
///
/// It is also what a `cls_bpf` program returns to choose a class: 0 means "no match", -1
/// (`ffff:ffff`) means "the filter's own class", and any other value is the class itself.
public struct TrafficControlHandle: RawRepresentable, Hashable, Sendable, Comparable {
    /// The handle as the kernel holds it: `major << 16 | minor`.
    public var rawValue: UInt32

    /// The handle with this 32-bit value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The corresponding C macro is `TC_H_MAKE(major << 16, minor)`.
    public init(major: UInt16, minor: UInt16) {
        rawValue = UInt32(major) << 16 | UInt32(minor)
    }

    /// The upper 16 bits: the qdisc.
    public var major: UInt16 { UInt16(rawValue >> 16) }
    /// The lower 16 bits: the class within the qdisc, 0 for the qdisc itself.
    public var minor: UInt16 { UInt16(rawValue & 0xFFFF) }

    /// No handle (`TC_H_UNSPEC`): the kernel picks one.
    public static let unspecified = TrafficControlHandle(rawValue: 0)
    /// The root of an interface's egress tree (`TC_H_ROOT`); a filter returning it means "the
    /// filter's class".
    public static let root = TrafficControlHandle(rawValue: 0xFFFF_FFFF)
    /// Where `clsact` and `ingress` qdiscs hang (`TC_H_CLSACT`, `TC_H_INGRESS`).
    public static let clsact = TrafficControlHandle(rawValue: 0xFFFF_FFF1)
    /// The handle of a `clsact` or `ingress` qdisc itself, `ffff:`.
    public static let clsactQdisc = TrafficControlHandle(major: 0xFFFF, minor: 0)
    /// The parent of ingress filters under `clsact`, `ffff:fff2` (`TC_H_MIN_INGRESS`).
    public static let ingress = TrafficControlHandle(major: 0xFFFF, minor: 0xFFF2)
    /// The parent of egress filters under `clsact`, `ffff:fff3` (`TC_H_MIN_EGRESS`).
    public static let egress = TrafficControlHandle(major: 0xFFFF, minor: 0xFFF3)

    /// Orders handles by their 32-bit value.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension TrafficControlHandle: LosslessStringConvertible {
    /// Reads tc's notation: `MAJ:MIN`, `MAJ:` (a qdisc), `:MIN`, in hexadecimal as tc reads
    /// them, or `root`; nil for anything else.
    public init?(_ description: String) {
        if description == "root" {
            self = .root
            return
        }
        let parts = description.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 4, parts[1].count <= 4, !(parts[0].isEmpty && parts[1].isEmpty)
        else { return nil }
        func hex(_ text: Substring) -> UInt16? {
            text.isEmpty ? 0 : text.allSatisfy(\.isHexDigit) ? UInt16(text, radix: 16) : nil
        }
        guard let major = hex(parts[0]), let minor = hex(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    /// tc's notation: `1:10`, `1:` for a qdisc, `root`, in hexadecimal.
    public var description: String {
        switch self {
        case .root: "root"
        case .unspecified: "none"
        default: minor == 0 ? "\(String(major, radix: 16)):" : "\(String(major, radix: 16)):\(String(minor, radix: 16))"
        }
    }
}
