import CLinuxShims
import Foundation
import TestSupport

/// A network namespace of the test's own, with loopback up, deleted afterwards; sockets can be
/// opened inside it from this process. (PacketFilterTests' `TestNamespace` does the same for
/// its target; test targets cannot share it without moving it.)
struct FirewallNamespace {
    let name = "cbpf-dnsfw-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Why the test cannot run here, or nil.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/iptables", "/usr/sbin/ip6tables"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing"
        }
        guard DNSFirewallBinary.path != nil else { return "dns-firewall was not built next to the tests" }
        do {
            let namespace = try FirewallNamespace()
            defer { namespace.delete() }
            try namespace.run("iptables", "-A", "INPUT", "-m", "bpf", "--bytecode", "1,6 0 0 0")
            try namespace.run("ip6tables", "-A", "INPUT", "-m", "bpf", "--bytecode", "1,6 0 0 0")
            return nil
        } catch {
            print("dns-firewall tests skipped: \(error)")
            return "\(error)"
        }
    }()

    init() throws {
        try Self.ip(["netns", "add", name])
        do {
            try run("ip", "link", "set", "lo", "up")
        } catch {
            delete()
            throw error
        }
    }

    func delete() {
        _ = try? Self.ip(["netns", "del", name])
    }

    /// Runs a command inside the namespace; throws with its output when it fails.
    @discardableResult
    func run(_ arguments: String...) throws -> String {
        try Self.ip(["netns", "exec", name] + arguments).standardOutput
    }

    /// Runs `body` on a thread that entered the namespace, so that the sockets it opens live
    /// there; the rest of the process stays where it was.
    func inside<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) throws -> Result {
        let box = ResultBox<Result>()
        let done = DispatchSemaphore(value: 0)
        let path = "/run/netns/\(name)"
        let thread = Thread {
            defer { done.signal() }
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0, cbpf_enter_network_namespace(descriptor) == 0 else {
                box.set(.failure(NamespaceError(description: "setns(\(path)): \(String(cString: strerror(errno)))")))
                return
            }
            close(descriptor)
            box.set(Swift.Result { try body() })
        }
        thread.start()
        done.wait()
        return try box.get().get()
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> ProcessRun {
        let run = try ProcessRun.run("/usr/sbin/ip", arguments, timeout: 20)
        guard run.succeeded else { throw NamespaceError(description: "\(run)") }
        return run
    }

    struct NamespaceError: Error, CustomStringConvertible {
        var description: String
    }
}

/// A value handed from the namespace's thread back to the test.
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<Value, Error>?

    func set(_ value: Result<Value, Error>) {
        lock.withLock { self.value = value }
    }

    func get() -> Result<Value, Error> {
        lock.withLock { value ?? .failure(FirewallNamespace.NamespaceError(description: "the thread set nothing")) }
    }
}

enum DNSFirewallBinary {
    /// `DNS_FIREWALL_EXECUTABLE`, or `dns-firewall` built next to the test bundle.
    static let path = ProcessRun.builtExecutable(named: "dns-firewall", environmentVariable: "DNS_FIREWALL_EXECUTABLE")
}
