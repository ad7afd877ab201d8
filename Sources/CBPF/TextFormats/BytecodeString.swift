/// The bytecode string of `tc filter ... bpf bytecode` and `iptables -m bpf --bytecode`:
/// `N,code jt jf k,code jt jf k,...` with the instruction count first and every number in decimal.
///
/// It is what `tcpdump -ddd EXPR | tr '\n' ','` prints, so ``parse(_:)`` accepts a trailing comma
/// as tc and iptables do, and whitespace around the string and its fields.
public enum BytecodeString {
    /// `N,code jt jf k,...` without a trailing comma, as the iptables manual writes it.
    public static func format(_ instructions: [RawInstruction]) -> String {
        var text = String(instructions.count)
        for instruction in instructions {
            text += ",\(instruction.code) \(instruction.jt) \(instruction.jf) \(instruction.k)"
        }
        return text
    }

    /// The bytecode string of a program's kernel encoding.
    public static func format(_ program: Program) -> String {
        format(program.raw)
    }

    /// Reads a bytecode string into raw instructions.
    ///
    /// Opcodes are not checked here, so that an opcode the kernel does not accept reaches the
    /// ``Verifier``, which names it; ``Program/init(bytecodeString:)`` decodes in one step.
    /// Likewise `"0"` reads as no instructions, which tc, iptables and the verifier reject.
    ///
    /// - Throws: ``BytecodeStringError`` naming the comma-separated field and what is wrong
    ///   with it, or a count that does not match the instructions.
    public static func parse(_ text: String) throws(BytecodeStringError) -> [RawInstruction] {
        var body = text.trimmingWhitespace()
        guard !body.isEmpty else { throw BytecodeStringError(reason: .empty) }
        if body.last == "," { body = body.dropLast() }
        // Split on the bytes, not on Characters: a long field is then scanned once, cheaply.
        let fields = body.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { Substring($0).trimmingWhitespace() }

        func failure(_ reason: BytecodeStringError.Reason, field: Int) -> BytecodeStringError {
            BytecodeStringError(reason: reason, field: field + 1, fieldCount: fields.count, text: String(fields[field]))
        }
        guard let declaredCount = RawInstructionText.decimal(fields[0]).flatMap(Int.init(exactly:)) else {
            throw failure(.invalidCount, field: 0)
        }
        var instructions = [RawInstruction]()
        instructions.reserveCapacity(fields.count - 1)
        for field in fields.indices.dropFirst() {
            let tokens = fields[field].split(whereSeparator: { $0.isWhitespace })
            guard tokens.count == 4 else {
                throw failure(tokens.isEmpty ? .emptyInstruction : .wrongNumberCount(tokens.count), field: field)
            }
            do {
                instructions.append(try RawInstructionText.instruction(fromDecimal: tokens))
            } catch {
                throw failure(.invalidNumber(error), field: field)
            }
        }
        guard declaredCount == instructions.count else {
            throw BytecodeStringError(reason: .countMismatch(declared: declaredCount, found: instructions.count))
        }
        return instructions
    }
}

extension Program {
    /// Reads and decodes a tc / iptables bytecode string (see ``BytecodeString/parse(_:)``).
    ///
    /// - Throws: ``BytecodeStringError``, also for an opcode the kernel does not accept.
    public init(bytecodeString text: String) throws(BytecodeStringError) {
        let raw = try BytecodeString.parse(text)
        do {
            try self.init(raw: raw)
        } catch {
            // Field 1 is the count, so instruction i is field i + 2.
            let field = error.index + 2
            throw BytecodeStringError(
                reason: .unknownOpcode(error.underlying), field: field, fieldCount: raw.count + 1,
                text: "\(raw[error.index].code) \(raw[error.index].jt) \(raw[error.index].jf) \(raw[error.index].k)"
            )
        }
    }

    /// The tc / iptables bytecode string of the program, `N,code jt jf k,...`.
    public var bytecodeString: String { BytecodeString.format(self) }
}

/// Why a bytecode string could not be read: what, in which comma-separated field, and why.
public struct BytecodeStringError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the string.
    public enum Reason: Hashable, Sendable {
        /// The string is empty or only whitespace.
        case empty
        /// The first field is not a decimal instruction count.
        case invalidCount
        /// The count in the first field differs from the number of instructions that follow.
        case countMismatch(declared: Int, found: Int)
        /// An instruction field with nothing in it, as between two adjacent commas.
        case emptyInstruction
        /// An instruction field without exactly four numbers `code jt jf k`.
        case wrongNumberCount(Int)
        /// One of the four numbers is malformed or too large.
        case invalidNumber(RawInstruction.FieldError)
        /// An opcode the kernel does not accept (only from ``Program/init(bytecodeString:)``).
        case unknownOpcode(UnknownOpcodeError)
    }

    /// What is wrong.
    public var reason: Reason
    /// The 1-based comma-separated field: 1 is the count, 2 the first instruction. `nil` when
    /// the problem is the whole string.
    public var field: Int?
    /// How many comma-separated fields the string has, without a trailing comma.
    public var fieldCount: Int?
    /// The text of the field, without surrounding whitespace.
    public var text: String?

    /// An error with its reason and, where known, the field, the number of fields and the field's text.
    public init(reason: Reason, field: Int? = nil, fieldCount: Int? = nil, text: String? = nil) {
        self.reason = reason
        self.field = field
        self.fieldCount = fieldCount
        self.text = text
    }

    /// The 0-based instruction of the field, as tcpdump and the ``Verifier`` number them.
    public var instructionIndex: Int? {
        guard let field, field >= 2 else { return nil }
        return field - 2
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        let why = switch reason {
        case .empty: "the string is empty; expected \"N,code jt jf k,...\""
        case .invalidCount: "the first field must be the instruction count, a decimal number"
        case .countMismatch(let declared, let found):
            "the count field says \(declared) instructions but \(found) follow"
        case .emptyInstruction: "empty field; expected \"code jt jf k\""
        case .wrongNumberCount(let count):
            "expected 4 numbers separated by spaces, \"code jt jf k\", found \(count)"
        case .invalidNumber(let error): error.description
        case .unknownOpcode(let error): error.description
        }
        guard let field else { return "bytecode string: \(why)" }
        var place = "bytecode string field \(field)"
        if let fieldCount { place += " of \(fieldCount)" }
        if let instructionIndex { place += " (instruction \(instructionIndex))" }
        if let text { place += " " + quotedExcerpt(text) }
        return "\(place): \(why)"
    }
}

