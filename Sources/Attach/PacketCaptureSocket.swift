import CBPF
import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// An AF_PACKET socket that captures the frames of one interface through a classic BPF filter
/// into a `TPACKET_V3` memory-mapped ring, as libpcap's live capture on Linux does: the kernel
/// runs the filter, writes the frames it accepts (cut to the length it returns) into blocks of
/// the ring, and hands a block over when it is full or its timeout passes. Frames are read in
/// place, without a copy or a system call each.
///
/// The filter is attached before the socket is bound, so no frame reaches it unfiltered.
///
/// ```swift
/// var capture = try PacketCaptureSocket(interface: "eth0", filter: program)
/// try capture.receive(timeout: .seconds(1)) { frame in
///     print(frame.timestamp, frame.originalLength, frame.bytes.count)
/// }
/// ```
// Unchecked: the ring's pointer is owned by this non-copyable value alone, and unmapped with it.
public struct PacketCaptureSocket: ~Copyable, @unchecked Sendable {
    /// The receive ring's shape.
    public struct RingConfiguration: Hashable, Sendable {
        /// Bytes in each block: a power of two, at least a page. Frames never straddle blocks,
        /// so a frame is cut to what fits in one block.
        public var blockSize: Int
        /// The number of blocks; `blockSize * blockCount` is the ring's memory.
        public var blockCount: Int
        /// The most time a partly filled block waits before the kernel hands it over: the
        /// longest a frame waits on a quiet link.
        public var blockTimeout: Duration

        /// 8 blocks of 1 MiB, handed over at least every 100 ms.
        public init(blockSize: Int = 1 << 20, blockCount: Int = 8, blockTimeout: Duration = .milliseconds(100)) {
            self.blockSize = blockSize
            self.blockCount = blockCount
            self.blockTimeout = blockTimeout
        }

        /// A ring of about `bufferSize` bytes (as tcpdump's `-B`), in at least 8 blocks where
        /// pages allow (the kernel fills one while the reader has others), of at most 1 MiB.
        public init(bufferSize: Int, blockTimeout: Duration = .milliseconds(100)) {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            var blockSize = page
            while blockSize < 1 << 20 && blockSize * 2 * 8 <= bufferSize { blockSize *= 2 }
            self.init(blockSize: blockSize, blockCount: max(1, bufferSize / blockSize), blockTimeout: blockTimeout)
        }
    }

    /// A frame in the ring, valid only during the call that hands it over.
    public struct Frame {
        /// The captured bytes, from the link-layer header: at most the filter's return value
        /// (the snapshot length). They live in the ring and are reused once the call returns:
        /// copy what you keep.
        public let bytes: UnsafeRawBufferPointer
        /// The frame's length on the wire.
        public let originalLength: Int
        /// When the kernel received the frame: seconds since the Unix epoch.
        public let seconds: Int64
        /// ...and nanoseconds below one second.
        public let nanoseconds: UInt32
        /// `PACKET_HOST` (0), `PACKET_BROADCAST` (1), `PACKET_MULTICAST` (2),
        /// `PACKET_OTHERHOST` (3) or `PACKET_OUTGOING` (4): what `inbound`/`outbound` test.
        public let packetType: UInt8
        /// The index of the interface the frame crossed.
        public let interfaceIndex: Int32
        /// The frame's protocol (`sll_protocol`: an EtherType such as 0x0800), host byte order.
        public let `protocol`: UInt16
        /// The 802.1Q tag the device removed (`TP_STATUS_VLAN_VALID`), which is no longer in
        /// `bytes`: its TCI, and its TPID when the kernel gives one.
        public let vlanTag: (tci: UInt16, tpid: UInt16?)?

        /// The number of captured bytes (libpcap's `caplen`).
        public var capturedLength: Int { bytes.count }

        /// A copy that outlives the call.
        public var copy: CopiedFrame {
            CopiedFrame(
                bytes: Array(bytes), originalLength: originalLength, seconds: seconds, nanoseconds: nanoseconds,
                packetType: packetType, interfaceIndex: interfaceIndex, protocol: `protocol`)
        }
    }

