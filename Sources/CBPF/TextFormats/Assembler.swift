/// Assembles the Linux `bpf_asm` syntax (tools/bpf/bpf_exp.l and bpf_exp.y in the kernel).
///
/// What `bpf_asm` accepts is accepted, with the same meaning:
///
/// - Labels `name:` before an instruction. Jumps name labels. Conditional jumps only go forward;
///   `ja` may name an earlier label, and its 32-bit offset then wraps around, as `bpf_asm`
///   computes it (libpcap's `protochain` loops so). No attach point runs such a program: the
///   ``Verifier`` refuses it.
/// - Every mnemonic: `ld ldi ldh ldb ldx ldxi ldxb st stx ja jmp jeq jneq jne jlt jle jgt jge
///   jset add sub mul div mod neg and or xor lsh rsh ret tax txa`, case-insensitively.
/// - Operands `#k`, `[k]`, `[x + k]`, `M[k]`, `4*([k]&0xf)`, `x` or `%x`, `a` or `%a`, `#len`,
///   and the ancillary extensions `#proto #type #ifidx #nla #nlan #mark #queue #hatype #rxhash
///   #cpu #vlan_tci #vlan_avail #vlan_pr #poff #rand #vlan_tpid` (the `#` is optional, and
///   `ldh`/`ldb` take them too, as in `bpf_asm`).
/// - Conditional jumps with one target (`jeq #k, L` falls through when the test fails) or two
///   (`jeq #k, Lt, Lf`). `jneq`/`jne`, `jlt` and `jle`, which the kernel does not encode, become
///   `jeq`, `jge` and `jgt` with the targets swapped.
/// - Numbers in decimal (optionally signed: `-1048576` is `SKF_NET_OFF`), `0x` hexadecimal,
///   `0b` binary and `0`-prefixed octal.
/// - Comments: `;` to the end of the line, `/* ... */`, and lines that start with `#`.
///
/// A few things are accepted that `bpf_asm` refuses: `[x+4]` without spaces (its lexer reads
/// `+4` as a number), more than one label on an instruction, one-letter labels and labels
/// spelled like keywords, two targets on the negated jumps (`jneq #k, Lne, Leq`), and empty
/// source. Two things `bpf_asm` accepts are errors here: numbers that do not fit in 32 bits
/// (it truncates them silently) and `ret x` (the kernel has no such instruction).
///
/// Unlike `bpf_asm`, a conditional jump more than 255 instructions away does not fail: it goes
/// through an unconditional `ja` inserted after it. Kernel rules that are not about syntax
/// (scratch slots, shift counts, program length) are left to ``Verifier``.
public enum Assembler {
    /// Assembles `bpf_asm` source into a program.
    ///
    /// - Throws: ``AssemblyError`` with the line and column of the first problem.
    public static func assemble(_ source: String) throws(AssemblyError) -> Program {
        var parser = Parser(tokens: try Lexer.tokens(of: source))
        return try LabelResolver.resolve(try parser.items(), backwardJumps: true)
    }
}

// MARK: - Lexer

private struct Token {
    enum Kind: Equatable {
        case word(String)
        case number(UInt32)
        case symbol(UInt8)
        case end
    }

    var kind: Kind
    /// The source text, for error messages.
    var text: String
    var position: SourcePosition
    /// The position just after the token.
    var end: SourcePosition
}

