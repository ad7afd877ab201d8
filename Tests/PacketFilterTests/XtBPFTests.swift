import CBPF
import Foundation
import PacketFilter
import TestSupport
import Testing

/// The bytecode strings `cbpf compile --target xt_bpf` prints go into `iptables -m bpf` rules in a
/// network namespace of the test's own; the kernel's match counters on real loopback packets must
/// equal our interpreter's verdicts on the same packets.
@Suite(.enabled(if: TestNamespace.xtBPFUnavailableReason == nil,
                "skipped: needs root, ip, iptables, network namespaces and the kernel's xt_bpf match"))
struct XtBPFTests {
    /// The UDP datagrams sent to 127.0.0.1: destination port and payload.
    static let datagrams: [(port: UInt16, payload: String)] = [
        (53, "hi\n"), (53, "hi\n"), (53, "hello world\n"), (54, "hi\n"), (54, "hello world\n"), (5353, "hi\n"),
    ]

    static let expressions = [
        "udp dst port 53", "udp and (port 53 or port 5353)", "udp[8] == 0x68", "ip6", "len >= 40",
        "ip src host 127.0.0.1 and udp[2:2] > 1000", "not udp port 54",
    ]

    @Test func kernelMatchesWhatTheInterpreterAccepts() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let compiler = PacketFilterCompiler(linkType: .raw, attachTarget: .iptables)
        var programs = [Program]()
        for expression in Self.expressions {
            let program = try compiler.compile(expression)
            programs.append(program)
            // Only UDP: the kernel answers each datagram with an ICMP port unreachable, which
            // comes in too.
            try namespace.run("iptables", "-A", "INPUT", "-p", "udp", "-m", "bpf", "--bytecode", BytecodeString.format(program))
        }
        try namespace.run("iptables", "-A", "INPUT", "-p", "udp")  // every datagram arrived
        let sends = Self.datagrams.map { "printf '%s' '\($0.payload.replacingOccurrences(of: "\n", with: "\\n"))' > /dev/udp/127.0.0.1/\($0.port)" }
        try namespace.run("bash", "-c", sends.joined(separator: "; "))
        let counters = try namespace.inputCounters()
        #expect(counters.count == programs.count + 1, "counters \(counters)")
        #expect(counters.last == Self.datagrams.count, "datagrams received: \(counters)")

        for (index, program) in programs.enumerated() where index < counters.count {
            let interpreter = try Interpreter(program, for: .iptables)
            let accepted = Self.datagrams.filter {
                interpreter.run(packet: Self.ipv4UDP(port: $0.port, payload: Array($0.payload.utf8))) != 0
            }.count
            #expect(counters[index] == accepted, "\(Self.expressions[index]): kernel \(counters[index]), ours \(accepted)")
            print("[xt_bpf] \(Self.expressions[index]): the kernel matched \(counters[index]) of \(Self.datagrams.count), ours \(accepted)")
        }
    }

    /// A datagram from and to 127.0.0.1, as the kernel builds it but for fields no expression reads.
    static func ipv4UDP(port: UInt16, payload: [UInt8]) -> [UInt8] {
        TestPackets.udp(payload, from: [127, 0, 0, 1], to: [127, 0, 0, 1], sourcePort: 0x9c40, port: port)
    }
}

/// What `xt_bpf` refuses is refused when compiling, with the reason.
struct XtBPFLimitTests {
    @Test func longProgramsAreRefusedForXtBPF() throws {
        let expression = "dns qname \"*.example.com\""
        let length = try PacketFilterCompiler(linkType: .raw).compile(expression).count
        #expect(length > AttachTarget.iptables.maximumInstructions)
        #expect(throws: FilterSyntaxError("xt_bpf: \(length) instructions is more than the limit of 64")) {
            try PacketFilterCompiler(linkType: .raw, attachTarget: .iptables).compile(expression)
        }
    }

    @Test func seccompIsNoPacketAttachPoint() {
        #expect(throws: FilterSyntaxError("packet filters attach to a socket, cls_bpf or xt_bpf, not to seccomp")) {
            try PacketFilterCompiler(attachTarget: .seccomp).compile("udp")
        }
    }
}
