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

    /// Each side of diff may be a program, a policy or a profile, in that order.
    @Test func diffTakesProgramsPoliciesAndProfiles() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.write("a.policy", Self.policy)
        let second = try directory.write("b.policy", Self.policy.replacingOccurrences(of: "arg0 == 1", with: "arg0 <= 2"))
        let policies = try CLI.run(["seccomp", "diff", "--policy", first, "--policy", second])
        #expect(policies.exitStatus == 1, "\(policies)")
        #expect(policies.standardOutput.hasPrefix("--- \(first)\n+++ \(second)\n"), "\(policies)")
        #expect(policies.standardOutput.contains(
            "x86_64 41 (socket) when arg0.lo32 != 1 && arg0.hi32 == 0 && arg0.lo32 <= 2: ERRNO(1) vs ALLOW"), "\(policies)")
        // A program against the policy it was compiled from: alike.
        let program = try compiled(Self.policy, in: directory, name: "a")
        let alike = try CLI.run(["seccomp", "diff", "--policy", first, program])
        #expect(alike.exitStatus == 0 && alike.standardOutput.hasPrefix("--- \(program)\n+++ \(first)\n"), "\(alike)")
        // --arch reaches the policy side: covering x86 too adds x86's cells.
        let wider = try CLI.run(["seccomp", "diff", program, "--policy", first, "--arch", "x86_64,x86"])
        #expect(wider.exitStatus == 1 && wider.standardOutput.contains("x86 "), "\(wider)")
        if let profile = Paths.dockerProfile {
            // A policy comes before a profile, whatever the order on the command line.
            let docker = try CLI.run(["seccomp", "diff", "--profile", profile, "--arch", "x86_64", "--policy", first])
            #expect(docker.exitStatus == 1 && docker.standardOutput.hasPrefix("--- \(first)\n+++ \(profile)\n"), "\(docker)")
            let same = try CLI.run(["seccomp", "diff", "--profile", profile, "--profile", profile, "--caps", "all"])
            #expect(same.exitStatus == 0, "\(same)")
        }
        try CLI.fail(["seccomp", "diff", program], mentioning: ["give two filters", "got 1"])
        try CLI.fail(["seccomp", "diff", program, program, "--policy", first], mentioning: ["give two filters", "got 3"])
        try CLI.fail(["seccomp", "diff", program, program, "--index", "0"], mentioning: ["--index goes with --pid"])
        try CLI.fail(["seccomp", "diff", program, program, "--arch", "x86"], mentioning: ["--caps and --arch go with"])
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

    /// `sandbox-launch --policy outer -- sandbox-launch --policy inner -- /bin/sleep 30`: two
    /// filters on one process, explained, audited and compared as the kernel combines them.
    @Test func stackedFiltersAreAnalysedTogether() throws {
        let directory = try TemporaryDirectory()
        let outer = try directory.write("outer.policy", "default errno(EPERM)\narch x86_64\nallow @system-service\nallow seccomp\n")
        let inner = try directory.write(
            "inner.policy", "default allow\narch x86_64\nerrno(EACCES) mkdir\nerrno(ENOSYS) clone3\nkill-process ptrace\n")
        let launcher = try #require(LauncherProcess.path)
        let sleeper = try LauncherProcess.start(["--policy", outer, "--", launcher, "--policy", inner])
        defer { sleeper.stop() }
        let pid = "\(sleeper.pid)"
        let table = try CLI.succeed(["seccomp", "explain", "--pid", pid]).standardOutput
        #expect(table.contains("# process \(pid): 2 filters, analysed together"), "\(table)")
        #expect(table.contains("stack of 2 filters"), "\(table)")
        func line(_ text: String, _ number: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix("  " + number + " ") }.map(String.init)
        }
        // mincore: denied by the outer filter only; mkdir: the inner's errno wins over the outer's allow.
        #expect(line(table, "27")?.hasSuffix("ERRNO(1)") == true, "\(table)")
        #expect(line(table, "83")?.hasSuffix("ERRNO(13)") == true, "\(table)")
        #expect(line(table, "101")?.hasSuffix("KILL_PROCESS") == true, "\(table)")
        let json = try CLI.succeed(["seccomp", "explain", "--pid", pid, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutputBytes)) as? [String: Any])
        #expect((object["stack"] as? [[String: Any]])?.count == 2 && object["complete"] as? Bool == true, "\(json)")
        // Filter 1 alone is the inner one, the newest.
        let newest = try CLI.succeed(["seccomp", "explain", "--pid", pid, "--index", "1"]).standardOutput
        #expect(newest.contains("filter 1 of 2 (the newest)") && newest.contains("alone"), "\(newest)")
        #expect(line(newest, "83")?.hasSuffix("ERRNO(13)") == true, "\(newest)")
        #expect(newest.split(separator: "\n").contains { $0.hasPrefix("  0-82 ") && $0.hasSuffix("ALLOW") }, "\(newest)")
        // The combination's policy compiles to a filter that decides as both filters together.
        let policy = try CLI.succeed(["seccomp", "explain", "--pid", pid, "--format", "policy"]).standardOutput
        let combined = try directory.write("combined.policy", policy)
        let alike = try CLI.run(["seccomp", "diff", "--policy", combined, "--pid", pid])
        #expect(alike.exitStatus == 0 && alike.standardOutput.contains("decide every call alike"), "\(alike)")
        let differs = try CLI.run(["seccomp", "diff", "--policy", inner, "--pid", pid])
        #expect(differs.exitStatus == 1 && differs.standardOutput.contains("x86_64 27 (mincore): ALLOW vs ERRNO(1)"), "\(differs)")
        let audit = try CLI.succeed(["seccomp", "audit", "--pid", pid]).standardOutput
        #expect(audit.contains("2 filters, analysed together"), "\(audit)")
        #expect(!audit.contains("dangerous-call: ptrace"), "\(audit)")
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
