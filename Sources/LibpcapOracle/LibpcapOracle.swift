import CBPF
import CPcap
import Foundation
import PacketFilter
import Synchronization

// libpcap as the reference for packet filters: its compiler, its verdicts and the packet mutations
// that compare them with ours. Used by PacketFilterTests and the PacketFilterComparison benchmark.

/// libpcap's compiler (`pcap_compile` on `pcap_open_dead`) and interpreter (`bpf_filter`).
package enum OracleLibpcap {
    /// pcap_compile's error message.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    private static let lock = Mutex(())

    /// The installed libpcap's version, such as `1.10.3` (from `pcap_lib_version`).
    package static let version: String = {
        let text = String(cString: pcap_lib_version())
        return text.split(separator: " ").first { $0.first?.isNumber == true }.map(String.init) ?? text
    }()

    /// `pcap_datalink_name_to_val`.
    package static func dlt(named name: String) -> Int32? {
        let value = pcap_datalink_name_to_val(name)
        return value < 0 ? nil : value
    }

    /// libpcap's program for `expression` on `pcap_open_dead(dlt, snapshotLength)`.
    package static func compile(_ expression: String, dlt: Int32, snapshotLength: UInt32 = 262_144,
                               optimize: Bool = true, netmask: UInt32 = 0)
        -> Result<[RawInstruction], Failure>
    {
        lock.withLock { _ in
            guard let handle = pcap_open_dead(dlt, Int32(bitPattern: snapshotLength)) else {
                return .failure(Failure(description: "pcap_open_dead failed"))
            }
            defer { pcap_close(handle) }
            var program = bpf_program()
            guard pcap_compile(handle, &program, expression, optimize ? 1 : 0, netmask) == 0 else {
                return .failure(Failure(description: String(cString: pcap_geterr(handle))))
            }
            defer { pcap_freecode(&program) }
            return .success((0 ..< Int(program.bf_len)).map {
                let instruction = program.bf_insns[$0]
                return RawInstruction(code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
            })
        }
    }

    /// libpcap's unoptimized program for `expression`, ready to run, if it compiles and verifies.
    package static func unoptimizedInterpreter(_ expression: String, dlt: Int32) -> Interpreter? {
        guard case .success(let raw) = compile(expression, dlt: dlt, optimize: false),
              let program = try? Program(raw: raw)
        else { return nil }
        return try? Interpreter(program, for: .socket)
    }

    /// The snapshot length libpcap reports for a capture file (`pcap_snapshot`).
    package static func snapshotLength(ofCapture path: String) -> UInt32? {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errorBuffer) else { return nil }
        defer { pcap_close(handle) }
        return UInt32(bitPattern: pcap_snapshot(handle))
    }

    /// Whether an expression uses a primitive the installed libpcap (1.10) lacks but the TESTrun
    /// tables, from a newer libpcap, hold: `vxlan` arrived in libpcap 1.11.
    package static func needsNewerLibpcap(_ expression: String) -> Bool {
        expression.contains("vxlan")
    }

    /// The link type libpcap reads in a capture's header (`pcap_datalink`).
    package static func linkType(ofCapture path: String) -> LinkType? {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errorBuffer) else { return nil }
        defer { pcap_close(handle) }
        return LinkType(rawValue: UInt32(bitPattern: pcap_datalink(handle)))
    }

    /// libpcap's `bpf_filter(program, packet, wirelen, buflen = packet.count)`.
    package static func filter(_ program: [bpf_insn], packet: [UInt8], wireLength: UInt32) -> UInt32 {
        program.withUnsafeBufferPointer { code in
            packet.withUnsafeBufferPointer { bytes in
                // bpf_filter never reads a zero-length buffer, but needs a non-null pointer.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in
                    bpf_filter(code.baseAddress, bytes.baseAddress ?? UnsafePointer(empty.baseAddress!), wireLength,
                               UInt32(bytes.count))
                }
            }
        }
    }

    /// `program` in libpcap's instruction type.
    package static func insns(_ raw: [RawInstruction]) -> [bpf_insn] {
        raw.map { bpf_insn(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
    }
}

extension LinkType {
    /// The link types the oracle compares, in the order of their libpcap names.
    package static var oracleSupported: [LinkType] {
        [.ethernet, .raw, .linuxSLL, .linuxSLL2, .null, .loop, .ipv4, .ipv6, .ieee802_11, .ieee802_11Radio] + pointToPoint
    }

    /// The point-to-point link types: PPP, PPP in HDLC-like framing, PPPoE sessions, Cisco HDLC,
    /// SLIP and Frame Relay.
    package static var pointToPoint: [LinkType] { [.ppp, .pppSerial, .pppOverEthernet, .ciscoHDLC, .slip, .frameRelay] }
}

/// A packet as a filter sees it: the captured bytes and the length on the wire.
package struct OraclePacket: Sendable {
    package var data: [UInt8]
    package var wireLength: UInt32
    /// Where it came from: a capture and packet number, or a mutation.
    package var origin: String

    package init(data: [UInt8], wireLength: UInt32, origin: String) {
        self.data = data
        self.wireLength = wireLength
        self.origin = origin
    }

    package var hex: String { data.map { String(format: "%02x", $0) }.joined() }
}
