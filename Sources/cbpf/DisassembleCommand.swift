import ArgumentParser
import CBPF
import Foundation

struct DisassembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disasm",
        abstract: "Print a program as bpf_asm source (the default) or as tcpdump's -d listing."
    )

    @Flag(name: .customShort("d"), help: "Print tcpdump's -d listing.")
    var listing = false
    @Flag(name: .customLong("asm"), help: "Print bpf_asm source that `cbpf asm` reads back (the default).")
    var assembly = false

    @OptionGroup var input: ProgramInput

    func validate() throws {
        if listing && assembly { throw ValidationError("choose one of -d and --asm") }
    }

    func run() throws {
        let program = try input.program()
        if listing {
            print(TcpdumpFormat.format(program, style: .listing), terminator: "")
        } else {
            print(BPFAsmFormat.disassemble(program), terminator: "")
        }
    }
}
