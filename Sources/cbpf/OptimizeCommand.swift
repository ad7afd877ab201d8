import ArgumentParser
import CBPF

struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Optimize a program and print it (a bytecode string by default)."
    )

    @OptionGroup var target: TargetOption
    @OptionGroup var output: OutputFormatOptions
    @OptionGroup var input: ProgramInput

    func run() throws {
        let program = try input.program()
        try Verifier.verify(program, for: target.target)
        print(output.render(Optimizer.optimize(program, for: target.target)), terminator: "")
    }
}
