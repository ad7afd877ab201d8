import ArgumentParser
import CBPF
import Glibc
import Seccomp

/// The launcher: build the policy, compile it, install it on this process, and `execve` the
/// command, which keeps the filter (the way minijail0 works; no fork is needed).
struct SandboxLaunch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-launch",
        abstract: "Run a command under a seccomp filter compiled by swift-cbpf.",
        discussion: """
            The policy is compiled with SeccompCompiler, installed with SeccompInstaller (with \
            PR_SET_NO_NEW_PRIVS) on this process, and kept by the command across execve.

            Examples:
              sandbox-launch -- /bin/ls /
              sandbox-launch --deny-action kill -- /bin/sh -c 'echo hi'
              sandbox-launch --allow @mount -- mount -t tmpfs none /mnt
              sandbox-launch --policy my.policy --stats -- ./server
              sandbox-launch --profile docker.json --print-filter d
              sandbox-launch learn -o ls.policy -- ls -la /     (then --policy ls.policy)
              sandbox-launch demo
            """,
        subcommands: [
            DemoCommand.self, LearnCommand.self, ProbeCommand.self, NotifyClientCommand.self, TimingCommand.self,
            LearnExecCommand.self,
        ]
    )

    @OptionGroup var policyOptions: PolicyOptions

    @Option(name: .customLong("print-filter"), help: ArgumentHelp(
        """
        Print the filter: d (tcpdump -d listing), ddd (tcpdump -ddd) or bytecode (tc's string). \
        To standard output without a command, else to standard error.
        """, valueName: "format"))
    var printFilter: FilterFormat?

    @Flag(help: "Print the filter's length and the instructions it executes per call (mean, max).")
    var stats = false

    @Flag(help: "Ask the kernel to log every action other than ALLOW (SECCOMP_FILTER_FLAG_LOG).")
    var log = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp(
        "The command to run and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func run() throws {
        // Checked here, not in validate(), which also runs before a subcommand.
        if command.isEmpty, printFilter == nil, !stats {
            throw ValidationError("give a command after --, for example: sandbox-launch -- /bin/ls /")
        }
        do {
            try launch()
        } catch {
            printError("sandbox-launch: \(error)")
            throw ExitCode(error.exitCode)
        }
    }

    func launch() throws(LaunchError) {
        // Found before anything is installed, so that a typo is a message, not a filtered execve.
        let executable = command.isEmpty ? nil : try Executable.find(command[0])
        let compiled = try policyOptions.build()
        // Without a command the filter is the output; with one, standard output is the command's.
        let report: (String) -> Void = command.isEmpty ? { print($0) } : { printError($0) }
        if let printFilter {
            var text = printFilter.format(compiled.program)
            if text.hasSuffix("\n") { text.removeLast() }
            report(text)
        }
        if stats {
            report(compiled.statistics)
        }
        guard let executable else { return }
        // From the install to the execve the launcher makes only the calls LauncherSyscalls
        // lists, and the policy must allow them.
        try LauncherSyscalls.check(compiled.resolved)
        guard let path = strdup(executable) else { throw LaunchError("out of memory") }
        let arguments = Executable.cArguments(command)
        flushStandardOutput()
        LauncherSyscalls.resetCaughtSignals()
        var flags: SeccompFilterFlags = [.synchronizeThreads]
        if log { flags.insert(.log) }
        do {
            try SeccompInstaller(flags: flags, noNewPrivileges: .set).install(compiled.filter)
        } catch {
            throw LaunchError("cannot install the filter: \(error)")
        }
        Executable.exec(path, arguments: arguments)
    }
}

/// `--print-filter`.
enum FilterFormat: String, ExpressibleByArgument, CaseIterable {
    case d, ddd, bytecode

    func format(_ program: Program) -> String {
        switch self {
        case .d: TcpdumpFormat.format(program, style: .listing)
        case .ddd: TcpdumpFormat.format(program, style: .decimal)
        case .bytecode: BytecodeString.format(program)
        }
    }
}

/// Finding and executing the command.
enum Executable {
    static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The path of `name`: itself when it has a `/`, else the first executable file of that name
    /// in `$PATH`, as `execvp` searches.
    ///
    /// - Throws: `command not found` (exit 127) or `permission denied` (126), as shells say it.
    static func find(_ name: String) throws(LaunchError) -> String {
        guard !name.isEmpty else { throw LaunchError("command not found: \"\"", exitCode: 127) }
        if name.contains("/") {
            try check(name)
            return name
        }
        let searchPath = getenv("PATH").map { String(cString: $0) } ?? defaultSearchPath
        var denied: String?
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            guard isRegularFile(candidate) else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            denied = denied ?? candidate
        }
        if let denied { throw LaunchError("\(denied): permission denied", exitCode: 126) }
        throw LaunchError("\(name): command not found in PATH", exitCode: 127)
    }

    static func check(_ path: String) throws(LaunchError) {
        var information = stat()
        guard stat(path, &information) == 0 else {
            let code = errno
            throw LaunchError("\(path): \(errorMessage(code))", exitCode: code == ENOENT ? 127 : 126)
        }
        if information.st_mode & S_IFMT == S_IFDIR {
            throw LaunchError("\(path): is a directory", exitCode: 126)
        }
        if access(path, X_OK) != 0 {
            throw LaunchError("\(path): \(errorMessage(errno))", exitCode: 126)
        }
    }

    static func isRegularFile(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0 && information.st_mode & S_IFMT == S_IFREG
    }

    /// `argv` for `execve`: copies of `arguments` and a null, made before the filter is in.
    static func cArguments(_ arguments: [String]) -> [UnsafeMutablePointer<CChar>?] {
        arguments.map { strdup($0) } + [nil]
    }

    /// Replaces this process with the command, which keeps the filter. If the `execve` fails,
    /// reports it with one `write` and leaves with `_exit`: the calls ``LauncherSyscalls`` lists.
    static func exec(_ path: UnsafeMutablePointer<CChar>, arguments: [UnsafeMutablePointer<CChar>?]) -> Never {
        execve(path, arguments, environ)
        // Under the filter now: the policy may be what refused the execve.
        let code = errno
        printError(
            "sandbox-launch: cannot execute \(String(cString: path)) under the filter: \(errorMessage(code)) (\(errnoName(code)))")
        _exit(code == ENOENT ? 127 : 126)
    }
}
