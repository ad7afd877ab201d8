import CBPF

/// Raw `sock_filter` bytes through the verifier, the optimizer and the interpreter.
///
/// The input is a header byte (bit 0: seccomp rather than socket), a length byte, that many
/// bytes of packet (or of `seccomp_data`), then the instructions, 8 bytes each. A program that
/// verifies must give the same result after optimizing, and print as bpf_asm text that
/// assembles back to the same program.
enum ProgramTarget {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 2 else { return }
        let target: AttachTarget = bytes[0] & 1 == 0 ? .socket : .seccomp
        let packetEnd = min(bytes.count, 2 + Int(bytes[1]))
        let packet = Array(bytes[2..<packetEnd])
        let code = Array(bytes[packetEnd...])
        let instructions = code.count / RawInstruction.byteCount
        let raw = (0..<instructions).map { index in
            RawInstruction(bytes: code[(index * RawInstruction.byteCount)..<((index + 1) * RawInstruction.byteCount)])
        }
        TextFormatTargets.formatAnyProgram(raw)
        guard let program = try? Program(raw: raw), (try? Verifier.verify(program, for: target)) != nil else { return }

        let listing = BPFAsmFormat.disassemble(program)
        guard (try? Assembler.assemble(listing)) == program else {
            propertyFailed("bpf_asm listing does not assemble back to the program:\n\(listing)")
        }

        let optimized = Optimizer.optimize(program, for: target)
        guard let original = try? Interpreter(program, for: target),
            let shortened = try? Interpreter(optimized, for: target)
        else { propertyFailed("a verified program or its optimized form does not verify") }
        let before: UInt32
        let after: UInt32
        if target == .seccomp {
            let data = seccompData(packet)
            before = original.run(seccomp: data)
            after = shortened.run(seccomp: data)
        } else {
            before = original.run(packet: packet)
            after = shortened.run(packet: packet)
        }
        if before != after {
            propertyFailed("optimized program returns \(after), original \(before):\n\(listing)")
        }
    }

    /// `seccomp_data` from up to 64 bytes, zero-padded.
    static func seccompData(_ bytes: [UInt8]) -> SeccompData {
        let padded = bytes + [UInt8](repeating: 0, count: max(0, 64 - bytes.count))
        func word(_ offset: Int) -> UInt64 {
            padded[offset..<(offset + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        return SeccompData(
            number: Int32(truncatingIfNeeded: word(0)), architecture: AuditArchitecture(rawValue: UInt32(truncatingIfNeeded: word(0) >> 32)),
            instructionPointer: word(8), arguments: (0..<6).map { word(16 + 8 * $0) })
    }
}
