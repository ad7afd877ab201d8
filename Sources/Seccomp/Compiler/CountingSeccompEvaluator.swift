import CBPF

/// Runs a seccomp filter on one call, as `Interpreter` does, and counts the instructions the
/// run executes, the final `ret` included.
///
/// It is a plain loop over `Instruction`s, written for measuring filters
/// (``SeccompFilterStatistics``), not for speed; its return values agree with `Interpreter`.
public struct CountingSeccompEvaluator: Sendable {
    /// The filter.
    public let program: Program

    /// Verifies `program` for `AttachTarget.seccomp` and prepares to run it.
    public init(_ program: Program) throws(VerificationError) {
        try self.init(VerifiedProgram(program, for: .seccomp))
    }

    /// Prepares to run it: a program verified for seccomp is not checked again.
    public init(_ program: VerifiedProgram) throws(VerificationError) {
        self.program = try program.verified(for: .seccomp).program
    }

    /// The filter's return value for `data`, and how many instructions produced it.
    public func run(_ data: SeccompData) -> (returnValue: UInt32, executedInstructions: Int) {
        let bytes = data.bytes
        func word(_ offset: UInt32) -> UInt32 {
            // The verifier admits only aligned word loads inside the 64 bytes of seccomp_data.
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self) }
        }
        let instructions = program.instructions
        var a: UInt32 = 0
        var x: UInt32 = 0
        var scratch = [UInt32](repeating: 0, count: 16)
        var pc = 0
        var executed = 0
        while true {
            executed += 1
            func value(_ operand: Operand) -> UInt32 {
                if case .constant(let k) = operand { k } else { x }
            }
            switch instructions[pc] {
            case .loadAbsolute(_, let offset): a = word(offset)
            case .loadImmediate(.a, let k): a = k
            case .loadImmediate(.x, let k): x = k
            case .loadScratch(.a, let slot): a = scratch[Int(slot)]
            case .loadScratch(.x, let slot): x = scratch[Int(slot)]
            case .loadLength(.a): a = UInt32(bytes.count)
            case .loadLength(.x): x = UInt32(bytes.count)
            case .store(.a, let slot): scratch[Int(slot)] = a
            case .store(.x, let slot): scratch[Int(slot)] = x
            case .arithmetic(let operation, let operand):
                let operand = value(operand)
                // Division by X = 0 ends the program with 0, as in the kernel.
                if operand == 0, operation == .divide || operation == .modulo { return (0, executed) }
                a = operation.apply(a, operand)
            case .negate: a = 0 &- a
            case .tax: x = a
            case .txa: a = x
            case .jump(let offset):
                pc += Int(offset)
            case .conditionalJump(let test, let operand, let ifTrue, let ifFalse):
                pc += Int(test.holds(a, value(operand)) ? ifTrue : ifFalse)
            case .returnConstant(let k): return (k, executed)
            case .returnA: return (a, executed)
            case .loadIndirect, .loadAncillary, .loadIPv4HeaderLength:
                preconditionFailure("the seccomp verifier refuses \(instructions[pc])")
            }
            pc += 1
        }
    }
}
