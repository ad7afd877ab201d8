/// One instruction in the kernel's encoding, `struct sock_filter`.
///
/// `code` is the opcode, `jt` and `jf` are the relative targets of a conditional jump, and `k` is the
/// generic operand. Eight bytes in host byte order, as `SO_ATTACH_FILTER` and `seccomp(2)` take them.
public struct RawInstruction: Hashable, Sendable {
    /// The opcode.
    public var code: UInt16
    /// The relative target of a conditional jump when the test holds.
    public var jt: UInt8
    /// The relative target of a conditional jump when the test fails.
    public var jf: UInt8
    /// The generic operand: a constant, an offset, a slot or a jump distance.
    public var k: UInt32

    /// An instruction from its four fields.
    public init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32 = 0) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }

    /// The size of one encoded instruction in bytes.
    public static let byteCount = 8

    /// The instruction's eight bytes, in host byte order, as in `struct sock_filter`.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.byteCount)
        withUnsafeBytes(of: code) { out.append(contentsOf: $0) }
        out.append(jt)
        out.append(jf)
        withUnsafeBytes(of: k) { out.append(contentsOf: $0) }
        return out
    }

    /// Reads one instruction from eight bytes in host byte order.
    public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(bytes.count == Self.byteCount, "an instruction is 8 bytes")
        let b = Array(bytes)
        code = UInt16(b[0]) | UInt16(b[1]) << 8
        jt = b[2]
        jf = b[3]
        k = UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24
        if UInt16(littleEndian: 1) != 1 {  // big-endian host
            code = code.byteSwapped
            k = k.byteSwapped
        }
    }
}

extension RawInstruction {
    /// Encodes instructions as the byte array of a `struct sock_filter[]`.
    public static func bytes(of instructions: [RawInstruction]) -> [UInt8] {
        instructions.flatMap(\.bytes)
    }

    /// Decodes the byte array of a `struct sock_filter[]`.
    ///
    /// - Throws: ``RawDecodingError`` when the length is not a multiple of 8.
    public static func instructions(fromBytes bytes: [UInt8]) throws(RawDecodingError) -> [RawInstruction] {
        guard bytes.count % byteCount == 0 else {
            throw RawDecodingError(byteCount: bytes.count)
        }
        return stride(from: 0, to: bytes.count, by: byteCount).map {
            RawInstruction(bytes: bytes[$0 ..< $0 + byteCount])
        }
    }
}

/// A byte array whose length is not a whole number of instructions.
public struct RawDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The length of the byte array.
    public var byteCount: Int
    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        "\(byteCount) bytes is not a whole number of 8-byte sock_filter instructions"
    }
}
