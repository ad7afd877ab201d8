/// The pcap and pcapng capture file formats: what ``CaptureReader`` reads and
/// ``CaptureFileWriter`` writes.
///
/// A packet keeps at most its interface's snapshot length (``Interface/effectiveSnapshotLength``),
/// as libpcap cuts longer pcap records, so that a filter sees the bytes tcpdump's filter sees
/// (libpcap refuses such pcapng blocks; we cut them likewise). Pseudo-headers stay as the file
/// holds them, where libpcap swaps a few (Linux SLL CAN IDs, NFLOG, USB) into host byte order.
public enum CaptureFile {
    /// The file formats, told apart by their first four bytes.
    public enum Format: Hashable, Sendable {
        /// Classic libpcap format: one file header, then one record per packet.
        case pcap
        /// pcapng: blocks, in one or more sections, each with its own interfaces.
        case pcapng
    }

    /// The byte order of a file's integers.
    public enum ByteOrder: Hashable, Sendable {
        /// Least significant byte first (x86, aarch64, and so most files).
        case littleEndian
        /// Most significant byte first.
        case bigEndian

        /// The order of this machine, in which libpcap writes.
        public static var host: ByteOrder {
            UInt16(1).littleEndian == 1 ? .littleEndian : .bigEndian
        }
    }
}

extension CaptureFile.ByteOrder {
    // The callers check every length against the bytes there are before they load; the
    // buffer's own bounds checks stay on in debug builds.

    @inline(__always)
    func load16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return self == .bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }

    @inline(__always)
    func load32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return self == .bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    @inline(__always)
    func load64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        let first = UInt64(load32(bytes, at: offset))
        let second = UInt64(load32(bytes, at: offset + 4))
        return self == .bigEndian ? first << 32 | second : second << 32 | first
    }
}
