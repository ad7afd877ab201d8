import CBPF
import CBPFFuzzShims
import CLinuxShims
import Glibc
import Synchronization
import SystemCalls

/// Why a kernel oracle cannot run on this machine.
package struct OracleUnavailable: Error, Hashable, Sendable, CustomStringConvertible {
    package var reason: String

    package init(_ reason: String) {
        self.reason = reason
    }

    package var description: String { reason }
}

/// What the kernel said when asked to attach or install a program.
package enum KernelVerdict: Hashable, Sendable, CustomStringConvertible {
    /// The checker accepted the program and it was attached (or, for seccomp, would have been).
    case accepted
    /// The checker accepted the program, but its translation to eBPF does not fit the socket's
    /// option-memory budget (`net.core.optmem_max`), so attaching failed with `ENOMEM`.
    case acceptedOverBudget
    /// The checker refused the program: `EINVAL`.
    case rejected
    /// Anything else, with the errno (0 when the call unexpectedly succeeded in a way that
    /// says nothing about the checker).
    case failed(Int32)

    package var description: String {
        switch self {
        case .accepted: "accepted"
        case .acceptedOverBudget: "accepted by the checker, ENOMEM (translation over net.core.optmem_max)"
        case .rejected: "rejected (EINVAL)"
        case .failed(let code): "failed: \(errorName(code))"
        }
    }
}