private enum Lexer {
    static func tokens(of source: String) throws(AssemblyError) -> [Token] {
        let bytes = Array(source.utf8)
        var tokens = [Token]()
        var index = 0
        var line = 1
        var lineStart = 0
        func position(_ offset: Int) -> SourcePosition {
            SourcePosition(line: line, column: offset - lineStart + 1)
        }
        func text(_ range: Range<Int>) -> String {
            String(decoding: bytes[range], as: UTF8.self)
        }

        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            switch byte {
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: ";"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "#") where index == lineStart:
                // bpf_exp.l's `^#.*`: a whole-line comment, for example left by cpp.
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                let opening = position(start)
                index += 2
                while true {
                    guard index + 1 < bytes.count else {
                        throw AssemblyError(.unterminatedComment, at: opening)
                    }
                    if bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/") {
                        index += 2
                        break
                    }
                    if bytes[index] == UInt8(ascii: "\n") {
                        line += 1
                        lineStart = index + 1
                    }
                    index += 1
                }
            case _ where byte.isIdentifierStart:
                while index < bytes.count, bytes[index].isIdentifierContinuation { index += 1 }
                let word = text(start ..< index)
                tokens.append(Token(kind: .word(word), text: word, position: position(start), end: position(index)))
            case _ where byte.isDigit:
                // Take every letter and digit so that `08` or `0x1g` is one malformed number.
                while index < bytes.count, bytes[index].isIdentifierContinuation { index += 1 }
                let literal = text(start ..< index)
                let value = try value(of: literal, at: position(start))
                tokens.append(Token(kind: .number(value), text: literal, position: position(start), end: position(index)))
            case _ where Token.symbols.contains(byte):
                index += 1
                tokens.append(Token(kind: .symbol(byte), text: text(start ..< index), position: position(start), end: position(index)))
            default:
                // Report the whole character, not one byte of it.
                index += 1
                while index < bytes.count, bytes[index] & 0xc0 == 0x80 { index += 1 }
                throw AssemblyError(.unknownCharacter(text(start ..< index)), at: position(start))
            }
        }
        let end = position(index)
        tokens.append(Token(kind: .end, text: "", position: end, end: end))
        return tokens
    }

    /// The value of an unsigned literal: `0x` hexadecimal, `0b` binary, `0` octal, or decimal,
    /// as bpf_exp.l reads them.
    static func value(of literal: String, at position: SourcePosition) throws(AssemblyError) -> UInt32 {
        do {
            return try parseInteger(literal, style: .c(binary: true))
        } catch .tooLarge {
            throw AssemblyError(.numberOutOfRange(literal), at: position)
        } catch {
            throw AssemblyError(.invalidNumber(literal), at: position)
        }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(self) }
    fileprivate var isLetter: Bool {
        (UInt8(ascii: "a") ... UInt8(ascii: "z")).contains(self | 0x20)
    }
    fileprivate var isIdentifierStart: Bool { isLetter || self == UInt8(ascii: "_") }
    fileprivate var isIdentifierContinuation: Bool { isIdentifierStart || isDigit }
}

extension Token {
    static let symbols: Set<UInt8> = Set(":,#%[]()+-*&".utf8)

    func isSymbol(_ character: Unicode.Scalar) -> Bool {
        kind == .symbol(UInt8(ascii: character))
    }

    /// The word in lowercase, for the case-insensitive keywords of bpf_exp.l.
    var keyword: String? {
        if case .word(let word) = kind { word.lowercased() } else { nil }
    }

    var quoted: String {
        kind == .end ? "end of input" : quotedExcerpt(text)
    }
}

// MARK: - Parser

/// A recursive-descent parser over the token stream. Like `bpf_asm`, it does not care about
/// line breaks: an instruction ends where its grammar ends.
private struct Parser {
    let tokens: [Token]
    var index = 0

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    var current: Token { tokens[index] }

    mutating func advance() -> Token {
        defer { if index < tokens.count - 1 { index += 1 } }
        return tokens[index]
    }

    /// An error about the current token. When the current token is on a later line than the
    /// previous one, the report points at the end of the previous line, where text is missing.
    func unexpected(_ expected: String) -> AssemblyError {
        if index > 0 {
            let previousEnd = tokens[index - 1].end
            if current.kind == .end {
                return AssemblyError(.unexpectedToken(expected: expected, found: "end of input"), at: previousEnd)
            }
            if previousEnd.line < current.position.line {
                return AssemblyError(.unexpectedToken(expected: expected, found: "end of line"), at: previousEnd)
            }
        }
        return AssemblyError(.unexpectedToken(expected: expected, found: current.quoted), at: current.position)
    }

    mutating func expect(_ symbol: Unicode.Scalar, _ expected: String? = nil) throws(AssemblyError) {
        guard current.isSymbol(symbol) else { throw unexpected(expected ?? "\"\(symbol)\"") }
        _ = advance()
    }

    mutating func skip(_ symbol: Unicode.Scalar) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    // MARK: Program and statements

    mutating func items() throws(AssemblyError) -> [SymbolicItem] {
        var items = [SymbolicItem]()
        while current.kind != .end {
            guard case .word(let word) = current.kind else { throw unexpected("a mnemonic or a label") }
            let token = advance()
            if skip(":") {
                items.append(.label(word, position: token.position))
            } else {
                items.append(.instruction(try instruction(mnemonic: word.lowercased(), at: token)))
            }
        }
        return items
    }

