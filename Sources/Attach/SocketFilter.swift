import CBPF
import CLinuxShims
import Glibc
import SystemCalls

/// Classic BPF socket filters (`SO_ATTACH_FILTER`): attach, detach, lock and read back the
/// filter of any socket.
///
/// The kernel runs the filter on each packet the socket would receive and keeps as many bytes
/// as it returns (0 drops the packet). Where the packet starts depends on the socket: an
/// AF_PACKET socket sees the link-layer header, a raw IP socket the IP header, and a UDP or TCP
/// socket the transport header, with the IP header reachable through `SKF_NET_OFF` loads
/// (compile for `PacketSource.inetSocket`).
public enum SocketFilter {
    /// Attaches `program` to the socket `descriptor`, replacing any filter it had.
    ///
    /// The program is checked by `Verifier` for the socket profile first, so a program the
    /// kernel would refuse fails with ``AttachError/verification(_:)``, whose `VerificationError`
    /// names the instruction; a refusal by the kernel is ``AttachError/systemCall(_:)``.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, ...)`.
    public static func attach(_ program: Program, to descriptor: FileDescriptor) throws(AttachError) {
        try attach(AttachError.verifiedForSocket(program), to: descriptor)
    }

    /// Attaches a verified program without checking it again (one verified for another attach
    /// point is checked for the socket's, where its rules do not already cover them).
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, ...)`.
    public static func attach(_ program: VerifiedProgram, to descriptor: FileDescriptor) throws(AttachError) {
        let verified = try AttachError.verifiedForSocket(program)
        try AttachError.systemCalls { () throws(SystemCallError) in try attach(raw: verified.raw, to: descriptor) }
    }

    /// Attaches raw instructions without checking them first: the kernel's own checker decides.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, ...)`.
    public static func attach(raw program: [RawInstruction], to descriptor: FileDescriptor) throws(SystemCallError) {
        let call = "setsockopt(SO_ATTACH_FILTER)"
        try withFilter(program, call: call) { filter, count in
            cbpf_attach_socket_filter(descriptor.rawValue, filter, count)
        }
    }

    /// Removes the socket's filter. Fails with `ENOENT` when it has none and `EPERM` when the
    /// filter is locked.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, ...)`.
    public static func detach(from descriptor: FileDescriptor) throws(SystemCallError) {
        _ = try systemCall("setsockopt(SO_DETACH_FILTER)") { cbpf_detach_socket_filter(descriptor.rawValue) }
    }

    /// Locks the socket's filter for the socket's lifetime: attaching, detaching and unlocking
    /// then fail with `EPERM`, so code that later runs in the process (a compromised parser, say)
    /// cannot widen what the socket receives. Locking a socket without a filter locks in having
    /// none.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &1, ...)`.
    public static func lock(_ descriptor: FileDescriptor) throws(SystemCallError) {
        try setLock(descriptor, true)
    }

    /// Asks the kernel to unlock the filter: it refuses with `EPERM` once locked, and this exists
    /// to show that (unlocking a filter never locked succeeds and does nothing).
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &0, ...)`.
    public static func unlock(_ descriptor: FileDescriptor) throws(SystemCallError) {
        try setLock(descriptor, false)
    }

    private static func setLock(_ descriptor: FileDescriptor, _ locked: Bool) throws(SystemCallError) {
        _ = try systemCall("setsockopt(SO_LOCK_FILTER)") { cbpf_lock_socket_filter(descriptor.rawValue, locked ? 1 : 0) }
    }

    /// The filter attached to the socket, exactly as it was attached, or nil when it has none.
    ///
    /// The kernel keeps a copy of each classic program it accepts; this asks for its length,
    /// then for the instructions. Another thread may attach a longer filter in between; the
    /// kernel then answers `EINVAL`, and this asks again, a bounded number of times.
    ///
    /// The corresponding C function is `getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, ...)`, first
    /// with a length of 0, which returns the number of instructions.
    public static func attachedFilter(of descriptor: FileDescriptor) throws(SystemCallError) -> [RawInstruction]? {
        let call = "getsockopt(SO_GET_FILTER)"
        for _ in 0..<4 {
            var count: UInt32 = 0
            _ = try systemCall(call) { cbpf_get_socket_filter(descriptor.rawValue, nil, &count) }
            if count == 0 { return nil }
            // The kernel never holds more than BPF_MAXINSNS instructions.
            guard count <= UInt32(Limits.maximumInstructions) else { throw SystemCallError(call, .invalidArgument) }
            var filters = [sock_filter](repeating: sock_filter(), count: Int(count))
            var length = count
            do {
                _ = try systemCall(call) {
                    filters.withUnsafeMutableBufferPointer { cbpf_get_socket_filter(descriptor.rawValue, $0.baseAddress, &length) }
                }
            } catch where error.errno == .invalidArgument {
                continue  // replaced by a longer filter meanwhile
            }
            if length == 0 { return nil }  // detached meanwhile
            return filters.prefix(Int(length)).map(RawInstruction.init)
        }
        throw SystemCallError(call, .invalidArgument)
    }

    /// Hands `program`'s `struct sock_filter` array to `body`, refusing a program longer than a
    /// `struct sock_fprog` can hold as the kernel would (`EINVAL`).
    static func withFilter(
        _ program: [RawInstruction], call: String,
        _ body: (UnsafeMutablePointer<sock_filter>?, UInt16) -> Int32
    ) throws(SystemCallError) {
        guard program.count <= Int(UInt16.max) else { throw SystemCallError(call, .invalidArgument) }
        var filters = program.map(\.sockFilter)
        _ = try systemCall(call) { filters.withUnsafeMutableBufferPointer { body($0.baseAddress, UInt16($0.count)) } }
    }
}
