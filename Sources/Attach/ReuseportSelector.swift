import CBPF
import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// A classic BPF program that picks which socket of an `SO_REUSEPORT` group gets each packet
/// (`SO_ATTACH_REUSEPORT_CBPF`).
///
/// The program's return value is the index of the socket in the group: sockets are numbered
/// from 0 in the order they were bound. A value outside the group falls back to the kernel's
/// hash. For UDP the program sees the datagram's payload at offset 0 (the kernel steps over
/// the UDP header while it runs); for TCP, the TCP header.
///
///     try ReuseportSelector.attach(Program([.loadAbsolute(.byte, offset: 0), .returnA]), to: first)
public enum ReuseportSelector {
    /// Attaches `program`, checked by `Verifier` for the socket profile first, to the group
    /// that `descriptor` belongs to (or, before `bind`, will create), replacing its program.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, ...)`.
    public static func attach(_ program: Program, to descriptor: FileDescriptor) throws(AttachError) {
        try attach(AttachError.verifiedForSocket(program), to: descriptor)
    }

    /// Attaches a verified program to the group that `descriptor` belongs to, without checking
    /// it again where its proof covers the socket's rules.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, ...)`.
    public static func attach(_ program: VerifiedProgram, to descriptor: FileDescriptor) throws(AttachError) {
        let verified = try AttachError.verifiedForSocket(program)
        try AttachError.systemCalls { () throws(SystemCallError) in try attach(raw: verified.raw, to: descriptor) }
    }

    /// Attaches raw instructions without checking them first: the kernel's checker decides.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, ...)`.
    public static func attach(raw program: [RawInstruction], to descriptor: FileDescriptor) throws(SystemCallError) {
        try SocketFilter.withFilter(program, call: "setsockopt(SO_ATTACH_REUSEPORT_CBPF)") { filter, count in
            cbpf_attach_reuseport_filter(descriptor.rawValue, filter, count)
        }
    }

    /// Removes the group's program: the kernel's hash picks again.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, ...)`.
    public static func detach(from descriptor: FileDescriptor) throws(SystemCallError) {
        _ = try systemCall("setsockopt(SO_DETACH_REUSEPORT_BPF)") { cbpf_detach_reuseport_filter(descriptor.rawValue) }
    }

    /// Lets `descriptor` join a reuseport group when it binds: sockets of the same user bound to
    /// the same address and port with this set share it.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &1, ...)`.
    public static func allowReuse(of descriptor: FileDescriptor) throws(SystemCallError) {
        _ = try systemCall("setsockopt(SO_REUSEPORT)") { cbpf_set_reuse_port(descriptor.rawValue) }
    }
}
