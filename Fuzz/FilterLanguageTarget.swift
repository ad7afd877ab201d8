import CBPF
import PacketFilter

/// The pcap-filter language. The first byte chooses the link type; the rest is the expression.
/// An expression that compiles both ways must give the same verdicts optimized and not, on the
/// input's own bytes taken as a packet and on every cut of a few fixed frames.
enum FilterLanguageTarget {
    static let linkTypes = PacketFilterCompiler.supportedLinkTypes

    /// Ethernet frames: IPv4/TCP to port 80, and IPv6/UDP to port 53.
    static let frames: [[UInt8]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
         0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
         0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd,
         0x60, 0, 0, 0, 0, 8, 17, 64] + [UInt8](repeating: 0xfe, count: 16) + [UInt8](repeating: 1, count: 16)
            + [0x30, 0x39, 0, 53, 0, 8, 0, 0],
    ]

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let expression = text(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))
        var compiler = PacketFilterCompiler(linkType: linkTypes[Int(first) % linkTypes.count], optimizes: false)
        compiler.addressNames = .tables()
        guard let plain = try? compiler.compile(expression) else { return }
        compiler.optimizes = true
        // The optimizer may refuse an expression that rejects every packet, as libpcap's does.
        guard let optimized = try? compiler.compile(expression) else { return }
        guard let reference = try? Interpreter(plain), let candidate = try? Interpreter(optimized) else {
            propertyFailed("a compiled program does not verify")
        }
        var packets = [Array(bytes)]
        for frame in frames {
            packets += stride(from: 0, through: frame.count, by: 3).map { Array(frame.prefix($0)) }
        }
        for packet in packets where reference.run(packet: packet) != candidate.run(packet: packet) {
            propertyFailed("optimized and unoptimized verdicts differ on \(packet)")
        }
    }
}
