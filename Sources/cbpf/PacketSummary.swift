import Glibc
import PacketFilter

/// One line per packet, in tcpdump's default style: the local time to the microsecond, then what
/// the packet is (`IP 10.0.0.1.40000 > 10.0.0.2.9: UDP, length 12`). Every field is read only
/// when the captured bytes hold it; a cut packet says where it ends (`[|udp]`).
enum PacketSummary {
    /// The line for an Ethernet frame, without the newline. `quick` is tcpdump's `-q`: less
    /// protocol information (`tcp 20` instead of the flags).
    static func line(_ bytes: UnsafeRawBufferPointer, originalLength: Int, seconds: Int64, nanoseconds: UInt32,
                     quick: Bool) -> String {
        line(bytes, linkType: .ethernet, originalLength: originalLength, seconds: seconds, nanoseconds: nanoseconds,
             quick: quick)
    }

    /// The line for a packet of `linkType`: Ethernet, raw IP, Linux cooked (v1 and v2) and the
    /// BSD loopbacks are decoded; other types give their name and length.
    static func line(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int, seconds: Int64,
                     nanoseconds: UInt32, quick: Bool) -> String {
        time(seconds: seconds, nanoseconds: nanoseconds) + " "
            + packet(bytes, linkType: linkType, originalLength: originalLength, quick: quick)
    }

