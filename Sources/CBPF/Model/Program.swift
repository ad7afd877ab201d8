/// A classic BPF program: a sequence of kernel instructions.
///
/// A `Program` may be invalid for the kernel; check it with ``Verifier`` before running or
/// attaching it.
public struct Program: Hashable, Sendable {
    /// The instructions, in order; jump offsets are relative to the next instruction.
    public var instructions: [Instruction]

    /// A program of these instructions, unchecked.
    public init(_ instructions: [Instruction]) {
        self.instructions = instructions
    }

    /// Decodes raw kernel instructions.
    ///
    /// - Throws: ``ProgramDecodingError`` naming the first unknown opcode and its index.
    public init(raw: [RawInstruction]) throws(ProgramDecodingError) {
        var decoded = [Instruction]()
        decoded.reserveCapacity(raw.count)
        for (index, instruction) in raw.enumerated() {
            do {
                decoded.append(try Instruction(raw: instruction))
            } catch {
                throw ProgramDecodingError(index: index, underlying: error)
            }
        }
        instructions = decoded
    }

    /// Decodes the bytes of a `struct sock_filter[]` in host byte order.
    public init(bytes: [UInt8]) throws {
        try self.init(raw: RawInstruction.instructions(fromBytes: bytes))
    }

    /// The kernel encoding of every instruction.
    public var raw: [RawInstruction] { instructions.map(\.raw) }

    /// The bytes of a `struct sock_filter[]` in host byte order.
    public var bytes: [UInt8] { RawInstruction.bytes(of: raw) }

    /// The number of instructions.
    public var count: Int { instructions.count }
}

/// An instruction of a raw program that could not be decoded.
public struct ProgramDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The index of the instruction that could not be decoded.
    public var index: Int
    /// Why it could not be decoded.
    public var underlying: UnknownOpcodeError
    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String { "instruction \(index): \(underlying)" }
}