    /// A frame copied out of the ring.
    public struct CopiedFrame: Hashable, Sendable {
        /// The captured bytes, from the link-layer header, cut to the filter's return value.
        public var bytes: [UInt8]
        /// The frame's length on the wire, before it was cut.
        public var originalLength: Int
        /// The time the kernel took the frame: seconds since 1970 (`tp_sec`).
        public var seconds: Int64
        /// Nanoseconds within that second (`tp_nsec`).
        public var nanoseconds: UInt32
        /// `PACKET_HOST` (0) ... `PACKET_OUTGOING` (4), see ``Frame/packetType``.
        public var packetType: UInt8
        /// The interface the frame was captured on (`sll_ifindex`).
        public var interfaceIndex: Int32
        /// The EtherType in host order (`sll_protocol`).
        public var `protocol`: UInt16
    }

    /// The kernel's counters (`PACKET_STATISTICS`), summed since the socket was opened.
    public struct Statistics: Hashable, Sendable {
        /// Frames the filter accepted, dropped ones included: tcpdump's "received by filter".
        public var packets: UInt64 = 0
        /// Frames the filter accepted that found no room in the ring: tcpdump's "dropped by kernel".
        public var drops: UInt64 = 0
        /// How often the ring was full, so that the kernel stopped queueing until a block came
        /// back (`tp_freeze_q_cnt`).
        public var freezes: UInt64 = 0

        /// Counters with these values.
        public init(packets: UInt64 = 0, drops: UInt64 = 0, freezes: UInt64 = 0) {
            self.packets = packets
            self.drops = drops
            self.freezes = freezes
        }
    }

    private let socket: OwnedFileDescriptor
    private let ring: UnsafeMutableRawPointer
    private let configuration: RingConfiguration
    /// The block read next, and within it the frames left and where the next one is.
    private var blockIndex = 0
    private var framesLeftInBlock = 0
    private var frameOffset = 0
    private var statisticsSoFar = Statistics()

    /// The interface's index.
    public let interfaceIndex: Int32

    /// Opens a capture of `interface` (such as `"eth0"`) through `filter`, checked for the socket
    /// profile first. Needs `CAP_NET_RAW`.
    ///
    /// The corresponding C calls are `socket(AF_PACKET, SOCK_RAW, 0)`,
    /// `setsockopt(SO_ATTACH_FILTER)`, `setsockopt(PACKET_VERSION)` with `TPACKET_V3`,
    /// `setsockopt(PACKET_RX_RING)`, `mmap`, and `bind` with `ETH_P_ALL` and the interface's index.
    public init(interface: String, filter: Program, ring configuration: RingConfiguration = RingConfiguration())
        throws(AttachError)
    {
        try self.init(interface: interface, filter: AttachError.verifiedForSocket(filter), ring: configuration)
    }

    /// Opens a capture of `interface` through a verified `filter`, not checked again where its
    /// proof covers the socket's rules. Needs `CAP_NET_RAW`.
    public init(interface: String, filter: VerifiedProgram, ring configuration: RingConfiguration = RingConfiguration())
        throws(AttachError)
    {
        let filter = try AttachError.verifiedForSocket(filter)
        let opened = try AttachError.systemCalls { () throws(SystemCallError) in
            try Self.open(interface: interface, filter: filter, ring: configuration)
        }
        self.socket = opened.socket
        self.ring = opened.ring
        self.configuration = configuration
        self.interfaceIndex = Int32(opened.interfaceIndex)
    }

    /// What ``open(interface:filter:ring:)`` opened.
    private struct Opened: ~Copyable {
        var socket: OwnedFileDescriptor
        var ring: UnsafeMutableRawPointer
        var interfaceIndex: UInt32
    }

