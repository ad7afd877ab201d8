import Foundation
import TestSupport

/// A network namespace for one test, deleted afterwards: links, rules and qdiscs go only there.
struct TestNamespace {
    let name = "cbpf-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

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

    init() throws {
        try Self.ip("netns", "add", name)
        do {
            try run("ip", "link", "set", "lo", "up")
        } catch {
            delete()
            throw error
        }
    }

    func delete() {
        _ = try? Self.ip("netns", "del", name)
    }

    /// Runs a command inside the namespace; throws with its output when it fails.
    @discardableResult
    func run(_ arguments: String...) throws -> String {
        try Self.ip(["netns", "exec", name] + arguments).standardOutput
    }

    /// The packet counters of the INPUT chain's rules, in order.
    func inputCounters() throws -> [Int] {
        let listing = try run("iptables", "-L", "INPUT", "-v", "-x", "-n")
        // Two header lines, then one line per rule that starts with its packet count.
        return listing.split(separator: "\n").dropFirst(2).compactMap {
            $0.split(separator: " ").first.flatMap { Int($0) }
        }
    }

    @discardableResult
    static func ip(_ arguments: String...) throws -> ProcessRun { try ip(arguments) }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> ProcessRun {
        let run = try ProcessRun.run("/usr/sbin/ip", arguments, timeout: 10)
        guard run.succeeded else { throw NamespaceError(run: run) }
        return run
    }

    struct NamespaceError: Error, CustomStringConvertible {
        var run: ProcessRun
        var description: String { "\(run)" }
    }
}
