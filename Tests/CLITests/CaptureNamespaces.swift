import Foundation
import SystemCalls
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Two network namespaces joined by a veth pair, for `cbpf capture` tests: `near` holds `va`
/// (10.203.0.1, fd77::1), `far` holds `vb` (10.203.0.2, fd77::2). Nothing touches the host's
/// namespace; ``delete()`` removes both (and the pair with them).
struct CaptureNamespaces {
    let near: String
    let far: String

    /// Why namespaces cannot be made here, or nil.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "not root" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return "/usr/sbin/ip is missing" }
        do {
            let namespaces = try CaptureNamespaces()
            namespaces.delete()
            return nil
        } catch {
            return "\(error)"
        }
    }()

    init() throws {
        let stem = "cbpf-cap-\(getpid())-\(UInt32.random(in: 0 ... UInt32.max))"
        near = stem + "-a"
        far = stem + "-b"
        do {
            try Self.ip("netns", "add", near)
            try Self.ip("netns", "add", far)
            try Self.ip("-n", near, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", far)
            for (namespace, link, last) in [(near, "va", 1), (far, "vb", 2)] {
                try Self.ip("-n", namespace, "link", "set", "lo", "up")
                try Self.ip("-n", namespace, "address", "add", "10.203.0.\(last)/24", "dev", link)
                try Self.ip("-n", namespace, "address", "add", "fd77::\(last)/64", "dev", link, "nodad")
                try Self.ip("-n", namespace, "link", "set", link, "up")
            }
        } catch {
            delete()
            throw error
        }
    }

    func delete() {
        _ = try? Self.ip("netns", "del", near)
        _ = try? Self.ip("netns", "del", far)
    }

    @discardableResult
    static func ip(_ arguments: String...) throws -> ProcessRun {
        let run = try ProcessRun.run("/usr/sbin/ip", arguments, timeout: 10)
        guard run.succeeded else { throw CLIError("\(run)") }
        return run
    }
}

/// A process left running in the background, its output going to files: a capture that a test
/// stops with a signal.
///
/// Started by `spawnProcess`, with an empty signal mask and SIGINT and SIGTERM at their
/// defaults: a test runs on a thread that blocks signals, and neither tcpdump nor cbpf could be
/// stopped with that mask.
final class BackgroundProcess {
    let pid: pid_t
    let directory: TemporaryDirectory
    let outputPath: String
    let errorPath: String
    let name: String
    private var exitStatus: Int32??

    /// Starts `arguments` in `namespace` (`ip netns exec` execs the program, so the pid is its own).
    init(in namespace: String, _ arguments: [String]) throws {
        name = URL(fileURLWithPath: arguments[0]).lastPathComponent
        directory = try TemporaryDirectory(prefix: "cbpf-capture-run")
        outputPath = try directory.write("stdout", bytes: [])
        errorPath = try directory.write("stderr", bytes: [])
        let argv = ["/usr/sbin/ip", "netns", "exec", namespace] + arguments
        do {
            pid = try spawnProcess(argv, standardOutput: outputPath, standardError: errorPath)
        } catch {
            throw CLIError("\(error)")
        }
    }

    var standardOutput: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Whether the process has ended (and is reaped).
    private func poll() -> Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        // WIFEXITED and WEXITSTATUS, which do not import.
        exitStatus = status & 0x7F == 0 ? .some((status >> 8) & 0xFF) : .some(nil)
        return true
    }

    /// Waits until standard error contains `text`; false after `timeout` seconds or if the
    /// process ended first.
    func waitForError(containing text: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if standardError.contains(text) { return true }
            if poll() { return standardError.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Sends `signal`, then waits up to `timeout` seconds for the exit; kills it after that.
    /// Returns the exit status, or nil if it was killed or ended by a signal.
    @discardableResult
    func stop(with signal: Int32 = SIGINT, timeout: Double = 10) -> Int32? {
        if !poll() { kill(pid, signal) }
        return waitForExit(timeout: timeout)
    }

    /// Waits up to `timeout` seconds for the exit, killing the process after that.
    func waitForExit(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while !poll() {
            if Date() > deadline {
                kill(pid, SIGKILL)
                while !poll() { usleep(1_000) }
                return nil
            }
            usleep(10_000)
        }
        return exitStatus ?? nil
    }

    deinit {
        if !poll() {
            kill(pid, SIGKILL)
            while !poll() { usleep(1_000) }
        }
    }
}