    /// The socket with its filter, bound to `interface` with its ring mapped; on a failure,
    /// what was opened is closed again.
    private static func open(interface: String, filter: VerifiedProgram, ring configuration: RingConfiguration)
        throws(SystemCallError) -> Opened
    {
        let (blockSize, blockCount) = (configuration.blockSize, configuration.blockCount)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard blockSize >= page, blockSize.nonzeroBitCount == 1, blockSize <= Int(UInt32.max),
              blockCount >= 1, blockCount <= 65_536, blockSize.multipliedReportingOverflow(by: blockCount).overflow == false
        else {
            throw SystemCallError("setsockopt(PACKET_RX_RING) with \(blockCount) blocks of \(blockSize) bytes "
                                  + "(a block is a power of two of at least \(page) bytes)", .invalidArgument)
        }
        let index = if_nametoindex(interface)
        guard index != 0 else { throw SystemCallError("if_nametoindex(\"\(interface)\")", Errno(rawValue: errno)) }
        let raw = try systemCall("socket(AF_PACKET, SOCK_RAW)") { cbpf_packet_socket() }
        let socket = OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
        try SocketFilter.attach(raw: filter.raw, to: socket.descriptor)
        _ = try systemCall("setsockopt(PACKET_VERSION, TPACKET_V3)") { cbpf_packet_set_version3(raw) }
        let milliseconds = Self.milliseconds(configuration.blockTimeout)
        // Frames are variable-sized in V3; the frame size only has to divide the block.
        _ = try systemCall("setsockopt(PACKET_RX_RING)") {
            cbpf_packet_set_receive_ring3(raw, UInt32(blockSize), UInt32(blockCount), 2048, UInt32(clamping: max(1, milliseconds)))
        }
        guard let ring = cbpf_map_ring(raw, UInt(blockSize * blockCount)) else {
            throw SystemCallError("mmap(PACKET_RX_RING)", Errno(rawValue: errno))
        }
        do {
            _ = try systemCall("bind(AF_PACKET, \"\(interface)\")") { cbpf_bind_packet_socket(raw, Int32(index)) }
        } catch {
            munmap(ring, blockSize * blockCount)
            throw error
        }
        return Opened(socket: socket, ring: ring, interfaceIndex: index)
    }

    deinit {
        // The socket closes after this, with the ring unmapped.
        munmap(ring, configuration.blockSize * configuration.blockCount)
    }

    /// Joins this socket to the `PACKET_FANOUT_CBPF` group `group`, with `selector` (checked by
    /// `Verifier` first) choosing the member that gets each frame: its return value modulo the
    /// group's size, in join order. Every member must capture the same interface with the same
    /// options; see ``PacketFanout``.
    ///
    /// The corresponding C calls are `setsockopt(fd, SOL_PACKET, PACKET_FANOUT, ...)` and
    /// `setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, ...)`.
    public func joinFanout(group: UInt16, selector: VerifiedProgram, options: PacketFanout.Options = []) throws(AttachError) {
        try PacketFanout.join(socket.descriptor, group: group, selector: selector, options: options)
    }

    /// Joins this socket to the fanout group `group` with `selector`, checked by `Verifier`
    /// first, as the overload that takes a `VerifiedProgram` then joins.
    public func joinFanout(group: UInt16, selector: Program, options: PacketFanout.Options = []) throws(AttachError) {
        try PacketFanout.join(socket.descriptor, group: group, selector: selector, options: options)
    }

    /// Hands each frame of the ring to `body`, waiting up to `timeout` for the kernel to fill a
    /// block when none is ready, and stopping after `maximumCount` frames or at the end of the
    /// ready blocks. Returns the number of frames handed over: 0 when none came within `timeout`
    /// (or a signal interrupted the wait).
    ///
    /// Each block goes back to the kernel once all its frames are handed over; a frame's bytes
    /// are valid only during its call to `body`. When `body` throws, the frame counts as
    /// handed over and the error comes back as ``SystemCallOrBodyError/body(_:)``; a failed
    /// `poll` is ``SystemCallOrBodyError/systemCall(_:)``.
    ///
    /// The corresponding C call, when no block is ready, is `poll(fd, POLLIN, timeout)`.
    @discardableResult
    public mutating func receive<BodyError: Error>(
        timeout: Duration, maximumCount: Int = .max, _ body: (Frame) throws(BodyError) -> Void
    ) throws(SystemCallOrBodyError<BodyError>) -> Int {
        var count = 0
        while count < maximumCount {
            if framesLeftInBlock == 0 {
                let block = blockAddress(blockIndex)
                if cbpf_ring_block_is_ready(block) == 0 {
                    // Wait only before the first frame: what is ready now is handed over now.
                    guard count == 0 else { return count }
                    do {
                        guard try waitForBlock(timeout: timeout), cbpf_ring_block_is_ready(block) != 0 else { return count }
                    } catch {
                        throw .systemCall(error)
                    }
                }
                framesLeftInBlock = Int(cbpf_ring_block_frame_count(block))
                frameOffset = Int(cbpf_ring_block_first_frame(block))
                if framesLeftInBlock == 0 {
                    releaseBlock()
                    continue
                }
            }
            let frameAddress = blockAddress(blockIndex) + frameOffset
            var header = cbpf_ring_frame()
            cbpf_ring_frame_read(frameAddress, &header)
            let limit = configuration.blockSize - frameOffset
            let start = min(Int(header.data_offset), limit)
            let length = min(Int(header.captured_length), limit - start)
            let hasTag = header.status & UInt32(TP_STATUS_VLAN_VALID) != 0
            let hasTPID = header.status & UInt32(TP_STATUS_VLAN_TPID_VALID) != 0
            let frame = Frame(
                bytes: UnsafeRawBufferPointer(start: frameAddress + start, count: length),
                originalLength: Int(header.original_length), seconds: Int64(header.seconds),
                nanoseconds: header.nanoseconds, packetType: header.packet_type,
                interfaceIndex: header.interface_index, protocol: header.protocol,
                vlanTag: hasTag ? (header.vlan_tci, hasTPID ? header.vlan_tpid : nil) : nil)
            framesLeftInBlock -= 1
            frameOffset += Int(header.next_offset)
            // The block goes back after its last frame's call, even one that throws.
            let isLastInBlock = framesLeftInBlock == 0 || header.next_offset == 0
            defer { if isLastInBlock { releaseBlock() } }
            count += 1
            do {
                try body(frame)
            } catch {
                throw .body(error)
            }
        }
        return count
    }

