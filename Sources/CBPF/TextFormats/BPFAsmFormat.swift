/// The Linux `bpf_asm` text syntax (tools/bpf/bpf_exp.y), as printed by ``disassemble(_:)``
/// and read by ``Assembler``.
///
/// Jump targets are labels named after the target's index, `l<index>`, as `bpf_dbg` prints
/// them. Constants are hexadecimal; packet offsets and scratch slots are decimal, with offsets
/// at or above 2^31 written negative (`[-1048576]` is `SKF_NET_OFF`), which `bpf_asm` reads back.
public enum BPFAsmFormat {
    /// The whole program as `bpf_asm` source, one instruction a line, with a label on each
    /// instruction that a jump targets.
    ///
    /// Assembling the text gives back the same program, as long as every jump lands inside the
    /// program, backwards included; a jump past the end names a label that is never defined.
    public static func disassemble(_ program: Program) -> String {
        let lines = program.instructions.enumerated().map { render($1, at: $0) }
        let targets = Set(lines.flatMap(\.targets))
        var text = ""
        for (index, line) in lines.enumerated() {
            if targets.contains(index) { text += label(for: index) + ":" }
            text += "\t" + line.text + "\n"
        }
        return text
    }

    /// One instruction in `bpf_asm` syntax, with jump targets written as the labels
    /// ``disassemble(_:)`` gives them (`l` and the target's index).
    ///
    /// A conditional jump whose false branch is the next instruction is printed with one target
    /// (`jeq #0x800, l5`); one whose true branch is the next instruction is printed negated
    /// where `bpf_asm` has a negation (`jneq`, `jlt`, `jle`).
    public static func text(for instruction: Instruction, at index: Int) -> String {
        render(instruction, at: index).text
    }

    /// The text of an instruction and the indices of the labels it names.
    private static func render(_ instruction: Instruction, at index: Int) -> (text: String, targets: [Int]) {
        func target(_ offset: UInt8) -> Int { index + 1 + Int(offset) }
        let text: String
        switch instruction {
        case .loadAbsolute(let size, let offset):
            text = "\(mnemonic(loading: size)) [\(signed(offset))]"
        case .loadIndirect(let size, let offset):
            text = "\(mnemonic(loading: size)) [x + \(signed(offset))]"
        case .loadAncillary(let field, let size):
            // SKF_AD_ALU_XOR_X has no name in bpf_exp.l; its plain offset reads back the same.
            text = name(of: field).map { "\(mnemonic(loading: size)) #\($0)" }
                ?? "\(mnemonic(loading: size)) [\(signed(field.offset))]"
        case .loadImmediate(.a, let k): text = "ld #\(hex(k))"
        case .loadImmediate(.x, let k): text = "ldx #\(hex(k))"
        case .loadScratch(.a, let slot): text = "ld M[\(slot)]"
        case .loadScratch(.x, let slot): text = "ldx M[\(slot)]"
        case .loadLength(.a): text = "ld #len"
        case .loadLength(.x): text = "ldx #len"
        case .loadIPv4HeaderLength(let offset): text = "ldxb 4*([\(signed(offset))]&0xf)"
        case .store(.a, let slot): text = "st M[\(slot)]"
        case .store(.x, let slot): text = "stx M[\(slot)]"
        case .arithmetic(let operation, let source): text = "\(operation.mnemonic) \(operand(source))"
        case .negate: text = "neg"
        case .returnConstant(let k): text = "ret #\(hex(k))"
        case .returnA: text = "ret a"
        case .tax: text = "tax"
        case .txa: text = "txa"
        case .jump(let offset):
            // The kernel adds offsets in 32 bits: one that wraps past 2^32 lands before the jump
            // (libpcap's protochain loop), and the assembler reads that label back the same.
            let target = Int(UInt32(truncatingIfNeeded: index + 1) &+ offset)
            return ("ja \(label(for: target))", [target])
        case .conditionalJump(let test, let source, let ifTrue, let ifFalse):
            let (positive, negated) = mnemonics(of: test)
            let operand = operand(source)
            if ifFalse == 0 {
                return ("\(positive) \(operand), \(label(for: target(ifTrue)))", [target(ifTrue)])
            }
            if ifTrue == 0, let negated {
                return ("\(negated) \(operand), \(label(for: target(ifFalse)))", [target(ifFalse)])
            }
            let text = "\(positive) \(operand), \(label(for: target(ifTrue))), \(label(for: target(ifFalse)))"
            return (text, [target(ifTrue), target(ifFalse)])
        }
        return (text, [])
    }

    /// The generated label of the instruction at `index`.
    static func label(for index: Int) -> String { "l\(index)" }

    /// The name `bpf_asm` gives an ancillary field: tcpdump's (``TcpdumpFormat/name(of:)``) but
    /// `vlan_avail` and `rand`, and `nil` for ``AncillaryField/xorX``, which it does not name.
    static func name(of field: AncillaryField) -> String? {
        switch field {
        case .xorX: nil
        case .vlanTagPresent: "vlan_avail"
        case .random: "rand"
        default: TcpdumpFormat.name(of: field)
        }
    }

    /// The field a lowercase extension name selects; `vlan_pr` is bpf_exp.l's older spelling
    /// of `vlan_avail`.
    static func ancillaryField(named name: String) -> AncillaryField? {
        if name == "vlan_pr" { return .vlanTagPresent }
        return AncillaryField.allCases.first { self.name(of: $0) == name }
    }

    /// The mnemonic of a test, and of its negation with swapped targets if `bpf_asm` has one.
    private static func mnemonics(of test: JumpTest) -> (positive: String, negated: String?) {
        switch test {
        case .equal: (test.mnemonic, "jneq")
        case .greaterThan: (test.mnemonic, "jle")
        case .greaterOrEqual: (test.mnemonic, "jlt")
        case .bitsSet: (test.mnemonic, nil)
        }
    }

    private static func mnemonic(loading size: LoadSize) -> String {
        switch size {
        case .word: "ld"
        case .halfword: "ldh"
        case .byte: "ldb"
        }
    }

    private static func operand(_ operand: Operand) -> String {
        switch operand {
        case .constant(let k): "#\(hex(k))"
        case .x: "x"
        }
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    /// Offsets as `bpf_dbg` prints them: decimal, and negative from 2^31 up.
    private static func signed(_ value: UInt32) -> String { String(Int32(bitPattern: value)) }
}
