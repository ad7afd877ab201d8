import CBPF
import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// AF_PACKET fanout groups whose classic BPF program picks the socket for each frame
/// (`PACKET_FANOUT` in mode `PACKET_FANOUT_CBPF`, program by `PACKET_FANOUT_DATA`).
///
/// The program sees the frame from the link-layer header, as a filter on the socket does; its
/// return value modulo the number of sockets in the group is the index of the one that gets
/// the frame (sockets are numbered from 0 in the order they joined).
public enum PacketFanout {
    /// How the kernel spreads frames besides the program.
    public struct Options: OptionSet, Hashable, Sendable {
        /// The `PACKET_FANOUT_FLAG_*` bits.
        public var rawValue: UInt16
        /// Options with these `PACKET_FANOUT_FLAG_*` bits.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// When the chosen socket's queue is full, try the next ones (`PACKET_FANOUT_FLAG_ROLLOVER`).
        public static let rollover = Options(rawValue: cbpf_packet_fanout_flag_rollover)
        /// Reassemble IP fragments before the program runs (`PACKET_FANOUT_FLAG_DEFRAG`).
        public static let defragment = Options(rawValue: cbpf_packet_fanout_flag_defrag)
    }

    /// Joins `descriptor`, a bound AF_PACKET socket, to fanout group `group` and makes `selector`,
    /// checked by `Verifier` for the socket profile first, the group's program.
    ///
    /// Every member of a group must be bound to the same protocol and interface and join with
    /// the same options. A socket cannot leave a group except by closing; the program is checked
    /// before the socket joins, so a refused program leaves it out.
    ///
    /// The corresponding C functions are `setsockopt(fd, SOL_PACKET, PACKET_FANOUT, ...)` with
    /// `PACKET_FANOUT_CBPF`, then `setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, ...)`.
    public static func join(
        _ descriptor: FileDescriptor, group: UInt16, selector: Program, options: Options = []
    ) throws(AttachError) {
        try join(descriptor, group: group, selector: AttachError.verifiedForSocket(selector), options: options)
    }

    /// Joins `descriptor` to fanout group `group` with a verified `selector`, not checked again
    /// where its proof covers the socket's rules.
    public static func join(
        _ descriptor: FileDescriptor, group: UInt16, selector: VerifiedProgram, options: Options = []
    ) throws(AttachError) {
        let selector = try AttachError.verifiedForSocket(selector)
        try AttachError.systemCalls { () throws(SystemCallError) in
            try join(descriptor, group: group, options: options)
            try setSelector(raw: selector.raw, of: descriptor)
        }
    }

    /// Joins `descriptor` to the `PACKET_FANOUT_CBPF` group `group` without setting its program:
    /// until a member sets one, socket 0 gets every frame.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_PACKET, PACKET_FANOUT, ...)`.
    public static func join(_ descriptor: FileDescriptor, group: UInt16, options: Options = []) throws(SystemCallError) {
        _ = try systemCall("setsockopt(PACKET_FANOUT)") {
            cbpf_join_packet_fanout(descriptor.rawValue, group, cbpf_packet_fanout_cbpf, options.rawValue)
        }
    }

    /// Replaces the program of the group `descriptor` belongs to, unchecked: the kernel decides.
    ///
    /// The corresponding C function is `setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, ...)`.
    public static func setSelector(raw program: [RawInstruction], of descriptor: FileDescriptor) throws(SystemCallError) {
        try SocketFilter.withFilter(program, call: "setsockopt(PACKET_FANOUT_DATA)") { filter, count in
            cbpf_set_packet_fanout_filter(descriptor.rawValue, filter, count)
        }
    }
}
