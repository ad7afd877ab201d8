import CBPFFuzz
import PacketFilter

/// The point-to-point link types' headers for the mutator: PPP (plain and in HDLC-like
/// framing), PPPoE sessions, Cisco HDLC, SLIP and Frame Relay, as their captures have them.
extension OracleMutator {
    /// PPP protocol numbers and the EtherTypes they stand for.
    private static let pppProtocols: [(ppp: UInt16, etherType: UInt16)] = [
        (0x0021, 0x0800), (0x0057, 0x86dd), (0x0281, 0x8847), (0x0027, 0x6003), (0x0029, 0x809b), (0x002b, 0x8137),
    ]
    /// Frame Relay NLPIDs and the EtherTypes they stand for.
    private static let frameRelayNLPIDs: [(nlpid: UInt8, etherType: UInt16)] = [(0xcc, 0x0800), (0x8e, 0x86dd)]

    /// The EtherType and network-layer bytes of a packet of a point-to-point link type, if it
    /// carries a protocol the other link types can carry too.
    static func pointToPointPayload(of data: [UInt8], linkType: LinkType) -> Payload? {
        func be16(_ at: Int) -> UInt16? { at + 2 <= data.count ? UInt16(data[at]) << 8 | UInt16(data[at + 1]) : nil }
        func ppp(protocolAt offset: Int) -> Payload? {
            guard let value = be16(offset), let etherType = pppProtocols.first(where: { $0.ppp == value })?.etherType
            else { return nil }
            return Payload(etherType: etherType, bytes: Array(data.dropFirst(offset + 2)))
        }
        switch linkType {
        case .ppp, .pppSerial: return ppp(protocolAt: 2)
        case .pppOverEthernet: return ppp(protocolAt: 6)
        case .ciscoHDLC:
            guard let type = be16(2) else { return nil }
            return Payload(etherType: type, bytes: Array(data.dropFirst(4)))
        case .slip:
            guard data.count > 16 else { return nil }
            switch data[16] >> 4 {
            case 4: return Payload(etherType: 0x0800, bytes: Array(data.dropFirst(16)))
            case 6: return Payload(etherType: 0x86dd, bytes: Array(data.dropFirst(16)))
            default: return nil
            }
        case .frameRelay:
            guard data.count > 4, data[2] == 0x03,
                  let etherType = frameRelayNLPIDs.first(where: { $0.nlpid == data[3] })?.etherType
            else { return nil }
            return Payload(etherType: etherType, bytes: Array(data.dropFirst(4)))
        default:
            return nil
        }
    }

    /// The link-layer header of a point-to-point link type in front of a payload of `etherType`,
    /// now and then with another protocol number or address; nil for other link types.
    static func pointToPointHeader(for linkType: LinkType, etherType: UInt16, random: inout FuzzRandom) -> [UInt8]? {
        func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
        var ppp = pppProtocols.first { $0.etherType == etherType }?.ppp ?? etherType
        if random.chance(1, in: 8) {
            ppp = random.element(of: [0x0023, 0x0025, 0x0031, 0xc021, 0x8021, 0x002d, UInt16(random.below(65536))])
        }
        let addressAndControl: [UInt8] = random.chance(7, in: 8) ? [0xff, 0x03] : random.bytes(2)
        switch linkType {
        case .ppp, .pppSerial:
            return addressAndControl + be16(ppp)
        case .pppOverEthernet:
            // Version and type 1, session code 0, a session id, the payload's length.
            let session = random.chance(1, in: 2) ? UInt16(random.below(8)) : UInt16(random.below(65536))
            return [0x11, 0x00] + be16(session) + be16(UInt16(random.below(1500))) + be16(ppp)
        case .ciscoHDLC:
            let type = random.chance(1, in: 8) ? random.element(of: [0xfefe, 0x8035, 0x0806, UInt16(random.below(65536))]) : etherType
            return [random.element(of: [0x0f, 0x8f, 0x0f, UInt8(random.below(256))]), 0x00] + be16(type)
        case .slip:
            // The direction (0 received, 1 sent, now and then anything), then the driver's bytes.
            return [random.element(of: [0, 1, 0, 1, UInt8(random.below(256))])] + random.bytes(15)
        case .frameRelay:
            var nlpid = frameRelayNLPIDs.first { $0.etherType == etherType }?.nlpid ?? 0x80
            if random.chance(1, in: 6) { nlpid = random.element(of: [0x81, 0x82, 0x83, 0x80, UInt8(random.below(256))]) }
            let control: UInt8 = random.chance(7, in: 8) ? 0x03 : UInt8(random.below(256))
            return random.element(of: [[0x18, 0x41], [0x04, 0x01], random.bytes(2)]) + [control, nlpid]
        default:
            return nil
        }
    }
}