extension RawInstruction {
    /// The four fields of an encoded instruction, in `struct sock_filter` order.
    public enum Field: String, Hashable, Sendable, CaseIterable {
        /// The opcode, the two jump offsets, and the generic operand.
        case code, jt, jf, k

        /// The largest value the field holds.
        public var maximum: UInt32 {
            switch self {
            case .code: UInt32(UInt16.max)
            case .jt, .jf: UInt32(UInt8.max)
            case .k: UInt32.max
            }
        }
    }

    /// A field of an instruction written as text that is not a valid value.
    public struct FieldError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Why the text is not a valid value.
        public enum Problem: Hashable, Sendable {
            /// Nothing where the number should be.
            case missing
            /// Not a decimal number (only the digits 0-9).
            case notDecimal
            /// Not a C integer literal (decimal, `0x` hexadecimal or `0` octal).
            case notCInteger
            /// A number larger than the field holds.
            case tooLarge
        }

        /// The field whose value is wrong.
        public var field: Field
        /// The text given for it.
        public var text: String
        /// What is wrong with the text.
        public var problem: Problem

        /// An error for `text` given as `field`.
        public init(field: Field, text: String, problem: Problem) {
            self.field = field
            self.text = text
            self.problem = problem
        }

        /// The text form, as messages and the `cbpf` tool print it.
        public var description: String {
            switch problem {
            case .missing: "\(field.rawValue) is missing"
            case .notDecimal: "\(field.rawValue) \(quotedExcerpt(text)) is not a decimal number"
            case .notCInteger: "\(field.rawValue) \(quotedExcerpt(text)) is not a C integer literal"
            case .tooLarge: "\(field.rawValue) \(quotedExcerpt(text, limit: 24)) is too large; the largest \(field.rawValue) is \(field.maximum)"
            }
        }
    }
}

/// Number parsing shared by the text formats. Strict on purpose: no signs, no surrounding
/// characters, and a value that does not fit its field is an error rather than truncated.
enum RawInstructionText {
    /// The value of a string of ASCII digits, or `nil` when it is not one or exceeds `UInt64`.
    static func decimal<Text: StringProtocol>(_ text: Text) -> UInt64? {
        try? parseInteger(text, style: .decimal)
    }

    /// A field value written in decimal, as tc, iptables and `tcpdump -ddd` write them.
    static func value<Text: StringProtocol>(decimal text: Text, for field: RawInstruction.Field) throws(RawInstruction.FieldError) -> UInt32 {
        try value(text, style: .decimal, for: field, otherwise: .notDecimal)
    }

    /// A field value written as a C integer literal, as `tcpdump -dd` writes them.
    static func value<Text: StringProtocol>(cLiteral text: Text, for field: RawInstruction.Field) throws(RawInstruction.FieldError) -> UInt32 {
        try value(text, style: .c(binary: false), for: field, otherwise: .notCInteger)
    }

    private static func value<Text: StringProtocol>(
        _ text: Text, style: IntegerLiteralStyle, for field: RawInstruction.Field, otherwise problem: RawInstruction.FieldError.Problem
    ) throws(RawInstruction.FieldError) -> UInt32 {
        guard !text.isEmpty else { throw RawInstruction.FieldError(field: field, text: "", problem: .missing) }
        let value: UInt64
        do {
            value = try parseInteger(text, style: style)
        } catch .tooLarge {
            throw RawInstruction.FieldError(field: field, text: String(text), problem: .tooLarge)
        } catch {
            throw RawInstruction.FieldError(field: field, text: String(text), problem: problem)
        }
        guard value <= UInt64(field.maximum) else {
            throw RawInstruction.FieldError(field: field, text: String(text), problem: .tooLarge)
        }
        return UInt32(value)
    }

    /// `code jt jf k` from four decimal tokens.
    static func instruction<Text: StringProtocol>(fromDecimal tokens: [Text]) throws(RawInstruction.FieldError) -> RawInstruction {
        var values = [UInt32]()
        for (field, token) in zip(RawInstruction.Field.allCases, tokens) {
            values.append(try value(decimal: token, for: field))
        }
        return RawInstruction(fieldValues: values)
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines.
    fileprivate func trimmingWhitespace() -> SubSequence {
        let start = firstIndex(where: { !$0.isWhitespace }) ?? endIndex
        let end = lastIndex(where: { !$0.isWhitespace }).map { index(after: $0) } ?? start
        return self[start ..< end]
    }
}
