import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `cbpf asm`, `disasm`, `verify`, `run --packet` and `optimize`, checked against
/// tcpdump's output, the kernel's documentation and the kernel itself.
@Suite("cbpf core commands", .enabled(if: CLI.isAvailable, "skipped: the cbpf executable is not next to the test bundle"))
struct CoreCommandTests {
    /// The ARP filter of the kernel's Documentation/networking/filter.rst, with the bytecode the
    /// kernel's bpf_asm prints for it there (`4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,`).
    static let arpSource = """
        ldh [12]
        jne #0x806, drop
        ret #-1
        drop: ret #0
        """
    static let arpBytecode = "4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,"

    static let expressions = [
        "arp", "tcp port 80", "ip and udp and port 53", "host 10.0.0.1", "vlan 100 and tcp port 80",
        "portrange 1000-2000", "ip[2:2] > 576", "ether[0] & 1 != 0", "icmp or (tcp and ip6)",
    ]

    /// Ethernet frames: IPv4/TCP to port 80 and to port 443, ARP, IPv6/TCP, a 10-byte runt.
    static let packets: [(name: String, bytes: [UInt8])] = {
        func ipv4(protocol: UInt8, port: UInt16) -> [UInt8] {
            var frame = [UInt8](repeating: 0, count: 60)
            frame[0 ..< 6] = [0x02, 0, 0, 0, 0, 1]
            frame[6 ..< 12] = [0x02, 0, 0, 0, 0, 2]
            frame[12] = 0x08
            frame[14] = 0x45
            frame[17] = 46
            frame[22] = 64
            frame[23] = `protocol`
            frame[26 ..< 30] = [10, 0, 0, 1]
            frame[30 ..< 34] = [10, 0, 0, 2]
            frame[34] = 0xc3
            frame[35] = 0x50
            frame[36] = UInt8(port >> 8)
            frame[37] = UInt8(port & 0xff)
            return frame
        }
        var arp = [UInt8](repeating: 0, count: 42)
        arp[0 ..< 6] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        arp[12] = 0x08
        arp[13] = 0x06
        var ipv6 = [UInt8](repeating: 0, count: 74)
        ipv6[12] = 0x86
        ipv6[13] = 0xdd
        ipv6[14] = 0x60
        ipv6[20] = 6
        return [
            ("IPv4 TCP port 80", ipv4(protocol: 6, port: 80)), ("IPv4 TCP port 443", ipv4(protocol: 6, port: 443)),
            ("IPv4 UDP port 53", ipv4(protocol: 17, port: 53)), ("ARP", arp), ("IPv6 TCP", ipv6),
            ("runt", Array(ipv4(protocol: 6, port: 80).prefix(10))),
        ]
    }()

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: asm and disasm

