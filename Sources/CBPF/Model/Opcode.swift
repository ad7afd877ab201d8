/// The bit fields of a classic BPF opcode, as `<linux/filter.h>` and `<linux/bpf_common.h>` define them.
public enum Opcode {
    // Instruction classes.
    public static let ld: UInt16 = 0x00
    public static let ldx: UInt16 = 0x01
    public static let st: UInt16 = 0x02
    public static let stx: UInt16 = 0x03
    public static let alu: UInt16 = 0x04
    public static let jmp: UInt16 = 0x05
    public static let ret: UInt16 = 0x06
    public static let misc: UInt16 = 0x07

    // Load sizes.
    public static let w: UInt16 = 0x00
    public static let h: UInt16 = 0x08
    public static let b: UInt16 = 0x10

    // Load modes.
    public static let imm: UInt16 = 0x00
    public static let abs: UInt16 = 0x20
    public static let ind: UInt16 = 0x40
    public static let mem: UInt16 = 0x60
    public static let len: UInt16 = 0x80
    public static let msh: UInt16 = 0xa0

    // ALU operations.
    public static let add: UInt16 = 0x00
    public static let sub: UInt16 = 0x10
    public static let mul: UInt16 = 0x20
    public static let div: UInt16 = 0x30
    public static let or: UInt16 = 0x40
    public static let and: UInt16 = 0x50
    public static let lsh: UInt16 = 0x60
    public static let rsh: UInt16 = 0x70
    public static let neg: UInt16 = 0x80
    public static let mod: UInt16 = 0x90
    public static let xor: UInt16 = 0xa0

    // Jump operations.
    public static let ja: UInt16 = 0x00
    public static let jeq: UInt16 = 0x10
    public static let jgt: UInt16 = 0x20
    public static let jge: UInt16 = 0x30
    public static let jset: UInt16 = 0x40

    // Operand sources.
    public static let k: UInt16 = 0x00
    public static let x: UInt16 = 0x08

    // Return value sources.
    public static let retA: UInt16 = 0x10

    // Miscellaneous operations.
    public static let tax: UInt16 = 0x00
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