    mutating func instruction(mnemonic: String, at token: Token) throws(AssemblyError) -> SymbolicInstruction {
        switch mnemonic {
        case "ld": return .plain(try load(.word))
        case "ldh": return .plain(try load(.halfword))
        case "ldb": return .plain(try load(.byte))
        case "ldi":
            return .plain(.loadImmediate(.a, try immediate(hashOptional: true)))
        case "ldx": return .plain(try loadX())
        case "ldxi":
            return .plain(.loadImmediate(.x, try immediate(hashOptional: true)))
        case "ldxb": return .plain(try ipv4HeaderLength())
        case "st": return .plain(.store(.a, slot: try scratchSlot()))
        case "stx": return .plain(.store(.x, slot: try scratchSlot()))
        case "ja", "jmp": return .jump(to: try labelReference())
        case "jeq": return try conditionalJump(.equal)
        case "jneq", "jne": return try conditionalJump(.notEqual)
        case "jgt": return try conditionalJump(.greaterThan)
        case "jge": return try conditionalJump(.greaterOrEqual)
        case "jlt": return try conditionalJump(.lessThan)
        case "jle": return try conditionalJump(.lessOrEqual)
        case "jset": return try conditionalJump(.bitsSet)
        case "neg": return .plain(.negate)
        case "ret": return .plain(try returnInstruction())
        case "tax": return .plain(.tax)
        case "txa": return .plain(.txa)
        default:
            if let operation = ArithmeticOperation(mnemonic: mnemonic) {
                return .plain(.arithmetic(operation, try operand()))
            }
            throw AssemblyError(.unknownMnemonic(token.text), at: token.position)
        }
    }

    // MARK: Operands

    /// A number, optionally negative: `-k` is two's complement, as `strtol` and the cast to
    /// `uint32_t` make it in `bpf_asm`.
    mutating func number(_ expected: String = "a number") throws(AssemblyError) -> UInt32 {
        let sign = current
        let negative = sign.isSymbol("-")
        if negative || sign.isSymbol("+") {
            let next = tokens[index + 1]
            // The sign belongs to the literal only when written against it, as in bpf_exp.l.
            guard case .number = next.kind, next.position == sign.end else { throw unexpected(expected) }
            _ = advance()
        }
        guard case .number(let magnitude) = current.kind else { throw unexpected(expected) }
        let literal = advance()
        guard negative else { return magnitude }
        guard magnitude <= UInt32(Int32.max) + 1 else {
            throw AssemblyError(.numberOutOfRange("-" + literal.text), at: sign.position)
        }
        return 0 &- magnitude
    }

    mutating func immediate(hashOptional: Bool = false) throws(AssemblyError) -> UInt32 {
        if !skip("#") && !hashOptional { throw unexpected("\"#\" and a number") }
        return try number()
    }

    /// Skips the register `name` (`x` or `a`), written bare or with `%`.
    mutating func skipRegister(_ name: String) -> Bool {
        let percent = current.isSymbol("%")
        let word = tokens[index + (percent ? 1 : 0)]
        guard word.keyword == name else { return false }
        if percent { _ = advance() }
        _ = advance()
        return true
    }

    /// `#k` or `x`.
    mutating func operand() throws(AssemblyError) -> Operand {
        if skipRegister("x") { return .x }
        guard current.isSymbol("#") else { throw unexpected("\"#k\" or \"x\"") }
        return .constant(try immediate())
    }

    /// `M[k]`.
    mutating func scratchSlot() throws(AssemblyError) -> UInt32 {
        guard current.keyword == "m" else { throw unexpected("\"M[k]\"") }
        _ = advance()
        try expect("[")
        let slot = try number()
        try expect("]")
        return slot
    }

    /// `#len`, `len`, `#proto`, `proto`, and so on, if the current tokens are one.
    mutating func lengthOrExtension() -> AncillaryOperand? {
        let hash = current.isSymbol("#")
        guard let word = tokens[index + (hash ? 1 : 0)].keyword else { return nil }
        let operand: AncillaryOperand
        if word == "len" {
            operand = .length
        } else if let field = BPFAsmFormat.ancillaryField(named: word) {
            operand = .field(field)
        } else {
            return nil
        }
        if hash { _ = advance() }
        _ = advance()
        return operand
    }

    enum AncillaryOperand {
        case length
        case field(AncillaryField)
    }

