import CBPF
import CPcap
import LibpcapOracle

/// Our interpreter's verdicts against a reference program run by libpcap's own `bpf_filter`,
/// for reference programs our interpreter cannot run or that libpcap runs its own way
/// (`protochain`'s loops, scratch memory zeroed first).
struct BpfFilterTally: CustomStringConvertible {
    /// Why some packets are not compared, when the caller leaves some out.
    var leftOutReason: String? = nil
    var compared = 0
    var accepted = 0
    var leftOut = 0
    /// The first five disagreements.
    var disagreements: [String] = []

    mutating func compare(_ label: String, reference: [bpf_insn], ours: Interpreter, on packet: OraclePacket) {
        compared += 1
        let expected = OracleLibpcap.filter(reference, packet: packet.data, wireLength: packet.wireLength)
        let verdict = ours.run(packet: packet.data, wireLength: packet.wireLength)
        if verdict != 0 { accepted += 1 }
        if expected != verdict, disagreements.count < 5 {
            disagreements.append("\(label) on \(packet.origin) \(packet.hex) (wire \(packet.wireLength)): "
                + "libpcap \(expected), ours \(verdict)")
        }
    }

    var description: String {
        "\(compared) packets compared (\(accepted) accepted), \(disagreements.count) disagreements"
            + (leftOutReason.map { ", \(leftOut) left out: \($0)" } ?? "")
    }
}
