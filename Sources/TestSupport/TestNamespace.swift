import Attach
import Foundation

/// A network namespace for one test, with loopback up, deleted afterwards: links, rules, qdiscs
/// and the sockets opened inside it go only there.
package struct TestNamespace {
    /// The name `ip netns` knows it by: `PREFIX-PID-RANDOM`.
    package let name: String

    /// The file `ip netns add` made for the namespace, which `NetworkNamespace.run(at:_:)` and
    /// `TrafficControl(networkNamespace:)` enter.
    package var path: String { "/run/netns/\(name)" }

    /// Makes the namespace and brings its loopback up.
    package init(prefix: String = "cbpf-test") throws {
        name = "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Self.ip("netns", "add", name)
        do {
            try run("ip", "link", "set", "lo", "up")
        } catch {
            delete()
            throw error
        }
    }

    /// Deletes the namespace and what is in it.
    package func delete() {
        _ = try? Self.ip("netns", "del", name)
    }

    /// Runs a command inside the namespace; throws with its output when it fails.
    @discardableResult
    package func run(_ arguments: String...) throws -> String {
        try run(arguments)
    }

    /// Runs a command inside the namespace; throws with its output when it fails.
    @discardableResult
    package func run(_ arguments: [String]) throws -> String {
        try Self.ip(["netns", "exec", name] + arguments).standardOutput
    }

    /// Runs `body` with the calling thread in this namespace (`NetworkNamespace.run(at:_:)`): the
    /// sockets it opens live there. What `body` throws comes out as it was thrown.
    package func inside<T>(_ body: () throws -> T) throws -> T {
        do {
            return try NetworkNamespace.run(at: path, body)
        } catch {
            switch error {
            case .systemCall(let error): throw error
            case .body(let error): throw error
            }
        }
    }

    /// Runs `ip` with `arguments`; throws with its output when it fails.
    @discardableResult
    package static func ip(_ arguments: String...) throws -> ProcessRun { try ip(arguments) }

    /// Runs `ip` with `arguments`; throws with its output when it fails.
    @discardableResult
    package static func ip(_ arguments: [String]) throws -> ProcessRun {
        let run = try ProcessRun.run("/usr/sbin/ip", arguments, timeout: 20)
        guard run.succeeded else { throw NamespaceError(run: run) }
        return run
    }

    /// A failed `ip` command, with what it printed.
    package struct NamespaceError: Error, CustomStringConvertible {
        /// The run that failed.
        package var run: ProcessRun
        /// The run's text form.
        package var description: String { "\(run)" }
    }
}