    /// `ld`, `ldh`, `ldb`.
    mutating func load(_ size: LoadSize) throws(AssemblyError) -> Instruction {
        let start = current
        switch lengthOrExtension() {
        case .length?:
            guard size == .word else {
                throw AssemblyError(.unsupportedInstruction("the packet length is a word: use \"ld #len\""), at: start.position)
            }
            return .loadLength(.a)
        case .field(let field)?:
            return .loadAncillary(field, size: size)
        case nil:
            break
        }
        if size == .word {
            if current.isSymbol("#") { return .loadImmediate(.a, try immediate()) }
            if current.keyword == "m" { return .loadScratch(.a, slot: try scratchSlot()) }
        }
        guard skip("[") else {
            throw unexpected(size == .word
                ? "\"#k\", \"#len\", \"M[k]\", \"[k]\", \"[x + k]\" or an extension"
                : "\"[k]\", \"[x + k]\" or an extension")
        }
        if skipRegister("x") {
            try expect("+", "\"+\" after \"x\"")
            let offset = try number()
            try expect("]")
            return .loadIndirect(size, offset: offset)
        }
        let offset = try number("a number or \"x + k\"")
        try expect("]")
        return Instruction.absoluteLoad(size, offset: offset)
    }

    /// `ldx`.
    mutating func loadX() throws(AssemblyError) -> Instruction {
        let start = current
        switch lengthOrExtension() {
        case .length?:
            return .loadLength(.x)
        case .field?:
            throw AssemblyError(.unsupportedInstruction("\"ldx\" cannot load ancillary data; use \"ld\" and \"tax\""), at: start.position)
        case nil:
            break
        }
        if current.isSymbol("#") { return .loadImmediate(.x, try immediate()) }
        if current.keyword == "m" { return .loadScratch(.x, slot: try scratchSlot()) }
        if case .number = current.kind { return try ipv4HeaderLength() }
        throw unexpected("\"#k\", \"#len\", \"M[k]\" or \"4*([k]&0xf)\"")
    }

    /// `4*([k]&0xf)`, the only form of `BPF_MSH`.
    mutating func ipv4HeaderLength() throws(AssemblyError) -> Instruction {
        let multiplierToken = current
        let multiplier = try number("\"4*([k]&0xf)\"")
        try expect("*")
        try expect("(")
        try expect("[")
        let offset = try number()
        try expect("]")
        try expect("&")
        let maskToken = current
        let mask = try number()
        try expect(")")
        guard multiplier == 4 else {
            throw AssemblyError(.unsupportedInstruction("the multiplier must be 4: only \"4*([k]&0xf)\" exists"), at: multiplierToken.position)
        }
        guard mask == 0xf else {
            throw AssemblyError(.unsupportedInstruction("the mask must be 0xf: only \"4*([k]&0xf)\" exists"), at: maskToken.position)
        }
        return .loadIPv4HeaderLength(offset: offset)
    }

    mutating func returnInstruction() throws(AssemblyError) -> Instruction {
        let start = current
        if skipRegister("a") { return .returnA }
        if skipRegister("x") {
            throw AssemblyError(.unsupportedInstruction("\"ret x\" is not an instruction the Linux kernel accepts; use \"txa\" and \"ret a\""), at: start.position)
        }
        guard current.isSymbol("#") else { throw unexpected("\"#k\" or \"a\"") }
        return .returnConstant(try immediate())
    }

    // MARK: Jumps

    mutating func labelReference() throws(AssemblyError) -> LabelReference {
        guard case .word(let name) = current.kind else { throw unexpected("a label") }
        let token = advance()
        return LabelReference(name: name, position: token.position)
    }

    /// `j<cc> operand, target` or `j<cc> operand, ifTrue, ifFalse`.
    mutating func conditionalJump(_ condition: JumpCondition) throws(AssemblyError) -> SymbolicInstruction {
        let source = try operand()
        try expect(",", "\",\" and a label")
        let ifTrue = try labelReference()
        var ifFalse = BranchTarget.next
        if skip(",") { ifFalse = .label(try labelReference()) }
        return .conditional(condition, source, ifTrue: .label(ifTrue), ifFalse: ifFalse)
    }
}

extension ArithmeticOperation {
    fileprivate init?(mnemonic: String) {
        guard let operation = Self.allCases.first(where: { $0.mnemonic == mnemonic }) else {
            return nil
        }
        self = operation
    }
}
