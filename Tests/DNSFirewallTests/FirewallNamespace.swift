import Foundation
import TestSupport

/// Whether the dns-firewall tests can run here: in a `TestNamespace` of their own, with loopback
/// up, iptables and ip6tables rules with `-m bpf`.
enum FirewallNamespace {
    /// Why the test cannot run here, or nil.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/iptables", "/usr/sbin/ip6tables"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing"
        }
        guard DNSFirewallBinary.path != nil else { return "dns-firewall was not built next to the tests" }
        do {
            let namespace = try TestNamespace(prefix: "cbpf-dnsfw")
            defer { namespace.delete() }
            try namespace.run("iptables", "-A", "INPUT", "-m", "bpf", "--bytecode", "1,6 0 0 0")
            try namespace.run("ip6tables", "-A", "INPUT", "-m", "bpf", "--bytecode", "1,6 0 0 0")
            return nil
        } catch {
            print("dns-firewall tests skipped: \(error)")
            return "\(error)"
        }
    }()
}

enum DNSFirewallBinary {
    /// `DNS_FIREWALL_EXECUTABLE`, or `dns-firewall` built next to the test bundle.
    static let path = ProcessRun.builtExecutable(named: "dns-firewall", environmentVariable: "DNS_FIREWALL_EXECUTABLE")
}
