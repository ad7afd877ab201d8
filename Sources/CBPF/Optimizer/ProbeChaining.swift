/// Chains the probes of test chains (see ``ForwardSimplification``'s chain reordering) that
/// imply each other, just before the layout: a probe is a block of absolute loads that returns
/// a constant, run only to end the program with 0 where one of its loads falls outside the
/// packet. Once a load of bytes up to `e` has succeeded, every absolute load that ends at or
/// before `e` succeeds too. So the probe that reaches furthest jumps into the next one, and so
/// on, and the last jumps to the shared return: `ld [38]` (ARP's destination address) falls
/// through into `ld [30]` (IPv4's) and into `ret #k`, and each probe costs one instruction.
enum ProbeChaining {
    /// Links the probes of `graph` and normalizes it.
    static func run(on graph: inout ControlFlowGraph) {
        // Reach nil: a probe with indirect loads, which implies nothing and only jumps to the
        // return.
        var probes = [UInt32: [(reach: UInt64?, block: Int)]]()
        var sharedReturn = [UInt32: Int]()
        for (index, block) in graph.blocks.enumerated() {
            guard case .returnConstant(let k) = block.terminator else { continue }
            if block.statements.isEmpty {
                if sharedReturn[k] == nil { sharedReturn[k] = index }
                continue
            }
            var reach: UInt64? = 0
            var isProbe = true
            for statement in block.statements {
                switch statement {
                case .loadAbsolute(let size, let offset) where offset < 0x8000_0000:
                    reach = reach.map { max($0, UInt64(offset) + UInt64(size.byteCount)) }
                case .loadIndirect:
                    reach = nil
                default:
                    isProbe = false
                }
            }
            if isProbe { probes[k, default: []].append((reach, index)) }
        }
        var changed = false
        for (k, members) in probes {
            let implying = members.compactMap { member in member.reach.map { ($0, member.block) } }
                .sorted { ($0.0, $1.1) > ($1.0, $0.1) }.map(\.1)
            for (position, block) in implying.enumerated() where position + 1 < implying.count {
                // The next probe's loads succeed once this one's have, and its A is not read.
                graph.blocks[block].terminator = .jump(implying[position + 1])
                changed = true
            }
            guard let shared = sharedReturn[k] else { continue }
            for member in members where member.reach == nil || member.block == implying.last {
                graph.blocks[member.block].terminator = .jump(shared)
                changed = true
            }
        }
        if changed { graph.normalize() }
    }
}
