/// The size of a packet load.
public enum LoadSize: Hashable, Sendable, CaseIterable {
    /// One byte (`BPF_B`), two (`BPF_H`) or four (`BPF_W`), big-endian in packets.
    case byte, halfword, word

    /// The number of bytes loaded.
    public var byteCount: Int {
        switch self {
        case .byte: 1
        case .halfword: 2
        case .word: 4
        }
    }

    var opcodeBits: UInt16 {
        switch self {
        case .byte: Opcode.b
        case .halfword: Opcode.h
        case .word: Opcode.w
        }
    }
}

/// One of the two registers: the accumulator `A` or the index register `X`.
public enum Register: Hashable, Sendable, CaseIterable {
    /// The accumulator `A` or the index register `X`.
    case a, x
}

/// A 32-bit arithmetic or logic operation on `A`.
public enum ArithmeticOperation: Hashable, Sendable, CaseIterable {
    /// `add`, `sub`, `mul`, `div`, `mod`, `and`, `or`, `xor`, `lsh`, `rsh`: unsigned 32-bit operations.
    case add, subtract, multiply, divide, modulo, and, or, xor, shiftLeft, shiftRight

    var opcodeBits: UInt16 {
        switch self {
        case .add: Opcode.add
        case .subtract: Opcode.sub
        case .multiply: Opcode.mul
        case .divide: Opcode.div
        case .modulo: Opcode.mod
        case .and: Opcode.and
        case .or: Opcode.or
        case .xor: Opcode.xor
        case .shiftLeft: Opcode.lsh
        case .shiftRight: Opcode.rsh
        }
    }

    /// The mnemonic that tcpdump's listing and `bpf_asm` share: `add`, `lsh`, ... (package: the
    /// seccomp forensics name operations with it too).
    package var mnemonic: String {
        switch self {
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
    }

    /// Applies the operation with the kernel's semantics. Division and modulo by zero are the
    /// caller's concern: the kernel ends the program with 0 before they happen.
    @inlinable
    public func apply(_ a: UInt32, _ operand: UInt32) -> UInt32 {
        switch self {
        case .add: a &+ operand
        case .subtract: a &- operand
        case .multiply: a &* operand
        case .divide: operand == 0 ? 0 : a / operand
        case .modulo: operand == 0 ? 0 : a % operand
        case .and: a & operand
        case .or: a | operand
        case .xor: a ^ operand
        // The kernel masks a shift count in X to 5 bits (eBPF ALU32 semantics); constant
        // counts of 32 or more never pass the checker.
        case .shiftLeft: a << (operand & 31)
        case .shiftRight: a >> (operand & 31)
        }
    }
}

/// The second operand of an arithmetic operation or a comparison: a constant or `X`.
public enum Operand: Hashable, Sendable {
    /// The constant `k` (`BPF_K`).
    case constant(UInt32)
    /// The index register (`BPF_X`).
    case x
}

/// The tests of conditional jumps that the kernel encodes. Negated forms (`jne`, `jlt`, `jle`)
/// are assembler conveniences that swap the targets.
public enum JumpTest: Hashable, Sendable, CaseIterable {
    /// `jeq`, `jgt`, `jge` (unsigned) and `jset` (`A & operand != 0`).
    case equal, greaterThan, greaterOrEqual, bitsSet

    var opcodeBits: UInt16 {
        switch self {
        case .equal: Opcode.jeq
        case .greaterThan: Opcode.jgt
        case .greaterOrEqual: Opcode.jge
        case .bitsSet: Opcode.jset
        }
    }

    /// The mnemonic that tcpdump's listing and `bpf_asm` share: `jeq`, `jgt`, `jge`, `jset`.
    var mnemonic: String {
        switch self {
        case .equal: "jeq"
        case .greaterThan: "jgt"
        case .greaterOrEqual: "jge"
        case .bitsSet: "jset"
        }
    }

