import ArgumentParser
import CBPF
import Glibc
import LibseccompReference
import Seccomp
import SystemCalls

/// A first look at the launcher: a policy, its filter, and what the kernel does with commands
/// and system calls under it. Every filtered process is a child (this executable again, started
/// with posix_spawn); the demo itself never installs a filter.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run commands and system calls under the built-in policy and show what the kernel did."
    )

    @Flag(help: "Leave out the timing part (its figures vary from run to run).")
    var noTiming = false

    func run() throws {
        guard seccompIsAvailable() else {
            printError("sandbox-launch demo: this kernel has no seccomp filters (no Seccomp field in "
                + "/proc/self/status, or no /proc/sys/kernel/seccomp/actions_avail); nothing to show")
            throw ExitCode(1)
        }
        do {
            try Demo(includesTiming: !noTiming).run()
        } catch {
            printError("sandbox-launch demo: \(error)")
            throw ExitCode(error.exitCode)
        }
    }
}

/// The demonstration itself.
struct Demo {
    let includesTiming: Bool
    let me = selfExecutablePath()
    let native = SeccompArchitecture.native

    func run() throws(LaunchError) {
        var system = utsname()
        uname(&system)
        let release = withUnsafeBytes(of: system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        print("""
            sandbox-launch demo: commands under a seccomp filter compiled by swift-cbpf
            Linux \(release), \(native); libseccomp \(LibseccompVersion.current) names the system calls (and is compared in 2)

            Each filtered command runs in a child process: this program again, which compiles the
            policy, installs the filter on itself and execs the command. The demo is never filtered.
            """)
        let defaults: PolicyOptions
        do {
            defaults = try PolicyOptions.parse([])
        } catch {
            throw LaunchError("\(error)")
        }
        let compiled = try defaults.build()
        showPolicy(compiled)
        showFilter(compiled)
        try showCommands()
        try showDeniedCalls()
        try showDenyActions()
        if includesTiming { try showActionCache(compiled) }
        try showSupervisor()
        try showLearnMode()
        section("Next")
        print("""
            This program is \(me) (swift run sandbox-launch ARGS also works). Try:
              sandbox-launch --help                                 all options
              sandbox-launch --stats --print-filter d -- /bin/true  the filter, then a command
              sandbox-launch --allow @mount --deny-action kill -- CMD
              sandbox-launch --policy FILE -- CMD                   docs/seccomp-policy-format.md
              sandbox-launch --profile FILE.json -- CMD             a Docker/OCI profile
              sandbox-launch learn -o FILE -- CMD                   learn a policy from CMD
            """)
    }

    func section(_ title: String) {
        print("\n== \(title) ==\n")
    }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    // MARK: 1 and 2: the policy and its filter

    func showPolicy(_ compiled: CompiledPolicy) {
        section("1. The policy: --preset service, written with the Swift DSL (as text)")
        print(compiled.policy.text, terminator: compiled.policy.text.hasSuffix("\n") ? "" : "\n")
        let members = SyscallGroup.systemService.syscallNames
        let known = members.filter { (try? native.resolve($0).numbers.isEmpty) == false }
        print("\n@system-service is systemd's set: \(members.count) names, \(known.count) of them system calls "
            + "on \(native)")
    }

    func showFilter(_ compiled: CompiledPolicy) {
        section("2. The filter: SeccompCompiler, next to libseccomp for the same policy")
        let ours = try? SeccompFilterStatistics(program: compiled.program, policy: compiled.resolved)
        let numbers = (try? native.knownSyscallNumbers()) ?? []
        let libseccomp = try? LibseccompFilter.program(for: compiled.policy, optimization: 2)
        let theirs = libseccomp.flatMap { try? SeccompFilterStatistics(program: $0, policy: compiled.resolved) }
        func line(_ name: String, _ program: Program?, _ statistics: SeccompFilterStatistics?) {
            guard let program, let figures = statistics?.architectures.first else {
                print(pad(name, 24) + "(not available)")
                return
            }
            let mean = (figures.meanExecutedInstructions * 100).rounded() / 100
            let allowed = (try? SeccompActionCache(program))?.allowedSyscalls(on: native.auditArchitecture) ?? []
            let cached = numbers.filter(allowed.contains).count
            print(pad(name, 24) + pad("\(program.count)", 14) + pad("\(mean) / \(figures.maximumExecutedInstructions)", 14)
                + "\(cached) of \(numbers.count)")
        }
        let range = ours?.architectures.first.map { "\($0.numbers.lowerBound)...\($0.numbers.upperBound)" } ?? ""
        print(pad("", 24) + pad("instructions", 14) + pad("mean / max", 14) + "calls the kernel's action cache allows")
        print(pad("", 24) + pad("", 14) + pad("executed", 14) + "without running the filter")
        line("ours (SeccompCompiler)", compiled.program, ours)
        line("libseccomp, optimize 2", libseccomp, theirs)
        print("""

            "executed" counts the instructions run for each \(native) number \(range), arguments zero.
            The filter checks the architecture, then finds the number in a search tree; only clone
            and personality need their arguments checked. Its first instructions (tcpdump -d):
            """)
        let listing = TcpdumpFormat.format(compiled.program, style: .listing).split(separator: "\n")
        for text in listing.prefix(6) { print("  " + text) }
        print("  ... (sandbox-launch --print-filter d shows all \(listing.count))")
    }

    // MARK: 3: commands and system calls under the filter

    /// This program, filtered by the default policy plus `options`, running `command`.
    func launched(_ options: [String], _ command: [String]) throws(LaunchError) -> ChildOutcome {
        try ChildProcess.run(me, options + ["--"] + command)
    }

    func showCommands() throws(LaunchError) {
        section("3. A command that works under the policy")
        let script = "grep -E '^(NoNewPrivs|Seccomp)' /proc/self/status; echo hello from a filtered shell"
        print("$ sandbox-launch -- /bin/sh -c \"\(script)\"")
        let outcome = try launched([], ["/bin/sh", "-c", script])
        for line in outcome.output.split(separator: "\n") { print("  " + line) }
        print("  -> \(outcome.ending). The shell forked and ran grep: both inherited the filter, which the")
        print("     kernel reports as Seccomp: 2 (filter mode) with NO_NEW_PRIVS set by SeccompInstaller.")
    }

    /// A raw system call for the probe helper, with what it is for.
    struct Probe {
        var shown: String
        var arguments: [String]
        var why: String
    }

    static let probes = [
        Probe(shown: "getuid()", arguments: ["getuid"], why: "in @default, part of @system-service"),
        Probe(shown: "personality(0xffffffff)", arguments: ["personality", "0xffffffff"],
              why: "LockPersonality: reading the persona is allowed"),
        Probe(shown: "personality(PER_LINUX32)", arguments: ["personality", "8"],
              why: "LockPersonality: changing it is not (an argument check)"),
        Probe(shown: "mount(\"none\", \"/nonexistent\", \"tmpfs\")", arguments: ["mount", "none", "/nonexistent", "tmpfs", "0", "0"],
              why: "@mount is not in @system-service"),
        Probe(shown: "unshare(CLONE_NEWUSER)", arguments: ["unshare", "0x10000000"],
              why: "RestrictNamespaces: carved out of @process"),
        Probe(shown: "clone3(NULL, 0)", arguments: ["clone3", "0", "0"],
              why: "ENOSYS, so that glibc falls back to clone, whose flags a filter can see"),
        Probe(shown: "ptrace(PTRACE_CONT, 0)", arguments: ["ptrace", "7", "0", "0", "0"],
              why: "@debug is not in @system-service"),
        Probe(shown: "kexec_load(0, ~0, 0, 0)", arguments: ["kexec_load", "0", "-1", "0", "0"],
              why: "@reboot is not in @system-service"),
    ]

    /// `0` or `-1 EPERM`, as the probe printed the kernel's answer, or how the child ended.
    func answer(_ outcome: ChildOutcome) -> String {
        let lines = outcome.output.split(separator: "\n")
        guard outcome.exitStatus != nil, let line = lines.last(where: { $0.contains(") = ") }),
            let range = line.firstRange(of: ") = ")
        else { return outcome.ending }
        return line[range.upperBound...].prefix { $0 != "(" }.trimmed
    }

    func showDeniedCalls() throws(LaunchError) {
        section("4. Raw system calls under the policy (denied ones get errno:EPERM, the default)")
        print("Each call is made raw by `sandbox-launch probe NAME ARGS`, once as it is and once as")
        print("`sandbox-launch -- sandbox-launch probe ...`; the answers are the kernel's return values.\n")
        print(pad("call", 41) + pad("no filter", 14) + pad("filtered", 14) + "why")
        for probe in Self.probes {
            let free = try ChildProcess.run(me, ["probe"] + probe.arguments)
            let filtered = try launched([], [me, "probe"] + probe.arguments)
            print(pad(probe.shown, 41) + pad(answer(free), 14) + pad(answer(filtered), 14) + probe.why)
        }
    }

    func showDenyActions() throws(LaunchError) {
        section("5. Other answers: --deny-action")
        let mount = Self.probes.first { $0.arguments[0] == "mount" }!
        print("The same mount call, with the policy's default action replaced:\n")
        let cases: [(String, String)] = [
            ("errno:EROFS", "SECCOMP_RET_ERRNO: any errno the policy chooses"),
            ("kill", "SECCOMP_RET_KILL_PROCESS: the call never returns"),
            ("trap", "SECCOMP_RET_TRAP: a SIGSYS the program could catch; the probe does not"),
            ("log", "SECCOMP_RET_LOG: the call runs (ENOENT here), and the kernel logs it"),
        ]
        for (action, meaning) in cases {
            let outcome = try launched(["--deny-action", action], [me, "probe"] + mount.arguments)
            print(pad("--deny-action \(action)", 28) + pad(answer(outcome), 34) + meaning)
        }
    }

    // MARK: 6: the action cache

    func showActionCache(_ compiled: CompiledPolicy) throws(LaunchError) {
        section("6. The kernel's action cache")
        let evaluator = try? CountingSeccompEvaluator(compiled.filter)
        func executed(_ name: String, _ arguments: [UInt64]) -> Int {
            guard let number = try? native.resolve(name).numbers.first, let evaluator else { return 0 }
            return evaluator.run(SeccompData(emulating: native, number: number, arguments: arguments)).executedInstructions
        }
        let free = try ChildProcess.run(me, ["timing"])
        let filtered = try launched([], [me, "timing"])
        func figures(_ outcome: ChildOutcome) -> [String: Double] {
            var result = [String: Double]()
            for line in outcome.output.split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.count == 2, let value = Double(words[1]) { result[String(words[0])] = value }
            }
            return result
        }
        let (before, after) = (figures(free), figures(filtered))
        func ns(_ value: Double?) -> String { value.map { "\(Int($0.rounded())) ns" } ?? "?" }
        print("ns per call, median of 15 batches of 20000 (these vary from run to run):\n")
        print(pad("call", 26) + pad("no filter", 12) + "filtered")
        let cache = try? SeccompActionCache(compiled.filter)
        for (name, shown, arguments) in [("getppid", "getppid()", [UInt64]()),
                                          ("personality", "personality(0xffffffff)", [Preset.personalityQuery])] {
            let number = (try? native.resolve(name).numbers.first).flatMap { $0 } ?? -1
            let cached = cache?.isConstantAllow(number: number, architecture: native.auditArchitecture) ?? false
            let steps = executed(name, arguments)
            print(pad(shown, 26) + pad(ns(before[name]), 12) + pad(ns(after[name]), 12)
                + (cached ? "allowed from the cache: its \(steps)-instruction path never runs"
                    : "the filter runs: \(steps) instructions, with an argument check"))
        }
        print("""

            When a filter is attached, the kernel emulates it once per number with the arguments
            unknown; numbers it always allows skip the filter from then on. The compiler keeps the
            number dispatch within what that emulation follows, so every unconditionally allowed call
            is cached (section 2 counts them).
            """)
    }

