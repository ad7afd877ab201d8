import CBPF
import CLinuxShims
import Glibc
import SystemCalls

/// Reads the seccomp filters a process runs under, as the kernel keeps them
/// (`PTRACE_SECCOMP_GET_FILTER`).
///
/// ```swift
/// let filters = try SeccompFilterReader.filters(ofProcess: pid)   // [0] the first installed, the oldest
/// ```
///
/// The reader attaches to the thread with `PTRACE_SEIZE`, stops it with `PTRACE_INTERRUPT`,
/// copies each filter, and detaches; the thread goes on as before (a system call it was
/// sleeping in is restarted). The kernel allows this only to a caller with `CAP_SYS_ADMIN`
/// that runs under no seccomp filter itself, and ptrace's own rules apply (the same user or
/// `CAP_SYS_PTRACE`, and Yama's `ptrace_scope`).
///
/// Filters belong to threads: a process id names its main thread, and a thread id (from
/// `/proc/PID/task`) any other.
public enum SeccompFilterReader {
    /// The most filters read from one thread. The kernel caps a thread's filters at 32,768
    /// instructions in all, and every filter takes at least one.
    public static let maximumFilterCount = 32_768

    /// The filters of thread `pid`, as the kernel numbers them: index 0 is the filter installed
    /// first, the last the newest (`get_nth_filter` counts back from the newest by the number
    /// of filters less the index). Every filter runs on every system call, the newest first;
    /// the kernel takes the most restrictive action (``SeccompFilterAnalysis/init(stacking:)``).
    ///
    /// - Throws: ``SeccompFilterReadError``: no such process, not allowed to trace it, no
    ///   `CAP_SYS_ADMIN` or a filtered caller, or a process without filters.
    public static func filters(ofProcess pid: pid_t) throws(SeccompFilterReadError) -> [Program] {
        guard pid > 0 else { throw .noSuchProcess(pid) }
        do {
            _ = try valueOrErrno { cbpf_ptrace_seize(pid) }
        } catch {
            switch error {
            case .noSuchProcess: throw .noSuchProcess(pid)
            case .notPermitted: throw .notPermitted(pid)
            default: throw .systemCall(SystemCallError("ptrace(PTRACE_SEIZE, \(pid))", error))
            }
        }
        defer { _ = cbpf_ptrace_detach(pid) }
        let stopped: Bool
        do {
            stopped = try stop(pid)
        } catch {
            throw .systemCall(error)
        }
        guard stopped else { throw .noSuchProcess(pid) }
        var programs = [Program]()
        for index in 0 ..< maximumFilterCount {
            let count: Int
            do {
                count = try valueOrErrno { cbpf_ptrace_seccomp_get_filter(pid, UInt(index), nil) }
            } catch {
                switch error {
                case .noSuchFileOrDirectory where index > 0: return programs
                case .invalidArgument where index == 0, .noSuchFileOrDirectory where index == 0: throw .noFilter(pid)
                case .permissionDenied:
                    if let filters = callerFilterCount(), filters > 0 { throw .callerIsFiltered(filters: filters) }
                    throw .needsAdministrator
                case .noSuchProcess: throw .noSuchProcess(pid)
                default: throw .systemCall(SystemCallError("ptrace(PTRACE_SECCOMP_GET_FILTER, \(pid), \(index))", error))
                }
            }
            var raw = [sock_filter](repeating: sock_filter(), count: Int(count))
            let copied = raw.withUnsafeMutableBufferPointer { cbpf_ptrace_seccomp_get_filter(pid, UInt(index), $0.baseAddress) }
            guard copied == count else {
                let error = copied < 0 ? Errno(rawValue: errno) : .ioError
                throw .systemCall(SystemCallError("ptrace(PTRACE_SECCOMP_GET_FILTER, \(pid), \(index))", error))
            }
            do {
                programs.append(try Program(raw: raw.map { RawInstruction($0) }))
            } catch {
                throw .undecodable(index: index, error)
            }
        }
        return programs
    }

    /// The filters of the calling thread, read from a child that inherits them: a process
    /// cannot trace itself, so a child forked for the purpose (it runs nothing but `pause`)
    /// is read and then killed.
    ///
    /// The kernel lets only an unfiltered caller read filters, so this succeeds only while the
    /// calling thread has none, and then throws ``SeccompFilterReadError/noFilter(_:)``; a
    /// thread with filters gets ``SeccompFilterReadError/callerIsFiltered(filters:)``, and
    /// must be read from outside, with ``filters(ofProcess:)``. It exists so that a tool can
    /// say so plainly.
    public static func filtersOfCallingThread() throws(SeccompFilterReadError) -> [Program] {
        if let filters = callerFilterCount(), filters > 0 { throw .callerIsFiltered(filters: filters) }
        let child = cbpf_fork_idle_child()
        guard child > 0 else { throw .systemCall(SystemCallError("fork", Errno(rawValue: errno))) }
        defer {
            kill(child, SIGKILL)
            while let state = try? waitTraced(child), !state.ended {}
        }
        do {
            return try filters(ofProcess: child)
        } catch .noFilter {
            throw .noFilter(getpid())
        }
    }

    /// Stops the seized thread `pid`; false when it ended instead.
    ///
    /// The corresponding C calls are `ptrace(PTRACE_INTERRUPT, pid, 0, 0)` and `waitpid`.
    private static func stop(_ pid: pid_t) throws(SystemCallError) -> Bool {
        _ = try systemCall("ptrace(PTRACE_INTERRUPT, \(pid))") { cbpf_ptrace_interrupt(pid) }
        while true {
            let state = try waitTraced(pid)
            if state.ended { return false }
            if state.stopped { return true }
        }
    }

    /// The next change of a traced thread: stopped, or ended (exited or killed).
    ///
    /// The corresponding C call is `waitpid(pid, &status, __WALL)`.
    private static func waitTraced(_ pid: pid_t) throws(SystemCallError) -> (stopped: Bool, ended: Bool) {
        var stopped: Int32 = 0
        var ended: Int32 = 0
        _ = try systemCall("waitpid(\(pid))") { cbpf_wait_traced(pid, &stopped, &ended) }
        return (stopped != 0, ended != 0)
    }

    /// The number of filters of the calling thread (`Seccomp_filters` of
    /// `/proc/thread-self/status`, Linux 5.9), 1 when only the mode says it is filtered, or
    /// `nil` when the file cannot be read.
    static func callerFilterCount() -> Int? {
        guard let file = fopen("/proc/thread-self/status", "r") else { return nil }
        defer { fclose(file) }
        var mode: Int?
        var count: Int?
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            let value = text.split(separator: ":").last.map { String($0.filter { !$0.isWhitespace }) }
            if text.hasPrefix("Seccomp:") { mode = value.flatMap { Int($0) } }
            if text.hasPrefix("Seccomp_filters:") { count = value.flatMap { Int($0) } }
        }
        guard let mode else { return nil }
        if mode != 2 { return 0 }
        return count ?? 1
    }
}
