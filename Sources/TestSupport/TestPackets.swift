/// DNS queries and UDP datagrams as the tests' filters see them, with the fields no filter
/// reads left zero (no checksums, no identification).
package enum TestPackets {
    /// 127.0.0.1.
    package static let loopbackIPv4: [UInt8] = [127, 0, 0, 1]
    /// ::1.
    package static let loopbackIPv6: [UInt8] = Array(repeating: 0, count: 15) + [1]

    /// A DNS message with one question for `labels`, type A, class IN: a query, or with
    /// `response` an answer; with `pointer` the name ends in a compression pointer to offset 12
    /// instead of the root label.
    package static func dnsQuery(_ labels: [String], response: Bool = false, pointer: Bool = false) -> [UInt8] {
        var message: [UInt8] = [0x12, 0x34, response ? 0x81 : 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in labels { message += [UInt8(label.utf8.count)] + Array(label.utf8) }
        message += pointer ? [0xc0, 0x0c] : [0]
        return message + [0, 1, 0, 1]
    }

    /// A UDP datagram from the IP header on (as `xt_bpf` and a raw IP link see it): IPv4 with
    /// don't-fragment and TTL 64, or IPv6 with hop limit 64, between loopback addresses unless
    /// given.
    package static func udp(
        _ payload: [UInt8], ipv6: Bool = false, from source: [UInt8]? = nil, to destination: [UInt8]? = nil,
        sourcePort: UInt16 = 0xc001, port: UInt16 = 53
    ) -> [UInt8] {
        let udpLength = 8 + payload.count
        let udp: [UInt8] = [
            UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(port >> 8), UInt8(port & 0xff),
            UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0,
        ] + payload
        if ipv6 {
            let header: [UInt8] = [0x60, 0, 0, 0, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 17, 64]
            return header + (source ?? loopbackIPv6) + (destination ?? loopbackIPv6) + udp
        }
        let total = 20 + udpLength
        let header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 17, 0, 0]
        return header + (source ?? loopbackIPv4) + (destination ?? loopbackIPv4) + udp
    }
}
