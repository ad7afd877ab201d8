import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One run of `sandbox-launch`: what it printed and how the kernel says it ended.
struct LaunchRun: Sendable, CustomStringConvertible {
    var arguments: [String]
    var standardOutput: String
    var standardError: String
    /// The exit status, when the process exited.
    var exitStatus: Int32?
    /// The signal that ended the process, when one did.
    var signal: Int32?
    var timedOut: Bool

    var description: String {
        let ending = timedOut ? "timed out" : signal.map { "killed by signal \($0)" } ?? "exit \(exitStatus ?? -1)"
        return "sandbox-launch \(arguments.joined(separator: " ")): \(ending)\n"
            + "stdout: \(standardOutput.prefix(2000))\nstderr: \(standardError.prefix(2000))"
    }
}

/// Finds and runs the `sandbox-launch` executable built next to the test bundle. The test
/// process never installs a filter: every filter is installed by a child.
enum Launcher {
    /// `SANDBOX_LAUNCH_EXECUTABLE`, or `sandbox-launch` in the directory of this process's
    /// executable (where SwiftPM puts the test bundle and the products alike).
    static let path: String? = {
        if let path = ProcessInfo.processInfo.environment["SANDBOX_LAUNCH_EXECUTABLE"] { return path }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        let candidate = URL(fileURLWithPath: executable).deletingLastPathComponent()
            .appendingPathComponent("sandbox-launch").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    /// Whether the kernel has seccomp filters: the `Seccomp:` field of `/proc/self/status`
    /// (Linux 3.8) and `/proc/sys/kernel/seccomp/actions_avail` (Linux 4.14).
    static let seccompIsAvailable: Bool = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.contains("\nSeccomp:")
            && FileManager.default.isReadableFile(atPath: "/proc/sys/kernel/seccomp/actions_avail")
    }()

    static var isReady: Bool { path != nil && seccompIsAvailable }

    /// Runs `sandbox-launch` with `arguments`; standard output and error go to files, so that
    /// neither can fill a pipe and stall the other. A run longer than `timeout` seconds is
    /// killed by its pid.
    static func run(_ arguments: [String], timeout: Double = 30) throws -> LaunchRun {
        guard let path else { throw HarnessError("sandbox-launch was not found next to the test bundle") }
        let directory = try TemporaryDirectory(prefix: "sandbox-launch-test")
        let outputURL = directory.url.appendingPathComponent("stdout")
        let errorURL = directory.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: outputURL)
        let errorHandle = try FileHandle(forWritingTo: errorURL)
        defer {
            try? outputHandle.close()
            try? errorHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                timedOut = true
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        let signaled = process.terminationReason == .uncaughtSignal
        return LaunchRun(
            arguments: arguments,
            standardOutput: String(decoding: (try? Data(contentsOf: outputURL)) ?? Data(), as: UTF8.self),
            standardError: String(decoding: (try? Data(contentsOf: errorURL)) ?? Data(), as: UTF8.self),
            exitStatus: signaled ? nil : process.terminationStatus,
            signal: signaled ? process.terminationStatus : nil,
            timedOut: timedOut)
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

