/// One packet of a capture file: what a filter runs on.
public struct CapturedPacket: Hashable, Sendable {
    /// When a packet was captured: seconds since the Unix epoch and a fraction below one second.
    public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// Seconds since 1970-01-01 00:00:00 UTC.
        public var seconds: Int64
        /// Nanoseconds, below 1 000 000 000.
        public var nanoseconds: UInt32

        /// Normalises `nanoseconds` of one second or more into `seconds`, so that a damaged
        /// record still gives a valid timestamp.
        public init(seconds: Int64, nanoseconds: UInt64 = 0) {
            self.seconds = seconds &+ Int64(truncatingIfNeeded: nanoseconds / 1_000_000_000)
            self.nanoseconds = UInt32(truncatingIfNeeded: nanoseconds % 1_000_000_000)
        }

        /// Orders timestamps in time.
        public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
            (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
        }

        /// `seconds.nanoseconds`, as `tcpdump -tt --nano` prints it.
        public var description: String {
            let fraction = String(nanoseconds)
            return "\(seconds)." + String(repeating: "0", count: 9 - fraction.count) + fraction
        }
    }

    /// The captured bytes: at most the interface's snapshot length, and at most `originalLength`
    /// in a well-formed file.
    public var data: [UInt8]
    /// The packet's length on the wire, which `ld #len` (`len` in pcap-filter) reads.
    public var originalLength: UInt32
    /// The link-layer header type of the packet's interface.
    public var linkType: LinkType
    /// The index of the packet's interface in ``CaptureReader/interfaces``: 0 in a pcap file, and
    /// in a pcapng file the Interface Description Blocks counted from the start of the file
    /// (the interface ID within its section plus the interfaces of earlier sections).
    public var interfaceIndex: Int
    /// When the packet was captured.
    public var timestamp: Timestamp

    /// A packet of `data`; the original length defaults to the captured length.
    public init(data: [UInt8], originalLength: UInt32? = nil, linkType: LinkType, interfaceIndex: Int = 0,
                timestamp: Timestamp = Timestamp(seconds: 0)) {
        self.data = data
        self.originalLength = originalLength ?? UInt32(truncatingIfNeeded: data.count)
        self.linkType = linkType
        self.interfaceIndex = interfaceIndex
        self.timestamp = timestamp
    }

    /// The number of captured bytes (libpcap's `caplen`).
    public var capturedLength: Int { data.count }
}

extension CaptureFile {
    /// A capturing interface: a pcap file's header, or a pcapng Interface Description Block.
    public struct Interface: Hashable, Sendable {
        /// The link-layer header type of its packets.
        public var linkType: LinkType
        /// The snapshot length as written in the file; 0 in pcapng means no limit.
        public var snapshotLength: UInt32
        /// Timestamp units per second: 1 000 000 or 1 000 000 000 in pcap, `if_tsresol` in pcapng.
        public var ticksPerSecond: UInt64
        /// Seconds added to every timestamp (pcapng `if_tsoffset`).
        public var timestampOffset: Int64
        /// The number of frame check sequence bytes at the end of each packet, when the file says.
        public var fcsLength: Int?
        /// The interface's name (pcapng `if_name`), when the file gives one.
        public var name: String?
        /// The 0-based pcapng section that describes the interface; 0 in a pcap file.
        public var section: Int

        /// An interface as a pcap header or an Interface Description Block describes it.
        public init(linkType: LinkType, snapshotLength: UInt32, ticksPerSecond: UInt64 = 1_000_000,
                    timestampOffset: Int64 = 0, fcsLength: Int? = nil, name: String? = nil, section: Int = 0) {
            self.linkType = linkType
            self.snapshotLength = snapshotLength
            self.ticksPerSecond = ticksPerSecond
            self.timestampOffset = timestampOffset
            self.fcsLength = fcsLength
            self.name = name
            self.section = section
        }

        /// The most bytes a packet of this interface keeps, as libpcap computes it: the snapshot
        /// length, or the link type's maximum when that is 0 or smaller.
        public var effectiveSnapshotLength: UInt32 {
            let maximum = linkType.maximumSnapshotLength
            return snapshotLength == 0 || snapshotLength > maximum ? maximum : snapshotLength
        }
    }
}

extension LinkType {
    /// The largest packet libpcap accepts for the type (`max_snaplen_for_dlt`): 256 KiB except for
    /// D-Bus, EBHSCR and USBPcap, whose messages are larger.
    public var maximumSnapshotLength: UInt32 {
        switch rawValue {
        case 231: return 128 * 1024 * 1024  // DBUS
        case 279: return 8 * 1024 * 1024  // EBHSCR
        case 249: return 1024 * 1024  // USBPCAP
        default: return 262_144
        }
    }
}
