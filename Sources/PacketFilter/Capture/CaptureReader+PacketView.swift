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
        let rawTimestamp: RawTimestamp

        /// The number of captured bytes (libpcap's `caplen`).
        public var capturedLength: Int { bytes.count }

        /// When the packet was captured, converted from the file's units only when asked for.
        public var timestamp: CapturedPacket.Timestamp {
            switch rawTimestamp {
            case .split(let seconds, let nanoseconds):
                return CapturedPacket.Timestamp(seconds: Int64(seconds), nanoseconds: nanoseconds)
            case .ticks(let ticks, let perSecond, let offset):
                return Self.timestamp(ticks: ticks, perSecond: perSecond, offset: offset)
            }
        }

        /// A timestamp as the file holds it.
        enum RawTimestamp {
            /// pcap: unsigned seconds and the fraction in nanoseconds (possibly a second or more
            /// in a damaged record).
            case split(seconds: UInt32, nanoseconds: UInt64)
            /// pcapng: ticks since the epoch in the interface's units, and its `if_tsoffset`.
            case ticks(UInt64, perSecond: UInt64, offset: Int64)
        }

        /// Ticks since the epoch in the interface's resolution, as seconds and nanoseconds
        /// (rounded down, as libpcap does).
        static func timestamp(ticks: UInt64, perSecond: UInt64, offset: Int64) -> CapturedPacket.Timestamp {
            let (seconds, fraction) = ticks.quotientAndRemainder(dividingBy: perSecond)
            let nanoseconds: UInt64
            switch perSecond {
            case 1_000_000_000: nanoseconds = fraction
            case 1_000_000: nanoseconds = fraction * 1000
            default:
                // fraction < perSecond, so the quotient is below 10^9.
                nanoseconds = perSecond.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000)).quotient
            }
            return CapturedPacket.Timestamp(
                seconds: Int64(truncatingIfNeeded: seconds) &+ offset, nanoseconds: nanoseconds)
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
