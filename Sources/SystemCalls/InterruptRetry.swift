#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import SystemPackage

// The package's one EINTR loop. Every system call that a signal can interrupt goes through
// `valueOrErrno` (typed `Errno`, as swift-system's own calls) or `systemCall` (a
// `SystemCallError` that names the call); nothing else in the package tests for EINTR.

/// Calls `body`, a C function that returns -1 and sets `errno` when it fails, and returns what
/// it returned. A call that a signal interrupted (`EINTR`) is made again, unless
/// `retryOnInterrupt` is false: then it throws `Errno.interrupted`, for a caller that must look
/// at a flag the signal handler set.
package func valueOrErrno<Value: SignedInteger & FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> Value
) throws(Errno) -> Value {
    while true {
        let value = body()
        if value != -1 { return value }
        let error = Errno(rawValue: errno)
        if error == .interrupted && retryOnInterrupt { continue }
        throw error
    }
}

/// ``valueOrErrno(retryOnInterrupt:_:)`` with a failure that names the call:
/// `setsockopt(SO_ATTACH_FILTER): Operation not permitted`.
package func systemCall<Value: SignedInteger & FixedWidthInteger>(
    _ call: @autoclosure () -> String, retryOnInterrupt: Bool = true, _ body: () -> Value
) throws(SystemCallError) -> Value {
    do {
        return try valueOrErrno(retryOnInterrupt: retryOnInterrupt, body)
    } catch {
        throw SystemCallError(call(), error)
    }
}
