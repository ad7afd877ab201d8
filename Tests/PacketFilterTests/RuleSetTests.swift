import CBPF
import CBPFFuzz
import PacketFilter
import TestSupport
import Testing

/// `compileRuleSet` splits what is too long for `xt_bpf` into parts that fit; on many generated
/// packets the union of the parts' verdicts must equal the whole expression's (compiled without
/// the limit), and with `disjoint` no packet may match two parts.
struct RuleSetTests {
    static let expressions = [
        "dns qname \"*.example.com\"",
        "dns qname \"*.example.com\" or dns qname \"ads.test\"",
        "udp and dns qname \"*.example.com\"",
        "dns qname \"*.example.com\" or dns qname \"*.example.org\" or udp port 5353",
        "dns qname \"ads.test\" or dns qname \"example.org\" or dns qname \"tracker.example.net\" or udp port 9",
        "udp port 53",
    ]

    @Test(arguments: [LinkType.ipv4, .ipv6, .raw])
    func unionOfPartsIsTheExpression(linkType: LinkType) throws {
        let packets = Self.packets(ipv6: linkType == .ipv6, raw: linkType == .raw)
        let whole = PacketFilterCompiler(linkType: linkType)
        let limited = PacketFilterCompiler(linkType: linkType, attachTarget: .iptables)
        for expression in Self.expressions {
            let reference = try Interpreter(whole.compile(expression))
            for disjoint in [false, true] {
                let parts: [Program]
                do {
                    parts = try limited.compileRuleSet(expression, disjoint: disjoint)
                } catch {
                    // On RAW both families' code is in every part: some depths do not fit alone.
                    // Disjoint parts need `and not` of the earlier terms, which may not fit.
                    #expect(linkType == .raw || (disjoint && "\(error)".contains("and not")), "\(expression): \(error)")
                    print("[rule set] \(linkType) \(expression): \(error)")
                    continue
                }
                #expect(parts.allSatisfy { $0.count <= 64 })
                let interpreters = try parts.map { try Interpreter($0, for: .iptables) }
                var matched = 0
                for packet in packets {
                    // Padded, no load runs off the end: the parts' union is the expression.
                    let padded = packet + Array(repeating: 0, count: 80)
                    let hits = interpreters.filter { $0.run(packet: padded) != 0 }.count
                    let expected = reference.run(packet: padded) != 0
                    #expect((hits > 0) == expected, "\(expression) on \(Self.hex(padded))")
                    if disjoint { #expect(hits <= 1, "\(expression): \(hits) parts match \(Self.hex(padded))") }
                    if expected { matched += 1 }
                    // As sent, the whole program stops at a load past the end (classic BPF
                    // rejects then) where a part that skips that load may accept: the parts
                    // accept all the whole program accepts, and more only then.
                    if reference.run(packet: packet) != 0 {
                        #expect(interpreters.contains { $0.run(packet: packet) != 0 }, "\(expression) on \(Self.hex(packet))")
                    }
                }
                print("[rule set] \(linkType) \(expression)\(disjoint ? " (disjoint)" : ""): \(parts.count) parts of \(parts.map(\.count)) instructions; \(matched) of \(packets.count) packets match")
            }
        }
    }

    /// The kernel runs each part as our interpreter does, on every generated packet, as sent and
    /// padded (`SO_ATTACH_FILTER` on a socketpair: the same classic BPF interpreter xt_bpf uses).
    @Test(.enabled(if: (try? SocketOracle()) != nil, "skipped: no AF_UNIX socket filters"), arguments: [LinkType.ipv4, .ipv6])
    func kernelRunsThePartsAsTheInterpreterDoes(linkType: LinkType) throws {
        let oracle = try SocketOracle()
        let parts = try PacketFilterCompiler(linkType: linkType, attachTarget: .iptables)
            .compileRuleSet("dns qname \"*.example.com\" or dns qname \"ads.test\"")
        var compared = 0
        for part in parts {
            let interpreter = try Interpreter(part, for: .iptables)
            for packet in Self.packets(ipv6: linkType == .ipv6, raw: false) {
                for bytes in [packet, packet + Array(repeating: 0, count: 80)] {
                    let kept = Int(min(UInt32(bytes.count), interpreter.run(packet: bytes)))
                    let delivery = oracle.deliver(part.raw, packet: bytes)
                    #expect(delivery == (kept == 0 ? .dropped : .delivered(kept)), "\(Self.hex(bytes))")
                    compared += 1
                }
            }
        }
        print("[rule set] \(linkType): the kernel agreed with the interpreter on \(parts.count) parts × \(compared / parts.count) packets")
    }

    /// A depth of 8 in front of `example.com` fits xt_bpf on raw IPv4 and IPv6, one depth a rule.
    @Test func eightLabelsFitOneRule() throws {
        for linkType in [LinkType.ipv4, .ipv6] {
            let parts = try PacketFilterCompiler(linkType: linkType, attachTarget: .iptables)
                .compileRuleSet("dns qname \"*.example.com\"")
            #expect(parts.count >= 2 && parts.count <= 8)
            #expect(parts.allSatisfy { $0.count <= 64 })
        }
    }

    @Test func aDepthThatDoesNotFitIsNamed() {
        #expect(throws: FilterSyntaxError(
            "iptables: \"dns qname \"*.a.example.com\"\" with 8 labels in front of \"a.example.com\" takes 67 instructions, more than the limit of 64, and has no top-level 'or' or 'dns qname \"*.…\"' wildcard (reached through 'and' alone) left to split")
        ) {
            try PacketFilterCompiler(linkType: .ipv4, attachTarget: .iptables).compileRuleSet("dns qname \"*.a.example.com\"")
        }
    }

    @Test func aRuleSetHasABound() {
        let names = (0..<300).map { "dns qname \"*.n\($0).example.com\"" }.joined(separator: " or ")
        #expect(throws: FilterSyntaxError("iptables: the expression needs more than 256 rules of at most 64 instructions")) {
            try PacketFilterCompiler(linkType: .ipv6, attachTarget: .iptables).compileRuleSet(names)
        }
    }

    @Test func tooLongWithoutSplitIsRefusedWithTheReason() {
        let expression = "not dns qname \"*.example.com\""
        #expect {
            try PacketFilterCompiler(linkType: .ipv4, attachTarget: .iptables).compileRuleSet(expression)
        } throws: { error in
            "\(error)".contains("more than the limit of 64") && "\(error)".contains("left to split")
        }
    }

    /// Queries for names of 0 to 10 labels over a few domains, in mixed case, with pointers,
    /// cut short, as responses, and to other ports; then random mutations of them.
    static func packets(ipv6: Bool, raw: Bool) -> [[UInt8]] {
        var generator = SystemRandomNumberGenerator()
        let domains: [[String]] = [
            ["example", "com"], ["Example", "COM"], ["a", "example", "com"], ["example", "org"], ["ads", "test"],
            ["ADS", "Test"], ["tracker", "example", "net"], ["example", "comm"], ["xexample", "com"], ["com"],
        ]
        var packets: [[UInt8]] = []
        for domain in domains {
            for depth in 0...10 {
                let letters: [String] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
                var labels: [String] = []
                for index in 0..<depth {
                    labels.append(String(repeating: letters[index % 10], count: 1 + (index * 7) % 12))
                }
                labels += domain
                for variant in 0..<6 {
                    packets.append(query(
                        labels, ipv6: ipv6, port: variant == 4 ? 5353 : 53, response: variant == 1,
                        pointer: variant == 2, truncatedBy: variant == 3 ? 3 : 0))
                }
            }
        }
        var mutated: [[UInt8]] = []
        for packet in packets {
            for _ in 0..<3 {
                var copy = packet
                let index = Int.random(in: 0..<copy.count, using: &generator)
                let replacements: [UInt8] = [0, 0x40, 0xc0, 0x20, UInt8.random(in: 0...255, using: &generator)]
                copy[index] = replacements[index % 5]
                mutated.append(copy)
            }
        }
        let all = packets + mutated
        // On RAW, the other family's packets too.
        return raw ? all + Self.packets(ipv6: !ipv6, raw: false) : all
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16) }.joined(separator: " ") }

    static func query(
        _ labels: [String], ipv6: Bool, port: UInt16 = 53, response: Bool = false, pointer: Bool = false, truncatedBy: Int = 0
    ) -> [UInt8] {
        var dns = TestPackets.dnsQuery(labels, response: response, pointer: pointer)
        dns.removeLast(min(truncatedBy, dns.count))
        return TestPackets.udp(dns, ipv6: ipv6, from: ipv6 ? nil : [10, 0, 0, 1], to: ipv6 ? nil : [10, 0, 0, 2], sourcePort: 0x3039, port: port)
    }
}
