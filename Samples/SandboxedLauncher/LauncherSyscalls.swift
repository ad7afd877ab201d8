import CBPF
import Glibc
import Seccomp

/// The system calls the launcher itself makes once the filter is installed, and the check that
/// a policy allows them, made before installing.
///
/// `strace -f sandbox-launch --policy P -- /bin/true` on x86_64 shows everything after the
/// filter goes in, with `default allow` and with `errno(EPERM) execve`:
///
/// ```
/// seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, {len=7, ...}) = 0
/// execve("/bin/true", ["/bin/true"], ...) = 0                 # the command runs, or:
/// execve("/bin/true", ["/bin/true"], ...) = -1 EPERM
/// write(2, "sandbox-launch: cannot execute /"..., 91) = 91
/// exit_group(126)
/// ```
///
/// Nothing else runs in between because the launcher prepares for it: the command's arguments
/// are copied before installing, a failed `execve` is reported with one `write` and ends with
/// `_exit` (no exit handlers), and every signal handler is reset to the default before
/// installing, so neither `rt_sigreturn` nor glibc's `exit` fallback is needed. Without that
/// reset, a policy that refused these calls left the process spinning: `exit_group` failed,
/// glibc's `_exit` fell through to `hlt`, and the Swift runtime's SIGSEGV handler (which
/// blocks SIGTERM while it runs) caught the fault again and again.
enum LauncherSyscalls {
    /// A call the launcher makes, why, and the arguments it is known to pass.
    struct Need: Sendable {
        var name: String
        var purpose: String
        /// Argument values known before installing, by position; the others (pointers,
        /// lengths, the exit status) count as any value.
        var knownArguments: [Int: UInt64] = [:]
    }

    static let needs: [Need] = [
        Need(name: "execve", purpose: "to start the command"),
        Need(name: "write", purpose: "to report a failed start", knownArguments: [0: 2]),
        Need(name: "exit_group", purpose: "to exit after it"),
    ]

    /// Refuses a policy under which the launcher could not start the command, or could not say
    /// why and exit: every call of ``needs`` must be allowed (`ALLOW` or `LOG`) for whatever
    /// arguments the launcher may pass.
    static func check(_ policy: ResolvedSeccompPolicy) throws(LaunchError) {
        let native = SeccompArchitecture.native
        guard let architecture = policy.architectures.first(where: { $0.architecture == native }) else {
            let covered = policy.architectures.map(\.architecture.name).joined(separator: " ")
            throw LaunchError(
                "refused before installing the filter: the policy covers \(covered) but not \(native), this "
                    + "machine's architecture, so every call of the launcher and the command would get its "
                    + "foreign-arch action, \(policy.foreignArchitectureAction); add \(native) to its arch line, "
                    + "or pass --arch \(native)")
        }
        var refused = [(need: Need, actions: [SeccompAction])]()
        for need in needs {
            guard case .number(let number) = try? native.resolve(need.name) else { continue }
            let actions = possibleActions(of: number, in: architecture, knownArguments: need.knownArguments)
            if !actions.allSatisfy(allowsTheCall) { refused.append((need, actions)) }
        }
        guard !refused.isEmpty else { return }
        let listed = refused.map { need, actions in
            let target = need.name == "write" ? "write to standard error" : need.name
            let outcome = actions.count == 1
                ? "\(actions[0])"
                : actions.map(\.description).joined(separator: " or ") + " depending on its arguments"
            return "\(target) (gets \(outcome)) \(need.purpose)"
        }.joined(separator: "; ")
        let names = refused.map(\.need.name)
        throw LaunchError(
            "refused before installing the filter: the policy does not allow the system calls the launcher "
                + "itself makes once the filter is in: \(listed). Add --allow \(names.joined(separator: ",")), "
                + "or the policy line \"allow \(names.joined(separator: " "))\"")
    }

    /// Whether the call runs: `ALLOW`, or `LOG`, which allows and logs.
    static func allowsTheCall(_ action: SeccompAction) -> Bool {
        action == .allow || action == .log
    }

    /// The actions the policy may take for the call, in the order its rules are tried: each rule
    /// whose conditions on known arguments hold may decide, and the first without conditions on
    /// unknown arguments does; if none does, the default action (or `ENOSYS` for a number
    /// libseccomp does not know, when the policy says so).
    static func possibleActions(
        of number: Int32, in architecture: ArchitecturePolicy, knownArguments: [Int: UInt64]
    ) -> [SeccompAction] {
        var actions = [SeccompAction]()
        for rule in architecture.syscall(number: number)?.rules ?? [] {
            let known = rule.conditions.filter { knownArguments[$0.argument] != nil }
            guard known.allSatisfy({ $0.holds(for: knownArguments[$0.argument] ?? 0) }) else { continue }
            if !actions.contains(rule.action) { actions.append(rule.action) }
            if known.count == rule.conditions.count { return actions }
        }
        let fallback = architecture.unknownSyscallAction.flatMap { architecture.isKnown(number) ? nil : $0 }
            ?? architecture.defaultAction
        if !actions.contains(fallback) { actions.append(fallback) }
        return actions
    }

    /// Sets every caught signal back to its default action, as `execve` does anyway; ignored
    /// signals stay ignored, as across `execve`. After this a fault under the filter ends the
    /// process at once instead of entering the Swift runtime's crash handler.
    static func resetCaughtSignals() {
        for number in Int32(1) ..< 65 {  // _NSIG
            var current = sigaction()
            guard sigaction(number, nil, &current) == 0 else { continue }
            // SIG_DFL is 0 and SIG_IGN 1; anything else is a handler.
            let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
            guard handler != 0, handler != 1 else { continue }
            var reset = sigaction()
            _ = sigaction(number, &reset, nil)
        }
    }
}
