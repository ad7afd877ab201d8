import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `cbpf seccomp dump`, `explain`, `diff` and `audit`, run as a user would.
@Suite("cbpf seccomp forensics", .enabled(if: CLI.isAvailable, "skipped: the cbpf executable is not next to the test bundle"))
struct SeccompForensicsCommandTests {
    static let policy = """
        default errno(EPERM)
        arch x86_64
        allow read write close exit_group
        allow socket arg0 == 1
        errno(EACCES) openat arg2 & 0x3 == 1
        kill-process ptrace
        """

    /// A policy compiled to a bytecode file.
    func compiled(_ text: String, in directory: TemporaryDirectory, name: String) throws -> String {
        let source = try directory.write(name + ".policy", text)
        let run = try CLI.succeed(["seccomp", "compile", "--policy", source])
        return try directory.write(name + ".bpf", run.trimmedOutput)
    }

    @Test func explainPrintsTheTableAndAPolicyThatCompilesToTheSameDecisions() throws {
        let directory = try TemporaryDirectory()
        let filter = try compiled(Self.policy, in: directory, name: "a")
        let table = try CLI.succeed(["seccomp", "explain", filter]).standardOutput
        #expect(table.contains("every call decided"))
        #expect(table.contains("x86_64 (arch 0xc000003e"))
        #expect(table.contains("101                    ptrace"), "\(table)")
        #expect(table.contains("arg0 == 1"))
        let policy = try CLI.succeed(["seccomp", "explain", filter, "--format", "policy"]).standardOutput
        #expect(policy.contains("kill-process ptrace"))
        let rebuilt = try compiled(policy, in: directory, name: "b")
        let diff = try CLI.run(["seccomp", "diff", filter, rebuilt])
        #expect(diff.exitStatus == 0 && diff.standardOutput.contains("decide every call alike"), "\(diff)")
        // From standard input too, and as JSON.
        let json = try CLI.succeed(["seccomp", "explain", "-", "--format", "json"], input: Array(try String(contentsOfFile: filter, encoding: .utf8).utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutputBytes)) as? [String: Any])
        #expect(object["complete"] as? Bool == true)
        #expect((object["sections"] as? [[String: Any]])?.count == 3)
    }

    @Test func diffNamesTheCellsAndExitsAsDiffDoes() throws {
        let directory = try TemporaryDirectory()
        let first = try compiled(Self.policy, in: directory, name: "a")
        let second = try compiled(Self.policy.replacingOccurrences(of: "arg0 == 1", with: "arg0 <= 2"), in: directory, name: "b")
        let run = try CLI.run(["seccomp", "diff", first, second])
        #expect(run.exitStatus == 1, "\(run)")
        #expect(run.standardOutput.contains("x86_64 41 (socket)"), "\(run)")
        #expect(run.standardOutput.contains("ERRNO(1) vs ALLOW"), "\(run)")
        let broken = try CLI.run(["seccomp", "diff", first, directory.url.appendingPathComponent("missing").path])
        #expect(broken.exitStatus == 2 && broken.standardError.contains("missing"), "\(broken)")
    }

    @Test func auditReportsAndFailsOnSeverity() throws {
        let directory = try TemporaryDirectory()
        let denyList = try compiled("default allow\narch x86_64\nkill-process ptrace\n", in: directory, name: "deny")
        let run = try CLI.run(["seccomp", "audit", denyList, "--fail-on", "high"])
        #expect(run.exitStatus == 1, "\(run)")
        #expect(run.standardOutput.contains("HIGH allow-by-default"), "\(run)")
        #expect(run.standardOutput.contains("bpf is allowed without argument checks"), "\(run)")
        let policy = try directory.write("strict.policy", "default errno(EPERM)\narch x86_64\nunknown-syscalls enosys\nerrno(ENOSYS) clone3\nallow read\n")
        let strict = try CLI.run(["seccomp", "audit", "--policy", policy, "--fail-on", "medium"])
        #expect(strict.exitStatus == 0, "\(strict)")
    }

    @Test func badInputIsToldClearly() throws {
        try CLI.fail(["seccomp", "explain", "2,32 0 0 2,6 0 0 0"], mentioning: ["not a seccomp filter"])
        try CLI.fail(["seccomp", "explain"], mentioning: ["give exactly one of"])
        try CLI.fail(["seccomp", "explain", "1,6 0 0 0", "--index", "1"], mentioning: ["--index goes with --pid"])
        try CLI.fail(["seccomp", "dump"], mentioning: ["give a process id or --self"])
        try CLI.fail(["seccomp", "dump", "2147483647"], mentioning: ["no process 2147483647"])
        try CLI.fail(["seccomp", "explain", "1,6 0 0 0", "--time-limit", "0"], mentioning: ["--time-limit"])
    }
}

