import PacketFilter

/// Frames of the point-to-point link types for the oracle tests: network payloads of many kinds
/// (IPv4, IPv6, ARP, MPLS, OSI, PPPoE, DECnet, IPX, ...), each in every link type's framing as
/// its captures have it, plus a few framings libpcap does not expect.
enum PointToPointFrames {
    /// A payload and what carries it: an EtherType, or an 802.2 SAP (OSI 0xFE, IPX 0xE0, STP 0x42).
    struct Payload {
        var etherType: UInt16
        var bytes: [UInt8]
    }

    static func be16(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }

    static func ipv4(_ proto: UInt8, from source: [UInt8], to destination: [UInt8], _ transport: [UInt8],
                     fragment: Int = 0) -> [UInt8] {
        [0x45, 0] + be16(20 + transport.count) + [0, 1] + be16(fragment) + [64, proto, 0, 0] + source + destination + transport
    }

    static func ipv6(_ next: UInt8, from source: [UInt8], to destination: [UInt8], _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payload.count) + [next, 64] + source + destination + payload
    }

    static func tcp(_ source: Int, _ destination: Int, flags: UInt8) -> [UInt8] {
        be16(source) + be16(destination) + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
    }

    static func udp(_ source: Int, _ destination: Int, _ payload: [UInt8]) -> [UInt8] {
        be16(source) + be16(destination) + be16(8 + payload.count) + [0, 0] + payload
    }

    /// A DNS query for example.com.
    static let dnsQuery: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7] + Array("example".utf8) + [3]
        + Array("com".utf8) + [0, 0, 1, 0, 1]

    static let loopback6: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]
    static let allNodes6: [UInt8] = [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [1]

    static var payloads: [Payload] {
        let tcpSYN = ipv4(6, from: [10, 0, 0, 1], to: [1, 2, 3, 4], tcp(1234, 80, flags: 0x02))
        let dns = ipv4(17, from: [12, 1, 1, 1], to: [10, 0, 0, 2], udp(5353, 53, dnsQuery))
        let dns6 = ipv6(17, from: loopback6, to: allNodes6, udp(5353, 53, dnsQuery))
        // IS-IS: NLPID, header length, version, ID length, PDU type, then the rest of a PDU.
        let isis = { (type: UInt8) -> [UInt8] in [0x83, 0x1b, 0x01, 0x00, type, 0x01, 0x00, 0x00] + [UInt8](repeating: 0x11, count: 12) }
        var payloads = [
            Payload(etherType: 0x0800, bytes: tcpSYN),
            Payload(etherType: 0x0800, bytes: dns),
            Payload(etherType: 0x0800, bytes: ipv4(1, from: [1, 2, 3, 4], to: [224, 0, 0, 1], [8, 0, 0, 0, 0, 1, 0, 1])),
            Payload(etherType: 0x0800, bytes: ipv4(6, from: [1, 2, 3, 4], to: [10, 0, 0, 1], tcp(80, 1234, flags: 0x12), fragment: 100)),
            Payload(etherType: 0x86dd, bytes: dns6),
            Payload(etherType: 0x86dd, bytes: ipv6(44, from: allNodes6, to: loopback6, [6, 0, 0, 0, 0, 0, 0, 1] + tcp(1, 80, flags: 2))),
            Payload(etherType: 0x0806, bytes: [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]),
            // MPLS: label 100 at the bottom of the stack; labels 5 then 100.
            Payload(etherType: 0x8847, bytes: [0x00, 0x06, 0x41, 0x40] + dns),
            Payload(etherType: 0x8847, bytes: [0x00, 0x00, 0x50, 0x40, 0x00, 0x06, 0x41, 0x40] + dns6),
            Payload(etherType: 0xfe, bytes: [0x81, 0x1c, 0x01, 0x00] + [UInt8](repeating: 0x22, count: 16)),
            Payload(etherType: 0xfe, bytes: [0x82, 0x0a, 0x01, 0x00, 0x02, 0x00] + [UInt8](repeating: 0x33, count: 10)),
            // PPPoE sessions 3 and 5 carrying IPv4 and MPLS, and a discovery frame.
            Payload(etherType: 0x8864, bytes: [0x11, 0x00, 0x00, 0x03] + be16(2 + tcpSYN.count) + [0x00, 0x21] + tcpSYN),
            Payload(etherType: 0x8864, bytes: [0x11, 0x00, 0x00, 0x05] + be16(6 + dns.count) + [0x02, 0x81, 0, 0, 0x51, 0x40] + dns),
            Payload(etherType: 0x8863, bytes: [0x11, 0x09, 0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00]),
            // DECnet from 1.1 to 1.1 (short routing header), IPX, AppleTalk, STP, LAT.
            Payload(etherType: 0x6003, bytes: [0x20, 0x00, 0x02, 0x01, 0x04, 0x01, 0x04, 0x05]),
            Payload(etherType: 0xe0, bytes: [0xff, 0xff, 0x00, 0x40, 0x00, 0x04] + [UInt8](repeating: 0, count: 10)),
            Payload(etherType: 0x809b, bytes: [0x00, 0x0d, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]),
            Payload(etherType: 0x42, bytes: [0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00]),
            Payload(etherType: 0x6004, bytes: [0x00, 0x01, 0x02, 0x03]),
        ]
        for type: UInt8 in [15, 17, 18, 20, 24, 25, 26, 27] { payloads.append(Payload(etherType: 0xfe, bytes: isis(type))) }
        return payloads
    }

    /// libpcap's PPP protocol for an EtherType or SAP.
    static func pppProtocol(_ etherType: UInt16) -> Int {
        switch etherType {
        case 0x0800: 0x0021
        case 0x86dd: 0x0057
        case 0x8847: 0x0281
        case 0xfe: 0x0023
        case 0x6003: 0x0027
        case 0x809b: 0x0029
        case 0xe0: 0x002b
        case 0x42: 0x0031
        default: Int(etherType)
        }
    }

    static func frames(for linkType: LinkType) -> [[UInt8]] {
        let payloads = Self.payloads
        let ip = payloads.filter { $0.etherType == 0x0800 || $0.etherType == 0x86dd }
        switch linkType {
        case .ppp, .pppSerial:
            // Address and control as RFC 1662 has them, and once left out (libpcap still reads
            // the protocol 2 bytes in).
            return payloads.map { [0xff, 0x03] + be16(pppProtocol($0.etherType)) + $0.bytes } + [[0x00, 0x21] + ip[0].bytes]
        case .pppOverEthernet:
            return payloads.map {
                [0x11, 0x00, 0x00, 0x03] + be16(2 + $0.bytes.count) + be16(pppProtocol($0.etherType)) + $0.bytes
            }
        case .ciscoHDLC:
            // Unicast (0x0F) and multicast (0x8F) addresses; OSI as 0xFEFE, then a pad byte.
            return payloads.map { payload in
                let type = payload.etherType == 0xfe ? [0xfe, 0xfe, 0x00] : be16(Int(payload.etherType))
                return [payload.bytes.count % 2 == 0 ? 0x0f : 0x8f, 0x00] + type + payload.bytes
            }
        case .slip:
            // Received, sent, a direction that is neither, and first bytes that look like IP
            // versions (libpcap tests the version there).
            return [0, 1, 7, 0x45, 0x60].flatMap { direction in
                ip.map { [direction] + [UInt8](repeating: 0, count: 15) + $0.bytes }
            } + [[0] + [UInt8](repeating: 0, count: 15) + payloads[6].bytes]
        case .frameRelay:
            // Q.922 address, UI, then the NLPID: IP and IPv6, OSI (whose NLPID starts its
            // header), SNAP for the rest; and once Cisco's encapsulation with an EtherType.
            let address: [UInt8] = [0x18, 0x41]
            return payloads.map { payload in
                switch payload.etherType {
                case 0x0800: address + [0x03, 0xcc] + payload.bytes
                case 0x86dd: address + [0x03, 0x8e] + payload.bytes
                case 0xfe: address + [0x03] + payload.bytes
                default: address + [0x03, 0x80, 0x00, 0x00, 0x00] + be16(Int(payload.etherType)) + payload.bytes
                }
            } + [address + be16(0x86dd) + ip[4].bytes]
        default:
            return []
        }
    }
}