    @Test func asmGivesTheBytecodeOfTheKernelDocumentation() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("arp.s", Self.arpSource)
        let expected = try #require(SockFilter.parse(String(Self.arpBytecode.dropLast())))
        let run = try CLI.succeed(["asm", path])
        #expect(SockFilter.parse(run.standardOutput) == expected, "\(run)")
        // The same from standard input.
        let piped = try CLI.succeed(["asm", "-"], input: Array(Self.arpSource.utf8))
        #expect(piped.standardOutput == run.standardOutput)
        // -ddd and -dd carry the same instructions.
        #expect(SockFilter.parse(try CLI.succeed(["asm", "-ddd", path]).standardOutput) == expected)
        #expect(SockFilter.parseCArray(try CLI.succeed(["asm", "-dd", path]).standardOutput) == expected)
    }

    /// `ip protochain 6` adds libpcap's loop: a `ja` whose offset wraps around to jump backwards.
    @Test(.enabled(if: Paths.tcpdump != nil, "skipped: tcpdump is not installed"), arguments: expressions + ["ip protochain 6"])
    func asmAndDisasmReproduceTcpdump(expression: String) throws {
        guard let decimal = tcpdump(["-ddd"], expression), let listing = tcpdump(["-d"], expression),
            let cArray = tcpdump(["-dd"], expression)
        else {
            Issue.record("tcpdump cannot compile \"\(expression)\"")
            return
        }
        let program = try #require(SockFilter.parse(decimal))
        // disasm -d prints tcpdump's own -d listing, from -ddd on standard input or -dd as an argument.
        #expect(try CLI.succeed(["disasm", "-d", "-"], input: Array(decimal.utf8)).standardOutput == listing)
        #expect(try CLI.succeed(["disasm", "-d", cArray]).standardOutput == listing)
        // disasm --asm (the default) prints source that asm turns back into tcpdump's program,
        // in each of tcpdump's three forms.
        let source = try CLI.succeed(["disasm", "--asm", SockFilter.bytecodeString(program)]).standardOutput
        #expect(try CLI.succeed(["disasm", SockFilter.bytecodeString(program)]).standardOutput == source)
        let directory = try TemporaryDirectory()
        let path = try directory.write("program.s", source)
        #expect(SockFilter.parse(try CLI.succeed(["asm", path]).standardOutput) == program)
        #expect(try CLI.succeed(["asm", "-ddd", path]).standardOutput == decimal)
        #expect(try CLI.succeed(["asm", "-dd", path]).standardOutput == cArray)
        #expect(try CLI.succeed(["asm", "-d", path]).standardOutput == listing)
    }

    // MARK: verify

    /// Programs the kernel's socket checker (`sk_chk_filter`/`bpf_check_classic`) takes or refuses.
    static let socketCases: [(name: String, bytecode: String)] = [
        ("ret 0", "1,6 0 0 0"),
        ("ARP filter", "4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0"),
        ("store then load a scratch slot", "3,2 0 0 3,96 0 0 3,22 0 0 0"),
        ("jump past the end", "2,21 0 5 1,6 0 0 0"),
        ("no ret at the end", "1,40 0 0 12"),
        ("division by the constant 0", "2,52 0 0 0,6 0 0 0"),
        ("unknown opcode", "2,8 0 0 0,6 0 0 0"),
        ("scratch slot 16", "2,96 0 0 16,6 0 0 0"),
        ("scratch slot read before any store", "2,96 0 0 0,22 0 0 0"),
        ("shift by 32", "2,100 0 0 32,6 0 0 0"),
        ("unknown ancillary offset", "2,32 0 0 4294963400,6 0 0 0"),
    ]

    @Test func verifyAgreesWithTheKernelSocketChecker() throws {
        for (name, bytecode) in Self.socketCases {
            let program = try #require(SockFilter.parse(bytecode))
            let kernel = KernelSocket.accepts(program)
            for target in ["socket", "cls_bpf"] {
                let run = try CLI.run(["verify", "--target", target, bytecode])
                #expect(run.signal == nil, "\(run)")
                #expect(run.succeeded == kernel, "\(name) for \(target): kernel \(kernel ? "accepts" : "refuses") it; \(run)")
                if kernel {
                    #expect(run.trimmedOutput == "ok")
                } else {
                    #expect(run.exitStatus == 1 && !run.trimmedOutput.isEmpty && run.trimmedOutput != "ok", "\(run)")
                }
            }
        }
    }

    /// `XT_BPF_MAX_NUM_INSTR` from the kernel's `linux/netfilter/xt_bpf.h`.
    static let xtBPFLimit: Int? = {
        guard let header = try? String(contentsOfFile: "/usr/include/linux/netfilter/xt_bpf.h", encoding: .utf8),
            let line = header.split(separator: "\n").first(where: { $0.contains("#define XT_BPF_MAX_NUM_INSTR") })
        else { return nil }
        // `#define XT_BPF_MAX_NUM_INSTR<tab>64`: the fields are separated by any whitespace.
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { Int($0) }
    }()

    @Test(.enabled(if: xtBPFLimit != nil, "skipped: linux/netfilter/xt_bpf.h is not installed"))
    func verifyKeepsXtBPFToItsHeaderLimit() throws {
        let limit = try #require(Self.xtBPFLimit)
        func returns(_ count: Int) -> String {
            ([String(count)] + Array(repeating: "6 0 0 0", count: count)).joined(separator: ",")
        }
        #expect(try CLI.run(["verify", "--target", "xt_bpf", returns(limit)]).succeeded)
        let over = try CLI.run(["verify", "--target", "xt_bpf", returns(limit + 1)])
        #expect(over.exitStatus == 1 && over.signal == nil, "\(over)")
        // The socket checker takes the longer program.
        #expect(KernelSocket.accepts(try #require(SockFilter.parse(returns(limit + 1)))))
        #expect(try CLI.run(["verify", "--target", "socket", returns(limit + 1)]).succeeded)
    }

    /// Programs the kernel's seccomp checker (`seccomp_check_filter`) takes or refuses, asked by
    /// installing each in a Python process.
    @Test(.enabled(if: KernelSeccomp.isAvailable, "skipped: python3 or the kernel headers are missing"))
    func verifyAgreesWithTheKernelSeccompChecker() throws {
        let cases: [(name: String, bytecode: String)] = [
            ("allow", "1,6 0 0 2147418112"),
            ("load nr, allow", "2,32 0 0 0,6 0 0 2147418112"),
            ("load the last argument word", "2,32 0 0 60,6 0 0 2147418112"),
            ("ld len", "2,128 0 0 0,6 0 0 2147418112"),
            ("halfword packet load", "2,40 0 0 12,6 0 0 2147418112"),
            ("load past seccomp_data", "2,32 0 0 64,6 0 0 2147418112"),
            ("misaligned load", "2,32 0 0 2,6 0 0 2147418112"),
            ("indirect load", "2,64 0 0 0,6 0 0 2147418112"),
            ("modulo", "2,148 0 0 3,6 0 0 2147418112"),
            ("no ret", "1,32 0 0 0"),
        ]
        for (name, bytecode) in cases {
            let program = try #require(SockFilter.parse(bytecode))
            let kernel = try KernelSeccomp.accepts(SockFilter.encode(program))
            let run = try CLI.run(["verify", "--target", "seccomp", bytecode])
            #expect(run.signal == nil, "\(run)")
            #expect(run.succeeded == kernel, "\(name): the kernel \(kernel ? "accepts" : "refuses") it; \(run)")
        }
    }

    // MARK: run

    @Test func runOnPacketsAgreesWithTheKernel() throws {
        var programs = [("ARP filter", String(Self.arpBytecode.dropLast())), ("ld len; ret a", "2,128 0 0 0,22 0 0 0")]
        if let decimal = tcpdump(["-ddd"], "tcp port 80"), let program = SockFilter.parse(decimal) {
            programs.append(("tcp port 80", SockFilter.bytecodeString(program)))
        }
        for (name, bytecode) in programs {
            let program = try #require(SockFilter.parse(bytecode))
            for (packetName, packet) in Self.packets {
                let kernel = try #require(KernelSocket.delivered(program, packet: packet))
                let run = try CLI.succeed(["run", "--packet", Self.hex(packet), bytecode])
                let value = try #require(UInt64(run.trimmedOutput), "\(run)")
                #expect(Int(min(value, UInt64(packet.count))) == kernel, "\(name) on \(packetName): \(run)")
            }
        }
        // --wirelen changes what ld len sees, and nothing else.
        let run = try CLI.succeed(["run", "--packet", "00112233", "--wirelen", "1500", "2,128 0 0 0,22 0 0 0"])
        #expect(run.trimmedOutput == "1500")
    }

    // MARK: demo

    /// The tour runs its filter through the kernel (a filtered AF_UNIX socketpair) next to our
    /// interpreter: port 80 delivered whole, the rest dropped.
    @Test func demoRunsTheFilterInTheKernel() throws {
        let run = try CLI.succeed(["demo"])
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        func row(_ name: String) -> String? { lines.first { $0.hasPrefix(name + " ") } }
        #expect(row("IPv4 TCP to port 80")?.hasSuffix("262144       delivered 54 bytes") == true, "\(run)")
        #expect(row("IPv4 TCP to port 443")?.hasSuffix("0            dropped") == true, "\(run)")
        #expect(row("IPv4 TCP port 80, later fragment")?.hasSuffix("dropped") == true, "\(run)")
        #expect(row("ARP")?.hasSuffix("dropped") == true, "\(run)")
    }

    // MARK: optimize

    @Test(.enabled(if: Paths.tcpdump != nil, "skipped: tcpdump is not installed"), arguments: expressions)
    func optimizedProgramsDecideAsTheKernelRunsTheOriginals(expression: String) throws {
        guard let unoptimizedText = tcpdump(["-O", "-ddd"], expression),
            let unoptimized = SockFilter.parse(unoptimizedText)
        else {
            Issue.record("tcpdump cannot compile \"\(expression)\"")
            return
        }
        let run = try CLI.succeed(["optimize", "-"], input: Array(unoptimizedText.utf8))
        let optimized = try #require(SockFilter.parse(run.standardOutput), "\(run)")
        #expect(optimized.count <= unoptimized.count)
        #expect(KernelSocket.accepts(optimized), "the kernel refuses the optimized program for \(expression)")
        for (name, packet) in Self.packets {
            #expect(
                KernelSocket.delivered(optimized, packet: packet) == KernelSocket.delivered(unoptimized, packet: packet),
                "\(expression) on \(name)")
        }
        // The other output forms carry the same program.
        let decimal = try CLI.succeed(["optimize", "-ddd", "-"], input: Array(unoptimizedText.utf8))
        #expect(SockFilter.parse(decimal.standardOutput) == optimized)
    }
}

extension KernelSeccomp {
    /// Whether the kernel installs the filter (in a Python process).
    static func accepts(_ filter: [UInt8]) throws -> Bool {
        guard let python = Paths.python3, let seccomp = KernelHeaders.x86_64["seccomp"] else {
            throw CLIError("python3 or the kernel headers are missing")
        }
        let directory = try TemporaryDirectory()
        let filterPath = try directory.write("filter.bpf", bytes: filter)
        let scriptPath = try directory.write("seccomp.py", script)
        guard let run = runTool(python, [scriptPath, filterPath, String(seccomp)]) else {
            throw CLIError("python3 did not run")
        }
        if run.status == 0 { return true }
        guard run.error.contains("seccomp(SECCOMP_SET_MODE_FILTER): errno") else {
            throw CLIError("the Python helper failed: \(run.error)")
        }
        return false
    }
}
