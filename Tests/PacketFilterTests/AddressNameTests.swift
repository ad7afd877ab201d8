import CBPF
import CBPFFuzz
import Foundation
import LibpcapOracle
import PacketFilter
import Testing

// `ether host NAME` (/etc/ethers) and `net NAME` (/etc/networks): libpcap looks the names up when
// it compiles. Our lookups are injected here, so the tests do not depend on the machine's files;
// where the machine has entries, libpcap reads them too and the programs are compared.

@Suite struct AddressNameTests {
    static let names = AddressNameLookup.tables(
        ethers: ["router": [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f]],
        // As getnetbyname gives them: `10.1` right-aligned, `127.0.0.0` whole.
        networks: ["office": 0x0a01, "loop": 0x7f00_0000, "zero": 0])

    static func compiler(_ linkType: LinkType = .ethernet) -> PacketFilterCompiler {
        var compiler = PacketFilterCompiler(linkType: linkType)
        compiler.addressNames = names
        return compiler
    }

    /// A name compiles as the address it stands for, written out: libpcap's gen_scode builds the
    /// same tests for both (a network number left-justified, masked as far as it was written).
    @Test(arguments: [
        ("ether host router", "ether host aa:bb:cc:dd:ee:0f"),
        ("ether src router or ip", "ether src aa:bb:cc:dd:ee:0f or ip"),
        ("ether dst router and tcp", "ether dst aa:bb:cc:dd:ee:0f and tcp"),
        ("vlan and ether host router", "vlan and ether host aa:bb:cc:dd:ee:0f"),
        ("net office", "net 10.1"),
        ("src net office and udp", "src net 10.1 and udp"),
        ("net loop", "net 127.0.0.0"),
        ("ip dst net loop", "ip dst net 127.0.0.0"),
        ("arp net office", "arp net 10.1"),
        ("decnet net office", "decnet net 10.1.0.0/16"),
    ])
    func nameCompilesAsItsAddress(_ named: String, _ written: String) throws {
        let ours = try Self.compiler().compile(named)
        #expect(ours == (try Self.compiler().compile(written)), "\(named)")
        // libpcap compiles the written form; ours of it is checked against libpcap elsewhere.
        if case .failure(let failure) = OracleLibpcap.compile(written, dlt: 1) {
            Issue.record("libpcap refuses \(written): \(failure)")
        }
    }

    @Test(arguments: [
        ("ether host nosuchhost", "1:12", "unknown ether host 'nosuchhost'"),
        ("tcp or ether src nosuchhost", "1:18", "unknown ether host 'nosuchhost'"),
        ("net nosuchnet", "1:5", "unknown network 'nosuchnet'"),
        ("net zero", "1:5", "unknown network 'zero'"),
    ] as [(String, String?, String)])
    func unknownNamesAreRefusedWithLibpcapsMessage(_ expression: String, _ location: String?, _ message: String) {
        expectRefusal(expression, at: location, saying: message, compiler: Self.compiler())
    }

    @Test func linkLevelHostNamesNeedEthernet() {
        #expect(throws: FilterSyntaxError.self) { try Self.compiler(.raw).compile("ether host router") }
        do {
            _ = try Self.compiler(.linuxSLL).compile("ether host router")
        } catch {
            #expect(error.message.contains("supports link-level host name"), "\(error)")
        }
    }

    @Test func printedNamesCompileAlike() throws {
        let expression = FilterExpression.or(
            .primitive(.net(.name("office"), mask: nil, prefixLength: nil, protocol: nil, direction: .source)),
            .primitive(.host(.name("router"), protocol: .link, direction: .destination)))
        #expect(expression.description == "src net office or ether dst host router")
        #expect(try Self.compiler().compile(expression) == (try Self.compiler().compile(expression.description)))
    }

    /// The machine's own entries, compared with libpcap, which reads the same databases.
    @Test func systemDatabasesAgreeWithLibpcap() throws {
        var compared = 0
        var candidates: [(String, Bool)] = []
        for line in ((try? String(contentsOfFile: "/etc/networks", encoding: .utf8)) ?? "").split(separator: "\n") {
            let fields = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            if let name = fields.first { candidates.append(("net \(name)", AddressNameLookup.system.network(String(name)) ?? 0 != 0)) }
        }
        for line in ((try? String(contentsOfFile: "/etc/ethers", encoding: .utf8)) ?? "").split(separator: "\n") {
            let fields = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            if fields.count >= 2 { candidates.append(("ether host \(fields[1])", AddressNameLookup.system.ethernetAddress(String(fields[1])) != nil)) }
        }
        for (expression, known) in candidates {
            let libpcap = OracleLibpcap.compile(expression, dlt: 1)
            let ours = Result { () throws(FilterSyntaxError) in try PacketFilterCompiler().compile(expression) }
            switch (libpcap, ours) {
            case (.success(let raw), .success(let program)):
                #expect(known, "\(expression)")
                let theirs = try Interpreter(Program(raw: raw), for: .socket)
                let mine = try Interpreter(program, for: .socket)
                var random = FuzzRandom(seed: 11)
                for _ in 0 ..< 500 {
                    let packet = Self.packet(&random)
                    #expect(mine.run(packet: packet) == theirs.run(packet: packet), "\(expression)")
                }
                compared += 1
            case (.failure, .failure):
                #expect(!known, "\(expression)")
            default:
                Issue.record("\(expression): libpcap \(libpcap), ours \(ours)")
            }
        }
        print("[names] \(candidates.count) entries of /etc/networks and /etc/ethers, \(compared) compiled by both and compared"
            + (candidates.isEmpty ? " (skipped: this machine has no entries)" : ""))
    }

    /// An Ethernet frame with an IPv4 or ARP header whose addresses are often in 127/8 or
    /// 169.254/16 (networks that /etc/networks usually names), or a frame with random bytes.
    static func packet(_ random: inout FuzzRandom) -> [UInt8] {
        var packet = random.bytes(random.int(in: 30 ... 60))
        packet[12] = 0x08
        packet[13] = random.int(in: 0 ... 3) == 0 ? 0x06 : 0x00
        for offset in [26, 28, 30, 38] where random.int(in: 0 ... 2) > 0 && offset + 1 < packet.count {
            (packet[offset], packet[offset + 1]) = random.int(in: 0 ... 1) == 0 ? (127, 0) : (169, 254)
            if offset + 3 < packet.count, random.int(in: 0 ... 1) == 0 { (packet[offset + 2], packet[offset + 3]) = (0, 0) }
        }
        return packet
    }
}