    // MARK: 7: a supervisor

    func showSupervisor() throws(LaunchError) {
        section("7. A supervisor answering system calls (SECCOMP_RET_USER_NOTIF)")
        print("""
            A filter cannot read memory, so it cannot decide on a path. Here a child installs
            `default allow` + `user-notif mkdir mkdirat` with SECCOMP_FILTER_FLAG_NEW_LISTENER, passes
            the listener to the demo over a Unix socket (SCM_RIGHTS), and makes two directories. The
            demo, as supervisor, reads each path from /proc/PID/mem and answers:

            """)
        var template = Array("/tmp/sandbox-launch-demo-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LaunchError("mkdtemp: \(errorMessage(errno))") }
        let directory = String(cString: made)
        defer {
            for name in NotifyClientCommand.names { rmdir(directory + "/" + name) }
            rmdir(directory)
        }
        let sockets: OwnedFileDescriptor.SocketPair
        do {
            sockets = try OwnedFileDescriptor.socketPair()
        } catch {
            throw LaunchError("socketpair: \(error.errno)")
        }
        let child = try ChildProcess(me, ["notify-client", directory], passing: sockets.second.descriptor)
        try? sockets.second.close()
        let received = DescriptorPassing.receive(over: sockets.first.descriptor, timeout: 10_000)
        try? sockets.first.close()
        var decisions = [String]()
        let listenerArrived = received != nil
        if let received {
            decisions = MkdirSupervisor.supervise(SeccompNotificationListener(received.descriptor), directory: directory)
        }
        let outcome = try child.finish()
        for line in decisions { print("  supervisor: " + line) }
        if !listenerArrived { print("  supervisor: no listener arrived") }
        for line in outcome.output.split(separator: "\n") { print("  child:      " + line) }
        let created = NotifyClientCommand.names.filter { access(directory + "/" + $0, F_OK) == 0 }
        print("  on disk:    \(created.isEmpty ? "nothing" : created.map { "$TMP/" + $0 }.joined(separator: ", ")); child \(outcome.ending)")
    }
}
