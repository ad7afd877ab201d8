import ArgumentParser

/// Hands the words of a tcpdump expression to the argument parser in few arguments.
///
/// swift-argument-parser takes time quadratic in the number of values of an array argument (it
/// merges every value's origin into the set of the ones before): 16,000 separate words took 9.3
/// seconds, the same text as one argument 0.03. The commands that take an expression join its
/// words with spaces anyway, as tcpdump does, so each run of words that are not options is passed
/// as its first word and the rest joined: the first may be an option's value (`--linktype RAW`),
/// the rest cannot be, since every option of these commands takes at most one value.
enum ExpressionWords {
    /// The commands whose only positional argument is an expression, joined with spaces.
    static let commands = Set([CompileCommand.configuration, FilterCommand.configuration].compactMap(\.commandName))

    /// `arguments` (without the program's name) with the words of an expression coalesced.
    static func coalesced(_ arguments: [String]) -> [String] {
        guard let command = arguments.first, commands.contains(command) else { return arguments }
        var result = [command]
        var run: [String] = []
        func endRun() {
            if let first = run.first { result.append(first) }
            if run.count > 1 { result.append(run.dropFirst().joined(separator: " ")) }
            run.removeAll()
        }
        for argument in arguments.dropFirst() {
            if argument.hasPrefix("-") {
                endRun()
                result.append(argument)
            } else {
                run.append(argument)
            }
        }
        endRun()
        return result
    }
}
