import SystemPackage

/// A system call that failed, named as the user would look it up, with the kernel's answer:
/// `setsockopt(SO_ATTACH_FILTER): Operation not permitted`.
///
/// `import Attach` and `import Seccomp` bring this type into scope.
public struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call and, where it selects one, the option or request: `setsockopt(SO_LOCK_FILTER)`.
    public var call: String
    /// What the kernel answered.
    public var errno: Errno

    /// A failure of `call` with the kernel's `errno`.
    public init(_ call: String, _ errno: Errno) {
        self.call = call
        self.errno = errno
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String { "\(call): \(errno)" }
}
