import CBPF
import CLinuxShims

/// A queueing discipline on an interface, as `tc qdisc` shows it.
public struct Qdisc: Hashable, Sendable {
    /// What kind of qdisc, with the settings this package knows how to make.
    public enum Kind: Hashable, Sendable {
        /// `clsact`: no queue, two hooks for filters, `TrafficControlHandle.ingress` and
        /// `TrafficControlHandle.egress`.
        case clsact
        /// `htb`: hierarchical token buckets; a packet no filter classifies goes to the class
        /// whose minor number is `defaultClass` (0: sent unshaped).
        case htb(defaultClass: UInt16)
        /// Any other kind, by name (`"noqueue"`, `"fq_codel"`, ...): listed, not made.
        case other(String)

        /// The kernel's name for it, `TCA_KIND`.
        public var name: String {
            switch self {
            case .clsact: "clsact"
            case .htb: "htb"
            case .other(let name): name
            }
        }
    }

    /// The interface's index (`dev IFACE`).
    public var interfaceIndex: Int32
    /// The qdisc's own handle, `MAJ:`; `TrafficControlHandle.unspecified` lets the kernel pick.
    public var handle: TrafficControlHandle
    /// Where it hangs: `TrafficControlHandle.root`, a class, or `TrafficControlHandle.clsact`.
    public var parent: TrafficControlHandle
    /// Which qdisc it is: `clsact`, `htb` or another the kernel listed.
    public var kind: Kind

    /// A qdisc of `kind` on an interface, with its handle and parent.
    public init(interfaceIndex: Int32, handle: TrafficControlHandle, parent: TrafficControlHandle, kind: Kind) {
        self.interfaceIndex = interfaceIndex
        self.handle = handle
        self.parent = parent
        self.kind = kind
    }

    /// The `clsact` qdisc of an interface: `tc qdisc add dev IFACE clsact`.
    public static func clsact(interfaceIndex: Int32) -> Qdisc {
        Qdisc(interfaceIndex: interfaceIndex, handle: .clsactQdisc, parent: .clsact, kind: .clsact)
    }

    /// An HTB qdisc at the root of an interface: `tc qdisc add dev IFACE root handle MAJ: htb default MIN`.
    public static func htb(interfaceIndex: Int32, handle: TrafficControlHandle, defaultClass: UInt16 = 0) -> Qdisc {
        Qdisc(interfaceIndex: interfaceIndex, handle: handle, parent: .root, kind: .htb(defaultClass: defaultClass))
    }

    /// HTB's version in `TCA_HTB_INIT`, which the kernel checks (`HTB_VER >> 16`).
    static let htbVersion: UInt32 = 3
    /// HTB's divisor from a class's rate to its quantum, tc's default.
    static let htbRateToQuantum: UInt32 = 10

    /// The `TCA_OPTIONS` the kind needs: HTB's `TCA_HTB_INIT` (`struct tc_htb_glob`), nothing for `clsact`.
    var options: [NetlinkAttribute]? {
        guard case .htb(let defaultClass) = kind else { return nil }
        var global = tc_htb_glob()
        global.version = Self.htbVersion
        global.rate2quantum = Self.htbRateToQuantum
        global.defcls = UInt32(defaultClass)
        let bytes = withUnsafeBytes(of: global) { Array($0) }
        return [NetlinkAttribute(type: UInt16(TCA_HTB_INIT), payload: bytes)]
    }

    var message: TrafficControlMessage {
        var attributes = [NetlinkAttribute(type: UInt16(TCA_KIND), string: kind.name)]
        if let options { attributes.append(NetlinkAttribute(type: UInt16(TCA_OPTIONS), nested: options)) }
        return TrafficControlMessage(interfaceIndex: interfaceIndex, handle: handle.rawValue, parent: parent,
                                     attributes: attributes)
    }

    init(_ message: TrafficControlMessage) throws(NetlinkDecodingError) {
        interfaceIndex = message.interfaceIndex
        handle = TrafficControlHandle(rawValue: message.handle)
        parent = message.parent
        switch message.kind ?? "" {
        case "clsact":
            kind = .clsact
        case "htb":
            let initial = try message.options()[type: UInt16(TCA_HTB_INIT)]
            // defcls is the third 32-bit field of struct tc_htb_glob.
            let defaultClass = initial.flatMap { $0.payload.count >= 12 ? NetlinkBytes.read(UInt32.self, $0.payload[...], at: 8) : nil }
            kind = .htb(defaultClass: UInt16(truncatingIfNeeded: defaultClass ?? 0))
        case let name:
            kind = .other(name)
        }
    }
}

extension TrafficControl {
    /// Adds `qdisc`; with `replacing`, replaces the qdisc at its parent (`tc qdisc replace`).
    ///
    /// The corresponding request is `RTM_NEWQDISC` with `NLM_F_CREATE | NLM_F_EXCL` (add) or
    /// `NLM_F_CREATE | NLM_F_REPLACE` (replace).
    public func add(_ qdisc: Qdisc, replacing: Bool = false) throws(TrafficControlError) {
        let flags = replacing ? Int32(NLM_F_CREATE | NLM_F_REPLACE) : CreationFlags.add
        try change(qdisc.message, type: RTM_NEWQDISC, flags: flags,
                   request: Self.describe("RTM_NEWQDISC", "\(replacing ? "replace" : "add") \(qdisc.kind.name) qdisc \(qdisc.handle)",
                                          interfaceIndex: qdisc.interfaceIndex, parent: qdisc.parent))
    }

    /// Deletes `qdisc` and everything under it (its classes and filters).
    ///
    /// The corresponding request is `RTM_DELQDISC`.
    public func delete(_ qdisc: Qdisc) throws(TrafficControlError) {
        let message = TrafficControlMessage(interfaceIndex: qdisc.interfaceIndex, handle: qdisc.handle.rawValue,
                                            parent: qdisc.parent)
        try change(message, type: RTM_DELQDISC, flags: 0,
                   request: Self.describe("RTM_DELQDISC", "delete \(qdisc.kind.name) qdisc \(qdisc.handle)",
                                          interfaceIndex: qdisc.interfaceIndex, parent: qdisc.parent))
    }

    /// The qdiscs of one interface, as `tc qdisc show dev IFACE` lists them.
    ///
    /// The corresponding request is `RTM_GETQDISC` with `NLM_F_DUMP`.
    public func qdiscs(interfaceIndex: Int32) throws(TrafficControlError) -> [Qdisc] {
        let request = "RTM_GETQDISC (list qdiscs, interface \(interfaceIndex))"
        let query = TrafficControlMessage(interfaceIndex: interfaceIndex, handle: 0, parent: .unspecified)
        var qdiscs = [Qdisc]()
        // Without strict checking the kernel dumps every interface's qdiscs: keep this one's.
        for message in try dump(query, type: RTM_GETQDISC, request: request) where message.interfaceIndex == interfaceIndex {
            do {
                qdiscs.append(try Qdisc(message))
            } catch {
                throw .malformedReply(request: request, reason: error.description)
            }
        }
        return qdiscs
    }
}
