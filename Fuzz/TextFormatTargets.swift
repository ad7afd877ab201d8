import CBPF

/// The program text formats: each parse either fails with an error or gives a program that
/// prints and parses back to the same instructions.
enum TextFormatTargets {
    static func runBPFAsm(_ bytes: UnsafeRawBufferPointer) {
        guard let program = try? Assembler.assemble(text(bytes)) else { return }
        let listing = BPFAsmFormat.disassemble(program)
        guard let again = try? Assembler.assemble(listing) else {
            propertyFailed("bpf_asm listing does not assemble:\n\(listing)")
        }
        if again != program { propertyFailed("bpf_asm round trip changed the program:\n\(listing)") }
    }

    static func runBytecodeString(_ bytes: UnsafeRawBufferPointer) {
        guard let instructions = try? BytecodeString.parse(text(bytes)) else { return }
        let printed = BytecodeString.format(instructions)
        guard (try? BytecodeString.parse(printed)) == instructions else {
            propertyFailed("bytecode string round trip changed the program: \(printed)")
        }
        formatAnyProgram(instructions)
    }

    static func runTcpdumpText(_ bytes: UnsafeRawBufferPointer) {
        // tcpdump prints no empty program, so "0" has no -dd form to compare with.
        guard let instructions = try? TcpdumpFormat.parse(text(bytes)), !instructions.isEmpty else { return }
        for style in [TcpdumpFormat.Style.cArray, .decimal] {
            let printed = TcpdumpFormat.format(raw: instructions, style: style)
            guard (try? TcpdumpFormat.parse(printed, style: style)) == instructions else {
                propertyFailed("tcpdump \(style.tcpdumpOption) round trip changed the program:\n\(printed)")
            }
        }
        formatAnyProgram(instructions)
    }

    /// Every printer takes any instructions, verified or not.
    static func formatAnyProgram(_ instructions: [RawInstruction]) {
        _ = TcpdumpFormat.format(raw: instructions, style: .listing)
        if let program = try? Program(raw: instructions) {
            _ = BPFAsmFormat.disassemble(program)
        }
    }
}
