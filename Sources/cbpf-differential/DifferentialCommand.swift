import ArgumentParser
import Foundation

/// Differential testing against the running kernel: our verifier and interpreter next to the
/// kernel's, on seeded random programs (CBPFFuzz). A development tool, not a product: run it
/// with `swift run cbpf-differential verify`.
@main
struct DifferentialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cbpf-differential",
        abstract: "Differential testing against the running kernel.",
        subcommands: [VerifyCommand.self]
    )
}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
