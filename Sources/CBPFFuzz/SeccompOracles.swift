import CBPF
import CBPFFuzzShims
import CLinuxShims
import Glibc
import Synchronization
import SystemCalls
import SystemPackage

/// A helper process started by `cbpf_fuzz_helper_spawn`: it installs filters in its own
/// threads, never in this process. Not thread-safe; the oracles guard it with a mutex.
final class HelperProcess {
    let pid: pid_t
    /// Our end of the socket to the helper.
    private let socket: OwnedFileDescriptor
    private var descriptor: Int32 { socket.descriptor.rawValue }
    /// Set once the helper has been waited for, so that its pid is never used again.
    private var reaped = false

    /// What became of one request.
    enum Answer {
        case reply(cbpf_fuzz_reply)
        /// The helper ended: the signal that killed it (0 if none) and its exit status (-1 if none).
        case died(signal: Int32, status: Int32)
        case failed(String)
    }

    init() throws(OracleUnavailable) {
        var descriptor: Int32 = -1
        let pid = cbpf_fuzz_helper_spawn(&descriptor)
        guard pid > 0 else { throw OracleUnavailable("fork: \(errorName(errno))") }
        self.pid = pid
        socket = OwnedFileDescriptor(owning: FileDescriptor(rawValue: descriptor))
        // A helper that hangs must not hang the test run.
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        // Killed whether idle or not; the socket closes after this.
        if !reaped {
            kill(pid, SIGKILL)
            _ = reap()
        }
    }

    /// `stack`, for `CBPF_FUZZ_PROBE_STACK`: the lengths of the filters `program` holds one
    /// after the other.
    func ask(kind: Int32, program: [RawInstruction], number: Int64 = 0, arguments: [UInt64] = [], stack: [UInt32] = [])
        -> Answer
    {
        var request = cbpf_fuzz_request()
        request.kind = UInt32(kind)
        request.count = UInt32(program.count)
        request.number = number
        let a = (arguments + Array(repeating: 0, count: 6)).prefix(6).map { $0 }
        request.arguments = (a[0], a[1], a[2], a[3], a[4], a[5])
        let lengths = (stack + Array(repeating: 0, count: Int(CBPF_FUZZ_MAXIMUM_STACK))).prefix(Int(CBPF_FUZZ_MAXIMUM_STACK)).map { $0 }
        request.stack = (lengths[0], lengths[1], lengths[2], lengths[3])
        var bytes = withUnsafeBytes(of: &request) { Array($0) }
        bytes += program.map(\.sockFilter).withUnsafeBytes { Array($0) }
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = (try? valueOrErrno {
                    send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                }) ?? -1
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        guard written else { return reap() }
        var reply = cbpf_fuzz_reply()
        let size = MemoryLayout<cbpf_fuzz_reply>.size
        let received = withUnsafeMutableBytes(of: &reply) { buffer -> Int in
            var offset = 0
            while offset < size {
                let count: Int
                do throws(Errno) {
                    count = try valueOrErrno { recv(descriptor, buffer.baseAddress! + offset, size - offset, 0) }
                } catch {
                    return -Int(error.rawValue)
                }
                if count == 0 { break }
                offset += count
            }
            return offset
        }
        if received == size { return .reply(reply) }
        if received == -Int(EAGAIN) {
            kill(pid, SIGKILL)
            _ = reap()
            return .failed("the helper did not answer within 20 s")
        }
        return reap()
    }

    /// Waits for a helper that closed its end.
    func reap() -> Answer {
        guard !reaped else { return .failed("the helper was already waited for") }
        var signal: Int32 = 0
        var status: Int32 = 0
        do {
            _ = try valueOrErrno { cbpf_wait_child(pid, &signal, &status) }
        } catch {
            return .failed("waitpid: \(errorName(error.rawValue))")
        }
        reaped = true
        return .died(signal: signal, status: status)
    }
}

/// A helper that is started again after it dies.
private struct RestartingHelper {
    var helper: HelperProcess?
    var restarts = 0

