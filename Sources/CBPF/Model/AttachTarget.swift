/// The kernel attach point a program is built for. Each has its own checker rules.
public enum AttachTarget: String, Hashable, Sendable, CaseIterable {
    /// `SO_ATTACH_FILTER` on a socket, including AF_PACKET capture (`sk_attach_filter`).
    case socket
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` (`seccomp_check_filter`).
    case seccomp
    /// A tc `cls_bpf` classifier in classic mode. Same rules as ``socket``.
    case trafficControl = "cls_bpf"
    /// An iptables `xt_bpf` match in bytecode mode: socket rules, at most 64 instructions.
    case iptables = "xt_bpf"

    /// The longest program the attach point accepts.
    public var maximumInstructions: Int {
        self == .iptables ? Limits.xtBPFMaximumInstructions : Limits.maximumInstructions
    }
}
