import CBPF
import CLinuxShims
import SystemPackage

/// A client of the kernel's traffic control over rtnetlink (`NETLINK_ROUTE`), as `tc` is: it
/// adds, replaces, lists and deletes qdiscs (``Qdisc``), HTB classes (``HTBClass``) and classic
/// BPF filters (``BPFFilter``, tc's `cls_bpf`). Needs `CAP_NET_ADMIN` to change anything.
///
///     let tc = try TrafficControl()
///     let index = try tc.interfaceIndex(named: "veth0")
///     try tc.add(Qdisc.clsact(interfaceIndex: index))
///     try tc.add(BPFFilter(interfaceIndex: index, parent: .ingress, program: program))
///
/// When the kernel refuses a request, the error carries its errno and, when the kernel gave one,
/// its own explanation (netlink's extended ack): ``TrafficControlError/refused(request:errno:kernelMessage:)``.
public struct TrafficControl: ~Copyable, Sendable {
    let socket: RouteNetlinkSocket

    /// Talks to the kernel about this thread's network namespace.
    public init() throws(TrafficControlError) {
        socket = try RouteNetlinkSocket()
    }

    /// Talks to the kernel about the network namespace the file at `path` names, such as
    /// `/run/netns/NAME` (made by `ip netns add NAME`). The thread enters that namespace only
    /// while it opens the socket.
    ///
    /// The corresponding C calls are `setns(fd, CLONE_NEWNET)` and `socket(AF_NETLINK, ...)`.
    public init(networkNamespace path: FilePath) throws(TrafficControlError) {
        socket = try RouteNetlinkSocket(namespacePath: path)
    }

    /// The index of the interface named `name` in the socket's namespace, asked of the kernel
    /// (`RTM_GETLINK` with `IFLA_IFNAME`), or ``TrafficControlError/noSuchInterface(_:)``.
    public func interfaceIndex(named name: String) throws(TrafficControlError) -> Int32 {
        // IFNAMSIZ is 16 with the terminating NUL.
        guard !name.isEmpty, name.utf8.count < 16, !name.utf8.contains(0) else {
            throw .noSuchInterface(name)
        }
        // struct ifinfomsg: family, padding, type, index, flags, change; then IFLA_IFNAME.
        let payload = [UInt8](repeating: 0, count: 16)
            + NetlinkAttribute(type: UInt16(IFLA_IFNAME), string: name).encoded
        let message = NetlinkMessage(type: UInt16(RTM_GETLINK), flags: 0, payload: payload)
        let replies: [NetlinkMessage]
        do {
            replies = try socket.request(message, request: "RTM_GETLINK (\(name))")
        } catch {
            if case .refused(_, .operationNotSupportedByDevice, _) = error { throw .noSuchInterface(name) }
            throw error
        }
        guard let link = replies.first(where: { $0.type == UInt16(RTM_NEWLINK) }), link.payload.count >= 16 else {
            throw .malformedReply(request: "RTM_GETLINK (\(name))", reason: "no RTM_NEWLINK in the answer")
        }
        return NetlinkBytes.read(Int32.self, link.payload[...], at: 4)
    }

    /// Sends a tc request that changes something and waits for the kernel's acknowledgement.
    func change(_ message: TrafficControlMessage, type: Int, flags: Int32, request: String) throws(TrafficControlError) {
        try socket.acknowledge(message.message(type, flags: flags), request: request)
    }

    /// Dumps tc objects of `type` and decodes each reply.
    func dump(_ message: TrafficControlMessage, type: Int, request: String) throws(TrafficControlError)
        -> [TrafficControlMessage]
    {
        var decoded = [TrafficControlMessage]()
        for reply in try socket.dump(message.message(type), request: request) {
            do {
                decoded.append(try TrafficControlMessage(reply))
            } catch {
                throw .malformedReply(request: request, reason: error.description)
            }
        }
        return decoded
    }

    /// The name of a request in errors: `RTM_NEWTFILTER (add bpf filter, interface 3, parent ffff:fff2)`.
    static func describe(_ type: String, _ what: String, interfaceIndex: Int32, parent: TrafficControlHandle) -> String {
        "\(type) (\(what), interface \(interfaceIndex), parent \(parent))"
    }
}
