import ArgumentParser

@main
struct CBPFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cbpf",
        abstract: "Build, check, run and optimize classic BPF programs for Linux.",
        subcommands: [
            AssembleCommand.self, DisassembleCommand.self, VerifyCommand.self, RunCommand.self, FilterCommand.self,
            OptimizeCommand.self, CompileCommand.self, SeccompCommand.self, DemoCommand.self,
            CaptureCommand.self,
            TrafficControlCommand.self,
            XtBPFCommand.self,
            MovedFuzzCommand.self,
        ]
    )

    static func main() {
        main(ExpressionWords.coalesced(Array(CommandLine.arguments.dropFirst())))
    }
}
