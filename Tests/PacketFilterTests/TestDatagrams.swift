/// IPv4 UDP datagrams as the kernel builds them for the attach-point tests, but for the fields
/// no expression there reads (identification, checksums, source port).
enum TestDatagrams {
    static func ipv4UDP(from source: [UInt8], to destination: [UInt8], port: UInt16, payload: [UInt8]) -> [UInt8] {
        let udpLength = 8 + payload.count
        let totalLength = 20 + udpLength
        let ip: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xff), 0, 0, 0x40, 0, 64, 17, 0, 0]
            + source + destination
        let udp: [UInt8] = [0x9c, 0x40, UInt8(port >> 8), UInt8(port & 0xff), UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
        return ip + udp + payload
    }
}
