import CBPF
import CBPFFuzz
import PacketFilter

/// Network-layer payloads taken from real packets, re-wrapped in each supported link layer and
/// mutated with the constants and offsets of the programs under test.
package struct OracleMutator: Sendable {
    /// An EtherType and the bytes after the link-layer header.
    package struct Payload: Sendable {
        package var etherType: UInt16
        package var bytes: [UInt8]
    }

    package var payloads: [Payload]

    /// The payloads of every capture packet of a supported link type, at most `limit`, spread evenly.
    package init(packets: [LinkType: [OraclePacket]], limit: Int) {
        var all = [Payload]()
        for linkType in packets.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            for packet in packets[linkType] ?? [] {
                if let payload = Self.payload(of: packet.data, linkType: linkType) { all.append(payload) }
            }
        }
        if all.count > limit {
            let stride = Double(all.count) / Double(limit)
            all = (0 ..< limit).map { all[Int(Double($0) * stride)] }
        }
        payloads = all
    }

    /// The EtherType and network-layer bytes of a packet of `linkType`.
    static func payload(of data: [UInt8], linkType: LinkType) -> Payload? {
        func be16(_ at: Int) -> UInt16? { at + 2 <= data.count ? UInt16(data[at]) << 8 | UInt16(data[at + 1]) : nil }
        func ip(_ from: Int) -> Payload? {
            guard from < data.count else { return nil }
            switch data[from] >> 4 {
            case 4: return Payload(etherType: 0x0800, bytes: Array(data[from...]))
            case 6: return Payload(etherType: 0x86dd, bytes: Array(data[from...]))
            default: return nil
            }
        }
        switch linkType {
        case .ethernet:
            guard let type = be16(12) else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(14)))
        case .linuxSLL:
            guard let type = be16(14) else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(16)))
        case .linuxSLL2:
            guard let type = be16(0), data.count >= 20 else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(20)))
        case .raw, .ipv4, .ipv6: return ip(0)
        case .null, .loop: return ip(4)
        case .ieee802_11, .ieee802_11Radio:
            // A data frame with an LLC/SNAP header (radiotap's padding is left out).
            var header = 0
            if linkType == .ieee802_11Radio {
                guard data.count >= 4 else { return nil }
                header = Int(data[2]) | Int(data[3]) << 8
            }
            guard header < data.count, data[header] & 0x0c == 0x08 else { return nil }
            let snap = header + 24 + (data[header] & 0x80 != 0 ? 2 : 0)
            guard snap + 8 <= data.count, data[snap] == 0xaa, data[snap + 1] == 0xaa, data[snap + 2] == 0x03,
                  let type = be16(snap + 6)
            else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(snap + 8)))
        default: return pointToPointPayload(of: data, linkType: linkType)
        }
    }

    /// A radiotap header (for `IEEE802_11_RADIO`), an 802.11 header of a data frame (sometimes
    /// QoS), or now and then of another frame, and an LLC/SNAP header.
    static func wirelessHeader(radiotap: Bool, etherType: UInt16, macs: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var padded = false
        var header: [UInt8] = []
        if radiotap {
            // Radiotap's flags (0x20: padding after the 802.11 header), with or without TSFT
            // first, or an extended presence bitmap, or no fields at all.
            let flags: UInt8 = random.chance(1, in: 2) ? 0x20 : random.element(of: [0x00, 0x10, UInt8(random.below(256))])
            padded = flags & 0x20 != 0
            switch random.below(5) {
            case 0: header = [0, 0, 8, 0, 0, 0, 0, 0]
            case 1: header = [0, 0, 10, 0, 2, 0, 0, 0, flags, 0]
            case 2: header = [0, 0, 18, 0, 3, 0, 0, 0] + random.bytes(8) + [flags, 0]
            case 3: header = [0, 0, 16, 0, 2, 0, 0, 0x80, 0, 0, 0, 0, flags, 0, 0, 0]
            default:
                let length = random.int(in: 8 ... 40)
                header = [0, 0, UInt8(length), 0] + random.bytes(length - 4)
                padded = false
            }
        }
        let frameControl: UInt8 = random.element(of: [0x08, 0x88, 0x08, 0x88, 0x80, 0x40, 0xd4, 0xc4, 0xb4, 0x48, UInt8(random.below(256))])
        let flags = UInt8(random.below(4)) | (random.chance(1, in: 4) ? UInt8(random.below(256)) : 0)
        var mac = [frameControl, flags, 0, 0] + random.element(of: macs) + random.element(of: macs) + random.element(of: macs) + [0, 0]
        if flags & 0x03 == 0x03, random.chance(1, in: 2) { mac += random.element(of: macs) }
        if frameControl & 0x8c == 0x88 { mac += [0, 0] }
        if padded { mac += [UInt8](repeating: 0, count: (4 - mac.count % 4) % 4) }
        return header + mac + [0xaa, 0xaa, 0x03, 0, 0, 0, UInt8(etherType >> 8), UInt8(etherType & 0xff)]
    }

    /// The link-layer header for `linkType` in front of a payload of `etherType`.
    static func header(for linkType: LinkType, etherType: UInt16, random: inout FuzzRandom) -> [UInt8] {
        let macs: [[UInt8]] = [
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01],
            [0x33, 0x33, 0x00, 0x00, 0x00, 0x01], [0x00, 0x11, 0x22, 0x33, 0x44, 0x55], random.bytes(6),
        ]
        let type = [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        switch linkType {
        case .ethernet:
            return random.element(of: macs) + random.element(of: macs) + type
        case .linuxSLL:
            let packetType = UInt8(random.below(6))
            return [0, packetType, 0, 1, 0, 6] + random.element(of: macs) + [0, 0] + type
        case .linuxSLL2:
            let index = random.chance(1, in: 2) ? UInt32(random.below(8)) : random.word()
            return type + [0, 0] + withUnsafeBytes(of: index.bigEndian) { Array($0) } + [0, 1, UInt8(random.below(6)), 6]
                + random.element(of: macs) + [0, 0]
        case .null, .loop:
            let family: UInt32 = switch etherType {
            case 0x0800: 2
            case 0x86dd: random.element(of: [10, 24, 28, 30])
            default: random.element(of: [0, 1, 7, 17, random.word()])
            }
            let bigEndian = linkType == .loop ? !random.chance(1, in: 8) : random.chance(1, in: 4)
            return withUnsafeBytes(of: bigEndian ? family.bigEndian : family.littleEndian) { Array($0) }
        case .ieee802_11, .ieee802_11Radio:
            return wirelessHeader(radiotap: linkType == .ieee802_11Radio, etherType: etherType, macs: macs, random: &random)
        default:
            return pointToPointHeader(for: linkType, etherType: etherType, random: &random) ?? []
        }
    }

    /// Where a program loads from and what it compares with.
    package struct Probes: Sendable {
        /// (offset, size, indirect)
        package var loads: [(offset: UInt32, size: Int, indirect: Bool)] = []
        /// (load index, constant)
        package var comparisons: [(load: Int, value: UInt32)] = []
        /// The constants compared with the packet length, each with its neighbours.
        package var lengthConstants: [UInt32] = []

        package init(_ programs: [[RawInstruction]]) {
            for program in programs {
                var lastLoad: Int? = nil
                var lastWasLength = false
                for instruction in program {
                    let code = instruction.code
                    switch code {
                    case 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1:
                        let size = code == 0x20 || code == 0x40 ? 4 : code == 0x28 || code == 0x48 ? 2 : 1
                        loads.append((instruction.k, size, code & 0xe0 == 0x40))
                        lastLoad = loads.count - 1
                        lastWasLength = false
                    case 0x80:
                        lastWasLength = true
                    case 0x15, 0x25, 0x35, 0x45:
                        let k = instruction.k
                        if lastWasLength {
                            lengthConstants += [k, k &+ 1, k &- 1]
                        } else if let lastLoad {
                            comparisons.append((lastLoad, k))
                            if code != 0x15 { comparisons.append((lastLoad, k &+ 1)) }
                            if code == 0x25 || code == 0x35 { comparisons.append((lastLoad, k &- 1)) }
                        }
                    default:
                        break
                    }
                }
            }
        }
    }

    /// A packet made from a real payload in `linkType`'s header, or a random one, then mutated.
    package func packet(for linkType: LinkType, probes: Probes, random: inout FuzzRandom) -> OraclePacket {
        var data: [UInt8]
        var origin: String
        if payloads.isEmpty || random.chance(1, in: 10) {
            let etherType: UInt16 = random.element(of: [0x0800, 0x86dd, 0x0806, 0x8035, 0x8100, 0x0800, 0x86dd])
            var body = random.bytes(random.int(in: 0 ... 120))
            if etherType == 0x0800, body.count > 20 {
                body[0] = 0x40 | UInt8(random.int(in: 5 ... 15))
                body[9] = random.element(of: [1, 2, 4, 6, 17, 41, 47, 50, 51, 58, 103, 112, 132, UInt8(random.below(256))])
                if random.chance(1, in: 2) { body[6] &= 0x20 }
            } else if etherType == 0x86dd, body.count > 40 {
                body[0] = 0x60
                body[6] = random.element(of: [0, 6, 17, 43, 44, 58, 60, 132, UInt8(random.below(256))])
            }
            data = Self.header(for: linkType, etherType: etherType, random: &random) + body
            origin = "random"
        } else {
            let payload = random.element(of: payloads)
            data = Self.header(for: linkType, etherType: payload.etherType, random: &random) + payload.bytes
            origin = "payload"
        }
        var wireLength = UInt32(data.count)
        let mutations = random.int(in: 0 ... 4)
        for _ in 0 ..< mutations {
            switch random.below(10) {
            case 0 ... 4 where !probes.comparisons.isEmpty:
                // A compared constant at the offset it is loaded from.
                let comparison = random.element(of: probes.comparisons)
                let load = probes.loads[comparison.load]
                var offset = Int(load.offset)
                if load.indirect {
                    offset += random.element(of: [14, 16, 20, 4, 0, 34, 36, 40, 24, 54, 60]) + 4 * random.below(6)
                }
                guard offset >= 0, offset < 4096 else { break }
                if data.count < offset + load.size {
                    data += random.bytes(offset + load.size - data.count)
                    wireLength = max(wireLength, UInt32(data.count))
                }
                var value = comparison.value
                for position in stride(from: load.size - 1, through: 0, by: -1) {
                    if random.chance(1, in: 8) {
                        data[offset + position] = UInt8(random.below(256))
                    } else {
                        data[offset + position] = UInt8(truncatingIfNeeded: value)
                    }
                    value >>= 8
                }
                origin += "+const"
            case 5 where !data.isEmpty:
                data[random.below(data.count)] = UInt8(random.below(256))
                origin += "+byte"
            case 6 where !data.isEmpty:
                let index = random.below(data.count)
                data[index] ^= UInt8(1) << UInt8(random.below(8))
                origin += "+bit"
            case 7:
                // Truncate: at a loaded field's edge, or anywhere.
                var length: Int
                if !probes.loads.isEmpty, random.chance(2, in: 3) {
                    let load = random.element(of: probes.loads)
                    length = Int(load.offset) + random.int(in: -1 ... load.size)
                    if load.indirect { length += random.element(of: [14, 16, 20, 34, 36, 40, 54]) }
                } else {
                    length = random.below(data.count + 1)
                }
                length = max(0, min(length, data.count))
                data.removeLast(data.count - length)
                origin += "+truncate"
            case 8:
                // The wire length: a length constant of the program, or longer than captured.
                if !probes.lengthConstants.isEmpty, random.chance(2, in: 3) {
                    let target = random.element(of: probes.lengthConstants)
                    wireLength = target
                    if data.count > Int(target) { data.removeLast(data.count - Int(target)) }
                } else {
                    wireLength = UInt32(data.count) + UInt32(random.below(2000))
                }
                origin += "+len"
            default:
                if data.count > 8, random.chance(1, in: 2) {
                    // Insert or remove 4 bytes (a VLAN tag, an option) after the link header.
                    let at = random.int(in: 0 ... min(data.count, 40))
                    if random.chance(1, in: 2) {
                        data.insert(contentsOf: random.bytes(4), at: at)
                    } else if at + 4 <= data.count {
                        data.removeSubrange(at ..< at + 4)
                    }
                    origin += "+shift"
                }
            }
        }
        return OraclePacket(data: data, wireLength: max(wireLength, UInt32(data.count)), origin: origin)
    }
}
