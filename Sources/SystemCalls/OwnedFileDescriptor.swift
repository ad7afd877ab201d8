#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import CLinuxShims
import SystemPackage

/// An open file descriptor with exactly one owner, which closes it when it goes away.
///
/// This is the package's one rule for descriptors: a call that opens one returns its owner (an
/// `OwnedFileDescriptor`, or a `~Copyable` type that holds one, such as `PacketCaptureSocket`);
/// a call that takes a swift-system `FileDescriptor` borrows it for the length of the call and
/// never closes it. To give the descriptor to something that closes it itself (another
/// process, a C library), take it out with ``release()``.
///
/// ```swift
/// let file = OwnedFileDescriptor(owning: try FileDescriptor.open(path, .readOnly, options: .closeOnExec))
/// let count = try file.descriptor.read(into: buffer)  // borrows it
/// // file closes the descriptor when it goes out of scope
/// ```
///
/// `import Attach` and `import Seccomp` bring this type into scope.
public struct OwnedFileDescriptor: ~Copyable, Sendable {
    /// The descriptor, to pass to calls that borrow it. It stays open as long as this owner
    /// lives; never close it through this value.
    public let descriptor: FileDescriptor

    /// Takes ownership of `descriptor`: from now on this value closes it, and nothing else may.
    public init(owning descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    /// Closes the descriptor now, reporting a failure that going out of scope would ignore
    /// (such as a deferred write error of a network file system).
    ///
    /// The corresponding C function is `close`. It is not retried after `EINTR`: Linux has
    /// closed the descriptor by then, and a second `close` could close another thread's.
    public consuming func close() throws(Errno) {
        let raw = descriptor.rawValue
        discard self
        guard Glibc.close(raw) == 0 else { throw Errno(rawValue: errno) }
    }

    /// Gives up ownership without closing: the caller now owns the descriptor and must close
    /// it, or hand it to something that will.
    public consuming func release() -> FileDescriptor {
        let descriptor = self.descriptor
        discard self
        return descriptor
    }

    deinit {
        _ = Glibc.close(descriptor.rawValue)
    }
}

extension OwnedFileDescriptor {
    /// Opens `path` with `flags` (`O_RDONLY`, ...), close-on-exec; a file that `O_CREAT` makes
    /// gets `permissions` (less the umask).
    ///
    /// The corresponding C function is `open`; a failure names it as `open(PATH)`.
    package static func open(_ path: String, _ flags: Int32 = O_RDONLY, permissions: mode_t = 0)
        throws(SystemCallError) -> OwnedFileDescriptor
    {
        let raw = try systemCall("open(\(path))") { Glibc.open(path, flags | O_CLOEXEC, permissions) }
        return OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
    }

    /// A new socket, close-on-exec; `call` names it in a failure (`socket(AF_INET, SOCK_DGRAM)`).
    ///
    /// The corresponding C function is `socket`.
    package static func socket(
        _ family: Int32, _ type: Int32, _ protocol: Int32 = 0, call: @autoclosure () -> String = "socket"
    ) throws(SystemCallError) -> OwnedFileDescriptor {
        let raw = try systemCall(call()) { Glibc.socket(family, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`) }
        return OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
    }

    /// Two connected sockets, close-on-exec: AF_UNIX `SOCK_STREAM` by default.
    ///
    /// The corresponding C function is `socketpair`.
    package static func socketPair(type: Int32 = Int32(SOCK_STREAM.rawValue)) throws(SystemCallError) -> SocketPair {
        var ends: [Int32] = [-1, -1]
        _ = try systemCall("socketpair(AF_UNIX)") { Glibc.socketpair(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) }
        return SocketPair(
            first: OwnedFileDescriptor(owning: FileDescriptor(rawValue: ends[0])),
            second: OwnedFileDescriptor(owning: FileDescriptor(rawValue: ends[1])))
    }

    /// A pipe, both ends close-on-exec from the start.
    ///
    /// The corresponding C function is `pipe2(ends, O_CLOEXEC)`.
    package static func pipe() throws(SystemCallError) -> Pipe {
        var ends: [Int32] = [-1, -1]
        _ = try systemCall("pipe2(O_CLOEXEC)") { cbpf_pipe_close_on_exec(&ends) }
        return Pipe(
            readEnd: OwnedFileDescriptor(owning: FileDescriptor(rawValue: ends[0])),
            writeEnd: OwnedFileDescriptor(owning: FileDescriptor(rawValue: ends[1])))
    }

    /// The two ends of `socketpair`, each closed with its owner (take them apart with
    /// `let first = pair.first`).
    @frozen package struct SocketPair: ~Copyable {
        package var first: OwnedFileDescriptor
        package var second: OwnedFileDescriptor
    }

    /// The two ends of a pipe, each closed with its owner.
    @frozen package struct Pipe: ~Copyable {
        package var readEnd: OwnedFileDescriptor
        package var writeEnd: OwnedFileDescriptor
    }
}
