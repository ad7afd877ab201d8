import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a program: what it printed and how it ended.
package struct ProcessRun: Sendable, CustomStringConvertible {
    /// The program's name, for messages.
    package var program: String
    package var arguments: [String]
    package var standardOutputBytes: [UInt8]
    package var standardError: String
    /// The exit status, when the process exited.
    package var exitStatus: Int32?
    /// The signal that ended the process, when one did.
    package var signal: Int32?
    /// Whether the run outlived its timeout and was killed.
    package var timedOut: Bool

    package var standardOutput: String { String(decoding: standardOutputBytes, as: UTF8.self) }
    package var succeeded: Bool { exitStatus == 0 }

    package var description: String {
        let ending = timedOut ? "timed out" : signal.map { "killed by signal \($0)" } ?? "exit \(exitStatus ?? -1)"
        let output = standardOutput.count > 2000 ? String(standardOutput.prefix(2000)) + "..." : standardOutput
        return "\(program) \(arguments.joined(separator: " ")): \(ending)\n"
            + "stdout: \(output)\nstderr: \(standardError.prefix(2000))"
    }

    /// Runs `path` with `arguments`. Standard input is `input`, or empty; standard output and
    /// error go to files, so that neither can fill a pipe and stall the other. A run longer
    /// than `timeout` seconds is killed by its pid and reported as timed out.
    package static func run(
        _ path: String, _ arguments: [String], input: [UInt8]? = nil, timeout: Double = 60
    ) throws -> ProcessRun {
        let directory = try TemporaryDirectory(prefix: "swift-cbpf-run")
        let outputPath = try directory.write("stdout", bytes: [])
        let errorPath = try directory.write("stderr", bytes: [])
        let inputPath = try directory.write("stdin", bytes: input ?? [])
        let outputHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errorHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        let inputHandle = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
        defer {
            try? outputHandle.close()
            try? errorHandle.close()
            try? inputHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        process.standardInput = inputHandle
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
        return ProcessRun(
            program: URL(fileURLWithPath: path).lastPathComponent,
            arguments: arguments,
            standardOutputBytes: Array((try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data()),
            standardError: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errorPath))) ?? Data(), as: UTF8.self),
            exitStatus: signaled ? nil : process.terminationStatus,
            signal: signaled ? process.terminationStatus : nil,
            timedOut: timedOut)
    }

    /// A product of this package built next to the running test bundle: `$environmentVariable`
    /// if set, else `name` in the directory of this process's executable or up to three
    /// directories above it (SwiftPM puts test bundles and products in the build directory).
    package static func builtExecutable(named name: String, environmentVariable: String) -> String? {
        if let path = ProcessInfo.processInfo.environment[environmentVariable] { return path }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0 ..< 4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
