/// Why a program could not be assembled, from `bpf_asm` text or from the builder DSL.
public struct AssemblyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Hashable, Sendable {
        /// A character that starts no token.
        case unknownCharacter(String)
        /// A `/*` comment without its `*/`.
        case unterminatedComment
        /// A word in mnemonic position that is no mnemonic.
        case unknownMnemonic(String)
        /// The grammar wanted something else here.
        case unexpectedToken(expected: String, found: String)
        /// A numeric literal that is malformed, such as `08` or `0x`.
        case invalidNumber(String)
        /// A number that does not fit the 32 bits of `k`.
        case numberOutOfRange(String)
        /// A form `bpf_asm` parses but the kernel has no instruction for, such as `ret x`.
        case unsupportedInstruction(String)
        /// A jump names a label that no instruction carries.
        case undefinedLabel(String)
        /// A label is defined twice; `firstDefinition` is where it was defined first.
        case duplicateLabel(String, firstDefinition: SourcePosition?)
        /// A jump names a label at or before the jump: a conditional jump's 8-bit offsets only
        /// reach forward, and the builder DSL builds only what the kernel runs.
        case backwardJump(label: String)
        /// A label at the end of the program, with no instruction to mark.
        case labelWithoutInstruction(String)
    }

    /// What went wrong.
    public var reason: Reason
    /// Where in the source text, or `nil` for programs built with the DSL.
    public var position: SourcePosition?

    /// An error for `reason`, at `position` in the source text if there is one.
    public init(_ reason: Reason, at position: SourcePosition? = nil) {
        self.reason = reason
        self.position = position
    }

    /// The explanation alone, without the position.
    public var message: String {
        switch reason {
        case .unknownCharacter(let character): "unknown character \(quotedExcerpt(String(character)))"
        case .unterminatedComment: "comment opened with \"/*\" is never closed"
        case .unknownMnemonic(let word): "unknown mnemonic \(quotedExcerpt(word))"
        case .unexpectedToken(let expected, let found): "expected \(expected), found \(found)"
        case .invalidNumber(let text): "invalid number \(quotedExcerpt(text))"
        case .numberOutOfRange(let text):
            "number \(quotedExcerpt(text, limit: 24)) is out of range (k is 32 bits: -2147483648 to 4294967295)"
        case .unsupportedInstruction(let text): text
        case .undefinedLabel(let name): "undefined label \(quotedExcerpt(name))"
        case .duplicateLabel(let name, let first):
            "duplicate label \(quotedExcerpt(name))" + (first.map { " (first defined at \($0))" } ?? "")
        case .backwardJump(let name):
            "jump target is backwards: \(quotedExcerpt(name)) is not after the jump (classic BPF jumps only forward)"
        case .labelWithoutInstruction(let name): "label \(quotedExcerpt(name)) is not followed by an instruction"
        }
    }

    /// `line:column: message`, or the message alone without a position.
    public var description: String {
        position.map { "\($0): \(message)" } ?? message
    }
}
