import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sandbox-launch learn` on real programs: what it learns must run the program again, with the
/// same output and exit status as without a filter, and must deny what the program never did.
/// The kernel is the judge: the learned policy is installed by the launcher, and the denied
/// call's errno is what the program reports.
@Suite(
    "sandbox-launch learn",
    .enabled(if: Launcher.path != nil, "skipped: the sandbox-launch executable is not next to the test bundle"),
    .enabled(
        if: LearnHarness.userNotificationIsAvailable,
        "skipped: this kernel has no seccomp user notifications (no user_notif in /proc/sys/kernel/seccomp/actions_avail)")
)
struct LearnModeTests {
    /// `ls -la /`: the listing under the learned policy is the unfiltered one. Link counts,
    /// sizes and times are left out of the comparison: /proc's link count follows the number of
    /// processes, and /tmp's changes whenever another process makes a directory there.
    @Test func lsLearnsAPolicyThatListsTheRootAndDeniesMkdir() throws {
        let directory = try TemporaryDirectory()
        let policy = directory.url.appendingPathComponent("ls.policy").path
        let free = try ProcessRun.run("/bin/ls", ["-la", "/"])
        let learned = try LearnHarness.learn(["-o", policy], ["/bin/ls", "-la", "/"])
        #expect(learned.exitStatus == free.exitStatus, "\(learned)")
        #expect(LearnHarness.listing(learned.standardOutput) == LearnHarness.listing(free.standardOutput))
        #expect(learned.standardError.contains("distinct system calls"), "\(learned)")
        #expect(learned.standardError.contains("@basic-io"), "\(learned)")
        let text = try String(contentsOfFile: policy, encoding: .utf8)
        #expect(text.contains("default errno(EPERM)"), "\(text)")
        for call in ["execve", "write", "exit_group", "getdents64"] {
            #expect(text.contains("allow \(call)\n"), "\(call) missing from\n\(text)")
        }
        let rerun = try Launcher.run(["--policy", policy, "--", "/bin/ls", "-la", "/"])
        #expect(rerun.exitStatus == free.exitStatus, "\(rerun)")
        #expect(LearnHarness.listing(rerun.standardOutput) == LearnHarness.listing(free.standardOutput))
        try LearnHarness.expectMkdirDenied(["--policy", policy], in: directory)
    }

    @Test func sha256sumLearnsAProfileWithTheSameDigest() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("data", String(repeating: "swift-cbpf learn mode\n", count: 500))
        let profile = directory.url.appendingPathComponent("sha.json").path
        let free = try ProcessRun.run("/usr/bin/sha256sum", [file])
        #expect(free.succeeded, "\(free)")
        let learned = try LearnHarness.learn(["-o", profile], ["/usr/bin/sha256sum", file])
        #expect(learned.exitStatus == 0, "\(learned)")
        #expect(learned.standardOutput == free.standardOutput)
        // -o *.json writes a profile: SCMP_ACT_ERRNO with errnoRet 1 by default.
        let json = try String(contentsOfFile: profile, encoding: .utf8)
        #expect(json.contains("\"defaultAction\": \"SCMP_ACT_ERRNO\""), "\(json)")
        #expect(json.contains("\"defaultErrnoRet\": 1"), "\(json)")
        let rerun = try Launcher.run(["--profile", profile, "--", "/usr/bin/sha256sum", file])
        #expect(rerun.exitStatus == 0, "\(rerun)")
        #expect(rerun.standardOutput == free.standardOutput, "\(rerun)")
        try LearnHarness.expectMkdirDenied(["--profile", profile], in: directory)
    }

    /// tar's two halves learned in two runs, the second merged into the first: the union runs
    /// both, and the extracted file is the original.
    @Test func tarCreatesAndExtractsUnderTheMergedProfile() throws {
        let directory = try TemporaryDirectory()
        let source = directory.url.appendingPathComponent("source").path
        let target = directory.url.appendingPathComponent("target").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        let content = String(repeating: "archived line\n", count: 200)
        try content.write(toFile: source + "/file.txt", atomically: false, encoding: .utf8)
        let archive = directory.url.appendingPathComponent("a.tar").path
        let profile = directory.url.appendingPathComponent("tar.json").path
        let create = ["/bin/tar", "-cf", archive, "-C", source, "file.txt"]
        let extract = ["/bin/tar", "-xf", archive, "-C", target]
        let learnedCreate = try LearnHarness.learn(["--format", "oci", "-o", profile], create)
        #expect(learnedCreate.exitStatus == 0, "\(learnedCreate)")
        let learnedExtract = try LearnHarness.learn(["--merge", profile, "-o", profile], extract)
        #expect(learnedExtract.exitStatus == 0, "\(learnedExtract)")
        #expect(learnedExtract.standardError.contains("merged with"), "\(learnedExtract)")
        try FileManager.default.removeItem(atPath: archive)
        try FileManager.default.removeItem(atPath: target + "/file.txt")
        for command in [create, extract] {
            let run = try Launcher.run(["--profile", profile, "--"] + command)
            #expect(run.exitStatus == 0, "\(run)")
            #expect(run.standardError.isEmpty, "\(run)")
        }
        #expect((try? String(contentsOfFile: target + "/file.txt", encoding: .utf8)) == content)
        try LearnHarness.expectMkdirDenied(["--profile", profile], in: directory)
    }

    @Test(.enabled(if: LearnHarness.python != nil, "skipped: no python3 (the Debian package python3 provides it)"))
    func pythonImportsUnderTheLearnedPolicyAndGetsEPERMForMkdir() throws {
        let python = try #require(LearnHarness.python)
        let directory = try TemporaryDirectory()
        let policy = directory.url.appendingPathComponent("python.policy").path
        let script = "import json, socket; print(json.dumps({'family': int(socket.AF_UNIX)}))"
        let free = try ProcessRun.run(python, ["-c", script])
        #expect(free.succeeded, "\(free)")
        let learned = try LearnHarness.learn(["-o", policy], [python, "-c", script])
        #expect(learned.exitStatus == 0, "\(learned)")
        #expect(learned.standardOutput == free.standardOutput)
        let rerun = try Launcher.run(["--policy", policy, "--", python, "-c", script])
        #expect(rerun.exitStatus == 0, "\(rerun)")
        #expect(rerun.standardOutput == free.standardOutput, "\(rerun)")
        let made = directory.url.appendingPathComponent("made").path
        let mkdir = try Launcher.run(["--policy", policy, "--", python, "-c", "import os; os.mkdir('\(made)')"])
        #expect(mkdir.exitStatus == 1, "\(mkdir)")
        #expect(mkdir.standardError.contains("PermissionError: [Errno 1] Operation not permitted"), "\(mkdir)")
        #expect(!FileManager.default.fileExists(atPath: made))
    }

    /// A shell pipeline forks and execs; every process is recorded, and the learned profile
    /// runs the pipeline again.
    @Test func aShellPipelineForksAndExecsUnderTheLearnedProfile() throws {
        let directory = try TemporaryDirectory()
        let listed = directory.url.appendingPathComponent("listed").path
        try FileManager.default.createDirectory(atPath: listed, withIntermediateDirectories: false)
        try "1\n".write(toFile: listed + "/one", atomically: false, encoding: .utf8)
        try "2\n".write(toFile: listed + "/two", atomically: false, encoding: .utf8)
        let profile = directory.url.appendingPathComponent("sh.json").path
        let script = "echo hello world | tr a-z A-Z; ls '\(listed)' | sort -r | wc -l; cat '\(listed)/one'"
        let free = try ProcessRun.run("/bin/sh", ["-c", script])
        #expect(free.succeeded, "\(free)")
        let learned = try LearnHarness.learn(["-o", profile], ["/bin/sh", "-c", script])
        #expect(learned.exitStatus == 0, "\(learned)")
        #expect(learned.standardOutput == free.standardOutput)
        // The pipeline forked (clone or clone3) and its children made their own calls.
        #expect(learned.standardError.contains("clone"), "\(learned)")
        let rerun = try Launcher.run(["--profile", profile, "--", "/bin/sh", "-c", script])
        #expect(rerun.exitStatus == 0, "\(rerun)")
        #expect(rerun.standardOutput == free.standardOutput, "\(rerun)")
        try LearnHarness.expectMkdirDenied(["--profile", profile], in: directory)
    }

    /// On x86_64, `int 0x80` makes an i386 call (getpid, 20) from a 64-bit process: it is
    /// recorded with its architecture, and the policy covers x86 too. A policy learned without
    /// it leaves x86 foreign, and the kernel kills the process (SIGSYS).
    @Test(.enabled(if: LearnHarness.python != nil, "skipped: no python3 (the Debian package python3 provides it)"))
    func aForeignArchitectureCallIsRecordedWithItsArchitecture() throws {
        #if arch(x86_64)
            let python = try #require(LearnHarness.python)
            let directory = try TemporaryDirectory()
            let script = try directory.write("int80.py", """
                import ctypes, mmap
                code = bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3])  # mov eax, 20; int 0x80; ret
                memory = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
                memory.write(code)
                call = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(memory)))
                print(call() > 0)
                """)
            let policy = directory.url.appendingPathComponent("int80.policy").path
            let learned = try LearnHarness.learn(["-o", policy], [python, script])
            #expect(learned.exitStatus == 0, "\(learned)")
            #expect(learned.standardOutput == "True\n", "\(learned)")
            #expect(learned.standardError.contains(", x86 1)"), "\(learned)")
            #expect(learned.standardError.contains("getpid (x86)"), "\(learned)")
            let text = try String(contentsOfFile: policy, encoding: .utf8)
            #expect(text.contains("\narch x86_64 x86\n"), "\(text)")
            let rerun = try Launcher.run(["--policy", policy, "--", python, script])
            #expect(rerun.exitStatus == 0, "\(rerun)")
            #expect(rerun.standardOutput == "True\n", "\(rerun)")
            // Learned without the i386 call: x86 is foreign, and foreign-arch is kill-process.
            let native = directory.url.appendingPathComponent("native.policy").path
            let withoutCall = try directory.write("none.py", "import ctypes, mmap\nprint(True)\n")
            #expect(try LearnHarness.learn(["-o", native], [python, withoutCall]).exitStatus == 0)
            let killed = try Launcher.run(["--policy", native, "--", python, script])
            #expect(killed.signal == SIGSYS, "\(killed)")
        #endif
    }

    /// On x86_64 a number with bit 30 is x32's (getpid is 0x40000027): recorded as x32, and
    /// the policy covers x32. The call fails the same way in both runs (ENOSYS on a kernel
    /// without x32, which the probe exits with).
    @Test func anX32CallIsRecordedAsX32() throws {
        #if arch(x86_64)
            let launcher = try #require(Launcher.path)
            let directory = try TemporaryDirectory()
            let policy = directory.url.appendingPathComponent("x32.policy").path
            let call = ["1073741863"]  // 0x40000027
            let free = try Launcher.run(["probe"] + call)
            let learned = try LearnHarness.learn(["-o", policy], [launcher, "probe"] + call)
            #expect(learned.exitStatus == free.exitStatus, "\(learned)")
            #expect(learned.standardError.contains(", x32 1)"), "\(learned)")
            #expect(learned.standardError.contains("getpid (x32)"), "\(learned)")
            let text = try String(contentsOfFile: policy, encoding: .utf8)
            #expect(text.contains("\narch x86_64 x32\n"), "\(text)")
            let rerun = try Launcher.probe(["--policy", policy], call)
            #expect(rerun.exitStatus == free.exitStatus, "\(rerun)")
        #endif
    }

    /// A process the command leaves running is learned to its end: learn returns after it.
    @Test func processesLeftRunningAreRecordedToTheirEnd() throws {
        let directory = try TemporaryDirectory()
        let made = directory.url.appendingPathComponent("made-later").path
        let policy = directory.url.appendingPathComponent("later.policy").path
        let run = try LearnHarness.learn(["-o", policy], ["/bin/sh", "-c", "(/bin/sleep 0.3; /bin/mkdir '\(made)') & exit 0"])
        #expect(run.exitStatus == 0, "\(run)")
        #expect(FileManager.default.fileExists(atPath: made), "\(run)")
        let text = try String(contentsOfFile: policy, encoding: .utf8)
        #expect(text.contains("allow mkdir\n"), "\(text)")
        #expect(text.contains("allow clock_nanosleep\n"), "\(text)")
    }

    /// SIGTERM to the launcher is passed on to the command, which ends by it; the launcher
    /// exits as a shell reports that (143) and still writes what it learned.
    @Test func aSignalToTheLauncherReachesTheCommand() throws {
        let launcher = try #require(Launcher.path)
        let directory = try TemporaryDirectory()
        let policy = directory.url.appendingPathComponent("sleep.policy").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = ["learn", "-o", policy, "--", "/bin/sleep", "20"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Once the launcher's child runs sleep, the launcher has blocked the signal (it does so
        // before it starts the child) and passes it on.
        let launcherID = process.processIdentifier
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !LearnHarness.hasChild(of: launcherID, named: "sleep") { usleep(10_000) }
        kill(launcherID, SIGTERM)
        let report = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + SIGTERM, "\(report)")
        #expect(report.contains("/bin/sleep 20 was killed by SIGTERM (signal 15)"), "\(report)")
        #expect(report.contains("SIGTERM came while it ran"), "\(report)")
        let text = try String(contentsOfFile: policy, encoding: .utf8)
        #expect(text.contains("allow execve\n"), "\(text)")
    }

    /// A command that makes up system-call numbers (ENOSYS, each a new pair) passes the bound on
    /// the recorded set: every call is still answered, and no policy is written.
    @Test(.enabled(if: LearnHarness.python != nil, "skipped: no python3 (the Debian package python3 provides it)"))
    func theRecordedSetIsBounded() throws {
        let python = try #require(LearnHarness.python)
        let directory = try TemporaryDirectory()
        let policy = directory.url.appendingPathComponent("made-up.policy").path
        let script = "import ctypes; libc = ctypes.CDLL(None); print(sum(libc.syscall(n) == -1 for n in range(1000, 6000)))"
        let run = try LearnHarness.learn(["-o", policy], [python, "-c", script])
        #expect(run.standardOutput == "5000\n", "\(run)")
        #expect(run.exitStatus == 1, "\(run)")
        #expect(run.standardError.contains("no policy written: more than 4096 distinct system calls"), "\(run)")
    }

    /// Two runs of the probe, each making a call the other does not: each learned policy
    /// denies the other's call, and the merged one allows both.
    @Test func mergeAllowsTheCallsOfBothRuns() throws {
        let launcher = try #require(Launcher.path)
        let directory = try TemporaryDirectory()
        let first = directory.url.appendingPathComponent("first.policy").path
        let merged = directory.url.appendingPathComponent("merged.policy").path
        let getppid = ["getppid"]
        let umask = ["umask", "18"]
        #expect(try LearnHarness.learn(["-o", first], [launcher, "probe"] + getppid).exitStatus == 0)
        #expect(try LearnHarness.learn(["--merge", first, "-o", merged], [launcher, "probe"] + umask).exitStatus == 0)
        let denied = try Launcher.probe(["--policy", first], umask)
        #expect(denied.exitStatus == EPERM, "\(denied)")
        for call in [getppid, umask] {
            let run = try Launcher.probe(["--policy", merged], call)
            #expect(run.exitStatus == 0, "\(run)")
        }
        // Merging something that is not a learned policy is refused, and names why.
        let open = try directory.write("open.policy", "default allow\n")
        let refused = try LearnHarness.learn(["--merge", open, "-o", merged], ["/bin/true"])
        #expect(refused.exitStatus == 1, "\(refused)")
        #expect(refused.standardError.contains("cannot merge \(open): its default action is allow"), "\(refused)")
    }

    /// With --args, socket is allowed for the family seen only; without, for any.
    @Test func argsAllowsOnlyTheSocketFamiliesSeen() throws {
        let launcher = try #require(Launcher.path)
        let directory = try TemporaryDirectory()
        let checked = directory.url.appendingPathComponent("checked.policy").path
        let unchecked = directory.url.appendingPathComponent("unchecked.json").path
        let unix = ["socket", "1", "1", "0"]  // AF_UNIX, SOCK_STREAM
        let inet = ["socket", "2", "2", "0"]  // AF_INET, SOCK_DGRAM
        let learned = try LearnHarness.learn(["--args", "-o", checked], [launcher, "probe"] + unix)
        #expect(learned.exitStatus == 0, "\(learned)")
        #expect(learned.standardError.contains("socket: arg0 (family) in {0x1}"), "\(learned)")
        let text = try String(contentsOfFile: checked, encoding: .utf8)
        #expect(text.contains("allow socket arg0 == 1\n"), "\(text)")
        #expect(try Launcher.probe(["--policy", checked], unix).exitStatus == 0)
        let denied = try Launcher.probe(["--policy", checked], inet)
        #expect(denied.exitStatus == EPERM, "\(denied)")
        // The same as a profile, whose args compare all 64 bits.
        let profile = try LearnHarness.learn(["--args", "-o", unchecked], [launcher, "probe"] + unix)
        #expect(profile.exitStatus == 0, "\(profile)")
        #expect(try Launcher.probe(["--profile", unchecked], unix).exitStatus == 0)
        #expect(try Launcher.probe(["--profile", unchecked], inet).exitStatus == EPERM)
        // Without --args the family is not checked.
        let plain = try LearnHarness.learn(["-o", unchecked], [launcher, "probe"] + unix)
        #expect(plain.exitStatus == 0, "\(plain)")
        #expect(try Launcher.probe(["--profile", unchecked], inet).exitStatus == 0)
    }

    @Test func theExitStatusIsTheCommandsAndBadInputIsAUsageError() throws {
        let seven = try LearnHarness.learn([], ["/bin/sh", "-c", "exit 7"])
        #expect(seven.exitStatus == 7, "\(seven)")
        // No -o: the policy follows the command's output on standard output.
        #expect(seven.standardOutput.hasPrefix("default errno(EPERM)\n"), "\(seven)")
        let killed = try LearnHarness.learn([], ["/bin/sh", "-c", "kill -TERM $$"])
        #expect(killed.exitStatus == 128 + SIGTERM, "\(killed)")
        #expect(killed.standardError.contains("was killed by SIGTERM (signal 15)"), "\(killed)")
        for arguments in [["learn"], ["learn", "--format", "yaml", "--", "/bin/true"], ["learn", "-o", "", "--", "/bin/true"]] {
            let run = try Launcher.run(arguments)
            #expect(run.exitStatus == 64, "\(run)")
            #expect(!run.standardError.isEmpty, "\(run)")
        }
        let missing = try Launcher.run(["learn", "--", "/nonexistent/command"])
        #expect(missing.exitStatus == 127, "\(missing)")
        #expect(missing.standardError.contains("/nonexistent/command"), "\(missing)")
        let unreadable = try Launcher.run(["learn", "--merge", "/nonexistent.policy", "--", "/bin/true"])
        #expect(unreadable.exitStatus == 1, "\(unreadable)")
        #expect(unreadable.standardError.contains("cannot read /nonexistent.policy"), "\(unreadable)")
    }
}

/// Helpers for learn mode's tests.
enum LearnHarness {
    /// Whether the kernel can hand calls to a supervisor: `user_notif` in `actions_avail`.
    static let userNotificationIsAvailable: Bool = {
        let actions = (try? String(contentsOfFile: "/proc/sys/kernel/seccomp/actions_avail", encoding: .utf8)) ?? ""
        return actions.split(whereSeparator: \.isWhitespace).contains("user_notif")
    }()

    /// Debian's `/usr/bin/python3` (a pyenv shim first in `PATH` execs more than Python), else
    /// `python3` from `PATH`.
    static let python: String? = {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") { return "/usr/bin/python3" }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { $0 + "/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether process `parent` has a child whose name (`comm`) is `name`, through
    /// `/proc/PID/task/PID/children` (without it, after half a second).
    static func hasChild(of parent: pid_t, named name: String) -> Bool {
        guard let children = try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8) else {
            usleep(500_000)
            return true
        }
        return children.split(separator: " ").contains { child in
            (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines) == name
        }
    }

    /// `sandbox-launch learn OPTIONS -- COMMAND`.
    static func learn(_ options: [String], _ command: [String]) throws -> LaunchRun {
        try Launcher.run(["learn"] + options + ["--"] + command)
    }

    /// `ls -l` lines as mode, owner, group and name: what stays the same from run to run.
    static func listing(_ output: String) -> [String] {
        output.split(separator: "\n").map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 9 else { return String(line) }
            return ([fields[0], fields[2], fields[3]] + fields[8...]).joined(separator: " ")
        }
    }

    /// `mkdir DIR` under the learned policy: coreutils' mkdir starts as the learned program did
    /// (the dynamic loader, libc, the locale), and mkdir(2), which the learned program never
    /// called, fails with EPERM.
    static func expectMkdirDenied(_ options: [String], in directory: TemporaryDirectory) throws {
        let made = directory.url.appendingPathComponent("never-made").path
        let run = try Launcher.run(options + ["--", "/bin/mkdir", made])
        #expect(run.exitStatus == 1, "\(run)")
        #expect(run.standardError.contains("Operation not permitted"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: made))
    }
}
