import ArgumentParser
import Attach
import CBPF
import Foundation
import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// A tour of the core: assemble, print, verify, run next to the kernel, optimize, seccomp.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show the core at work, checked against the running kernel."
    )

    static let source = """
        ; IPv4 TCP to or from port 80, first fragments only
                ldh [12]
                jne #0x800, drop
                ldb [23]
                jne #6, drop
                ldh [20]
                jset #0x1fff, drop
                ldxb 4*([14]&0xf)
                ldh [x + 14]
                jeq #80, accept
                ldh [x + 16]
                jne #80, drop
        accept: ret #262144
        drop:   ret #0
        """

    func run() throws {
        let program = try Assembler.assemble(Self.source)
        section("1. A filter in bpf_asm syntax")
        print(Self.source)
        print("\ntcpdump -d listing:")
        print(TcpdumpFormat.format(program, style: .listing), terminator: "")
        print("\nbytecode for tc and iptables -m bpf:")
        print(BytecodeString.format(program))

        section("2. The kernel's rules for each attach point")
        for target in AttachTarget.allCases {
            let verdict: String
            do {
                try Verifier.verify(program, for: target)
                verdict = "ok"
            } catch {
                verdict = "rejected: \(error)"
            }
            print(pad(target.rawValue, 9) + verdict)
        }

        section("3. Our interpreter next to the kernel (SO_ATTACH_FILTER on an AF_UNIX socketpair)")
        let interpreter = try Interpreter(program)
        let kernel = KernelSocketPair()
        print(pad("packet", 34) + pad("interpreter", 13) + "kernel")
        for (name, packet) in Self.samplePackets() {
            let ours = interpreter.run(packet: packet)
            let theirs = kernel?.deliver(program, packet: packet) ?? "(no socketpair)"
            print(pad(name, 34) + pad(String(ours), 13) + theirs)
        }

        section("4. The optimizer on libpcap's unoptimized code")
        optimizerComparison(expression: "tcp port 80")

        section("5. A seccomp filter from the builder DSL")
        try seccompExample()
    }

    func section(_ title: String) {
        print("\n== \(title) ==\n")
    }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// Ethernet frames: IPv4/TCP to port 80, IPv4/TCP to port 443, a later fragment, and ARP.
    static func samplePackets() -> [(String, [UInt8])] {
        func frame(etherType: UInt16, protocol: UInt8, fragment: UInt16, destinationPort: UInt16) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 54)
            bytes[0 ..< 6] = [0x02, 0, 0, 0, 0, 1]
            bytes[6 ..< 12] = [0x02, 0, 0, 0, 0, 2]
            bytes[12] = UInt8(etherType >> 8)
            bytes[13] = UInt8(etherType & 0xff)
            bytes[14] = 0x45  // IPv4, 20-byte header
            bytes[17] = 40  // total length
            bytes[20] = UInt8(fragment >> 8)
            bytes[21] = UInt8(fragment & 0xff)
            bytes[22] = 64  // TTL
            bytes[23] = `protocol`
            bytes[26 ..< 30] = [10, 0, 0, 1]
            bytes[30 ..< 34] = [10, 0, 0, 2]
            bytes[34] = 0xc3
            bytes[35] = 0x50  // source port 50000
            bytes[36] = UInt8(destinationPort >> 8)
            bytes[37] = UInt8(destinationPort & 0xff)
            return bytes
        }
        return [
            ("IPv4 TCP to port 80", frame(etherType: 0x800, protocol: 6, fragment: 0, destinationPort: 80)),
            ("IPv4 TCP to port 443", frame(etherType: 0x800, protocol: 6, fragment: 0, destinationPort: 443)),
            ("IPv4 TCP port 80, later fragment", frame(etherType: 0x800, protocol: 6, fragment: 0x0010, destinationPort: 80)),
            ("ARP", frame(etherType: 0x806, protocol: 0, fragment: 0, destinationPort: 0)),
        ]
    }

    func optimizerComparison(expression: String) {
        guard let unoptimizedText = tcpdump(["-O", "-ddd", expression]),
              let optimizedText = tcpdump(["-ddd", expression]),
              let unoptimized = try? TcpdumpFormat.parse(unoptimizedText),
              let libpcap = try? TcpdumpFormat.parse(optimizedText),
              let program = try? Program(raw: unoptimized)
        else {
            print("(tcpdump is not installed: skipped)")
            return
        }
        let ours = Optimizer.optimize(program, for: .socket)
        print("\"\(expression)\": libpcap unoptimized \(unoptimized.count) instructions, "
              + "libpcap optimized \(libpcap.count), ours from the unoptimized code \(ours.count)")
        print(TcpdumpFormat.format(ours, style: .listing), terminator: "")
    }

    func tcpdump(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tcpdump"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    func seccompExample() throws {
        let getpid: UInt32 = 39
        let filter = try Program {
            Load.absolute(.word, 4)  // seccomp_data.arch
            Jump(if: .notEqual, AuditArchitecture.x86_64.rawValue, then: "kill")
            Load.absolute(.word, 0)  // seccomp_data.nr
            Jump(if: .equal, getpid, else: "allow")
            Return(SeccompAction.errno(1).returnValue)
            Label("allow")
            Return(SeccompAction.allow.returnValue)
            Label("kill")
            Return(SeccompAction.killProcess.returnValue)
        }
        print(BPFAsmFormat.disassemble(filter))
        let interpreter = try Interpreter(filter, for: .seccomp)
        let calls: [(String, SeccompData)] = [
            ("getpid() on x86_64", SeccompData(number: 39, architecture: .x86_64)),
            ("read() on x86_64", SeccompData(number: 0, architecture: .x86_64)),
            ("getpid() on x86 (foreign)", SeccompData(number: 20, architecture: .x86)),
        ]
        for (name, data) in calls {
            print(pad(name, 28) + "\(SeccompAction(returnValue: interpreter.run(seccomp: data)))")
        }
    }
}

/// The kernel's socket-filter interpreter, through an AF_UNIX datagram socketpair: a datagram
/// sent to the socket with the filter is received with `min(length, return value)` bytes, or
/// dropped when the filter returns 0.
final class KernelSocketPair {
    private let sockets: OwnedFileDescriptor.SocketPair
    private var sender: Int32 { sockets.first.descriptor.rawValue }
    private var receiver: Int32 { sockets.second.descriptor.rawValue }

    init?() {
        guard let sockets = try? OwnedFileDescriptor.socketPair(type: Int32(SOCK_DGRAM.rawValue)) else { return nil }
        self.sockets = sockets
    }

    /// Attaches `program` to the receiving socket, sends `packet` and says what arrived:
    /// `delivered N bytes` (`MSG_TRUNC` reports the datagram's full length) or `dropped`.
    func deliver(_ program: Program, packet: [UInt8]) -> String {
        do {
            try SocketFilter.attach(program, to: FileDescriptor(rawValue: receiver))
        } catch {
            return "attach failed: \(error)"
        }
        let sent = packet.withUnsafeBytes {
            send(sender, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
        }
        guard sent == packet.count else { return "failed: send: \(Errno(rawValue: errno))" }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let received = buffer.withUnsafeMutableBytes {
            recv(receiver, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC))
        }
        if received < 0 {
            let code = errno
            return code == EAGAIN ? "dropped" : "failed: recv: \(Errno(rawValue: code))"
        }
        return "delivered \(received) bytes"
    }
}
