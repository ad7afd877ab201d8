import CBPF
import CLinuxShims

/// `struct tcmsg` and its attributes: the payload of every qdisc, class and filter request.
struct TrafficControlMessage: Hashable, Sendable {
    var interfaceIndex: Int32
    var handle: UInt32
    var parent: TrafficControlHandle
    /// For filters, the priority and the protocol: `TC_H_MAKE(priority << 16, htons(protocol))`.
    var info: UInt32 = 0
    var attributes: [NetlinkAttribute]

    static let headerLength = 20

    var encoded: [UInt8] {
        // tcm_family (AF_UNSPEC) and two bytes of padding, then the four 32-bit fields.
        [UInt8](repeating: 0, count: 4) + NetlinkBytes.of(interfaceIndex) + NetlinkBytes.of(handle)
            + NetlinkBytes.of(parent.rawValue) + NetlinkBytes.of(info) + attributes.flatMap(\.encoded)
    }

    /// The netlink message for `type` (`RTM_NEWTFILTER`, ...) with `flags`.
    func message(_ type: Int, flags: Int32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: UInt16(type), flags: UInt16(flags), payload: encoded)
    }

    init(interfaceIndex: Int32, handle: UInt32, parent: TrafficControlHandle, info: UInt32 = 0,
         attributes: [NetlinkAttribute] = []) {
        self.interfaceIndex = interfaceIndex
        self.handle = handle
        self.parent = parent
        self.info = info
        self.attributes = attributes
    }

    init(_ message: NetlinkMessage) throws(NetlinkDecodingError) {
        let payload = message.payload[...]
        guard payload.count >= Self.headerLength else {
            throw NetlinkDecodingError("a tcmsg of \(payload.count) bytes is shorter than \(Self.headerLength)")
        }
        interfaceIndex = NetlinkBytes.read(Int32.self, payload, at: 4)
        handle = NetlinkBytes.read(UInt32.self, payload, at: 8)
        parent = TrafficControlHandle(rawValue: NetlinkBytes.read(UInt32.self, payload, at: 12))
        info = NetlinkBytes.read(UInt32.self, payload, at: 16)
        attributes = try NetlinkAttribute.decode(payload.dropFirst(Self.headerLength))
    }

    /// `TCA_KIND`: `"htb"`, `"clsact"`, `"bpf"`, ...
    var kind: String? { attributes[type: UInt16(TCA_KIND)]?.string }

    /// `TCA_OPTIONS`' nested attributes, or none.
    func options() throws(NetlinkDecodingError) -> [NetlinkAttribute] {
        try attributes[type: UInt16(TCA_OPTIONS)]?.nested() ?? []
    }
}

/// Flags of a request that creates something: fail if it exists, or replace it.
enum CreationFlags {
    /// `tc ... add`: `NLM_F_CREATE | NLM_F_EXCL`.
    static let add = Int32(NLM_F_CREATE | NLM_F_EXCL)
}