    /// The next frame, copied out of the ring, or nil when none comes within `timeout`.
    public mutating func receive(timeout: Duration) throws(SystemCallError) -> CopiedFrame? {
        var copied: CopiedFrame?
        do {
            try receive(timeout: timeout, maximumCount: 1) { copied = $0.copy }
        } catch {
            switch error {
            case .systemCall(let error): throw error
            }
        }
        return copied
    }

    /// The kernel's counters, summed since the socket was opened.
    ///
    /// The corresponding C call is `getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, ...)`, which
    /// resets the kernel's own counters: this adds them to the sum.
    public mutating func statistics() throws(SystemCallError) -> Statistics {
        var packets: UInt32 = 0
        var drops: UInt32 = 0
        var freezes: UInt32 = 0
        _ = try systemCall("getsockopt(PACKET_STATISTICS)") {
            cbpf_packet_statistics3(socket.descriptor.rawValue, &packets, &drops, &freezes)
        }
        statisticsSoFar.packets += UInt64(packets)
        statisticsSoFar.drops += UInt64(drops)
        statisticsSoFar.freezes += UInt64(freezes)
        return statisticsSoFar
    }

    /// The hardware type of `interface` (`ARPHRD_ETHER` is 1, `ARPHRD_LOOPBACK` 772), which
    /// says what link-layer header its frames start with.
    ///
    /// The corresponding C call is `ioctl(fd, SIOCGIFHWADDR, &ifreq)`.
    public static func hardwareType(ofInterface interface: String) throws(SystemCallError) -> UInt16 {
        let socket = try OwnedFileDescriptor.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), call: "socket(AF_INET, SOCK_DGRAM)")
        let type = try systemCall("ioctl(SIOCGIFHWADDR, \"\(interface)\")") {
            cbpf_interface_hardware_type(socket.descriptor.rawValue, interface)
        }
        return UInt16(truncatingIfNeeded: type)
    }

    private func blockAddress(_ index: Int) -> UnsafeMutableRawPointer {
        ring + index * configuration.blockSize
    }

    private mutating func releaseBlock() {
        cbpf_ring_block_release(blockAddress(blockIndex))
        blockIndex = (blockIndex + 1) % configuration.blockCount
        framesLeftInBlock = 0
        frameOffset = 0
    }

    /// Polls until the socket is readable; false on timeout or an interrupting signal, so that
    /// a caller's signal handler (`cbpf capture`'s SIGINT) is seen at once.
    private func waitForBlock(timeout: Duration) throws(SystemCallError) -> Bool {
        var events: Int16 = 0
        let result: Int32
        do {
            result = try systemCall("poll", retryOnInterrupt: false) {
                cbpf_poll_readable(socket.descriptor.rawValue, Int32(clamping: Self.milliseconds(timeout)), &events)
            }
        } catch where error.errno == .interrupted {
            return false
        }
        if events & Int16(POLLERR) != 0 {
            // A pending socket error (such as ENETDOWN); reading it clears it.
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socket.descriptor.rawValue, SOL_SOCKET, SO_ERROR, &error, &length)
            throw SystemCallError("poll", Errno(rawValue: error == 0 ? EIO : error))
        }
        return result > 0
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return Int(clamping: seconds.multipliedReportingOverflow(by: 1000).partialValue)
            + Int(attoseconds / 1_000_000_000_000_000)
    }
}
