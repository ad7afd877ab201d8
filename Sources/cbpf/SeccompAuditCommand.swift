import ArgumentParser
import CBPF
import Seccomp

struct SeccompAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Find the weaknesses of a seccomp filter, each with a severity and why.",
        discussion: """
            The filter is analysed (see explain) and checked for: no architecture check, or calls \
            of other architectures allowed; the x32 bypass (numbers from 0x40000000 on \
            AUDIT_ARCH_X86_64 not handled); allowing by default; dangerous calls allowed without \
            argument checks (ptrace, process_vm_writev, bpf, kexec_load, init_module, \
            open_by_handle_at, keyctl, userfaultfd, perf_event_open, personality, ...); clone and \
            unshare allowed with namespace flags; unknown calls and clone3 answered with EPERM \
            rather than ENOSYS, which breaks glibc's fallbacks; unreachable instructions; and, \
            as systemd-analyze security asks, the calls allowed from systemd's risky groups.

            With --pid, the findings are those of the process's filters combined, as the \
            kernel applies them (the most restrictive action of all filters wins); --index N \
            audits filter N alone.

            Examples:
              cbpf seccomp audit filter.bpf
              cbpf seccomp audit --profile docker-default.json --arch x86_64,x86,x32
              cbpf seccomp audit --pid 1234 --fail-on high
            """)

    @OptionGroup var input: SeccompFilterInput
    @Option(help: "Exit with status 1 when a finding has this severity or more: high, medium, low or info.")
    var failOn: Severity?
    @OptionGroup var limits: AnalysisLimitOptions

    enum Severity: String, ExpressibleByArgument, CaseIterable {
        case high, medium, low, info

        var level: SeccompAuditFinding.Severity {
            switch self {
            case .high: .high
            case .medium: .medium
            case .low: .low
            case .info: .info
            }
        }
    }

    func run() throws {
        let filter = try input.analysed(limits, command: "audit")
        if let header = filter.header { print("# \(header)") }
        let findings = SeccompFilterAudit.findings(for: filter.analysis)
        if findings.isEmpty { print("no findings") }
        for finding in findings { print(finding) }
        if let failOn, let worst = findings.map(\.severity).max(), worst >= failOn.level { throw ExitCode(1) }
    }
}
