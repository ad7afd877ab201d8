import CBPF
import CLinuxShims
import Glibc
import SystemPackage

/// An AF_PACKET socket that captures the frames of one interface through a classic BPF filter,
/// as libpcap's live capture on Linux does: the kernel runs the filter and queues only the frames
/// it accepts, cut to the length it returns.
///
/// The filter is attached before the socket is bound, so no frame reaches it unfiltered.
public struct PacketCaptureSocket: ~Copyable, Sendable {
    /// A captured frame.
    public struct Frame: Hashable, Sendable {
        /// The bytes, from the link-layer header, cut to the filter's return value.
        public var bytes: [UInt8]
        /// `PACKET_HOST` (0), `PACKET_BROADCAST` (1), `PACKET_MULTICAST` (2),
        /// `PACKET_OTHERHOST` (3) or `PACKET_OUTGOING` (4): what `inbound`/`outbound` test.
        public var packetType: UInt8
    }

    private let descriptor: FileDescriptor

    /// Opens a capture of `interface` (such as `"lo"`) through `filter`, checked for the socket
    /// profile first. Needs `CAP_NET_RAW`.
    ///
    /// The corresponding C calls are `socket(AF_PACKET, SOCK_RAW, 0)`,
    /// `setsockopt(SO_ATTACH_FILTER)` and `bind` with `ETH_P_ALL` and the interface's index.
    public init(interface: String, filter: Program) throws {
        let index = if_nametoindex(interface)
        guard index != 0 else { throw Errno(rawValue: errno) }
        let raw = cbpf_packet_socket()
        guard raw >= 0 else { throw Errno(rawValue: errno) }
        let descriptor = FileDescriptor(rawValue: raw)
        do {
            try SocketFilter.attach(filter, to: descriptor)
            guard cbpf_bind_packet_socket(raw, Int32(index)) == 0 else { throw Errno(rawValue: errno) }
        } catch {
            try? descriptor.close()
            throw error
        }
        self.descriptor = descriptor
    }

    deinit {
        try? descriptor.close()
    }

    /// The next frame the filter accepted, or nil when none comes within `timeout`.
    ///
    /// The corresponding C calls are `setsockopt(SO_RCVTIMEO)` and `recvfrom`.
    public func receive(timeout: Duration) throws(Errno) -> Frame? {
        let (seconds, attoseconds) = timeout.components
        let microseconds = max(1, Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
        guard cbpf_set_receive_timeout(descriptor.rawValue, microseconds) == 0 else { throw Errno(rawValue: errno) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var packetType: UInt8 = 0
        let received = buffer.withUnsafeMutableBytes {
            cbpf_receive_frame(descriptor.rawValue, $0.baseAddress, UInt($0.count), &packetType)
        }
        if received < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw Errno(rawValue: errno)
        }
        return Frame(bytes: Array(buffer.prefix(received)), packetType: packetType)
    }
}
