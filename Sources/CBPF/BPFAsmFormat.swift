/// The Linux `bpf_asm` text syntax (tools/bpf/bpf_exp.y).
public enum BPFAsmFormat {
    /// Mnemonic names of the ancillary fields, as `bpf_asm` spells them.
    static func name(of field: AncillaryField) -> String {
        switch field {
        case .protocol: "proto"
        case .packetType: "type"
        case .interfaceIndex: "ifidx"
        case .netlinkAttribute: "nla"
        case .netlinkAttributeNested: "nlan"
        case .mark: "mark"
        case .queue: "queue"
        case .hardwareType: "hatype"
        case .rxHash: "rxhash"
        case .cpu: "cpu"
        case .xorX: "xor_x"
        case .vlanTag: "vlan_tci"
        case .vlanTagPresent: "vlan_avail"
        case .payloadOffset: "poff"
        case .random: "rand"
        case .vlanProtocol: "vlan_tpid"
        }
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    /// One instruction in `bpf_asm` syntax, with jump targets written as absolute
    /// instruction numbers relative to `index`.
    public static func text(for instruction: Instruction, at index: Int) -> String {
        func suffix(_ size: LoadSize) -> String {
            switch size {
            case .word: ""
            case .halfword: "h"
            case .byte: "b"
            }
        }
        func operand(_ operand: Operand) -> String {
            switch operand {
            case .constant(let k): "#\(hex(k))"
            case .x: "x"
            }
        }
        switch instruction {
        case .loadAbsolute(let size, let offset): return "ld\(suffix(size)) [\(offset)]"
        case .loadIndirect(let size, let offset): return "ld\(suffix(size)) [x + \(offset)]"
        case .loadAncillary(let field, let size): return "ld\(suffix(size)) #\(name(of: field))"
        case .loadImmediate(.a, let k): return "ld #\(hex(k))"
        case .loadImmediate(.x, let k): return "ldx #\(hex(k))"
        case .loadScratch(.a, let slot): return "ld M[\(slot)]"
        case .loadScratch(.x, let slot): return "ldx M[\(slot)]"
        case .loadLength(.a): return "ld #len"
        case .loadLength(.x): return "ldx #len"
        case .loadIPv4HeaderLength(let offset): return "ldxb 4*([\(offset)]&0xf)"
        case .store(.a, let slot): return "st M[\(slot)]"
        case .store(.x, let slot): return "stx M[\(slot)]"
        case .arithmetic(let operation, let source):
            let mnemonic = switch operation {
            case .add: "add"
            case .subtract: "sub"
            case .multiply: "mul"
            case .divide: "div"
            case .modulo: "mod"
            case .and: "and"
            case .or: "or"
            case .xor: "xor"
            case .shiftLeft: "lsh"
            case .shiftRight: "rsh"
            }
            return "\(mnemonic) \(operand(source))"
        case .negate: return "neg"
        case .jump(let offset): return "ja \(index + 1 + Int(offset))"
        case .conditionalJump(let test, let source, let jt, let jf):
            let mnemonic = switch test {
            case .equal: "jeq"
            case .greaterThan: "jgt"
            case .greaterOrEqual: "jge"
            case .bitsSet: "jset"
            }
            return "\(mnemonic) \(operand(source)), \(index + 1 + Int(jt)), \(index + 1 + Int(jf))"
        case .returnConstant(let k): return "ret #\(hex(k))"
        case .returnA: return "ret a"
        case .tax: return "tax"
        case .txa: return "txa"
        }
    }
}
