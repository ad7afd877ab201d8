import ArgumentParser
import CBPF
import Foundation

struct AssembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asm",
        abstract: "Assemble bpf_asm source into a bytecode string (or tcpdump's -d/-dd/-ddd)."
    )

    @Argument(help: "The bpf_asm source file, or - for standard input.")
    var file: String = "-"

    @OptionGroup var output: OutputFormatOptions

    func run() throws {
        let source = try readText(file, limit: .programText)
        let program: Program
        do {
            program = try Assembler.assemble(source)
        } catch {
            // FILE:LINE:COLUMN: message, as compilers print it.
            let name = displayName(ofPath: file)
            throw InputError(error.position.map { "\(name):\($0): \(error.message)" } ?? "\(name): \(error.message)")
        }
        print(output.render(program), terminator: "")
    }
}

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
