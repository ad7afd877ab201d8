import CBPF
import SystemPackage

/// Why a traffic-control request failed.
public enum TrafficControlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel refused `request` (such as `RTM_NEWTFILTER (add bpf filter on veth0 at
    /// ffff:fff2)`) with `errno`, and said why in `kernelMessage` when it gave a reason
    /// (netlink's extended ack, `NLMSGERR_ATTR_MSG`).
    case refused(request: String, errno: Errno, kernelMessage: String?)
    /// No interface has this name in the socket's network namespace.
    case noSuchInterface(String)
    /// A system call on the netlink socket failed.
    case systemCall(SystemCallError)
    /// The kernel did not answer `request` within the socket's timeout.
    case noReply(request: String)
    /// A reply that does not parse, or a dump that exceeded its bound.
    case malformedReply(request: String, reason: String)
    /// A request that cannot be encoded, refused before anything is sent: what and why.
    case invalidRequest(String)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .refused(let request, let errno, let kernelMessage?):
            "\(request): the kernel refused: \(kernelMessage) (\(errno))"
        case .refused(let request, let errno, nil):
            "\(request): the kernel refused: \(errno)"
        case .noSuchInterface(let name):
            "no network interface named \(quotedExcerpt(name))"
        case .systemCall(let error):
            "\(error)"
        case .noReply(let request):
            "\(request): the kernel did not answer"
        case .malformedReply(let request, let reason):
            "\(request): unreadable reply: \(reason)"
        case .invalidRequest(let reason):
            reason
        }
    }
}
