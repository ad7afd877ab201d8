import CBPF
import PacketFilter
import Testing

/// What a program compiled for `cls_bpf` returns on a match. (The kernel reads these values in
/// `ClsBPFTests`: HTB class counters.)
struct ClsBPFReturnValueTests {
    @Test func aMatchReturnsMinusOneUnlessAClassIsAsked() throws {
        var compiler = PacketFilterCompiler(attachTarget: .trafficControl)
        #expect(compiler.acceptValue == 0xFFFF_FFFF)
        #expect(try compiler.compile("udp").instructions.contains(.returnConstant(0xFFFF_FFFF)))
        #expect(try compiler.compile("").instructions == [.returnConstant(0xFFFF_FFFF)])
        compiler.classID = TrafficControlHandle(major: 1, minor: 0x10)
        #expect(try compiler.compile("udp").instructions.contains(.returnConstant(0x1_0010)))
        // A socket program keeps returning the snapshot length.
        #expect(try PacketFilterCompiler().compile("udp").instructions.contains(.returnConstant(262_144)))
    }

    @Test func classesThatCannotBeReturnedAreRefused() {
        var compiler = PacketFilterCompiler(attachTarget: .trafficControl)
        compiler.classID = .unspecified
        #expect(throws: FilterSyntaxError.self) { try compiler.compile("udp") }
        compiler.classID = .root
        #expect(throws: FilterSyntaxError.self) { try compiler.compile("udp") }
        var socket = PacketFilterCompiler()
        socket.classID = TrafficControlHandle(major: 1, minor: 1)
        #expect(throws: FilterSyntaxError("a class id (1:1) applies to cls_bpf programs only, not to socket")) {
            try socket.compile("udp")
        }
    }

    @Test func handlesReadAndPrintAsTCWritesThem() {
        let cases: [(String, UInt32?)] = [
            ("1:10", 0x1_0010), ("1:", 0x1_0000), (":10", 0x10), ("ffff:fff2", 0xFFFF_FFF2), ("root", 0xFFFF_FFFF),
            ("A:b", 0xA_000B), ("1", nil), ("", nil), (":", nil), ("12345:1", nil), ("1:12345", nil), ("g:1", nil),
            ("1:-1", nil), ("1:1:1", nil), ("+1:1", nil),
        ]
        for (text, value) in cases {
            #expect(TrafficControlHandle(text)?.rawValue == value, "\(text)")
        }
        #expect(TrafficControlHandle(major: 1, minor: 0x10).description == "1:10")
        #expect(TrafficControlHandle(major: 1, minor: 0).description == "1:")
        #expect(TrafficControlHandle.ingress.description == "ffff:fff2")
    }
}
