import ArgumentParser
import Foundation

/// `cbpf fuzz`, which became the development tree's `cbpf-differential`: a hidden command that
/// says so, where swift-argument-parser would only say "Unexpected argument".
struct MovedFuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Moved to cbpf-differential, in the development tree.",
        shouldDisplay: false
    )

    @Argument(parsing: .captureForPassthrough, help: "The arguments meant for cbpf fuzz.")
    var arguments: [String] = []

    func run() throws {
        printError(Self.message(for: arguments))
        throw ExitCode(64)  // EX_USAGE, as for a command cbpf does not have
    }

    /// Where `cbpf fuzz ARGUMENTS` went, with the command to run instead.
    static func message(for arguments: [String]) -> String {
        let command = ["swift", "run", "cbpf-differential"] + (arguments.isEmpty ? ["verify"] : arguments)
        return """
            cbpf: fuzz moved out of cbpf: run `\(command.map(shellQuoted).joined(separator: " "))` in the \
            development tree (a checkout of swift-cbpf); the kernel differential campaigns are a \
            development tool, not part of the cbpf product
            """
    }

    /// `word` as a shell reads it back: as it is when plain, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let plainCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty && word.allSatisfy(plainCharacters.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