    /// Evaluates the test on unsigned 32-bit values.
    @inlinable
    public func holds(_ a: UInt32, _ operand: UInt32) -> Bool {
        switch self {
        case .equal: a == operand
        case .greaterThan: a > operand
        case .greaterOrEqual: a >= operand
        case .bitsSet: a & operand != 0
        }
    }
}

/// Linux ancillary data, read by an absolute load at `SKF_AD_OFF + offset`.
public enum AncillaryField: UInt32, Hashable, Sendable, CaseIterable {
    /// `skb->protocol`, the EtherType in host order.
    case `protocol` = 0
    /// `skb->pkt_type` (PACKET_HOST, PACKET_BROADCAST, ...).
    case packetType = 4
    /// The receiving interface's index.
    case interfaceIndex = 8
    /// Offset of the netlink attribute of type X, searched from offset A.
    case netlinkAttribute = 12
    /// Offset of the nested netlink attribute of type X inside the attribute at offset A.
    case netlinkAttributeNested = 16
    /// `skb->mark`.
    case mark = 20
    /// `skb->queue_mapping`.
    case queue = 24
    /// The device type (`ARPHRD_*`), tcpdump's "hatype".
    case hardwareType = 28
    /// `skb->hash`.
    case rxHash = 32
    /// The CPU that runs the filter.
    case cpu = 36
    /// A XOR X.
    case xorX = 40
    /// The VLAN TCI.
    case vlanTag = 44
    /// 1 when a VLAN tag was stripped into the metadata, else 0.
    case vlanTagPresent = 48
    /// The payload offset found by the flow dissector.
    case payloadOffset = 52
    /// A pseudo-random 32-bit number.
    case random = 56
    /// The VLAN protocol (TPID) in host order.
    case vlanProtocol = 60

    /// The absolute offset that selects this field.
    public var offset: UInt32 { SpecialOffset.ancillary &+ rawValue }

    /// The field an absolute offset selects, if any.
    public init?(offset: UInt32) {
        guard offset >= SpecialOffset.ancillary else { return nil }
        self.init(rawValue: offset &- SpecialOffset.ancillary)
    }
}

/// A classic BPF instruction, one case for each kind the Linux kernel accepts.
///
/// Jump offsets are relative, as in the kernel: a target is `index + 1 + offset`.
/// Convert with ``init(raw:)`` and ``raw``; build whole programs with ``Program``,
/// the ``Assembler`` or the builder.
public enum Instruction: Hashable, Sendable {
    /// `ld/ldh/ldb [k]`: loads big-endian bytes at an absolute offset into A. Offsets
    /// at or above `SKF_NET_OFF` or `SKF_LL_OFF` are relative to those headers.
    case loadAbsolute(LoadSize, offset: UInt32)
    /// `ld/ldh/ldb [x + k]`.
    case loadIndirect(LoadSize, offset: UInt32)
    /// `ld #proto` and friends: Linux ancillary data at `SKF_AD_OFF`. The size is ignored by the
    /// kernel but kept so that encoding is lossless.
    case loadAncillary(AncillaryField, size: LoadSize)
    /// `ld #k` or `ldx #k`.
    case loadImmediate(Register, UInt32)
    /// `ld M[k]` or `ldx M[k]`.
    case loadScratch(Register, slot: UInt32)
    /// `ld #len` or `ldx #len`: the packet length.
    case loadLength(Register)
    /// `ldxb 4*([k]&0xf)`: the IPv4 header length at an offset into X.
    case loadIPv4HeaderLength(offset: UInt32)
    /// `st M[k]` or `stx M[k]`.
    case store(Register, slot: UInt32)
    /// `add/sub/... #k` or `... x`: A = A op operand.
    case arithmetic(ArithmeticOperation, Operand)
    /// `neg`: A = -A.
    case negate
    /// `ja k`: an unconditional jump forward by `offset`.
    case jump(offset: UInt32)
    /// `jeq/jgt/jge/jset`: jumps forward by `ifTrue` when the test holds, else by `ifFalse`.
    case conditionalJump(JumpTest, Operand, ifTrue: UInt8, ifFalse: UInt8)
    /// `ret #k`.
    case returnConstant(UInt32)
    /// `ret a`.
    case returnA
    /// `tax`: X = A.
    case tax
    /// `txa`: A = X.
    case txa
}

extension Instruction {
    /// Whether the instruction ends the program.
    public var isReturn: Bool {
        switch self {
        case .returnA, .returnConstant: true
        default: false
        }
    }

    /// Whether the instruction transfers control other than to the next instruction.
    public var isJump: Bool {
        switch self {
        case .jump, .conditionalJump: true
        default: false
        }
    }
}
