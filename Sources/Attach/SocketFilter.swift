import CBPF
import CLinuxShims
import Glibc
import SystemPackage

/// Classic BPF socket filters (`SO_ATTACH_FILTER`).
public enum SocketFilter {
    /// Attaches `program` to the socket `descriptor`, replacing any filter it had.
    ///
    /// The program is checked by ``Verifier`` for the socket profile first, so a program the
    /// kernel would refuse fails with a ``VerificationError`` that names the instruction.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, ...)`.
    public static func attach(_ program: Program, to descriptor: FileDescriptor) throws {
        try Verifier.verify(program, for: .socket)
        try attach(raw: program.raw, to: descriptor)
    }

    /// Attaches raw instructions without checking them first: the kernel's own checker decides.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, ...)`.
    public static func attach(raw program: [RawInstruction], to descriptor: FileDescriptor) throws(Errno) {
        guard program.count <= Int(UInt16.max) else { throw Errno.invalidArgument }
        var filters = program.map(\.sockFilter)
        let result = filters.withUnsafeMutableBufferPointer {
            cbpf_attach_socket_filter(descriptor.rawValue, $0.baseAddress, UInt16($0.count))
        }
        if result != 0 { throw Errno(rawValue: errno) }
    }

    /// Removes the socket's filter.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, ...)`.
    public static func detach(from descriptor: FileDescriptor) throws(Errno) {
        if cbpf_detach_socket_filter(descriptor.rawValue) != 0 { throw Errno(rawValue: errno) }
    }
}