/// What became of a datagram sent through a filter.
package enum KernelDelivery: Hashable, Sendable, CustomStringConvertible {
    /// Received with this many bytes (`MSG_TRUNC` reports the datagram's full length).
    case delivered(Int)
    /// The filter returned 0: nothing arrived (`EAGAIN`).
    case dropped
    /// `SO_ATTACH_FILTER` failed with this errno.
    case attachFailed(Int32)
    /// Sending or receiving failed.
    case failed(String)

    package var description: String {
        switch self {
        case .delivered(let length): "delivered \(length) bytes"
        case .dropped: "dropped"
        case .attachFailed(let code): "attach failed: \(errorName(code))"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}

/// How long a translated socket filter may be before attaching fails with `ENOMEM`.
package enum TranslationBudget: Hashable, Sendable, CustomStringConvertible {
    /// Programs whose translation (``Verifier/translatedLength(_:for:)``) is longer fail.
    case limit(Int)
    /// No program of at most 4096 instructions is too long.
    case unlimited
    /// The calibration did not behave as expected; `ENOMEM` is then counted as accepted.
    case unknown

    package var description: String {
        switch self {
        case .limit(let length): "\(length) eBPF instructions"
        case .unlimited: "unlimited"
        case .unknown: "unknown"
        }
    }
}

/// The kernel's socket-filter checker and interpreter, through an AF_UNIX datagram socketpair
/// in this process. `SO_ATTACH_FILTER` needs no privilege.
///
/// A datagram sent to a socket with a filter is received with `min(length, return value)`
/// bytes, or dropped when the filter returns 0 (`sk_filter_trim_cap`). On an AF_UNIX
/// datagram the filter runs in the sender's context, on the sender's CPU.
package final class SocketOracle: Sendable {
    private struct Sockets: ~Copyable {
        var pair: OwnedFileDescriptor.SocketPair
        var budget: TranslationBudget?
        var sender: Int32 { pair.first.descriptor.rawValue }
        var receiver: Int32 { pair.second.descriptor.rawValue }
    }

    private let sockets: Mutex<Sockets>

    /// Creates the socketpair.
    package init() throws(OracleUnavailable) {
        let pair: OwnedFileDescriptor.SocketPair
        do {
            pair = try OwnedFileDescriptor.socketPair(type: Int32(SOCK_DGRAM.rawValue))
        } catch {
            throw OracleUnavailable("socketpair(AF_UNIX, SOCK_DGRAM): \(errorName(error.errno.rawValue))")
        }
        sockets = Mutex(Sockets(pair: pair, budget: nil))
    }

    /// Attaches raw instructions to the receiving socket, after detaching any earlier filter so
    /// that the socket's option-memory charge is the same for every program.
    package func attach(_ program: [RawInstruction]) -> KernelVerdict {
        sockets.withLock { Self.attach(program, to: $0.receiver) }
    }

    private static func attach(_ program: [RawInstruction], to descriptor: Int32) -> KernelVerdict {
        guard program.count <= Int(UInt16.max) else { return .failed(EINVAL) }
        _ = cbpf_detach_socket_filter(descriptor)
        var filters = program.map(\.sockFilter)
        let result = filters.withUnsafeMutableBufferPointer {
            cbpf_attach_socket_filter(descriptor, $0.baseAddress, UInt16($0.count))
        }
        if result == 0 { return .accepted }
        switch errno {
        case EINVAL: return .rejected
        case ENOMEM: return .acceptedOverBudget
        case let code: return .failed(code)
        }
    }

    /// Attaches `program`, sends `packet` and receives it with `MSG_DONTWAIT | MSG_TRUNC`.
    package func deliver(_ program: [RawInstruction], packet: [UInt8]) -> KernelDelivery {
        sockets.withLock { sockets in
            switch Self.attach(program, to: sockets.receiver) {
            case .accepted: break
            case .acceptedOverBudget: return .attachFailed(ENOMEM)
            case .rejected: return .attachFailed(EINVAL)
            case .failed(let code): return .attachFailed(code)
            }
            let sent = packet.withUnsafeBytes {
                send(sockets.sender, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
            }
            guard sent == packet.count else { return .failed("send: \(errorName(errno))") }
            return withUnsafeTemporaryAllocation(byteCount: 65536, alignment: 16) { buffer in
                let received = recv(sockets.receiver, buffer.baseAddress, buffer.count,
                                    Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC))
                if received < 0 {
                    let code = errno
                    return code == EAGAIN ? .dropped : .failed("recv: \(errorName(code))")
                }
                // Nothing else may be queued; drain defensively so the next case starts clean.
                while recv(sockets.receiver, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) >= 0 {}
                return .delivered(received)
            }
        }
    }

    /// The longest translation (``Verifier/translatedLength(_:for:)``) that still attaches,
    /// measured once by bisection with programs of `ldh [12]`, `ld #0` and `ret #1`.
    package var translationBudget: TranslationBudget {
        sockets.withLock { sockets in
            if let budget = sockets.budget { return budget }
            let budget = Self.calibrate(sockets.receiver)
            sockets.budget = budget
            return budget
        }
    }

    private static func calibrate(_ descriptor: Int32) -> TranslationBudget {
        // 7 (prologue) + 14 per ldh [12] + 1 per ld #0 + 2 (ret #k).
        func program(length: Int) -> [RawInstruction] {
            let loads = (length - 9) / 14
            let fillers = (length - 9) % 14
            return Array(repeating: RawInstruction(code: 0x28, k: 12), count: loads)
                + Array(repeating: RawInstruction(code: 0x00), count: fillers) + [RawInstruction(code: 0x06, k: 1)]
        }
        var low = 23
        var high = 9 + 14 * 4000
        guard let lowProgram = try? Program(raw: program(length: low)),
              Verifier.translatedLength(lowProgram, for: .socket) == low,
              attach(program(length: low), to: descriptor) == .accepted
        else { return .unknown }
        switch attach(program(length: high), to: descriptor) {
        case .accepted: return .unlimited
        case .acceptedOverBudget: break
        default: return .unknown
        }
        while high - low > 1 {
            let middle = (low + high) / 2
            switch attach(program(length: middle), to: descriptor) {
            case .accepted: low = middle
            case .acceptedOverBudget: high = middle
            default: return .unknown
            }
        }
        _ = cbpf_detach_socket_filter(descriptor)
        return .limit(low)
    }

    /// Runs `body` with the calling thread pinned to the CPU it is on, so that `ld #cpu` in a
    /// filter run by this thread's sends is deterministic; passes that CPU (or `nil` when the
    /// thread could not be pinned) and restores the affinity afterwards.
    package static func withPinnedCPU<T>(_ body: (UInt32?) throws -> T) rethrows -> T {
        var saved = cbpf_cpu_mask()
        let cpu = cbpf_current_cpu()
        let pinned = cpu >= 0 && cbpf_pin_thread_to_cpu(cpu, &saved) == 0
        defer {
            if pinned { _ = cbpf_restore_thread_affinity(&saved) }
        }
        let now = cbpf_current_cpu()
        return try body(pinned && now == cpu ? UInt32(cpu) : nil)
    }
}
