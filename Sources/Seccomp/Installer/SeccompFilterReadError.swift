import CBPF
import Glibc
import SystemCalls

/// Why the filters of a process could not be read.
public enum SeccompFilterReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No process or thread has this id (or it ended while being read).
    case noSuchProcess(pid_t)
    /// ptrace refused to attach: another user's process without `CAP_SYS_PTRACE`, a process
    /// that is not dumpable, Yama's `ptrace_scope`, or one already traced.
    case notPermitted(pid_t)
    /// The kernel gives filters only to a caller with `CAP_SYS_ADMIN`.
    case needsAdministrator
    /// The caller runs under seccomp filters itself, and the kernel refuses to show filters to
    /// a filtered caller.
    case callerIsFiltered(filters: Int)
    /// The process runs under no seccomp filter.
    case noFilter(pid_t)
    /// A filter the kernel returned could not be decoded.
    case undecodable(index: Int, ProgramDecodingError)
    /// A system call failed for another reason.
    case systemCall(SystemCallError)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .noSuchProcess(let pid):
            return "no process \(pid)"
        case .notPermitted(let pid):
            return "not allowed to trace process \(pid) (ptrace(PTRACE_SEIZE): EPERM): it belongs to another user, "
                + "is not dumpable or is already traced, or /proc/sys/kernel/yama/ptrace_scope forbids it; "
                + "run as root"
        case .needsAdministrator:
            return "reading seccomp filters needs CAP_SYS_ADMIN (ptrace(PTRACE_SECCOMP_GET_FILTER): EACCES); run as root"
        case .callerIsFiltered(let filters):
            return "this process runs under \(filters) seccomp filter\(filters == 1 ? "" : "s") itself, and the kernel "
                + "shows filters only to an unfiltered caller (PTRACE_SECCOMP_GET_FILTER: EACCES); read them from "
                + "outside the sandbox with cbpf seccomp dump PID"
        case .noFilter(let pid):
            return "process \(pid) runs under no seccomp filter"
        case .undecodable(let index, let error):
            return "filter \(index): \(error)"
        case .systemCall(let error):
            return "\(error)"
        }
    }
}
