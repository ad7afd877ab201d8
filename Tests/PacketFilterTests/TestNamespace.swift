import Foundation
import TestSupport

/// What this target's tests need of their namespaces.
extension TestNamespace {
    /// Why namespaces cannot be made here, or nil.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/iptables", "/usr/sbin/tc"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing"
        }
        return probe { _ in }
    }()

    /// Why `iptables -m bpf` rules cannot be made here, or nil.
    static let xtBPFUnavailableReason: String? = unavailableReason ?? probe { namespace in
        try namespace.run("iptables", "-A", "INPUT", "-m", "bpf", "--bytecode", "1,6 0 0 0")
    }

    /// Why a veth pair with an HTB qdisc and a `cls_bpf` filter cannot be made here, or nil.
    static let clsBPFUnavailableReason: String? = unavailableReason ?? probe { namespace in
        try namespace.run("ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
        try namespace.run("tc", "qdisc", "add", "dev", "probe0", "root", "handle", "1:", "htb")
        try namespace.run("tc", "filter", "add", "dev", "probe0", "parent", "1:", "bpf", "bytecode", "1,6 0 0 0", "classid", "1:1")
    }

    /// Runs `body` in a namespace made for it; the error, if any, is the reason.
    private static func probe(_ body: (TestNamespace) throws -> Void) -> String? {
        do {
            let namespace = try TestNamespace()
            defer { namespace.delete() }
            try body(namespace)
            return nil
        } catch {
            print("kernel attach tests skipped: \(error)")
            return "\(error)"
        }
    }

    /// The packet counters of the INPUT chain's rules, in order.
    func inputCounters() throws -> [Int] {
        let listing = try run("iptables", "-L", "INPUT", "-v", "-x", "-n")
        // Two header lines, then one line per rule that starts with its packet count.
        return listing.split(separator: "\n").dropFirst(2).compactMap {
            $0.split(separator: " ").first.flatMap { Int($0) }
        }
    }
}
