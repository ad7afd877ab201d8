/// The bit fields of a classic BPF opcode, as `<linux/filter.h>` and `<linux/bpf_common.h>` define them.
public enum Opcode {
    // Instruction classes.
    /// Instruction class `BPF_LD`: loads into A.
    public static let ld: UInt16 = 0x00
    /// Instruction class `BPF_LDX`: loads into X.
    public static let ldx: UInt16 = 0x01
    /// Instruction class `BPF_ST`: stores A into a scratch slot.
    public static let st: UInt16 = 0x02
    /// Instruction class `BPF_STX`: stores X into a scratch slot.
    public static let stx: UInt16 = 0x03
    /// Instruction class `BPF_ALU`: arithmetic and logic on A.
    public static let alu: UInt16 = 0x04
    /// Instruction class `BPF_JMP`: jumps.
    public static let jmp: UInt16 = 0x05
    /// Instruction class `BPF_RET`: returns.
    public static let ret: UInt16 = 0x06
    /// Instruction class `BPF_MISC`: register transfers (`tax`, `txa`).
    public static let misc: UInt16 = 0x07

    // Load sizes.
    /// Load size `BPF_W`: a 32-bit word.
    public static let w: UInt16 = 0x00
    /// Load size `BPF_H`: a 16-bit halfword.
    public static let h: UInt16 = 0x08
    /// Load size `BPF_B`: a byte.
    public static let b: UInt16 = 0x10

    // Load modes.
    /// Load mode `BPF_IMM`: the constant `k`.
    public static let imm: UInt16 = 0x00
    /// Load mode `BPF_ABS`: the packet at offset `k`.
    public static let abs: UInt16 = 0x20
    /// Load mode `BPF_IND`: the packet at offset `X + k`.
    public static let ind: UInt16 = 0x40
    /// Load mode `BPF_MEM`: scratch slot `k`.
    public static let mem: UInt16 = 0x60
    /// Load mode `BPF_LEN`: the packet's length.
    public static let len: UInt16 = 0x80
    /// Load mode `BPF_MSH`: `4 * ([k] & 0xf)`, the IPv4 header length (into X only).
    public static let msh: UInt16 = 0xa0

    // ALU operations.
    /// ALU operation `BPF_ADD`.
    public static let add: UInt16 = 0x00
    /// ALU operation `BPF_SUB`.
    public static let sub: UInt16 = 0x10
    /// ALU operation `BPF_MUL`.
    public static let mul: UInt16 = 0x20
    /// ALU operation `BPF_DIV` (unsigned).
    public static let div: UInt16 = 0x30
    /// ALU operation `BPF_OR`.
    public static let or: UInt16 = 0x40
    /// ALU operation `BPF_AND`.
    public static let and: UInt16 = 0x50
    /// ALU operation `BPF_LSH`.
    public static let lsh: UInt16 = 0x60
    /// ALU operation `BPF_RSH` (logical).
    public static let rsh: UInt16 = 0x70
    /// ALU operation `BPF_NEG`.
    public static let neg: UInt16 = 0x80
    /// ALU operation `BPF_MOD` (unsigned; not allowed in seccomp filters).
    public static let mod: UInt16 = 0x90
    /// ALU operation `BPF_XOR`.
    public static let xor: UInt16 = 0xa0

    // Jump operations.
    /// Jump operation `BPF_JA`: always, by `k`.
    public static let ja: UInt16 = 0x00
    /// Jump operation `BPF_JEQ`: `A == operand`.
    public static let jeq: UInt16 = 0x10
    /// Jump operation `BPF_JGT`: `A > operand`, unsigned.
    public static let jgt: UInt16 = 0x20
    /// Jump operation `BPF_JGE`: `A >= operand`, unsigned.
    public static let jge: UInt16 = 0x30
    /// Jump operation `BPF_JSET`: `A & operand != 0`.
    public static let jset: UInt16 = 0x40

    // Operand sources.
    /// Operand source `BPF_K`: the constant `k`.
    public static let k: UInt16 = 0x00
    /// Operand source `BPF_X`: the register X.
    public static let x: UInt16 = 0x08

    // Return value sources.
    /// Return value source `BPF_A`: `ret a` returns the accumulator.
    public static let retA: UInt16 = 0x10

    // Miscellaneous operations.
    /// Miscellaneous operation `BPF_TAX`: copy A into X.
    public static let tax: UInt16 = 0x00
    /// Miscellaneous operation `BPF_TXA`: copy X into A.
    public static let txa: UInt16 = 0x80
}

/// Special offsets of absolute loads on Linux (`SKF_*_OFF`).
public enum SpecialOffset {
    /// `SKF_AD_OFF`: the base of ancillary data loads.
    public static let ancillary: UInt32 = 0xffff_f000
    /// `SKF_NET_OFF`: loads relative to the network header.
    public static let network: UInt32 = 0xfff0_0000
    /// `SKF_LL_OFF`: loads relative to the link-layer header.
    public static let linkLayer: UInt32 = 0xffe0_0000
}

/// Limits of classic BPF on Linux.
public enum Limits {
    /// `BPF_MAXINSNS`: the longest program the kernel accepts.
    public static let maximumInstructions = 4096
    /// `BPF_MEMWORDS`: the number of scratch memory slots.
    public static let scratchSlots: UInt32 = 16
    /// `XT_BPF_MAX_NUM_INSTR`: the longest program `xt_bpf` accepts.
    public static let xtBPFMaximumInstructions = 64
    /// `sizeof(struct seccomp_data)`.
    public static let seccompDataSize: UInt32 = 64
}
