import Glibc
import Seccomp

extension Demo {
    // MARK: 8: learn mode

    /// Learns a policy for a small command, runs the command under it, and shows a call the
    /// command never made being denied.
    func showLearnMode() throws(LaunchError) {
        section("8. Learn mode: a policy from what a command did")
        guard SeccompInstaller.isAvailable(.userNotification) else {
            print("This kernel has no SECCOMP_RET_USER_NOTIF (user_notif in /proc/sys/kernel/seccomp/actions_avail).")
            return
        }
        var template = Array("/tmp/sandbox-launch-learn-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LaunchError("mkdtemp: \(errorMessage(errno))") }
        let directory = String(cString: made)
        let policy = directory + "/ls.policy"
        let denied = directory + "/new"
        defer {
            unlink(policy)
            rmdir(denied)
            rmdir(directory)
        }
        func shown(_ text: some StringProtocol) -> String {
            String(text).replacing(directory, with: "$TMP")
        }
        func show(_ outcome: ChildOutcome, lines limit: Int = 20) {
            let lines = outcome.output.split(separator: "\n")
            for line in lines.prefix(limit) { print("  " + shown(line)) }
            if lines.count > limit { print("  ... (\(lines.count - limit) more lines)") }
            print("  -> \(outcome.ending)")
        }
        print("""
            `sandbox-launch learn` runs a command under a filter that hands every system call to the
            launcher (SECCOMP_RET_USER_NOTIF), which lets it run and records it, then writes a policy
            that allows what it saw and answers anything else with EPERM:

            $ sandbox-launch learn -o $TMP/ls.policy -- /bin/ls -d /
            """)
        show(try ChildProcess.run(me, ["learn", "-o", policy, "--", "/bin/ls", "-d", "/"]))
        let rules = ((try? readTextFile(policy)) ?? "").split(separator: "\n").filter { $0.hasPrefix("allow ") }
        print("\n$TMP/ls.policy: default errno(EPERM), \(rules.count) allow rules. The command again, under it:")
        print("$ sandbox-launch --policy $TMP/ls.policy -- /bin/ls -d /")
        show(try launched(["--policy", policy], ["/bin/ls", "-d", "/"]))
        print("\nmkdir(2) is no call ls made: coreutils' mkdir starts under the policy, and is refused:")
        print("$ sandbox-launch --policy $TMP/ls.policy -- /bin/mkdir $TMP/new")
        show(try launched(["--policy", policy], ["/bin/mkdir", denied]))
    }
}