    mutating func ask(kind: Int32, program: [RawInstruction], number: Int64 = 0, arguments: [UInt64] = [],
                      stack: [UInt32] = []) throws(OracleUnavailable) -> HelperProcess.Answer
    {
        if helper == nil {
            helper = try HelperProcess()
            restarts += 1
        }
        guard let current = helper else { return .failed("no helper") }
        let answer = current.ask(kind: kind, program: program, number: number, arguments: arguments, stack: stack)
        switch answer {
        case .reply(let reply) where Int(kind) == CBPF_FUZZ_CHECK_FILTER && reply.result == 0:
            helper = nil  // the filter was attached to the helper's main thread; it exits
        case .reply(let reply) where Int(reply.outcome) != CBPF_FUZZ_SETUP_FAILED:
            break
        default:
            helper = nil  // died, hung or could not set up: start a new one next time
        }
        return answer
    }
}

/// The kernel's seccomp checker, asked without installing anything.
///
/// A helper process sets `PR_SET_NO_NEW_PRIVS` and starts a thread that installs an allow-all
/// filter on itself. `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, program)` from
/// the helper's main thread then runs `seccomp_prepare_user_filter` (the classic checker and
/// `seccomp_check_filter`: `EINVAL` if either refuses), and `seccomp_attach_filter` fails the
/// TSYNC check, returning the other thread's id: that thread has a filter that is not an
/// ancestor of the main thread's (none). Nothing is attached.
package final class SeccompVerdictOracle: Sendable {
    private let helper: Mutex<RestartingHelper>

    /// Starts the helper and checks that the technique works here: an allow-all program is
    /// accepted without being attached, and a program with `ld [2]` is rejected.
    package init() throws(OracleUnavailable) {
        helper = Mutex(RestartingHelper())
        let allow = [RawInstruction(code: 0x06, k: SeccompAction.allowValue)]
        let broken = [RawInstruction(code: 0x20, k: 2), RawInstruction(code: 0x06, k: SeccompAction.allowValue)]
        let good = try check(allow)
        guard good == .accepted else {
            throw OracleUnavailable("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) of an allow-all filter: \(good)")
        }
        let bad = try check(broken)
        guard bad == .rejected else {
            throw OracleUnavailable("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) of ld [2]: \(bad)")
        }
    }

    /// The kernel's verdict on raw instructions.
    package func verdict(for program: [RawInstruction]) -> KernelVerdict {
        (try? check(program)) ?? .failed(ECHILD)
    }

    private func check(_ program: [RawInstruction]) throws(OracleUnavailable) -> KernelVerdict {
        guard program.count <= Int(UInt16.max) else { return .failed(EINVAL) }
        let answer = try helper.withLock { (helper) throws(OracleUnavailable) in
            try helper.ask(kind: Int32(CBPF_FUZZ_CHECK_FILTER), program: program)
        }
        guard case .reply(let reply) = answer else {
            if case .failed(let reason) = answer { throw OracleUnavailable(reason) }
            return .failed(ECHILD)
        }
        if Int(reply.outcome) == CBPF_FUZZ_SETUP_FAILED { throw OracleUnavailable("helper setup: \(errorName(reply.error))") }
        if reply.result > 0 { return .accepted }  // the id of the thread that blocked TSYNC
        if reply.result == -1 { return reply.error == EINVAL ? .rejected : .failed(reply.error) }
        return .failed(0)  // 0: attached to the helper's main thread; the helper starts anew
    }
}

