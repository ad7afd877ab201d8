extension CaptureReader {
    /// A packet where the reader holds it: no copy, no allocation.
    ///
    /// Like the data libpcap's `pcap_next_ex` returns, ``bytes`` point into the reader's buffer
    /// and stay valid only until the reader's next call: copy what you keep, for example with
    /// ``CapturedPacket/init(_:)``. (It is not `Sendable` for that reason.)
    public struct PacketView {
        /// The captured bytes: at most the interface's snapshot length.
        public let bytes: UnsafeRawBufferPointer
        /// The packet's length on the wire, which `ld #len` (`len` in pcap-filter) reads.
        public let originalLength: UInt32
        /// The link-layer header type of the packet's interface.
        public let linkType: LinkType
        /// The index of the packet's interface in ``CaptureReader/interfaces``.
        public let interfaceIndex: Int
        /// The timestamp as the file holds it: ticks since the epoch in the interface's units
        /// (pcap: nanoseconds, with a damaged record's fraction of a second or more carried),
        /// converted only when asked for.
        let ticks: UInt64
        let ticksPerSecond: UInt64
        /// pcapng's `if_tsoffset`, in seconds.
        let timestampOffset: Int64

        /// The number of captured bytes (libpcap's `caplen`).
        public var capturedLength: Int { bytes.count }

        /// When the packet was captured.
        public var timestamp: CapturedPacket.Timestamp {
            Self.timestamp(ticks: ticks, perSecond: ticksPerSecond, offset: timestampOffset)
        }

        /// Ticks since the epoch in the interface's resolution, as seconds and nanoseconds
        /// (rounded down, as libpcap does).
        static func timestamp(ticks: UInt64, perSecond: UInt64, offset: Int64) -> CapturedPacket.Timestamp {
            let seconds: UInt64
            let nanoseconds: UInt64
            // The common units divide by a constant, which compiles to a multiplication.
            switch perSecond {
            case 1_000_000_000:
                (seconds, nanoseconds) = ticks.quotientAndRemainder(dividingBy: 1_000_000_000)
            case 1_000_000:
                let (whole, fraction) = ticks.quotientAndRemainder(dividingBy: 1_000_000)
                (seconds, nanoseconds) = (whole, fraction * 1000)
            default:
                let (whole, fraction) = ticks.quotientAndRemainder(dividingBy: perSecond)
                // fraction < perSecond, so the quotient is below 10^9.
                (seconds, nanoseconds) = (
                    whole, perSecond.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000)).quotient
                )
            }
            return CapturedPacket.Timestamp(seconds: Int64(truncatingIfNeeded: seconds) &+ offset, nanoseconds: nanoseconds)
        }
    }
}

extension CapturedPacket {
    /// A copy of a packet that a ``CaptureReader`` holds, which outlives the reader's next call.
    public init(_ view: CaptureReader.PacketView) {
        self.init(data: Array(view.bytes), originalLength: view.originalLength, linkType: view.linkType,
                  interfaceIndex: view.interfaceIndex, timestamp: view.timestamp)
    }
}
