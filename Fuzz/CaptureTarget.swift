import PacketFilter

/// pcap and pcapng files: a damaged file gives its packets up to the damage, then an error.
enum CaptureTarget {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        // A small buffer, so that records and blocks cross its refills.
        guard var reader = try? CaptureReader(bytes: Array(bytes), bufferCapacity: 64) else { return }
        var packets = 0
        while let packet = try? reader.nextPacket() {
            packets += 1
            // A packet never holds more than the bytes the file has.
            if packet.bytes.count > bytes.count { propertyFailed("packet \(packets) is longer than the file") }
            _ = packet.timestamp
        }
    }
}
