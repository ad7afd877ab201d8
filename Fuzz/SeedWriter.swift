import CBPF
import Foundation
import PacketFilter
import Seccomp

/// Writes a starting corpus for every target: inputs this package makes itself, and, when the
/// shared corpus is there, libpcap's test expressions, tcpdump's captures and Docker's profile.
struct SeedWriter {
    let output: String
    let sharedCorpus: String?

    /// Policies written by hand, for when Docker's profile is absent.
    static let policies = [
        """
        default errno(EPERM)
        arch x86_64 x32
        foreign-arch kill-process
        unknown-syscalls enosys
        errno(EAFNOSUPPORT) socket arg0 == 10
        allow socket
        allow @system-service
        allow mmap arg2 & 0x4 == 0
        allow ioctl arg1.lo32 == 0x5401
        allow 451
        kill-process ptrace
        """,
        "default kill-process\nallow read write exit_group\nerrno(EACCES) openat arg2 & 3 != 0\n",
        "default allow\narch x86 arm aarch64\nlog personality arg0 >= 8\ntrap(7) kill\nuser-notify mkdir\n",
    ]

    /// Expressions written by hand, for when libpcap's table is absent.
    static let expressions = [
        "tcp port 80", "udp and port 53", "ip host 10.0.0.1 and not icmp", "tcp[13] & 2 != 0",
        "ip6 and (tcp or udp) and portrange 1000-2000", "vlan 100 and ip", "ether broadcast or arp",
        "len > 100 and ip[2:2] < 1500", "dns qname \"*.example.com\"", "ip protochain 6",
        "icmp[icmptype] = icmp-echo", "geneve and ip", "not (src net 192.168.0.0/16 or dst port 22)",
    ]

    func writeAll() {
        let expressions = libpcapExpressions() ?? Self.expressions.map { (LinkType.ethernet, $0) }
        let linkTypes = PacketFilterCompiler.supportedLinkTypes
        for (index, (linkType, expression)) in expressions.enumerated() {
            let selector = UInt8(linkTypes.firstIndex(of: linkType) ?? 0)
            write("filter-language", "expression-\(index)", [selector] + Array(expression.utf8))
        }
        writePrograms(expressions.filter { $0.0 == .ethernet }.map(\.1))
        writePolicies()
        writeCaptures()
    }

    /// accept.tsv's expressions with their link types, where we support them.
    func libpcapExpressions() -> [(LinkType, String)]? {
        guard let sharedCorpus,
            let table = try? String(contentsOfFile: sharedCorpus + "/libpcap-testrun/accept.tsv", encoding: .utf8)
        else { return nil }
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4, let linkType = LinkType(name: String(fields[1])),
                PacketFilterCompiler.supportedLinkTypes.contains(linkType)
            else { return nil }
            return (linkType, String(fields[3]))
        }
    }

    /// Compiled expressions in every program text format, and as raw bytes with a packet.
    func writePrograms(_ expressions: [String]) {
        var compiler = PacketFilterCompiler()
        compiler.addressNames = .tables()
        let frame = FilterLanguageTarget.frames[0]
        for (index, expression) in expressions.prefix(400).enumerated() {
            guard let program = try? compiler.compile(expression) else { continue }
            write("bpf-asm", "program-\(index)", Array(BPFAsmFormat.disassemble(program).utf8))
            write("bytecode-string", "program-\(index)", Array(BytecodeString.format(program).utf8))
            write("tcpdump-text", "dd-\(index)", Array(TcpdumpFormat.format(program, style: .cArray).utf8))
            write("tcpdump-text", "ddd-\(index)", Array(TcpdumpFormat.format(program, style: .decimal).utf8))
            write("program", "socket-\(index)", [0, UInt8(frame.count)] + frame + program.bytes)
        }
        for (index, text) in Self.policies.enumerated() {
            guard let policy = try? SeccompPolicyFormat.parse(text), let program = try? SeccompCompiler().compile(policy)
            else { continue }
            let data = SeccompData(number: 1, architecture: .x86_64).bytes
            write("program", "seccomp-\(index)", [1, UInt8(data.count)] + data + program.bytes)
            write("seccomp-policy", "handwritten-\(index)", Array(SeccompPolicyFormat.format(policy).utf8))
        }
    }

    func writePolicies() {
        for (index, text) in Self.policies.enumerated() {
            write("seccomp-policy", "source-\(index)", Array(text.utf8))
        }
        guard let sharedCorpus,
            let json = FileManager.default.contents(atPath: sharedCorpus + "/seccomp/docker-default.json")
        else { return }
        write("oci-profile", "docker-default", Array(json))
        let options = OCIProfileImportOptions(kernelVersion: OCISeccompProfile.KernelVersion(kernel: 6, major: 1))
        if let profile = try? OCISeccompProfile(jsonBytes: Array(json)),
            let imported = try? profile.policy(options: options)
        {
            write("seccomp-policy", "docker-default", Array(SeccompPolicyFormat.format(imported.policy).utf8))
        }
    }

    /// tcpdump's and libpcap's test captures; our own writer's output when they are absent.
    func writeCaptures() {
        var writer = PcapWriter(linkType: .ethernet)
        for frame in FilterLanguageTarget.frames { writer.append(frame) }
        write("capture", "frames.pcap", writer.bytes)
        guard let sharedCorpus else { return }
        let manager = FileManager.default
        for folder in ["pcap/tcpdump-tests", "pcap/libpcap-filter-tests"] {
            let path = sharedCorpus + "/" + folder
            for name in (try? manager.contentsOfDirectory(atPath: path)) ?? [] {
                guard let bytes = manager.contents(atPath: path + "/" + name) else { continue }
                // libFuzzer reads only the first -max_len bytes of a seed.
                write("capture", name, Array(bytes.prefix(65536)))
            }
        }
    }

    func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
        let folder = output + "/" + target
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes))
    }
}
