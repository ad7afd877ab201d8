import PacketFilter

/// pcap and pcapng files: a damaged file gives its packets up to the damage, then an error.
enum CaptureTarget {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let file = try? CaptureFile(bytes: Array(bytes)) else { return }
        var reader = file.makeReader()
        var packets = 0
        while let packet = try? reader.next() {
            packets += 1
            // A packet never holds more than the bytes the file has.
            if packet.data.count > bytes.count { propertyFailed("packet \(packets) is longer than the file") }
        }
    }
}
