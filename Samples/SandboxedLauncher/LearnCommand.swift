import ArgumentParser
import CBPF
import Glibc
import Seccomp
import SystemCalls
import SystemPackage

/// The format learn mode writes: `--format`.
enum LearnFormat: String, ExpressibleByArgument, CaseIterable {
    /// The native policy text (docs/seccomp-policy-format.md), for `--policy`.
    case policy
    /// A Docker/OCI profile, for `--profile` and `docker run --security-opt seccomp=`.
    case oci
}

/// `sandbox-launch learn`: runs a command under a filter that hands every system call to the
/// launcher, which lets it run and records it, then writes a policy that allows what was seen.
struct LearnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Run a command, record every system call it and its children make, and write a policy allowing them.",
        discussion: """
            The command runs under a filter whose every answer is SECCOMP_RET_USER_NOTIF, for every \
            architecture (calls of other conventions, such as x86's int 0x80 or x32 on x86_64, are \
            recorded with theirs, and the policy then covers that architecture too). The launcher \
            is the supervisor: it answers each call with SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the \
            kernel runs it, and records (architecture, system call). No call is exempt: the \
            listener reaches the launcher from a second, unfiltered thread of the child (a filter \
            applies to the thread that installs it), over a Unix socket (SCM_RIGHTS), while the \
            filtered thread waits in execve. Needs Linux 5.5 (CONTINUE); no privileges.

            The policy allows the calls seen and nothing else: default errno(EPERM) \
            (SCMP_ACT_ERRNO, errnoRet 1, in a profile), foreign-arch kill-process. It always \
            allows execve, write and exit_group, the calls sandbox-launch itself makes once the \
            filter is in, so that it can launch the command under the policy. With --args, \
            personality (arg0), socket (arg0, the family), clone (arg0 & 0x7e020000, the \
            namespace flags), ioctl (arg1, the request), prctl (arg0, the option) and fcntl \
            (arg1, the command) are allowed only with the values seen (at most 64 a call, else \
            any). clone3 cannot be checked: its flags are behind a pointer.

            The policy goes to the file of -o, or to standard output (after the command's own \
            output) without -o or with -o -. What was recorded goes to standard error: the \
            number of distinct calls per architecture, and the calls by systemd group (a call \
            in several groups under the one with the fewest members; calls in none under \
            "other"). The exit status is the command's (128 + N when signal N ended it). \
            Learning goes on until the processes the command started have ended too. SIGINT, \
            SIGTERM, SIGHUP and SIGQUIT are passed on to the command, and the policy holds what \
            it did until it ended; a signal after the command ended stops the wait for its \
            leftovers, whose calls then fail with ENOSYS.

            Examples:
              sandbox-launch learn -o ls.policy -- ls -la /
              sandbox-launch --policy ls.policy -- ls -la /
              sandbox-launch learn --format oci -o tar.json -- tar -cf a.tar dir
              sandbox-launch learn --merge tar.json -o tar.json -- tar -xf a.tar
              sandbox-launch learn --args -o py.policy -- python3 -c 'import socket'
            """
    )

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp(
        "Where to write the policy; - or none for standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp(
        "policy (the native text) or oci (Docker/OCI JSON). Default: oci when the -o file ends in .json, "
            + "else the format of the --merge file, else policy.", valueName: "format"))
    var format: LearnFormat?

    @Option(help: ArgumentHelp(
        "An earlier learned policy or profile (JSON when it starts with {): write the union of it and this run.",
        valueName: "file"))
    var merge: String?

    @Flag(name: .customLong("args"), help: "Also record the arguments listed above, and allow those calls only with the values seen.")
    var recordsArguments = false

    // For --help only: sandbox-launch's own post-terminator argument takes what follows `--`,
    // so ``command`` reads it from the command line.
    @Argument(parsing: .postTerminator, help: ArgumentHelp(
        "The command to run and its arguments, after --.", valueName: "command"))
    var commandHelp: [String] = []

    /// What follows the first `--` after `learn`.
    var command: [String] {
        let arguments = CommandLine.arguments
        guard let learn = arguments.firstIndex(of: "learn"),
            let terminator = arguments[learn...].firstIndex(of: "--")
        else { return commandHelp }
        return Array(arguments[(terminator + 1)...])
    }

    func validate() throws {
        if command.isEmpty {
            throw ValidationError("give a command after --, for example: sandbox-launch learn -o ls.policy -- ls /")
        }
        if let output, output.isEmpty { throw ValidationError("-o: give a file name, or - for standard output") }
    }

    func run() throws {
        let status: Int32
        do {
            status = try learn()
        } catch {
            printError("sandbox-launch learn: \(error)")
            throw ExitCode(error.exitCode)
        }
        if status != 0 { throw ExitCode(status) }
    }

    func learn() throws(LaunchError) -> Int32 {
        guard seccompIsAvailable(), SeccompInstaller.isAvailable(.userNotification) else {
            throw LaunchError(
                "this kernel cannot hand system calls to a supervisor (no seccomp filters, or no user_notif in "
                    + "/proc/sys/kernel/seccomp/actions_avail; Linux 5.0, and 5.5 for letting calls run)")
        }
        let merged = try merge.map { path throws(LaunchError) in try Self.readLearned(path) }
        let format = self.format ?? Self.defaultFormat(output: output, merged: merged?.format)
        let executable = try Executable.find(command[0])
        let destination = try LearnDestination(output)
        do {
            return try learn(executable, writingTo: destination, format: format, merged: merged?.policy)
        } catch {
            destination.discard()
            throw error
        }
    }

    /// Runs the command, reports, and writes the policy.
    func learn(
        _ executable: String, writingTo destination: borrowing LearnDestination, format: LearnFormat,
        merged: LearnedPolicy?
    ) throws(LaunchError) -> Int32 {
        let outcome = try LearnSupervisor(executable: executable, command: command, recordsArguments: recordsArguments).run()

        let shown = command.map(Self.shellQuoted).joined(separator: " ")
        report(outcome, shown: shown)
        guard !outcome.supervisionFailed else {
            throw LaunchError("no policy written: the supervisor stopped before the command ended, so the record is incomplete")
        }
        guard outcome.learned.droppedCalls == 0 else {
            throw LaunchError(
                "no policy written: more than \(LearnedCalls.maximumCalls) distinct system calls were made, which no "
                    + "program does; the command is making up numbers")
        }

        var learned = LearnedPolicy(outcome.learned)
        if var earlier = merged {
            earlier.formUnion(learned)
            learned = earlier
        }
        let text = try Self.text(of: learned, format: format)
        try destination.write(text)
        let kind = format == .oci ? "an OCI profile" : "a policy"
        let written = "wrote \(kind) to " + (destination.path ?? "standard output")
        let merging = merge.map { ", merged with \($0)" } ?? ""
        let rerun = destination.path.map {
            "; run it with: sandbox-launch --\(format == .oci ? "profile" : "policy") \(Self.shellQuoted($0)) -- \(shown)"
        } ?? ""
        printError("sandbox-launch learn: \(written) (\(learned.allowances.count) calls allowed\(merging))\(rerun)")
        return outcome.launcherExitStatus
    }

    /// How the command ended, and what was recorded, on standard error.
    func report(_ outcome: LearnOutcome, shown: String) {
        let ending = outcome.signal.map { "was killed by \(signalName($0)) (signal \($0))" }
            ?? "exited with status \(outcome.exitStatus ?? -1)"
        printError("sandbox-launch learn: \(shown) \(ending)")
        if let signal = outcome.interruption {
            printError("sandbox-launch learn: \(signalName(signal)) came while it ran: the policy holds the calls made until it ended")
        }
        if outcome.abandonedDescendants {
            printError("sandbox-launch learn: processes it started still ran; they now get ENOSYS from every call")
        }
        for line in LearnReport(learned: outcome.learned).lines { printError("  " + line) }
        let recordedNames = Set(outcome.learned.calls.compactMap(\.name))
        let added = LauncherSyscalls.needs.map(\.name).filter { !recordedNames.contains($0) }
        if !added.isEmpty {
            printError("  also allowed, as the launcher makes them at execve: " + added.joined(separator: " "))
        }
    }

    /// `word`, or `'word'` when a shell would split or expand it.
    static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return plain ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// `oci` for an `-o` file ending in `.json`, else the `--merge` file's format, else `policy`.
    static func defaultFormat(output: String?, merged: LearnFormat?) -> LearnFormat {
        if let output, output.lowercased().hasSuffix(".json") { return .oci }
        return merged ?? .policy
    }

    /// Reads an earlier learned policy or profile: JSON when its first character other than
    /// white space is `{`, the native text otherwise.
    static func readLearned(_ path: String) throws(LaunchError) -> (policy: LearnedPolicy, format: LearnFormat) {
        let text = try readTextFile(path)
        let isJSON = text.trimmed.hasPrefix("{")
        // A profile's includes and excludes are read for Docker's default capabilities, as --profile reads them.
        let source = isJSON ? SeccompPolicySource(ociProfile: text, name: path) : SeccompPolicySource(policyText: text, name: path)
        let policy: SeccompPolicy
        do {
            policy = try source.load().policy
        } catch {
            throw LaunchError("--merge: \(error)")
        }
        return (try LearnedPolicy(merging: policy, name: path, isProfile: isJSON), isJSON ? .oci : .policy)
    }

    /// The policy as text in `format`, checked first: it must compile, so that it can be
    /// launched.
    static func text(of learned: LearnedPolicy, format: LearnFormat) throws(LaunchError) -> String {
        var policy = learned.policy
        do {
            _ = try SeccompCompiler().compileVerified(try policy.resolve())
        } catch {
            throw LaunchError("the learned policy does not compile: \(error)")
        }
        switch format {
        case .policy:
            let text = policy.text
            return text.hasSuffix("\n") ? text : text + "\n"
        case .oci:
            let numbers = learned.rawNumbers
            if !numbers.isEmpty {
                printError(
                    "sandbox-launch learn: left out of the profile, which names calls: the numbers "
                        + numbers.map(String.init).joined(separator: ", ")
                        + ", which libseccomp has no name for (the policy format can allow them)")
                policy.rules.removeAll { rule in
                    if case .syscall(let syscall) = rule.target { return syscall.number != nil }
                    return false
                }
            }
            do {
                return try policy.ociProfileJSON() + "\n"
            } catch {
                throw LaunchError("the learned calls cannot be written as an OCI profile: \(error)")
            }
        }
    }
}
