import Foundation
import TestSupport


/// One run of `sandbox-launch`: what it printed and how the kernel says it ended.
typealias LaunchRun = ProcessRun

/// Finds and runs the `sandbox-launch` executable built next to the test bundle. The test
/// process never installs a filter: every filter is installed by a child.
enum Launcher {
    /// `SANDBOX_LAUNCH_EXECUTABLE`, or `sandbox-launch` built next to the test bundle.
    static let path = ProcessRun.builtExecutable(named: "sandbox-launch", environmentVariable: "SANDBOX_LAUNCH_EXECUTABLE")

    /// Whether the kernel has seccomp filters: the `Seccomp:` field of `/proc/self/status`
    /// (Linux 3.8) and `/proc/sys/kernel/seccomp/actions_avail` (Linux 4.14).
    static let seccompIsAvailable: Bool = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.contains("\nSeccomp:")
            && FileManager.default.isReadableFile(atPath: "/proc/sys/kernel/seccomp/actions_avail")
    }()

    static var isReady: Bool { path != nil && seccompIsAvailable }

    /// Runs `sandbox-launch` with `arguments` (see ``ProcessRun/run(_:_:input:timeout:)``).
    static func run(_ arguments: [String], timeout: Double = 30) throws -> LaunchRun {
        guard let path else { throw HarnessError("sandbox-launch was not found next to the test bundle") }
        return try ProcessRun.run(path, arguments, timeout: timeout)
    }

    /// `sandbox-launch OPTIONS -- sandbox-launch probe CALL`: the probe makes the raw call
    /// under the filter and exits with the errno the kernel returned.
    static func probe(_ options: [String], _ call: [String]) throws -> LaunchRun {
        guard let path else { throw HarnessError("sandbox-launch was not found next to the test bundle") }
        return try run(options + ["--", path, "probe"] + call)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

