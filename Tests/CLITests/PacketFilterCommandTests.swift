import Foundation
import TestSupport
import Testing

/// `cbpf compile` and `cbpf filter`, checked against tcpdump and the kernel.
@Suite("cbpf compile and filter")
struct PacketFilterCommandTests {
    /// The corpus captures of these names that exist.
    static func corpusCaptures(_ names: [String]) -> [String] {
        let folder = Paths.package.deletingLastPathComponent().appendingPathComponent("shared/corpus/pcap/tcpdump-tests")
        return names.map { folder.appendingPathComponent($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    static let captures = corpusCaptures(
        ["dns_udp.pcap", "quic_vn.pcap", "mptcp-aa-v1.pcap", "edns-opts.pcap", "LINKTYPE_RAW_ipv4.pcap"])

    static let expressions = ["tcp", "udp port 53", "ip6 or arp", "greater 100", "not ip", "tcp[tcpflags] & tcp-syn != 0"]

    static let wirelessCaptures = corpusCaptures(["ieee802.11_exthdr.pcap", "ieee802.11_tim_ie_oobr.pcap"])

    static let wirelessExpressions = [
        "wlan type mgt", "wlan type data", "wlan subtype beacon", "wlan broadcast", "not wlan type ctl", "wlan dir nods",
    ]

    /// The packets `cbpf filter` keeps are the ones `tcpdump -r` keeps, counted by both.
    @Test(.enabled(if: !captures.isEmpty && Paths.tcpdump != nil, "skipped: needs tcpdump and ../shared/corpus"))
    func filterCountsWhatTcpdumpCounts() throws {
        try Self.expectCountsOfTcpdump(on: Self.captures, for: Self.expressions, tcpdumpCompilesEach: false)
    }

    /// The same on 802.11 captures (radiotap and bare), with the 802.11 primitives.
    @Test(.enabled(if: !wirelessCaptures.isEmpty && Paths.tcpdump != nil, "skipped: needs tcpdump and ../shared/corpus"))
    func filterCountsWhatTcpdumpCountsOn80211() throws {
        try Self.expectCountsOfTcpdump(on: Self.wirelessCaptures, for: Self.wirelessExpressions, tcpdumpCompilesEach: true)
    }

    /// `cbpf filter --count` against `tcpdump -r --count` for each capture and expression. Where
    /// tcpdump refuses an expression for a capture's link type, the pair is skipped, unless
    /// `tcpdumpCompilesEach` says it must not refuse any.
    static func expectCountsOfTcpdump(on captures: [String], for expressions: [String], tcpdumpCompilesEach: Bool) throws {
        let tcpdump = try #require(Paths.tcpdump)
        for capture in captures {
            for expression in expressions {
                let ours = try CLI.succeed(["filter", "-r", capture, "--count", expression])
                let reference = runTool(tcpdump, ["-r", capture, "--count", expression])
                if tcpdumpCompilesEach { #expect(reference != nil, "tcpdump refuses \(expression) on \(capture)") }
                guard let reference else { continue }
                // tcpdump prints "N packets" on standard output.
                let count = reference.output.split(separator: " ").first.map(String.init)
                #expect(ours.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == count,
                        "\(capture) \(expression): \(reference.output)")
            }
        }
    }

    /// A compiled program prints in each of tcpdump's formats, the formats agree with each other,
    /// and the bytecode string loads into the kernel.
    @Test func compileFormatsAgreeAndLoadIntoTheKernel() throws {
        let expression = ["ip", "and", "udp", "and", "port", "53"]
        let bytecode = try CLI.succeed(["compile"] + expression).standardOutput
        let decimal = try CLI.succeed(["compile", "-ddd"] + expression).standardOutput
        let array = try CLI.succeed(["compile", "-dd"] + expression).standardOutput
        let program = try #require(SockFilter.parse(bytecode.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(SockFilter.parse(decimal.split(separator: "\n").joined(separator: ",")) == program)
        #expect(SockFilter.parseCArray(array) == program)
        #expect(KernelSocket.accepts(program))
        // The listing names the same number of instructions.
        let listing = try CLI.succeed(["compile", "-d"] + expression).standardOutput
        #expect(listing.split(separator: "\n").count == program.count)
    }

    /// The kernel decides a DNS query the way `dns qname` says.
    @Test func dnsQueryNameProgramRunsInTheKernel() throws {
        let bytecode = try CLI.succeed(["compile", "--linktype", "RAW", "dns qname \"example.com\""]).standardOutput
        let program = try #require(SockFilter.parse(bytecode.trimmingCharacters(in: .whitespacesAndNewlines)))
        let dns: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7] + Array("Example".utf8) + [3]
            + Array("com".utf8) + [0, 0, 1, 0, 1]
        let udp: [UInt8] = [0x30, 0x39, 0, 53, 0, UInt8(8 + dns.count), 0, 0] + dns
        let ip: [UInt8] = [0x45, 0, 0, UInt8(20 + udp.count), 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        #expect(KernelSocket.delivered(program, packet: ip + udp) == ip.count + udp.count)
        var other = ip + udp
        other[20 + 8 + 12 + 1] = UInt8(ascii: "X")
        #expect(KernelSocket.delivered(program, packet: other) == 0)
    }

    @Test(arguments: [
        (["compile", "port 80 and port"], ["1:17", "expected a port number"]),
        (["compile", "--linktype", "PPI", "ip"], ["--linktype", "PPI", "EN10MB"]),
        (["compile", "-d", "-ddd", "ip"], ["choose one"]),
        (["compile", "--target", "xt_bpf", "dns qname \"*.example.com\""], ["xt_bpf", "instructions is more than the limit of 64"]),
        (["compile", "--target", "seccomp", "ip"], ["--target", "not seccomp"]),
        (["filter", "-r", "/nonexistent.pcap", "ip"], ["/nonexistent.pcap", "No such file"]),
        (["filter", "-r", "/etc/passwd", "ip"], ["/etc/passwd"]),
        (["filter", "-r", "/etc/passwd"], ["filter expression", "--bytecode"]),
    ])
    func badInputIsExplained(_ arguments: [String], _ mentions: [String]) throws {
        try CLI.fail(arguments, mentioning: mentions)
    }

    /// The inputs, which crashed the parser: refused at the token that goes past 1,000
    /// levels (docs/packet-filters.md, Limits).
    @Test(arguments: [
        (String(repeating: "(", count: 10_000) + "tcp" + String(repeating: ")", count: 10_000), "1:1001"),
        (String(repeating: "not ", count: 20_000) + "tcp", "1:4001"),
        ("len = " + String(repeating: "-", count: 30_000) + "1", "1:1007"),
        (String(repeating: "ip[", count: 8_000) + "0" + String(repeating: "]", count: 8_000) + " = 1", "1:3001"),
    ])
    func deeplyNestedExpressionsAreRefused(_ expression: String, _ position: String) throws {
        try CLI.fail(["compile", expression], mentioning: [position, "expression nested too deeply (more than 1000 levels)"])
    }

    /// An expression in 50,000 separate words is read in linear time: the argument parser's time
    /// was quadratic in the words (16,000 took 9.3 s in a release build, 50,000 over 20 s).
    @Test func manySeparateWordsTakeLinearTime() throws {
        // `or` and `and` in turn: each change of operator is a level.
        let words = ["tcp"] + (0..<25_000).flatMap { $0.isMultiple(of: 2) ? ["or", "tcp"] : ["and", "tcp"] }
        let clock = ContinuousClock()
        let start = clock.now
        // The text is longer than one argument may be (128 KiB), so there is no one-argument run.
        try CLI.fail(["compile"] + words, mentioning: ["1:7505", "expression nested too deeply"])
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(3), "\(elapsed) for 50,000 words")
    }

    /// Words and options mix as before: the first word after an option may be its value.
    @Test func separateWordsMixWithOptions() throws {
        let oneArgument = try CLI.succeed(["compile", "-d", "--linktype", "RAW", "ip and udp port 53"]).standardOutput
        for arguments in [
            ["compile", "-d", "--linktype", "RAW", "ip", "and", "udp", "port", "53"],
            ["compile", "--linktype", "RAW", "ip", "and", "-d", "udp", "port", "53"],
            ["compile", "ip", "and", "udp", "--linktype=RAW", "port", "53", "-d"],
            ["compile", "-d", "--linktype", "RAW", "--", "ip", "and", "udp port", "53"],
        ] {
            #expect(try CLI.succeed(arguments).standardOutput == oneArgument, "\(arguments)")
        }
    }

    /// `-y` and `-s` are tcpdump's names for the link type and the snapshot length: the listing
    /// is tcpdump's own for the same flags, and the same as with the long names.
    @Test(.enabled(if: Paths.tcpdump != nil, "skipped: tcpdump is not installed"))
    func tcpdumpShortFlagsMatchTcpdump() throws {
        let ours = try CLI.succeed(["compile", "-d", "-y", "RAW", "-s", "96", "ip"]).standardOutput
        #expect(ours == (try CLI.succeed(["compile", "-d", "--linktype", "RAW", "--snaplen", "96", "ip"]).standardOutput))
        let tcpdump = try #require(Paths.tcpdump)
        let theirs = try #require(runTool(tcpdump, ["-d", "-y", "RAW", "-s", "96", "ip"]))
        #expect(theirs.status == 0)
        #expect(ours == theirs.output)
        #expect(ours.contains("ret      #96"))
    }

    /// A pcap header whose link-type field has reserved bits set: refused with the file, the
    /// field's offset and the type libpcap reads (tcpdump refuses it too), where the type was read
    /// from the low 16 bits before (0x10001 as EN10MB, 0x7fffffff as 65535).
    @Test(arguments: [(0x0001_0001, "65537"), (0x7FFF_FFFF, "67108863")] as [(UInt32, String)])
    func filterRefusesALinkTypeAbove65535(field: UInt32, linkType: String) throws {
        let header: [UInt32] = [0xA1B2_C3D4, 2 | 4 << 16, 0, 0, 65535, field]
        let record: [UInt32] = [1, 0, 4, 4]
        let words = (header + record).flatMap { (value: UInt32) -> [UInt8] in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let bytes = words + [1, 2, 3, 4]
        let directory = try TemporaryDirectory()
        let path = try directory.write("link-type.pcap", bytes: bytes)
        try CLI.fail(["filter", "-r", path, "ip"], mentioning: [path, "byte 20", "link type \(linkType)", "does not exist"])
    }

    /// `--snaplen 0` means 262144, as tcpdump's `-s 0`; and what tcpdump compiles, we compile:
    /// `len > -1` and `ip[0] = 4294967295` match nothing, which libpcap's optimizer does not prove.
    @Test func snapshotLengthZeroAndNumbersAsTcpdump() throws {
        let zero = try CLI.succeed(["compile", "-ddd", "--snaplen", "0", "ip"]).standardOutput
        #expect(zero == (try CLI.succeed(["compile", "-ddd", "ip"]).standardOutput))
        if let tcpdump = Paths.tcpdump, let reference = try? ProcessRun.run(tcpdump, ["-s", "0", "-ddd", "ip"]) {
            #expect(zero == reference.standardOutput)
        }
        for expression in ["len > -1", "ip[0] = 4294967295"] {
            #expect(try CLI.succeed(["compile", expression]).trimmedOutput == "1,6 0 0 0")
        }
    }

    @Test func theDeepestExpressionCompiles() throws {
        let deepest = String(repeating: "(", count: 1000) + "tcp" + String(repeating: ")", count: 1000)
        #expect(try CLI.succeed(["compile", deepest]).standardOutput == CLI.succeed(["compile", "tcp"]).standardOutput)
    }
}