/// What the kernel did to a system call made under a seccomp filter.
package enum SeccompOutcome: Hashable, Sendable, CustomStringConvertible {
    /// The call returned `result`; `errno` is set when `result` is -1, else 0.
    case returned(result: Int64, errno: Int32)
    /// SIGSYS (SECCOMP_RET_TRAP) with `si_errno`, `si_syscall`, `si_arch` and `si_call_addr`.
    case trapped(data: Int32, syscall: Int32, architecture: UInt32, callAddress: UInt64)
    /// The calling thread ended (SECCOMP_RET_KILL_THREAD).
    case threadKilled
    /// The process ended with this signal (SECCOMP_RET_KILL_PROCESS: SIGSYS).
    case processKilled(signal: Int32)
    /// The probe could not be made.
    case failed(String)

    package var description: String {
        switch self {
        case .returned(let result, let code) where result == -1: "returned -1, errno \(errorName(code))"
        case .returned(let result, _): "returned \(result)"
        case .trapped(let data, let syscall, let architecture, let address):
            "SIGSYS si_errno \(data), si_syscall \(syscall), si_arch 0x\(String(architecture, radix: 16)), "
                + "si_call_addr 0x\(String(address, radix: 16))"
        case .threadKilled: "thread killed"
        case .processKilled(let signal): "process killed by signal \(signal)"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}

/// One probe: the outcome, and what the same call returned in the same thread just before the
/// filter was installed (`nil` when the helper died).
package struct SeccompObservation: Hashable, Sendable {
    package var outcome: SeccompOutcome
    package var baseline: SeccompOutcome?
}

/// Runs seccomp filters on real system calls, in threads of a helper process.
///
/// For each probe the helper starts a thread, which makes the call once, installs the filter
/// on itself alone (no TSYNC), and makes the call again through `cbpf_syscall6`, so
/// `seccomp_data.instruction_pointer` is always the same address. `KILL_THREAD` ends only
/// that thread; `KILL_PROCESS` ends the helper, which is then started anew.
///
/// The installed program is the program under test behind a four-instruction guard,
/// `ld [0]; jeq #nr, 1, 0; ret #ALLOW; ld #0`: the thread's other system calls (returning from
/// the SIGSYS handler, exiting) are allowed, and the program under test starts, as always,
/// with A = X = 0 and unwritten scratch memory.
package final class SeccompActionOracle: Sendable {
    private let helper: Mutex<RestartingHelper>
    /// `seccomp_data.instruction_pointer` of every probe, learned from `si_call_addr` of a
    /// `SECCOMP_RET_TRAP` probe.
    package let instructionPointer: UInt64
    /// `seccomp_data.arch`, learned from `si_arch` of the same probe.
    package let architecture: UInt32
    /// Whether filters that return bits of `ld [8]` and `ld [12]` as `ERRNO` data read the same
    /// address as `instructionPointer`.
    package let instructionPointerConfirmed: Bool

    /// Starts the helper and learns the instruction pointer and architecture.
    package init() throws(OracleUnavailable) {
        let helper = Mutex(RestartingHelper())
        let number: Int32 = 1999
        let trap = try Self.observe(
            helper, [RawInstruction(code: 0x06, k: SeccompAction.trapValue | 0x123)],
            call: SystemCallProbe(number: number))
        guard case .trapped(0x123, number, let architecture, let address) = trap.outcome else {
            throw OracleUnavailable("a SECCOMP_RET_TRAP probe gave \(trap.outcome)")
        }
        instructionPointer = address
        self.architecture = architecture
        // Read the pointer back twelve bits at a time: ld [8 or 12]; rsh #s; and #0xfff; or ERRNO; ret a.
        var confirmed: UInt64 = 0
        for (offset, shift) in [(8, 0), (8, 12), (8, 24), (12, 0), (12, 12), (12, 24)] as [(UInt32, UInt32)] {
            let program = [
                RawInstruction(code: 0x20, k: offset), RawInstruction(code: 0x74, k: shift),
                RawInstruction(code: 0x54, k: 0xfff), RawInstruction(code: 0x44, k: SeccompAction.errnoValue),
                RawInstruction(code: 0x16),
            ]
            let observation = try Self.observe(helper, program, call: SystemCallProbe(number: number))
            let bits: UInt64 = switch observation.outcome {
            case .returned(0, _): 0
            case .returned(-1, let code): UInt64(code)
            default: 1 << 63
            }
            confirmed |= bits << (UInt64(shift) + (offset == 12 ? 32 : 0))
        }
        instructionPointerConfirmed = confirmed == address
        self.helper = helper
    }

    /// How many helper processes have been started (one, plus one after each `KILL_PROCESS`).
    package var helpersStarted: Int { helper.withLock { $0.restarts } }

    /// Installs `program` (behind the guard) in a new thread of the helper and makes `call`.
    package func observe(_ program: [RawInstruction], call: SystemCallProbe) -> SeccompObservation {
        do {
            return try Self.observe(helper, program, call: call)
        } catch {
            return SeccompObservation(outcome: .failed(error.reason), baseline: nil)
        }
    }

    /// Installs the filters of `stack` one after the other (the first is the oldest, run last;
    /// each behind the guard) in a new thread of the helper and makes `call`: the kernel runs
    /// them all and applies the most restrictive action.
    package func observe(stack: [[RawInstruction]], call: SystemCallProbe) -> SeccompObservation {
        guard !stack.isEmpty, stack.count <= Int(CBPF_FUZZ_MAXIMUM_STACK) else {
            return SeccompObservation(outcome: .failed("a stack of 1 to \(CBPF_FUZZ_MAXIMUM_STACK) filters"), baseline: nil)
        }
        do {
            return try Self.observe(helper, stack, call: call)
        } catch {
            return SeccompObservation(outcome: .failed(error.reason), baseline: nil)
        }
    }

    private static func observe(_ helper: borrowing Mutex<RestartingHelper>, _ program: [RawInstruction],
                                call: SystemCallProbe) throws(OracleUnavailable) -> SeccompObservation {
        try observe(helper, [program], call: call)
    }

    private static func observe(_ helper: borrowing Mutex<RestartingHelper>, _ stack: [[RawInstruction]],
                                call: SystemCallProbe) throws(OracleUnavailable) -> SeccompObservation {
        guard stack.allSatisfy({ $0.count <= Limits.maximumInstructions - 4 }) else {
            return SeccompObservation(outcome: .failed("program too long for the guard"), baseline: nil)
        }
        let guarded = stack.map { program in
            [
                RawInstruction(code: 0x20, k: 0), RawInstruction(code: 0x15, jt: 1, jf: 0, k: UInt32(bitPattern: call.number)),
                RawInstruction(code: 0x06, k: SeccompAction.allowValue), RawInstruction(code: 0x00, k: 0),
            ] + program
        }
        let answer = try helper.withLock { (helper) throws(OracleUnavailable) in
            stack.count == 1
                ? try helper.ask(kind: Int32(CBPF_FUZZ_PROBE), program: guarded[0], number: Int64(call.number),
                                 arguments: call.arguments)
                : try helper.ask(kind: Int32(CBPF_FUZZ_PROBE_STACK), program: guarded.flatMap { $0 },
                                 number: Int64(call.number), arguments: call.arguments, stack: guarded.map { UInt32($0.count) })
        }
        switch answer {
        case .reply(let reply):
            let baseline = SeccompOutcome.returned(result: reply.baseline_result, errno: reply.baseline_error)
            switch Int(reply.outcome) {
            case CBPF_FUZZ_RETURNED:
                return SeccompObservation(outcome: .returned(result: reply.result, errno: reply.error), baseline: baseline)
            case CBPF_FUZZ_TRAPPED:
                return SeccompObservation(
                    outcome: .trapped(data: reply.signal_errno, syscall: reply.signal_syscall,
                                      architecture: reply.signal_arch, callAddress: reply.signal_call_address),
                    baseline: baseline)
            case CBPF_FUZZ_THREAD_KILLED:
                return SeccompObservation(outcome: .threadKilled, baseline: baseline)
            case CBPF_FUZZ_INSTALL_FAILED:
                return SeccompObservation(outcome: .failed("installing the filter: \(errorName(reply.error))"),
                                          baseline: baseline)
            default:
                throw OracleUnavailable("helper setup: \(errorName(reply.error))")
            }
        case .died(let signal, let status):
            if signal != 0 { return SeccompObservation(outcome: .processKilled(signal: signal), baseline: nil) }
            return SeccompObservation(outcome: .failed("the helper exited with status \(status)"), baseline: nil)
        case .failed(let reason):
            return SeccompObservation(outcome: .failed(reason), baseline: nil)
        }
    }
}
