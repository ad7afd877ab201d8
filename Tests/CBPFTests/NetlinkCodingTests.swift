@testable import Attach
import CBPF
import Testing

/// The netlink encoding under `TrafficControl`: attributes and messages round-trip, and bytes
/// that do not parse give an error that says why, never a crash or a read past the end.
struct NetlinkCodingTests {
    @Test func attributesRoundTrip() throws {
        let nested = NetlinkAttribute(type: 2, nested: [
            NetlinkAttribute(type: 4, integer: UInt16(3)),
            NetlinkAttribute(type: 7, string: "cbpf"),
            NetlinkAttribute(type: 5, payload: [1, 2, 3, 4, 5]),
        ])
        let bytes = nested.encoded
        #expect(bytes.count % 4 == 0)
        let decoded = try NetlinkAttribute.decode(bytes[...])
        #expect(decoded == [nested])
        let inner = try decoded[0].nested()
        #expect(inner[type: 4]?.integer(UInt16.self) == 3)
        #expect(inner[type: 7]?.string == "cbpf")
        #expect(inner[type: 5]?.payload == [1, 2, 3, 4, 5])
        #expect(inner[type: 5]?.integer(UInt64.self) == nil)
    }

    @Test func truncatedAttributesAreRefused() {
        // Claims 100 bytes where 8 remain; claims fewer than its own header.
        for bytes: [UInt8] in [[100, 0, 1, 0, 0, 0, 0, 0], [2, 0, 1, 0, 0, 0, 0, 0]] {
            #expect(throws: NetlinkDecodingError.self) { try NetlinkAttribute.decode(bytes[...]) }
        }
    }

    @Test func anExtendedAckCarriesTheKernelsWords() throws {
        // NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS: errno -22, the request's header, then
        // NLMSGERR_ATTR_MSG and NLMSGERR_ATTR_OFFS.
        let payload = NetlinkBytes.of(Int32(-22)) + [UInt8](repeating: 0, count: 16)
            + NetlinkAttribute(type: 1, string: "Parent Qdisc doesn't exists").encoded
            + NetlinkAttribute(type: 2, integer: UInt32(36)).encoded
        let message = NetlinkMessage(type: 2, flags: 0x300, payload: payload)
        let decoded = try NetlinkMessage.decode(message.encoded)
        #expect(decoded == [message])
        let acknowledgement = try NetlinkAcknowledgement(decoded[0])
        #expect(acknowledgement.error == -22)
        #expect(acknowledgement.message == "Parent Qdisc doesn't exists")
        #expect(acknowledgement.offset == 36)
        // Too short for struct nlmsgerr.
        #expect(throws: NetlinkDecodingError.self) {
            try NetlinkAcknowledgement(NetlinkMessage(type: 2, flags: 0, payload: [0, 0, 0, 0]))
        }
        // Not capped, and the echoed request claims to run past the end.
        #expect(throws: NetlinkDecodingError.self) {
            try NetlinkAcknowledgement(NetlinkMessage(type: 2, flags: 0x200, payload: NetlinkBytes.of(Int32(-1))
                + NetlinkBytes.of(UInt32(1000)) + [UInt8](repeating: 0, count: 12)))
        }
    }

    @Test func randomRepliesNeverCrashTheDecoders() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 5000 {
            let count = Int.random(in: 0 ... 96, using: &generator)
            var bytes = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            // Plausible lengths now and then, so the decoders get past the first check.
            if count >= 4 && Bool.random(using: &generator) {
                bytes.replaceSubrange(0 ..< 4, with: NetlinkBytes.of(UInt32(count)))
            }
            _ = try? NetlinkMessage.decode(bytes)
            _ = try? NetlinkAttribute.decode(bytes[...])
            let message = NetlinkMessage(type: UInt16.random(in: 0 ... 3), flags: UInt16.random(in: 0 ... 0x3FF), payload: bytes)
            _ = try? NetlinkAcknowledgement(message)
            if let tcMessage = try? TrafficControlMessage(message) {
                _ = try? BPFFilter(tcMessage)
                _ = try? Qdisc(tcMessage)
                _ = try? HTBClass(tcMessage)
            }
        }
    }
}
