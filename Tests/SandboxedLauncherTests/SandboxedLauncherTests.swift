import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sandbox-launch` run as a user runs it, judged by what the kernel reports: exit statuses,
/// signals, `/proc/self/status`, and the errno of raw system calls made under the filter.
@Suite(
    "sandbox-launch",
    .enabled(if: Launcher.path != nil, "skipped: the sandbox-launch executable is not next to the test bundle"),
    .enabled(
        if: Launcher.seccompIsAvailable,
        "skipped: this kernel has no seccomp filters (no Seccomp field in /proc/self/status)")
)
struct SandboxedLauncherTests {
    /// `ptrace(PTRACE_CONT, 0, 0, 0)`: fails with ESRCH without a filter, for root or not, and
    /// changes nothing. The preset denies it (@debug is not in @system-service).
    static let ptrace = ["ptrace", "7", "0", "0", "0"]

    // MARK: The probe

    /// The probe reads numbers as the policy format does: the kernel's answer to
    /// `fcntl(0, F_DUPFD_CLOEXEC, minimum)` is the lowest free descriptor at or above the minimum,
    /// so it shows the value the probe passed. A leading 0 is refused as ambiguous.
    @Test func probeReadsNumbersAsThePolicyFormat() throws {
        for minimum in ["100", "0x64", "0o144", "0b1100100"] {
            let run = try Launcher.run(["probe", "fcntl", "0", "1030", minimum])
            #expect(run.exitStatus == 0 && run.standardOutput.hasSuffix(" = 100\n"), "\(run)")
        }
        let ambiguous = try Launcher.run(["probe", "fcntl", "0", "1030", "0144"])
        #expect(ambiguous.exitStatus == 64 && ambiguous.standardError.contains("0144: a leading 0 is ambiguous"), "\(ambiguous)")
    }

    // MARK: Allowed commands

    @Test func allowedCommandsRunAndKeepTheirExitStatus() throws {
        let run = try Launcher.run(["--", "/bin/true"])
        #expect(run.exitStatus == 0, "\(run)")
        // execve replaces the launcher, so the command's own status comes back.
        let seven = try Launcher.run(["--", "/bin/sh", "-c", "exit 7"])
        #expect(seven.exitStatus == 7, "\(seven)")
        let logged = try Launcher.run(["--log", "--deny-action", "log", "--", "/bin/true"])
        #expect(logged.exitStatus == 0, "\(logged)")
    }

    @Test func theKernelReportsOneFilterAndNoNewPrivileges() throws {
        let run = try Launcher.run(["--", "/bin/cat", "/proc/self/status"])
        #expect(run.exitStatus == 0, "\(run)")
        #expect(run.standardOutput.contains("\nSeccomp:\t2\n"), "\(run)")  // SECCOMP_MODE_FILTER
        #expect(run.standardOutput.contains("\nNoNewPrivs:\t1\n"), "\(run)")
        if run.standardOutput.contains("Seccomp_filters:") {  // Linux 5.9
            #expect(run.standardOutput.contains("\nSeccomp_filters:\t1\n"), "\(run)")
        }
    }

    @Test func filtersForEveryArchitectureOfTheMachineStillRunCommands() throws {
        #if arch(x86_64)
            let run = try Launcher.run(["--arch", "x86_64,x86,x32", "--", "/bin/true"])
            #expect(run.exitStatus == 0, "\(run)")
        #endif
    }

    // MARK: Denied system calls

    @Test func deniedCallsFailWithTheExactErrno() throws {
        // Without a filter: ESRCH, from ptrace itself.
        let free = try Launcher.run(["probe"] + Self.ptrace)
        #expect(free.exitStatus == ESRCH, "\(free)")
        let cases: [(options: [String], errno: Int32, name: String)] = [
            ([], EPERM, "EPERM"),
            (["--deny-action", "errno:EACCES"], EACCES, "EACCES"),
            (["--deny-action", "errno:77"], 77, "EBADFD"),
        ]
        for (options, errno, name) in cases {
            let run = try Launcher.probe(options, Self.ptrace)
            #expect(run.exitStatus == errno, "\(run)")
            #expect(run.standardOutput.contains("= -1 \(name) "), "\(run)")
        }
        // The preset answers clone3 with ENOSYS, so that glibc falls back to clone.
        let clone3 = try Launcher.probe([], ["clone3", "0", "0"])
        #expect(clone3.exitStatus == ENOSYS, "\(clone3)")
        // An argument check: reading the persona is allowed, changing it is not.
        let query = try Launcher.probe([], ["personality", "0xffffffff"])
        #expect(query.exitStatus == 0, "\(query)")
        let change = try Launcher.probe([], ["personality", "8"])
        #expect(change.exitStatus == EPERM, "\(change)")
    }

    @Test func aPolicyFileDecidesAndCoreutilsSeeTheErrno() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("p.policy", "default allow\nerrno(EROFS) mkdir mkdirat\n")
        let target = directory.url.appendingPathComponent("made").path
        let run = try Launcher.run(["--policy", policy, "--", "mkdir", target])
        #expect(run.exitStatus == 1, "\(run)")
        #expect(run.standardError.contains(String(cString: strerror(EROFS))), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: target))
        let probe = try Launcher.probe(["--policy", policy], ["mkdir", target, "493"])
        #expect(probe.exitStatus == EROFS, "\(probe)")
    }

    @Test func anOCIProfileIsImported() throws {
        let directory = try TemporaryDirectory()
        let profile = try directory.write("profile.json", """
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}
            """)
        let target = directory.url.appendingPathComponent("made").path
        let run = try Launcher.probe(["--profile", profile], ["mkdir", target, "493"])
        #expect(run.exitStatus == EROFS, "\(run)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func allowOverridesThePolicy() throws {
        // @debug holds ptrace: the call runs and fails on its own, with ESRCH.
        let run = try Launcher.probe(["--allow", "@debug"], Self.ptrace)
        #expect(run.exitStatus == ESRCH, "\(run)")
        // unshare is named by the preset itself: --allow replaces that rule, without a contradiction.
        let named = try Launcher.probe(["--allow", "ptrace,unshare"], Self.ptrace)
        #expect(named.exitStatus == ESRCH, "\(named)")
    }

    // MARK: Kill actions

    @Test(arguments: ["kill", "trap"])
    func killingActionsEndTheChildWithSIGSYS(action: String) throws {
        let run = try Launcher.probe(["--deny-action", action], Self.ptrace)
        #expect(run.signal == SIGSYS, "\(run)")
        // The call never returned, so the probe printed nothing.
        #expect(run.standardOutput.isEmpty, "\(run)")
    }

    @Test func aKillRuleInAPolicyEndsTheChildWithSIGSYS() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("k.policy", "default allow\nkill-process getppid\n")
        let run = try Launcher.probe(["--policy", policy], ["getppid"])
        #expect(run.signal == SIGSYS, "\(run)")
        let allowed = try Launcher.probe(["--policy", policy], ["getpid"])
        #expect(allowed.exitStatus == 0, "\(allowed)")
    }

    // MARK: Errors

    struct BadInput: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var status: Int32
        var mentions: [String]
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badInputs: [BadInput] = [
        BadInput(arguments: ["--allow", "@nonsense", "--", "/bin/true"], status: 64,
                 mentions: ["unknown group", "@nonsense", "@system-service"]),
        BadInput(arguments: ["--allow", "frobnicate", "--", "/bin/true"], status: 64,
                 mentions: ["unknown system call", "frobnicate"]),
        BadInput(arguments: ["--policy", "BAD", "--", "/bin/true"], status: 1,
                 mentions: ["bad.policy:2:1", "unknown action", "alow"]),
        BadInput(arguments: ["--policy", "CONTRADICTION", "--", "/bin/true"], status: 1,
                 mentions: ["contradicts", "allow write"]),
        BadInput(arguments: ["--policy", "/nonexistent/p.policy", "--", "/bin/true"], status: 1,
                 mentions: ["cannot read /nonexistent/p.policy", "No such file or directory"]),
        BadInput(arguments: ["--profile", "JSON", "--", "/bin/true"], status: 1, mentions: ["profile.json"]),
        // Endless input stops at the bound.
        BadInput(arguments: ["--policy", "/dev/zero", "--", "/bin/true"], status: 1,
                 mentions: ["/dev/zero: more than 16 MiB (16777216 bytes)"]),
        BadInput(arguments: ["--profile", "/dev/zero", "--", "/bin/true"], status: 1,
                 mentions: ["/dev/zero: more than 16 MiB (16777216 bytes)"]),
        BadInput(arguments: ["--", "no-such-command-for-sandbox-launch"], status: 127,
                 mentions: ["no-such-command-for-sandbox-launch", "command not found"]),
        BadInput(arguments: ["--", "/tmp"], status: 126, mentions: ["/tmp", "directory"]),
        BadInput(arguments: ["--deny-action", "frob", "--", "/bin/true"], status: 64, mentions: ["frob"]),
        BadInput(arguments: ["--arch", "sparc", "--", "/bin/true"], status: 64, mentions: ["sparc"]),
        BadInput(arguments: ["--preset", "service", "--profile", "x.json", "--", "/bin/true"], status: 64,
                 mentions: ["at most one"]),
        BadInput(arguments: [], status: 64, mentions: ["give a command after --"]),
        BadInput(arguments: ["probe", "frobnicate"], status: 64, mentions: ["frobnicate"]),
    ]

    @Test(arguments: badInputs)
    func badInputIsAClearMessage(_ input: BadInput) throws {
        let directory = try TemporaryDirectory()
        let files = [
            "BAD": try directory.write("bad.policy", "default errno(EPERM)\nalow read\n"),
            "CONTRADICTION": try directory.write("c.policy", "default errno(EPERM)\nallow write\nerrno(EACCES) write\n"),
            "JSON": try directory.write("profile.json", "{\"defaultAction\": \"SCMP_ACT_NOPE\"}"),
        ]
        let arguments = input.arguments.map { files[$0] ?? $0 }
        let run = try Launcher.run(arguments)
        #expect(run.signal == nil && !run.timedOut, "crashed or hung: \(run)")
        #expect(run.exitStatus == input.status, "\(run)")
        #expect(run.standardOutput.isEmpty, "\(run)")
        for mention in input.mentions {
            #expect(run.standardError.contains(mention), "\"\(mention)\" not in the message: \(run)")
        }
    }

    // MARK: What the launcher itself needs under the filter

    struct Unrunnable: Sendable, CustomTestStringConvertible {
        var options: [String]
        var missing: [String]
        var testDescription: String { options.joined(separator: " ") }
    }

    /// Policies under which the launcher could not start the command or not exit: it used to
    /// spin for ever (execve, exit_group and rt_sigreturn failed, and the runtime's crash
    /// handler looped), or print "Signal 11: Backtracing ... failed" without end.
    static let unrunnable: [Unrunnable] = [
        Unrunnable(options: ["--policy", "DENY"], missing: ["execve", "write", "exit_group"]),
        Unrunnable(options: ["--profile", "DENY_JSON"], missing: ["execve", "write", "exit_group"]),
        Unrunnable(options: ["--policy", "WRITE_ONLY"], missing: ["execve", "exit_group"]),
        Unrunnable(options: ["--policy", "DENY", "--deny-action", "kill"], missing: ["execve", "write", "exit_group"]),
        Unrunnable(options: ["--policy", "DENY", "--deny-action", "trap"], missing: ["execve", "write", "exit_group"]),
        // write is allowed to standard output only, not to standard error, where the launcher reports.
        Unrunnable(options: ["--policy", "STDOUT_ONLY"], missing: ["write"]),
    ]

    @Test(arguments: unrunnable)
    func aPolicyWithoutTheLaunchersOwnCallsIsRefusedBeforeInstalling(_ input: Unrunnable) throws {
        let directory = try TemporaryDirectory()
        let files = [
            "DENY": try directory.write("deny.policy", "default errno(EPERM)\n"),
            "DENY_JSON": try directory.write("deny.json", #"{"defaultAction": "SCMP_ACT_ERRNO"}"#),
            "WRITE_ONLY": try directory.write("write.policy", "default errno(EPERM)\nallow write\n"),
            "STDOUT_ONLY": try directory.write(
                "stdout.policy", "default errno(EPERM)\nallow execve exit_group\nallow write arg0 == 1\n"),
        ]
        let run = try Launcher.run(input.options.map { files[$0] ?? $0 } + ["--", "/bin/true"], timeout: 10)
        #expect(run.signal == nil && !run.timedOut, "crashed or hung: \(run)")
        #expect(run.exitStatus == 1, "\(run)")
        #expect(run.standardError.contains("refused before installing the filter"), "\(run)")
        for name in input.missing {
            #expect(run.standardError.contains("\(name) (gets ") || run.standardError.contains("\(name) to standard error (gets "),
                    "\(name) is not named: \(run)")
        }
        #expect(run.standardError.contains("--allow \(input.missing.joined(separator: ","))"), "\(run)")
        // The advice works: with those calls allowed the filter goes in and the command starts.
        let advised = try Launcher.run(
            input.options.map { files[$0] ?? $0 } + ["--allow", input.missing.joined(separator: ","), "--", "/bin/true"],
            timeout: 10)
        #expect(!advised.timedOut && !advised.standardError.contains("refused"), "\(advised)")
    }

    /// After installing, the launcher makes no call but execve and, when that fails, write and
    /// exit_group: with everything else killed, a command the kernel cannot execute (ENOEXEC)
    /// is still reported, and the launcher exits.
    @Test(arguments: ["kill-process", "errno(EPERM)"])
    func aFailedStartNeedsOnlyExecveWriteAndExitGroup(defaultAction: String) throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("minimal.policy", "default \(defaultAction)\nallow execve write exit_group\n")
        let command = try directory.write("not-a-program", "this is not an executable format\n")
        chmod(command, 0o755)
        let run = try Launcher.run(["--policy", policy, "--", command], timeout: 10)
        #expect(run.signal == nil && !run.timedOut, "crashed or hung: \(run)")
        #expect(run.exitStatus == 126, "\(run)")
        #expect(run.standardError.contains("cannot execute \(command) under the filter: "
            + "\(String(cString: strerror(ENOEXEC))) (ENOEXEC)"), "\(run)")
    }

    // MARK: Warnings

    @Test func foreignArchAllowIsInstalledWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("open.policy", "default allow\nforeign-arch allow\n")
        let run = try Launcher.run(["--policy", policy, "--", "/bin/true"])
        #expect(run.exitStatus == 0, "\(run)")
        #expect(run.standardError.contains("sandbox-launch: \(policy): warning: foreign-arch allow opens"), "\(run)")
        let closed = try Launcher.run(["--policy", try directory.write("closed.policy", "default allow\n"), "--", "/bin/true"])
        #expect(closed.exitStatus == 0 && closed.standardError.isEmpty, "\(closed)")
    }

    // MARK: --profile docker-default

    /// The development corpus's copy, which the launcher finds next to its checkout.
    static let corpusDockerProfile: String? = {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = checkout.appendingPathComponent("../shared/corpus/seccomp/docker-default.json").standardized.path
        return FileManager.default.isReadableFile(atPath: path) ? path : nil
    }()

    /// `sandbox-launch --profile docker-default --print-filter bytecode` run in `directory`,
    /// with `SANDBOX_LAUNCH_DOCKER_PROFILE` set to `variable`, or unset.
    static func dockerDefaultFilter(in directory: String, variable: String?) throws -> LaunchRun {
        let launcher = try #require(Launcher.path)
        let environment = variable.map { ["SANDBOX_LAUNCH_DOCKER_PROFILE=\($0)"] } ?? ["-u", "SANDBOX_LAUNCH_DOCKER_PROFILE"]
        return try ProcessRun.run(
            "/usr/bin/env", ["-C", directory] + environment + [launcher, "--profile", "docker-default", "--print-filter", "bytecode"])
    }

    @Test func dockerDefaultNeverMeansAFileOfThatNameHere() throws {
        let directory = try TemporaryDirectory()
        // A local file of that name, which allows everything.
        _ = try directory.write("docker-default", #"{"defaultAction": "SCMP_ACT_ALLOW"}"#)
        let named = try directory.write(
            "named.json",
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}"#)
        let expected = try Launcher.run(["--profile", named, "--print-filter", "bytecode"])
        #expect(expected.exitStatus == 0, "\(expected)")
        let chosen = try Self.dockerDefaultFilter(in: directory.url.path, variable: named)
        #expect(chosen.exitStatus == 0 && chosen.standardOutput == expected.standardOutput, "\(chosen)")
        // An explicit path that cannot be read is an error, not a reason to look elsewhere.
        for variable in ["/nonexistent/docker-default.json", ""] {
            let unreadable = try Self.dockerDefaultFilter(in: directory.url.path, variable: variable)
            #expect(unreadable.exitStatus == 1 && unreadable.standardOutput.isEmpty, "\(unreadable)")
            for mention in ["SANDBOX_LAUNCH_DOCKER_PROFILE=\(variable) cannot be read", "pass ./docker-default"] {
                #expect(unreadable.standardError.contains(mention), "\"\(mention)\" not in the message: \(unreadable)")
            }
        }
        // Unset: the corpus copy, when there is one, and never the local file.
        if let corpus = Self.corpusDockerProfile {
            let fromCorpus = try Launcher.run(["--profile", corpus, "--print-filter", "bytecode"])
            let unset = try Self.dockerDefaultFilter(in: directory.url.path, variable: nil)
            #expect(unset.exitStatus == 0 && unset.standardOutput == fromCorpus.standardOutput, "\(unset)")
        }
    }

    // MARK: The filter itself, and the demo

    @Test func printFilterWithoutACommandPrintsTheFilter() throws {
        let bytecode = try Launcher.run(["--print-filter", "bytecode"])
        #expect(bytecode.exitStatus == 0, "\(bytecode)")
        let fields = bytecode.standardOutput.split(separator: "\n").first?.split(separator: ",") ?? []
        #expect(Int(fields.first ?? "") == fields.count - 1, "\(bytecode)")
        let stats = try Launcher.run(["--stats", "--print-filter", "d", "--", "/bin/true"])
        #expect(stats.exitStatus == 0, "\(stats)")
        #expect(stats.standardOutput.isEmpty, "the command's standard output stays its own: \(stats)")
        #expect(stats.standardError.contains("(000) ld       [4]"), "\(stats)")
        #expect(stats.standardError.contains("\(fields.count - 1) instructions"), "\(stats)")
        #expect(stats.standardError.contains("mean"), "\(stats)")
    }

    @Test func theDemoRuns() throws {
        let run = try Launcher.run(["demo"], timeout: 60)
        #expect(run.exitStatus == 0, "\(run)")
        for expected in ["Seccomp:\t2", "-1 EPERM", "killed by SIGSYS (signal 31)", "answered EACCES",
                         "mkdir(\"$TMP/secrets\", 0755) = -1 EACCES"] {
            #expect(run.standardOutput.contains(expected), "\"\(expected)\" missing: \(run)")
        }
    }
}
