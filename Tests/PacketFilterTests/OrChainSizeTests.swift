import CBPF
import Foundation
import PacketFilter
import Testing

/// Chains of `or` are the most common long filters: their size against `tcpdump -d`'s on the
/// same expression (libpcap 1.10's optimizer). libpcap reorders the tests of a chain whatever
/// the packet's length; ours reaches the same order with probes, which keep the verdicts of
/// truncated packets (one or two instructions more than libpcap), and shares the IPv6 port
/// tests with the IPv4 ones (fewer instructions than libpcap).
@Suite("Or-chain sizes against tcpdump -d")
struct OrChainSizeTests {
    enum Shape: String, CaseIterable {
        case port, host, tcpPort = "tcp port"

        func expression(terms: Int) -> String {
            (1...terms).map { index in
                switch self {
                case .port: "port \(999 + index)"
                case .host: "host 10.0.0.\(index)"
                case .tcpPort: "tcp port \(79 + index)"
                }
            }.joined(separator: " or ")
        }
    }

    /// `tcpdump -d`'s instruction count, or nil without tcpdump.
    static func libpcapCount(_ expression: String, linkType: String) -> Int? {
        guard let run = CaptureTcpdump.run(["-d", "-y", linkType, expression]), run.status == 0 else { return nil }
        return String(decoding: run.output, as: UTF8.self).split(separator: "\n").count
    }

    @Test(arguments: [("EN10MB", LinkType.ethernet), ("RAW", LinkType.raw)], Shape.allCases)
    func chainsStayWithinTwoOfLibpcap(_ linkType: (name: String, type: LinkType), _ shape: Shape) throws {
        guard CaptureTcpdump.executable != nil else {
            print("skipped: tcpdump is not installed")
            return
        }
        let compiler = PacketFilterCompiler(linkType: linkType.type)
        var lines = [String]()
        for terms in [2, 4, 8, 16] {
            let expression = shape.expression(terms: terms)
            let ours = try compiler.compile(expression).count
            let libpcap = try #require(Self.libpcapCount(expression, linkType: linkType.name), "tcpdump -d \(expression)")
            lines.append("\(terms): ours \(ours), libpcap \(libpcap)")
            #expect(ours <= libpcap + 2, "\(linkType.name) \(expression): ours \(ours), libpcap \(libpcap)")
        }
        print("\(linkType.name) \(shape.rawValue) chains: \(lines.joined(separator: "; "))")
    }

    /// xt_bpf takes 64 instructions: six ports on RAW fit, as with libpcap (42).
    @Test func sixPortsFitXtBPF() throws {
        let program = try PacketFilterCompiler(linkType: .raw, attachTarget: .iptables)
            .compile(Shape.port.expression(terms: 6))
        #expect(program.count <= 64)
    }

    /// The 4,096-instruction limit applies to the emitted program: 70 ports (4,422 instructions
    /// before optimizing) and 200 ports compile, shorter than libpcap's 231 and 973 (which are
    /// longer for its far jumps); 2,100 ports do not fit, and the error gives both numbers.
    @Test func longChainsCompileWhenTheResultFits() throws {
        let compiler = PacketFilterCompiler()
        let seventy = try compiler.compile(Shape.port.expression(terms: 70)).count
        let twoHundred = try compiler.compile(Shape.port.expression(terms: 200)).count
        #expect(seventy <= 231 && twoHundred <= 973, "70 ports: \(seventy), 200 ports: \(twoHundred)")
        if let libpcap = Self.libpcapCount(Shape.port.expression(terms: 70), linkType: "EN10MB") {
            #expect(seventy <= libpcap, "70 ports: ours \(seventy), libpcap \(libpcap)")
        }
        #expect {
            try compiler.compile(Shape.port.expression(terms: 2_100))
        } throws: { error in
            let message = (error as? FilterSyntaxError)?.message ?? ""
            return message.contains("instructions after optimization") && message.contains("more than the kernel's limit of 4096")
        }
    }
}