    static func packet(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int, quick: Bool) -> String {
        func after(_ offset: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[min(offset, bytes.count)...])
        }
        switch linkType {
        case .ethernet:
            return ethernet(bytes, originalLength: originalLength, quick: quick)
        case .raw, .ipv4, .ipv6:
            guard let first = bytes.first else { return "[|ip]" }
            return network(type: first >> 4 == 6 ? 0x86DD : 0x0800, bytes, originalLength: originalLength, quick: quick)
        case .linuxSLL:
            guard bytes.count >= 16 else { return "[|sll], length \(originalLength)" }
            return network(type: load16(bytes, 14), after(16), originalLength: originalLength - 16, quick: quick)
        case .linuxSLL2:
            guard bytes.count >= 20 else { return "[|sll2], length \(originalLength)" }
            return network(type: load16(bytes, 0), after(20), originalLength: originalLength - 20, quick: quick)
        case .null, .loop:
            guard bytes.count >= 4 else { return "[|null], length \(originalLength)" }
            // NULL gives the family in the capturing host's order, LOOP in network order.
            let family = linkType == .loop ? UInt32(load16(bytes, 2))
                : UInt32(max(bytes[0], bytes[3]))
            let type: UInt16 = switch family {
            case 2: 0x0800
            case 10, 24, 28, 30: 0x86DD
            default: 0
            }
            guard type != 0 else { return "AF \(family), length \(originalLength)" }
            return network(type: type, after(4), originalLength: originalLength - 4, quick: quick)
        default:
            return "\(linkType), length \(originalLength)"
        }
    }

    /// `HH:MM:SS.uuuuuu` in local time, as tcpdump prints by default.
    static func time(seconds: Int64, nanoseconds: UInt32) -> String {
        var clock = time_t(seconds)
        var parts = tm()
        localtime_r(&clock, &parts)
        return pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2) + "."
            + pad(Int(nanoseconds / 1000), 6)
    }

    static func ethernet(_ bytes: UnsafeRawBufferPointer, originalLength: Int, quick: Bool) -> String {
        guard bytes.count >= 14 else { return "[|ether], length \(originalLength)" }
        var offset = 12
        var type = load16(bytes, offset)
        // 802.1Q and 802.1ad tags left in the frame: look past them.
        while (type == 0x8100 || type == 0x88A8), bytes.count >= offset + 6 {
            offset += 4
            type = load16(bytes, offset)
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[min(offset + 2, bytes.count)...])
        switch type {
        case 0x0800, 0x86DD, 0x0806:
            return network(type: type, payload, originalLength: originalLength - 14, quick: quick)
        default:
            return "\(mac(bytes, 6)) > \(mac(bytes, 0)), ethertype 0x\(hex(type, 4)), length \(originalLength)"
        }
    }

    /// A network-layer packet of EtherType `type`; `originalLength` counts from its start.
    static func network(type: UInt16, _ bytes: UnsafeRawBufferPointer, originalLength: Int, quick: Bool) -> String {
        switch type {
        case 0x0800: return ipv4(bytes, quick: quick)
        case 0x86DD: return ipv6(bytes, quick: quick)
        case 0x0806: return arp(bytes, originalLength: originalLength)
        default: return "ethertype 0x\(hex(type, 4)), length \(originalLength)"
        }
    }

    static func ipv4(_ bytes: UnsafeRawBufferPointer, quick: Bool) -> String {
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return "IP [|ip]" }
        let headerLength = Int(bytes[0] & 0x0F) * 4
        let totalLength = Int(load16(bytes, 2))
        let source = bytes[12 ..< 16].map(String.init).joined(separator: ".")
        let destination = bytes[16 ..< 20].map(String.init).joined(separator: ".")
        let payloadLength = max(0, totalLength - headerLength)
        let fragmentOffset = load16(bytes, 6) & 0x1FFF
        guard headerLength >= 20, fragmentOffset == 0 else {
            return "IP \(source) > \(destination): ip-proto-\(bytes[9]), fragment, length \(payloadLength)"
        }
        let transport = UnsafeRawBufferPointer(rebasing: bytes[min(headerLength, bytes.count)...])
        return "IP " + transportSummary(
            protocol: bytes[9], transport, source: source, destination: destination, separator: ".",
            payloadLength: payloadLength, quick: quick, icmp: icmp)
    }

    static func ipv6(_ bytes: UnsafeRawBufferPointer, quick: Bool) -> String {
        guard bytes.count >= 40, bytes[0] >> 4 == 6 else { return "IP6 [|ip6]" }
        let source = ipv6Address(bytes, 8)
        let destination = ipv6Address(bytes, 24)
        let transport = UnsafeRawBufferPointer(rebasing: bytes[40...])
        return "IP6 " + transportSummary(
            protocol: bytes[6], transport, source: source, destination: destination, separator: ".",
            payloadLength: Int(load16(bytes, 4)), quick: quick, icmp: icmp6)
    }

    /// `source.port > destination.port: UDP, length 12`, or the ICMP message, or the protocol.
    static func transportSummary(
        protocol number: UInt8, _ bytes: UnsafeRawBufferPointer, source: String, destination: String,
        separator: String, payloadLength: Int, quick: Bool, icmp: (UnsafeRawBufferPointer, Int) -> String
    ) -> String {
        switch number {
        case 17:
            guard bytes.count >= 8 else { return "\(source) > \(destination): [|udp]" }
            let length = max(0, Int(load16(bytes, 4)) - 8)
            return "\(source).\(load16(bytes, 0)) > \(destination).\(load16(bytes, 2)): UDP, length \(length)"
        case 6:
            guard bytes.count >= 14 else { return "\(source) > \(destination): [|tcp]" }
            let ports = "\(source).\(load16(bytes, 0)) > \(destination).\(load16(bytes, 2))"
            let dataLength = max(0, payloadLength - Int(bytes[12] >> 4) * 4)
            if quick { return "\(ports): tcp \(dataLength)" }
            return "\(ports): Flags [\(tcpFlags(bytes[13]))], length \(dataLength)"
        case 1, 58:
            return "\(source) > \(destination): " + icmp(bytes, payloadLength)
        default:
            return "\(source) > \(destination): ip-proto-\(number) \(payloadLength)"
        }
    }

    /// tcpdump's letters, in its order: F S R P . U E W.
    static func tcpFlags(_ flags: UInt8) -> String {
        let letters: [(UInt8, String)] = [
            (0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W"),
        ]
        let text = letters.filter { flags & $0.0 != 0 }.map(\.1).joined()
        return text.isEmpty ? "none" : text
    }

    static func icmp(_ bytes: UnsafeRawBufferPointer, _ length: Int) -> String {
        guard bytes.count >= 8 else { return "ICMP [|icmp]" }
        let echo = "id \(load16(bytes, 4)), seq \(load16(bytes, 6)), length \(length)"
        switch (bytes[0], bytes[1]) {
        case (8, _): return "ICMP echo request, \(echo)"
        case (0, _): return "ICMP echo reply, \(echo)"
        case (3, let code): return "ICMP unreachable, code \(code), length \(length)"
        case (let type, let code): return "ICMP type \(type), code \(code), length \(length)"
        }
    }

    static func icmp6(_ bytes: UnsafeRawBufferPointer, _ length: Int) -> String {
        guard bytes.count >= 8 else { return "ICMP6 [|icmp6]" }
        let echo = "id \(load16(bytes, 4)), seq \(load16(bytes, 6)), length \(length)"
        switch bytes[0] {
        case 128: return "ICMP6, echo request, \(echo)"
        case 129: return "ICMP6, echo reply, \(echo)"
        case 133: return "ICMP6, router solicitation, length \(length)"
        case 134: return "ICMP6, router advertisement, length \(length)"
        case 135: return "ICMP6, neighbor solicitation, length \(length)"
        case 136: return "ICMP6, neighbor advertisement, length \(length)"
        case 143: return "ICMP6, multicast listener report v2, length \(length)"
        case let type: return "ICMP6, type \(type), code \(bytes[1]), length \(length)"
        }
    }

    /// `ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28`, for IPv4 over Ethernet.
    static func arp(_ bytes: UnsafeRawBufferPointer, originalLength length: Int) -> String {
        guard bytes.count >= 28, load16(bytes, 0) == 1, load16(bytes, 2) == 0x0800, bytes[4] == 6, bytes[5] == 4 else {
            return "ARP, length \(length)"
        }
        let senderIP = bytes[14 ..< 18].map(String.init).joined(separator: ".")
        let targetIP = bytes[24 ..< 28].map(String.init).joined(separator: ".")
        switch load16(bytes, 6) {
        case 1: return "ARP, Request who-has \(targetIP) tell \(senderIP), length \(length)"
        case 2: return "ARP, Reply \(senderIP) is-at \(mac(bytes, 8)), length \(length)"
        case let operation: return "ARP, operation \(operation), length \(length)"
        }
    }

    // MARK: - Fields

    static func load16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    static func mac(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> String {
        bytes[offset ..< offset + 6].map { hex(UInt16($0), 2) }.joined(separator: ":")
    }

    /// The address as `inet_ntop` writes it (`fe80::1`).
    static func ipv6Address(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + 16])) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func hex(_ value: UInt16, _ digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func pad(_ value: Int, _ digits: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
