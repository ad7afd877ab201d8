import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input: every error must end the process with a non-zero status (never a signal), print
/// nothing on standard output, and say on standard error what is wrong, where and why.
@Suite("cbpf errors", .enabled(if: CLI.isAvailable, "skipped: the cbpf executable is not next to the test bundle"))
struct ErrorTests {
    static let goodPolicy = """
        default errno(EPERM)
        allow read write exit_group
        """

    @Test func missingFilesAreNamed() throws {
        let missing = "/nonexistent-cbpf-test/missing.file"
        let commands: [[String]] = [
            ["asm", missing],
            ["seccomp", "compile", "--policy", missing],
            ["seccomp", "compile", "--profile", missing],
            ["seccomp", "eval", "--policy", missing, "--arch", "x86_64", "--syscall", "read"],
            ["seccomp", "stats", "--profile", missing],
            ["seccomp", "export-profile", "--policy", missing],
        ]
        for command in commands {
            // Why it cannot be read: the system's reason.
            try CLI.fail(command, mentioning: ["cannot read \(missing): No such file or directory"])
        }
        // Other reasons: a directory, and (unless root, who may read anything) a file without
        // read permission.
        let directory = try TemporaryDirectory()
        try CLI.fail(["asm", directory.url.path], mentioning: [directory.url.path, "Is a directory"])
        try CLI.fail(["seccomp", "compile", "--policy", directory.url.path], mentioning: [directory.url.path, "Is a directory"])
        let locked = try directory.write("locked.policy", Self.goodPolicy)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked)
        if geteuid() != 0 {
            try CLI.fail(["seccomp", "compile", "--policy", locked], mentioning: [locked, "Permission denied"])
        }
    }

    @Test func malformedPolicyLinesGiveLineColumnAndReason() throws {
        let directory = try TemporaryDirectory()
        let cases: [(text: String, mentions: [String])] = [
            ("default errno(EPERM)\nalow read\n", ["2:1", "unknown action", "alow"]),
            ("default errno(EPERM)\nallow mmap arg2 & 0x4 != 0\n", ["2:", "!=", "mask"]),
            ("default errno(EPERM)\nallow read arg9 == 1\n", ["2:", "arg9"]),
            ("allow read\n", ["default"]),
            ("default errno(EPERM)\narch sparc\n", ["2:", "sparc"]),
            ("default errno(99999)\n", ["1:", "99999"]),
        ]
        for (index, (text, mentions)) in cases.enumerated() {
            let path = try directory.write("bad\(index).policy", text)
            for command in [["seccomp", "compile"], ["seccomp", "stats"], ["seccomp", "export-profile"]] {
                // FILE:LINE:COLUMN, as compilers give it.
                let located = mentions[0].contains(":") ? "\(path):\(mentions[0])" : path
                try CLI.fail(command + ["--policy", path], mentioning: mentions + [located])
            }
        }
        // The same from standard input.
        try CLI.fail(["seccomp", "compile", "--policy", "-"], input: Array("default errno(EPERM)\nalow read\n".utf8),
                     mentioning: ["<stdin>:2:1", "alow"])
    }

    /// With --arch, the rules are checked against those architectures, and errors still point
    /// at the line in the file.
    @Test func archOverridesAreCheckedAtTheRulesLine() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(
            "open.policy", "default errno(EPERM)\narch x86_64\n# files\nallow read open\n")
        _ = try CLI.succeed(["seccomp", "compile", "--policy", path])
        try CLI.fail(["seccomp", "compile", "--policy", path, "--arch", "aarch64"],
                     mentioning: ["\(path):4:12", "open", "aarch64"])
        try CLI.fail(["seccomp", "stats", "--policy", path, "--arch", "aarch64,riscv64"],
                     mentioning: ["\(path):4:12", "open", "aarch64, riscv64"])
        // Where one of the architectures has the call, the others do without it, as in libseccomp.
        _ = try CLI.succeed(["seccomp", "stats", "--policy", path, "--arch", "x86_64,aarch64"])
        // The file's own architecture does not matter when --arch replaces it.
        let arm = try directory.write("arm.policy", "default errno(EPERM)\narch aarch64\nallow open\n")
        try CLI.fail(["seccomp", "compile", "--policy", arm], mentioning: ["\(arm):3:7", "open", "aarch64"])
        _ = try CLI.succeed(["seccomp", "compile", "--policy", arm, "--arch", "x86_64"])
        try CLI.fail(["seccomp", "compile", "--policy", arm, "--arch", "x86_64,x86_64"], mentioning: ["--arch", "x86_64", "twice"])
        // A syntax error is reported even where --arch replaces the line.
        let bad = try directory.write("bad.policy", "default errno(EPERM)\narch sparc\nallow read\n")
        try CLI.fail(["seccomp", "compile", "--policy", bad, "--arch", "x86_64"], mentioning: ["\(bad):2:6", "sparc"])
    }

    @Test func unknownSystemCallsAreNamedWithTheArchitecture() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("unknown.policy", "default errno(EPERM)\nallow read\nallow frobnicate\n")
        try CLI.fail(["seccomp", "compile", "--policy", path], mentioning: ["3:7", "frobnicate", "x86_64", "unknown system call"])
        let good = try directory.write("good.policy", Self.goodPolicy)
        try CLI.fail(
            ["seccomp", "eval", "--policy", good, "--arch", "x86_64", "--syscall", "frobnicate"],
            mentioning: ["frobnicate", "x86_64"])
        // A name libseccomp knows but the architecture lacks.
        let aarch64 = try directory.write("aarch64.policy", "default errno(EPERM)\narch aarch64\nallow open\n")
        try CLI.fail(["seccomp", "compile", "--policy", aarch64], mentioning: ["open", "aarch64"])
    }

    @Test func contradictionsNameBothRules() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(
            "contradiction.policy", "default errno(EPERM)\nallow write\nerrno(EACCES) write\n")
        try CLI.fail(["seccomp", "compile", "--policy", path], mentioning: ["3:1", "line 2", "allow write", "never"])
    }

    @Test func tooLongFiltersSayByHowMuch() throws {
        let rules = (1 ... 5_000).map { "allow read arg0 == \($0)\n" }.joined()
        try CLI.fail(
            ["seccomp", "compile", "--policy", "-"], input: Array(("default errno(EPERM)\narch x86_64\n" + rules).utf8),
            mentioning: ["<stdin>: the filter needs at least 5008 instructions, 912 more than the kernel's limit of 4096",
                         "5003 for 5000 rules"])
    }

    @Test func badArchitecturesAreNamed() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("good.policy", Self.goodPolicy)
        for command in [
            ["seccomp", "compile", "--policy", policy, "--arch", "sparc"],
            ["seccomp", "compile", "--policy", policy, "--arch", "x86_64,sparc"],
            ["seccomp", "stats", "--policy", policy, "--arch", "sparc"],
            ["seccomp", "export-profile", "--policy", policy, "--arch", "sparc"],
            ["seccomp", "eval", "--policy", policy, "--arch", "sparc", "--syscall", "read"],
            ["run", "--target", "seccomp", "--arch", "sparc", "--nr", "0", "1,6 0 0 0"],
        ] {
            // The known names, so that the user can pick one.
            try CLI.fail(command, mentioning: ["--arch", "sparc", "architecture", "x86_64", "aarch64", "riscv64"])
        }
        try CLI.fail(["seccomp", "compile", "--policy", policy, "--arch", ""], mentioning: ["--arch"])
        // A profile for an architecture it does not map.
        if let profile = Paths.dockerProfile {
            try CLI.fail(["seccomp", "compile", "--profile", profile, "--arch", "x86_64,aarch64"],
                         mentioning: [profile, "aarch64", "does not cover"])
        }
    }

    @Test func badFormatsAndOptionsAreUsageErrors() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("good.policy", Self.goodPolicy)
        // swift-argument-parser's usage errors exit with EX_USAGE (64).
        try CLI.fail(["seccomp", "compile", "--policy", policy, "--format", "xml"], status: 64,
                     mentioning: ["xml", "--format", "bytecode", "raw"])
        try CLI.fail(["seccomp", "compile"], status: 64, mentioning: ["--profile", "--policy"])
        try CLI.fail(["seccomp", "compile", "--policy", policy, "--profile", policy], status: 64,
                     mentioning: ["--profile", "--policy"])
        try CLI.fail(["verify", "--target", "bogus", "1,6 0 0 0"], status: 64, mentioning: ["bogus", "--target"])
        try CLI.fail(["run", "1,6 0 0 0"], status: 64, mentioning: ["--packet"])
        try CLI.fail(["run", "--target", "seccomp", "--arch", "x86_64", "1,6 0 0 0"], status: 64, mentioning: ["--nr"])
        try CLI.fail(["disasm", "-d", "--asm", "1,6 0 0 0"], status: 64, mentioning: ["-d", "--asm"])
        try CLI.fail(["asm", "-d", "-ddd", "-"], status: 64, mentioning: ["-d"])
        try CLI.fail(["frobnicate"], status: 64, mentioning: ["frobnicate"])
    }

    @Test func badProgramsAndArgumentsAreExplained() throws {
        try CLI.fail(["disasm", "3,6 0 0 0"], mentioning: ["3", "1"])
        try CLI.fail(["disasm", "2,6 0 0 0,6 0 x 0"], mentioning: ["x"])
        try CLI.fail(["disasm", "-"], input: Array("not a program".utf8), mentioning: ["not"])
        try CLI.fail(["run", "--packet", "abc", "1,6 0 0 0"], mentioning: ["--packet", "odd"])
        try CLI.fail(["run", "--packet", "zz", "1,6 0 0 0"], mentioning: ["--packet", "zz"])
        try CLI.fail(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "0", "--args", "1,2,3,4,5,6,7", "1,6 0 0 0"],
                     mentioning: ["six", "7"])
        try CLI.fail(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "0", "--args", "1,q", "1,6 0 0 0"],
                     mentioning: ["--args", "argument 1", "q"])
        // An empty field is an error, not an argument left out: ",5" is not arg0 = 5.
        let directory = try TemporaryDirectory()
        let policy = try directory.write("allow.policy", "default allow\n")
        for (args, index) in [(",5", 0), ("5,,5", 1), ("5,", 1), ("", 0)] {
            try CLI.fail(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "0", "--args", args, "1,6 0 0 0"],
                         mentioning: ["--args \"\(args)\"", "argument \(index) is empty"])
            try CLI.fail(["seccomp", "eval", "--policy", policy, "--arch", "x86_64", "--syscall", "read", "--args", args],
                         mentioning: ["--args \"\(args)\"", "argument \(index) is empty"])
        }
        // A program the interpreter's target refuses names the rule.
        try CLI.fail(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "0", "2,40 0 0 12,6 0 0 0"],
                     mentioning: ["seccomp"])
        let source = try directory.write("bad.s", "ldh [12]\njne #0x806, nowhere\nret #0\n")
        try CLI.fail(["asm", source], mentioning: ["nowhere"])
    }

    @Test func badProfilesGiveThePlaceInTheJSON() throws {
        let directory = try TemporaryDirectory()
        let truncated = try directory.write("truncated.json", "{\"defaultAction\": ")
        try CLI.fail(["seccomp", "compile", "--profile", truncated], mentioning: ["\(truncated):1:19", "cut short"])
        let unknownAction = try directory.write(
            "action.json", #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALOW"}]}"#)
        try CLI.fail(["seccomp", "compile", "--profile", unknownAction],
                     mentioning: ["\(unknownAction):1:", "syscalls[0].action", "SCMP_ACT_ALOW", "SCMP_ACT_ALLOW"])
        let bigErrno = try directory.write(
            "errno.json",
            #"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#)
        try CLI.fail(["seccomp", "compile", "--profile", bigErrno], mentioning: [bigErrno, "5000", "4095"])
    }

    /// Options that would change nothing, or a capability nobody has heard of, should not pass
    /// in silence.
    @Test func ignoredCapabilitiesAreNotSilent() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("good.policy", Self.goodPolicy)
        // --caps only selects a profile's entries: with --policy it is a usage error.
        for command in [["seccomp", "eval"], ["seccomp", "compile"], ["seccomp", "stats"], ["seccomp", "export-profile"]] {
            var arguments = command + ["--policy", policy, "--caps", "CAP_SYS_ADMIN"]
            if command == ["seccomp", "eval"] { arguments += ["--arch", "x86_64", "--syscall", "read"] }
            try CLI.fail(arguments, status: 64, mentioning: ["--caps", "--policy", "--profile"])
        }
        // A misspelt capability is named, with the likely one; every unknown name is listed.
        let profile = try directory.write(
            "caps.json",
            #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}"#)
        try CLI.fail(
            ["seccomp", "eval", "--profile", profile, "--caps", "CAP_SYS_ADMN", "--arch", "x86_64", "--syscall", "mount"],
            status: 64, mentioning: ["--caps", "CAP_SYS_ADMN", "did you mean CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"])
        try CLI.fail(
            ["seccomp", "compile", "--profile", profile, "--caps", "sys_admin, CAP_FROB,NET_ADMN"],
            status: 64, mentioning: ["CAP_FROB", "NET_ADMN", "CAP_NET_ADMIN"])
        // Correct names, with or without CAP_, and the named sets.
        let eval = ["seccomp", "eval", "--profile", profile, "--arch", "x86_64", "--syscall", "mount"]
        for (caps, action) in [("sys_admin", "ALLOW"), ("CAP_CHOWN,CAP_SYS_ADMIN", "ALLOW"), ("all", "ALLOW"),
                               ("none", "ERRNO(1)"), ("docker-default", "ERRNO(1)"), ("CAP_CHECKPOINT_RESTORE", "ERRNO(1)")] {
            let run = try CLI.succeed(eval + ["--caps", caps])
            #expect(seccompAction(run) == action, "--caps \(caps): \(run)")
        }
        let byDefault = try CLI.succeed(eval)
        #expect(seccompAction(byDefault) == "ERRNO(1)", "docker-default without --caps: \(byDefault)")
    }

    /// A policy the Docker/OCI format cannot express is refused, not exported with another meaning.
    @Test func exportRefusesWhatTheFormatCannotSay() throws {
        let directory = try TemporaryDirectory()
        let ordered = try directory.write(
            "ordered.policy", "default errno(EPERM)\nerrno(EAFNOSUPPORT) socket arg0 == 10\nallow socket\n")
        try CLI.fail(["seccomp", "export-profile", "--policy", ordered], mentioning: ["socket"])
        let ordering = try CLI.fail(["seccomp", "export-profile", "--policy", ordered], mentioning: [ordered, "rule 2"])
        #expect(ordering.standardError.contains("errno(EAFNOSUPPORT) socket"), "the rule's text: \(ordering)")
        // Settings of the whole policy that the format has no place for: the profile is written
        // (runtimes choose for themselves), with a warning naming each.
        let enosys = try directory.write(
            "enosys.policy", "default errno(EPERM)\nforeign-arch kill-thread\nunknown-syscalls enosys\nallow read\n")
        let run = try CLI.succeed(["seccomp", "export-profile", "--policy", enosys])
        #expect(run.standardError.contains("\(enosys): warning:") && run.standardError.contains("unknown-syscalls enosys"),
                "\(run)")
        #expect(!run.standardError.contains("foreign-arch"), "kill-thread is what runtimes do: \(run)")
        #expect((try? JSONSerialization.jsonObject(with: Data(run.standardOutputBytes))) != nil, "\(run)")
        let foreign = try directory.write("foreign.policy", "default errno(EPERM)\nforeign-arch errno(EPERM)\nallow read\n")
        let foreignRun = try CLI.succeed(["seccomp", "export-profile", "--policy", foreign])
        #expect(foreignRun.standardError.contains("foreign-arch errno(EPERM)") && foreignRun.standardError.contains("warning"),
                "\(foreignRun)")
        #expect(!foreignRun.standardError.contains("enosys"), "\(foreignRun)")
        // A profile exports without a word: it has neither setting.
        let profile = try directory.write(
            "plain.json", #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#)
        let fromProfile = try CLI.succeed(["seccomp", "export-profile", "--profile", profile, "--arch", "x86_64"])
        #expect(fromProfile.standardError.isEmpty, "\(fromProfile)")
    }

    /// A negative number is a value, not an option: `--syscall -1`, `--nr -1`, `--args -1`.
    @Test func negativeNumbersAreValues() throws {
        let directory = try TemporaryDirectory()
        let policy = try directory.write("good.policy", "default errno(EPERM)\narch x86_64 x32\nallow read\n")
        // -1 is x86_64's (tracers use it to skip a call): the default action; -5 is x32's range.
        for (syscall, action) in [("-1", "ERRNO(1)"), ("-5", "ERRNO(1)"), ("0", "ALLOW")] {
            let eval = try CLI.succeed(["seccomp", "eval", "--policy", policy, "--arch", "x86_64", "--syscall", syscall])
            #expect(seccompAction(eval) == action, "--syscall \(syscall): \(eval)")
            let joined = try CLI.succeed(["seccomp", "eval", "--policy", policy, "--arch", "x86_64", "--syscall=\(syscall)"])
            #expect(joined.standardOutput == eval.standardOutput)
        }
        // A filter that returns the low word of arg0 when nr is -1, else nr.
        let program = "4,32 0 0 0,21 0 1 4294967295,32 0 0 16,22 0 0 0"
        let run = try CLI.succeed(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "-1", "--args", "-3", program])
        #expect(run.trimmedOutput.hasPrefix("0xfffffffd"), "\(run)")
        let other = try CLI.succeed(["run", "--target", "seccomp", "--arch", "x86_64", "--nr", "-2", "--args", "-3", program])
        #expect(other.trimmedOutput.hasPrefix("0xfffffffe"), "\(other)")
        try CLI.fail(["seccomp", "eval", "--policy", policy, "--arch", "x86_64", "--syscall", "-x"],
                     mentioning: ["-x", "unknown system call"])
    }
}