/// The launcher's filter read back from its process.
@Suite("cbpf seccomp dump of the launcher", .serialized,
       .enabled(if: CLI.isAvailable && LauncherProcess.unavailableReason == nil,
                "skipped: \(LauncherProcess.unavailableReason ?? "the cbpf executable is not next to the test bundle")"))
struct SeccompDumpCommandTests {
    @Test(arguments: [[], ["--policy", "launcher.policy"]])
    func dumpReadsWhatTheLauncherInstalled(_ options: [String]) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("launcher.policy", "default errno(EPERM)\narch x86_64\nallow @system-service\nallow socket arg0 == 1\n")
        let arguments = options.map { $0 == "launcher.policy" ? path : $0 }
        let launcher = try #require(LauncherProcess.path)
        let expected = try ProcessRun.run(launcher, arguments + ["--print-filter", "bytecode"])
        try #require(expected.succeeded, "\(expected)")
        let sleeper = try LauncherProcess.start(arguments)
        defer { sleeper.stop() }
        let dump = try CLI.succeed(["seccomp", "dump", "\(sleeper.pid)", "--format", "bytecode"])
        #expect(dump.trimmedOutput == expected.trimmedOutput)
        let explained = try CLI.succeed(["seccomp", "explain", "--pid", "\(sleeper.pid)"]).standardOutput
        #expect(explained.contains("every call decided"), "\(explained)")
        let audit = try CLI.succeed(["seccomp", "audit", "--pid", "\(sleeper.pid)", "--index", "0"]).standardOutput
        #expect(!audit.contains("no-architecture-check"))
        // The process goes on after being read.
        #expect(sleeper.isRunning)
    }

    @Test func selfAndUnfilteredProcessesAreToldApart() throws {
        try CLI.fail(["seccomp", "dump", "--self"], mentioning: ["runs under no seccomp filter"])
        let launcher = try #require(LauncherProcess.path)
        let cbpf = try #require(CLI.executablePath)
        let inside = try ProcessRun.run(launcher, ["--", cbpf, "seccomp", "dump", "--self"])
        #expect(inside.exitStatus != 0 && inside.standardError.contains("seccomp filter itself"), "\(inside)")
        let plain = Process()
        plain.executableURL = URL(fileURLWithPath: "/bin/sleep")
        plain.arguments = ["30"]
        try plain.run()
        defer {
            kill(plain.processIdentifier, SIGKILL)  // SIGTERM may be blocked in what the test process starts
            plain.waitUntilExit()
        }
        try CLI.fail(["seccomp", "dump", "\(plain.processIdentifier)"], mentioning: ["runs under no seccomp filter"])
        // Read and let go: not left stopped.
        let status = try String(contentsOfFile: "/proc/\(plain.processIdentifier)/status", encoding: .utf8)
        #expect(status.contains("State:\tS") || status.contains("State:\tR"), "\(status.prefix(200))")
    }
}

/// `sandbox-launch -- /bin/sleep 30` running in the background.
struct LauncherProcess {
    static let path = ProcessRun.builtExecutable(named: "sandbox-launch", environmentVariable: "SANDBOX_LAUNCH_EXECUTABLE")

    static let unavailableReason: String? = {
        if path == nil { return "sandbox-launch is not next to the test bundle" }
        if geteuid() != 0 { return "reading seccomp filters needs root (CAP_SYS_ADMIN)" }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        if !status.contains("\nSeccomp:\t0") { return "this process runs under seccomp itself, so it may not read filters" }
        if !FileManager.default.isExecutableFile(atPath: "/bin/sleep") { return "/bin/sleep is missing" }
        return nil
    }()

    let process: Process
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Starts the launcher and waits until its filter is installed (`Seccomp: 2`).
    static func start(_ options: [String]) throws -> LauncherProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = options + ["--", "/bin/sleep", "30"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let started = LauncherProcess(process: process)
        for _ in 0 ..< 500 {
            let status = (try? String(contentsOfFile: "/proc/\(started.pid)/status", encoding: .utf8)) ?? ""
            if status.contains("\nSeccomp:\t2"), let comm = try? String(contentsOfFile: "/proc/\(started.pid)/comm", encoding: .utf8),
                comm.hasPrefix("sleep")
            {
                return started
            }
            usleep(10_000)
        }
        started.stop()
        throw CLIError("sandbox-launch did not start /bin/sleep under its filter within 5 s")
    }

    func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}
