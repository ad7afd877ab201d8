import ArgumentParser
import CBPF

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a program with the kernel's rules for an attach point.",
        discussion: "Prints ok and exits 0, or prints the rule the program breaks and exits 1."
    )

    @OptionGroup var target: TargetOption
    @OptionGroup var input: ProgramInput

    func run() throws {
        // Raw instructions, so that an unknown opcode reaches the verifier and is named there.
        let raw = try input.rawInstructions()
        do {
            try Verifier.verify(raw: raw, for: target.target)
            print("ok")
        } catch {
            print(error.description)
            throw ExitCode(1)
        }
    }
}

