import CBPF
import CBPFFuzz
import Foundation
import PacketFilter
import TestSupport
import Testing

/// `dns qname`: tcpdump's own DNS decoder is the peer. For every UDP query it prints in the
/// corpus captures, our matcher for that name (and for `*.` its parent) accepts the packet, and
/// matchers for other names reject it.
@Suite("dns qname")
struct DNSQueryNameTests {
    /// A query tcpdump printed: the capture, the packet's number, and the name it decoded.
    struct DecodedQuery {
        var file: String
        var packetNumber: Int
        var name: String
    }

    /// `tcpdump -# -nn -r FILE` (no filter, so `-#` counts every packet of the file), lines like
    /// `3  ... 10.0.0.1.1234 > 10.0.0.2.53: 1234+ A? www.example.com. (33)` for UDP queries.
    static func decodedQueries(in file: String) -> [DecodedQuery] {
        guard let (output, _) = CaptureTcpdump.run(["-#", "-nn", "-r", file]) else { return [] }
        let text = String(decoding: output, as: UTF8.self)
        var queries: [DecodedQuery] = []
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let number = words.first.flatMap({ Int($0) }), !line.contains("Flags ["),
                let arrow = words.firstIndex(of: ">"), arrow + 1 < words.count, words[arrow + 1].hasSuffix(".53:"),
                let question = words.firstIndex(where: { $0.hasSuffix("?") && $0.dropLast().allSatisfy(\.isUppercase) }),
                question + 1 < words.count
            else { continue }
            let name = words[question + 1]
            guard name.hasSuffix("."), name.count > 1,
                name.dropLast().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
            else { continue }
            queries.append(DecodedQuery(file: file, packetNumber: number, name: String(name.dropLast())))
        }
        return queries
    }

    @Test(.enabled(if: CaptureCorpus.isPresent && CaptureTcpdump.executable != nil, CaptureCorpus.absent))
    func matchesTheNamesTcpdumpDecodes() throws {
        var checked = 0
        var wildcardsChecked = 0
        for file in CaptureCorpus.files where file.hasSuffix(".pcap") {
            let queries = Self.decodedQueries(in: file)
            guard !queries.isEmpty else { continue }
            let capture = try CaptureReader(path: file)
            let source = PacketSource.captureFile(bigEndian: capture.byteOrder == .bigEndian)
            let packets = try capture.packets()
            for query in queries {
                let packet = packets[query.packetNumber - 1]
                guard PacketFilterCompiler.supportedLinkTypes.contains(packet.linkType) else { continue }
                var compiler = PacketFilterCompiler(source: source)
                compiler.linkType = packet.linkType
                func verdict(_ name: String) throws -> UInt32 {
                    let program = try compiler.compile("dns qname \"\(name)\"")
                    return try Interpreter(program).run(packet: packet.data, wireLength: packet.originalLength)
                }
                // tcpdump decodes by the IP version; libpcap's filters trust the link type (an
                // IPv6 packet in a LINKTYPE_IPV4 file is not `udp`). Both agree on the rest.
                let udpToPort53 = try Interpreter(compiler.compile("udp dst port 53"))
                guard udpToPort53.run(packet: packet.data, wireLength: packet.originalLength) != 0 else { continue }
                let context = "\(URL(fileURLWithPath: file).lastPathComponent) #\(query.packetNumber) \(query.name)"
                #expect(try verdict(query.name) != 0, "\(context)")
                #expect(try verdict(query.name.uppercased()) != 0, "\(context), upper case")
                #expect(try verdict("x" + query.name) == 0, "\(context), another name")
                #expect(try verdict("*." + query.name) == 0, "\(context): a wildcard needs a label in front")
                let labels = query.name.split(separator: ".")
                if labels.count >= 2 {
                    let parent = labels.dropFirst().joined(separator: ".")
                    #expect(try verdict("*." + parent) != 0, "\(context) below \(parent)")
                    #expect(try verdict(parent) == 0, "\(context) is not \(parent)")
                    wildcardsChecked += 1
                }
                checked += 1
            }
        }
        print("dns qname: \(checked) queries decoded by tcpdump checked, \(wildcardsChecked) with a wildcard")
        #expect(checked >= 20)
    }

    /// Queries our own encoder builds, in the kernel: exact and wildcard names, case, and the
    /// cases that must not match (responses, compression pointers, names cut short).
    @Test func kernelAgreesOnBuiltQueries() throws {
        let oracle = try? SocketOracle()
        func query(_ labels: [String], response: Bool = false, pointer: Bool = false, ipv6: Bool = false) -> [UInt8] {
            let dns = TestPackets.dnsQuery(labels, response: response, pointer: pointer)
            let ethernet: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] + (ipv6 ? [0x86, 0xdd] : [0x08, 0x00])
            return ethernet + TestPackets.udp(dns, ipv6: ipv6, from: ipv6 ? nil : [10, 0, 0, 1], to: ipv6 ? nil : [10, 0, 0, 2], sourcePort: 0x3039)
        }
        let cases: [(String, [UInt8], Bool)] = [
            ("example.com", query(["example", "com"]), true),
            ("example.com", query(["EXAMPLE", "Com"]), true),
            ("example.com", query(["example", "com"], ipv6: true), true),
            ("example.com", query(["www", "example", "com"]), false),
            ("example.com", query(["example", "com"], response: true), false),
            ("example.com", query(["example"], pointer: true), false),
            ("example.com", query(["example", "org"]), false),
            ("*.example.com", query(["www", "example", "com"]), true),
            ("*.example.com", query(["a", "b", "c", "d", "example", "com"], ipv6: true), true),
            ("*.example.com", query(["example", "com"]), false),
            ("*.example.com", query(["wwwexample", "com"]), false),
            ("*.example.com", query(["www", "example", "com", "evil"]), false),
            ("*.example.com", query(["x"], pointer: true), false),
            ("*.example.com", query(Array(repeating: "a", count: DNSName.maximumSubdomainLabels) + ["example", "com"]), true),
            ("*.example.com", query(Array(repeating: "a", count: DNSName.maximumSubdomainLabels + 1) + ["example", "com"]), false),
        ]
        // Unoptimized, the wildcard matcher is long enough that some branches reach their
        // targets through `ja`s: the kernel must agree with that layout too.
        let unoptimizedWildcard = try PacketFilterCompiler(optimizes: false).compile("dns qname \"*.example.com\"")
        #expect(unoptimizedWildcard.count > 256)
        for optimizes in [true, false] {
            for (name, packet, expected) in cases {
                let program = try PacketFilterCompiler(optimizes: optimizes).compile("dns qname \"\(name)\"")
                let accepted = try Interpreter(program).run(packet: packet) != 0
                #expect(accepted == expected, "\(name) on \(packet), optimized \(optimizes)")
                if let oracle {
                    // The kernel runs the same program on the same bytes.
                    let delivery = oracle.deliver(program.raw, packet: packet)
                    #expect(delivery == (expected ? .delivered(packet.count) : .dropped), "\(name): \(delivery)")
                }
            }
        }
    }

    @Test(arguments: [
        ("dns qname \"\"", "at least one label"), ("dns qname \"a..b\"", "1 to 63"),
        ("dns qname \"a*.b\"", "may hold only"), ("dns qname example.com", "expected a quoted name"),
        ("dns qname \"example.com", "unterminated string"),
    ])
    func malformedNamesAreRejected(_ expression: String, _ message: String) {
        #expect(throws: FilterSyntaxError.self) { try PacketFilterCompiler().compile(expression) }
        do {
            _ = try PacketFilterCompiler().compile(expression)
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
