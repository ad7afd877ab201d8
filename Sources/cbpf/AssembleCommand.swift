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
