import SystemCalls

/// Why a call that runs your closure failed: one of its own system calls, or the closure, whose
/// error is passed on unchanged.
///
/// ``PacketCaptureSocket/receive(timeout:maximumCount:_:)`` and ``NetworkNamespace/run(at:_:)``
/// throw it; with a closure that cannot throw, only ``systemCall(_:)`` can happen.
public enum SystemCallOrBodyError<BodyError: Error>: Error, CustomStringConvertible {
    /// A system call of the function itself failed.
    case systemCall(SystemCallError)
    /// The closure threw this.
    case body(BodyError)

    /// The text form: the system call's or the closure's error's own.
    public var description: String {
        switch self {
        case .systemCall(let error): "\(error)"
        case .body(let error): "\(error)"
        }
    }
}

extension SystemCallOrBodyError: Equatable where BodyError: Equatable {}

extension SystemCallOrBodyError: Hashable where BodyError: Hashable {}
