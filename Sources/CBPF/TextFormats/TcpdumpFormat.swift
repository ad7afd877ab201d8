/// The three forms in which tcpdump prints a compiled filter: `-d`, `-dd` and `-ddd`.
///
/// ``format(_:style:)`` prints exactly what tcpdump 4.99 with libpcap 1.10 writes to stdout
/// (libpcap's `bpf_dump` and `bpf_image`), including its quirks:
///
/// - `-d` prints `k` as a *signed* decimal for offsets, scratch slots, `ret` and the
///   arithmetic operations `add sub mul div mod lsh rsh` (`ld [-1048576]`, `ret #-1`), but in
///   hexadecimal for immediates, comparisons and `and or xor`.
/// - Ancillary loads print as `ld [proto]`, `ldh [vlanp]`, `ld [random]`: the names differ from
///   `bpf_asm`'s (`#proto`, `#vlan_avail`, `#rand`).
/// - `ldx #len` (opcode 0x81), which the Linux kernel accepts, has no name in libpcap and prints
///   as `unimp 0x81`, like any opcode libpcap does not know.
/// - `ja` prints its absolute target computed in 32-bit unsigned arithmetic, then as signed.
/// - `ret a`, `neg`, `tax` and `txa` keep the trailing padding of the operand column.
///
/// libpcap after 1.10 prints `ldx #pktlen` for 0x81 and drops that trailing padding; this
/// follows 1.10 (output is the same from 1.10.0 to 1.10.6; tested against 1.10.3).
///
/// ``parse(_:)`` reads `-dd` and `-ddd` output back. It returns raw instructions so that an
/// opcode the kernel does not accept still reaches the ``Verifier``, which names it;
/// ``Program/init(tcpdumpOutput:)`` decodes in one step.
public enum TcpdumpFormat {
    /// The output of one tcpdump option.
    public enum Style: Hashable, Sendable, CaseIterable {
        /// `tcpdump -d`: a numbered listing, `(000) ldh      [12]`.
        case listing
        /// `tcpdump -dd`: a C array initializer, `{ 0x28, 0, 0, 0x0000000c },`.
        case cArray
        /// `tcpdump -ddd`: the instruction count, then `code jt jf k` in decimal, one per line.
        case decimal

        /// The tcpdump option that prints this style: `-d`, `-dd` or `-ddd`.
        public var tcpdumpOption: String {
            switch self {
            case .listing: "-d"
            case .cArray: "-dd"
            case .decimal: "-ddd"
            }
        }
    }

    /// Prints a program as tcpdump prints it with the option of `style`, trailing newline included.
    ///
    /// A ``Program`` keeps only what the kernel reads, so to reprint tcpdump's own `-dd` or
    /// `-ddd` byte for byte use ``format(raw:style:)``: libpcap sometimes leaves a scratch slot
    /// number in the ignored `k` of `tax`.
    public static func format(_ program: Program, style: Style) -> String {
        format(raw: program.raw, style: style)
    }

    /// Prints raw instructions as tcpdump prints them with the option of `style`.
    ///
    /// Unlike ``format(_:style:)`` this keeps fields the kernel ignores (such as `k` of `ret a`)
    /// in `-dd` and `-ddd`, and prints undecodable opcodes as `unimp` in `-d`.
    public static func format(raw instructions: [RawInstruction], style: Style) -> String {
        var text = ""
        switch style {
        case .listing:
            for (index, instruction) in instructions.enumerated() {
                text += listingLine(for: instruction, at: index)
                text += "\n"
            }
        case .cArray:
            for instruction in instructions {
                let code = String(instruction.code, radix: 16)
                let k = zeroPadded(String(instruction.k, radix: 16), width: 8)
                text += "{ 0x\(code), \(instruction.jt), \(instruction.jf), 0x\(k) },\n"
            }
        case .decimal:
            text += "\(instructions.count)\n"
            for instruction in instructions {
                text += "\(instruction.code) \(instruction.jt) \(instruction.jf) \(instruction.k)\n"
            }
        }
        return text
    }

    /// One line of `tcpdump -d`, without the newline: what libpcap's `bpf_image` returns for the
    /// instruction at `index`.
    public static func listingLine(for instruction: RawInstruction, at index: Int) -> String {
        // Any opcode of the jump class (BPF_CLASS, the low 3 bits) whose operation (BPF_OP, bits
        // 4-7) is not `ja` gets the `jt`/`jf` columns, whether or not libpcap knows it.
        let isConditionalJump = instruction.code & 0x07 == Opcode.jmp && instruction.code & 0xf0 != Opcode.ja
        let (mnemonic, operand) = if let decoded = try? Instruction(raw: instruction) {
            mnemonicAndOperand(for: decoded, at: index)
        } else {
            unimplemented(instruction.code)
        }
        return line(
            index: index, mnemonic: mnemonic, operand: operand,
            jumpTargets: isConditionalJump ? (instruction.jt, instruction.jf) : nil
        )
    }

    /// One line of `tcpdump -d`, without the newline, for a typed instruction at `index`.
    public static func listingLine(for instruction: Instruction, at index: Int) -> String {
        let (mnemonic, operand) = mnemonicAndOperand(for: instruction, at: index)
        let jumpTargets: (UInt8, UInt8)? = if case .conditionalJump(_, _, let jt, let jf) = instruction {
            (jt, jf)
        } else {
            nil
        }
        return line(index: index, mnemonic: mnemonic, operand: operand, jumpTargets: jumpTargets)
    }

    /// The name `tcpdump -d` prints for an ancillary field, inside brackets: `ld [ifidx]`.
    public static func name(of field: AncillaryField) -> String {
        switch field {
        case .protocol: "proto"
        case .packetType: "type"
        case .interfaceIndex: "ifidx"
        case .netlinkAttribute: "nla"
        case .netlinkAttributeNested: "nlan"
        case .mark: "mark"
        case .queue: "queue"
        case .hardwareType: "hatype"
        case .rxHash: "rxhash"
        case .cpu: "cpu"
        case .xorX: "xor_x"
        case .vlanTag: "vlan_tci"
        case .vlanTagPresent: "vlanp"
        case .payloadOffset: "poff"
        case .random: "random"
        case .vlanProtocol: "vlan_tpid"
        }
    }

    // MARK: - Listing details

    /// `(%03d) %-8s %s`, or `(%03d) %-8s %-16s jt %d\tjf %d` for a conditional jump.
    private static func line(
        index: Int, mnemonic: String, operand: String, jumpTargets: (UInt8, UInt8)?
    ) -> String {
        let prefix = "(\(zeroPadded(String(index), width: 3))) \(spacePadded(mnemonic, width: 8)) "
        guard let (jt, jf) = jumpTargets else { return prefix + operand }
        let trueTarget = index + 1 + Int(jt)
        let falseTarget = index + 1 + Int(jf)
        return prefix + spacePadded(operand, width: 16) + " jt \(trueTarget)\tjf \(falseTarget)"
    }

    private static func unimplemented(_ code: UInt16) -> (String, String) {
        ("unimp", "0x" + String(code, radix: 16))
    }

    private static func mnemonicAndOperand(for instruction: Instruction, at index: Int) -> (String, String) {
        func load(_ size: LoadSize) -> String {
            switch size {
            case .word: "ld"
            case .halfword: "ldh"
            case .byte: "ldb"
            }
        }
        switch instruction {
        case .loadAbsolute(let size, let offset): return (load(size), "[\(signed(offset))]")
        case .loadAncillary(let field, let size): return (load(size), "[\(name(of: field))]")
        case .loadIndirect(let size, let offset): return (load(size), "[x + \(signed(offset))]")
        case .loadImmediate(.a, let k): return ("ld", "#\(hex(k))")
        case .loadImmediate(.x, let k): return ("ldx", "#\(hex(k))")
        case .loadScratch(.a, let slot): return ("ld", "M[\(signed(slot))]")
        case .loadScratch(.x, let slot): return ("ldx", "M[\(signed(slot))]")
        case .loadLength(.a): return ("ld", "#pktlen")
        // libpcap never generates `ldx #len` and bpf_image has no case for it.
        case .loadLength(.x): return unimplemented(instruction.raw.code)
        case .loadIPv4HeaderLength(let offset): return ("ldxb", "4*([\(signed(offset))]&0xf)")
        case .store(.a, let slot): return ("st", "M[\(signed(slot))]")
        case .store(.x, let slot): return ("stx", "M[\(signed(slot))]")
        case .arithmetic(let operation, let source):
            let operand = switch source {
            case .x: "x"
            // bpf_image prints bit masks in hex and the other operands in signed decimal.
            case .constant(let k) where [.and, .or, .xor].contains(operation): "#\(hex(k))"
            case .constant(let k): "#\(signed(k))"
            }
            return (operation.mnemonic, operand)
        case .negate: return ("neg", "")
        case .jump(let offset):
            // C's `n + 1 + k` with an unsigned k: 32-bit wrap-around, printed with %d.
            let target = UInt32(truncatingIfNeeded: index + 1) &+ offset
            return ("ja", "\(signed(target))")
        case .conditionalJump(let test, let source, _, _):
            let operand = switch source {
            case .x: "x"
            case .constant(let k): "#\(hex(k))"
            }
            return (test.mnemonic, operand)
        case .returnConstant(let k): return ("ret", "#\(signed(k))")
        case .returnA: return ("ret", "")
        case .tax: return ("tax", "")
        case .txa: return ("txa", "")
        }
    }

    /// C's `%d` of an unsigned 32-bit value.
    private static func signed(_ value: UInt32) -> Int32 { Int32(bitPattern: value) }

    /// C's `0x%x`.
    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    private static func zeroPadded(_ digits: String, width: Int) -> String {
        String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// C's `%-Ns`: left-aligned, padded with spaces, never truncated.
    private static func spacePadded(_ text: String, width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

// MARK: - Reading -dd and -ddd

extension TcpdumpFormat {
    /// Reads `tcpdump -dd` or `tcpdump -ddd` output, telling them apart by the first character.
    ///
    /// - Throws: ``TcpdumpFormatError`` with the line and the reason, also for `-d` listings,
    ///   which this parser does not read.
    public static func parse(_ text: String) throws(TcpdumpFormatError) -> [RawInstruction] {
        guard let first = text.unicodeScalars.first(where: { !$0.properties.isWhitespace }) else {
            throw TcpdumpFormatError(line: nil, reason: .empty)
        }
        switch first {
        case "{": return try parse(text, style: .cArray)
        case "0" ... "9": return try parse(text, style: .decimal)
        case "(": throw TcpdumpFormatError(line: nil, reason: .listingNotReadable)
        default: throw TcpdumpFormatError(line: nil, reason: .unrecognized(String(first)))
        }
    }

    /// Reads tcpdump output of one style.
    ///
    /// - `decimal` (`-ddd`): the first non-blank line is the instruction count, each further
    ///   non-blank line holds `code jt jf k` in decimal. The count must match.
    /// - `cArray` (`-dd`): `{ code, jt, jf, k }` groups, each optionally followed by a comma, with
    ///   any whitespace between tokens. Numbers are C integer literals (`0x1c`, `12`, `014`).
    /// - `listing` (`-d`) is not read and throws ``TcpdumpFormatError/Reason/listingNotReadable``.
    public static func parse(_ text: String, style: Style) throws(TcpdumpFormatError) -> [RawInstruction] {
        switch style {
        case .decimal: try parseDecimal(text)
        case .cArray: try parseCArray(text)
        case .listing: throw TcpdumpFormatError(line: nil, reason: .listingNotReadable)
        }
    }

    private static func parseDecimal(_ text: String) throws(TcpdumpFormatError) -> [RawInstruction] {
        var declaredCount: Int?
        var instructions = [RawInstruction]()
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = offset + 1
            let tokens = line.split(whereSeparator: { $0.isWhitespace })
            if tokens.isEmpty { continue }
            guard let count = declaredCount else {
                guard tokens.count == 1, let count = RawInstructionText.decimal(tokens[0]).flatMap(Int.init(exactly:))
                else {
                    throw TcpdumpFormatError(line: lineNumber, reason: .invalidCount(String(line)))
                }
                declaredCount = count
                continue
            }
            guard tokens.count == 4 else {
                throw TcpdumpFormatError(line: lineNumber, reason: .wrongFieldCount(tokens.count))
            }
            do {
                instructions.append(try RawInstructionText.instruction(fromDecimal: tokens))
            } catch {
                throw TcpdumpFormatError(line: lineNumber, reason: .invalidField(error))
            }
            if instructions.count > count {
                throw TcpdumpFormatError(line: lineNumber, reason: .countMismatch(declared: count, found: nil))
            }
        }
        guard let declaredCount else { throw TcpdumpFormatError(line: nil, reason: .empty) }
        guard declaredCount == instructions.count else {
            throw TcpdumpFormatError(line: nil, reason: .countMismatch(declared: declaredCount, found: instructions.count))
        }
        return instructions
    }

    private static func parseCArray(_ text: String) throws(TcpdumpFormatError) -> [RawInstruction] {
        var scanner = CArrayScanner(text)
        var instructions = [RawInstruction]()
        while true {
            scanner.skipWhitespace()
            if scanner.atEnd { break }
            try scanner.expect("{")
            var values = [UInt32]()
            for field in RawInstruction.Field.allCases {
                if field != .code { try scanner.expect(",") }
                values.append(try scanner.number(for: field))
            }
            try scanner.expect("}")
            instructions.append(RawInstruction(fieldValues: values))
            scanner.skipWhitespace()
            if scanner.peek == "," { scanner.advance() }
        }
        guard !instructions.isEmpty else { throw TcpdumpFormatError(line: nil, reason: .empty) }
        return instructions
    }

    /// A cursor over `-dd` text that knows its line for error messages.
    private struct CArrayScanner {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        init(_ text: String) { scalars = Array(text.unicodeScalars) }

        var atEnd: Bool { position == scalars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : scalars[position] }

        mutating func advance() {
            if scalars[position] == "\n" { line += 1 }
            position += 1
        }

        mutating func skipWhitespace() {
            while let scalar = peek, scalar.properties.isWhitespace { advance() }
        }

        mutating func expect(_ symbol: Unicode.Scalar) throws(TcpdumpFormatError) {
            skipWhitespace()
            guard peek == symbol else {
                throw TcpdumpFormatError(line: line, reason: .expected(symbol, found: peek))
            }
            advance()
        }

        /// A C integer literal: letters and digits up to the next separator.
        mutating func number(for field: RawInstruction.Field) throws(TcpdumpFormatError) -> UInt32 {
            skipWhitespace()
            var token = ""
            while let scalar = peek, scalar.properties.isAlphabetic || ("0" ... "9").contains(scalar) {
                token.unicodeScalars.append(scalar)
                advance()
            }
            do {
                return try RawInstructionText.value(cLiteral: token, for: field)
            } catch {
                throw TcpdumpFormatError(line: line, reason: .invalidField(error))
            }
        }
    }
}

extension RawInstruction {
    init(fieldValues values: [UInt32]) {
        self.init(
            code: UInt16(truncatingIfNeeded: values[0]),
            jt: UInt8(truncatingIfNeeded: values[1]),
            jf: UInt8(truncatingIfNeeded: values[2]),
            k: values[3]
        )
    }
}

extension Program {
    /// Reads and decodes `tcpdump -dd` or `tcpdump -ddd` output (see ``TcpdumpFormat/parse(_:)``).
    ///
    /// - Throws: ``TcpdumpFormatError``, also for an opcode the kernel does not accept.
    public init(tcpdumpOutput text: String) throws(TcpdumpFormatError) {
        let raw = try TcpdumpFormat.parse(text)
        do {
            try self.init(raw: raw)
        } catch {
            throw TcpdumpFormatError(line: nil, reason: .undecodable(error))
        }
    }
}

/// Why tcpdump output could not be read, and on which line.
public struct TcpdumpFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the text.
    public enum Reason: Hashable, Sendable {
        /// No instructions at all.
        case empty
        /// `tcpdump -d` output, which is for people; `-dd` and `-ddd` are for programs.
        case listingNotReadable
        /// The text starts with a character that begins neither `-dd` nor `-ddd` output.
        case unrecognized(String)
        /// The first line of `-ddd` output is not a single decimal count.
        case invalidCount(String)
        /// `-ddd` declares `declared` instructions but has more (`found` is `nil`: reported at
        /// the first extra line) or fewer.
        case countMismatch(declared: Int, found: Int?)
        /// A `-ddd` instruction line without exactly four numbers.
        case wrongFieldCount(Int)
        /// A `-dd` token that is not the punctuation expected there; `found` is `nil` at the end.
        case expected(Unicode.Scalar, found: Unicode.Scalar?)
        /// A number that is malformed or too large for its field.
        case invalidField(RawInstruction.FieldError)
        /// An instruction whose opcode the kernel does not accept (only from ``Program/init(tcpdumpOutput:)``).
        case undecodable(ProgramDecodingError)
    }

    /// The 1-based line of the problem, or `nil` for a problem of the whole text.
    public var line: Int?
    /// What is wrong.
    public var reason: Reason

    /// An error at a 1-based line (`nil` for the whole text).
    public init(line: Int?, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        let place = line.map { ", line \($0)" } ?? ""
        let why = switch reason {
        case .empty: "no instructions"
        case .listingNotReadable:
            "this is `tcpdump -d` output, which is not read back; use the output of -dd or -ddd"
        case .unrecognized(let start):
            "\(quotedExcerpt(start)) starts neither `tcpdump -dd` output (\"{ 0x28, 0, 0, 0x0000000c },\") nor -ddd output (a count, then \"code jt jf k\" lines)"
        case .invalidCount(let text) where text.contains(","):
            "expected the instruction count alone on the first line, found \(quotedExcerpt(text)) (a tc bytecode string? read it as one)"
        case .invalidCount(let text):
            "expected the instruction count, a decimal number alone on the first line, found \(quotedExcerpt(text))"
        case .countMismatch(let declared, let found?):
            "the first line declares \(declared) instructions but \(found) follow"
        case .countMismatch(let declared, nil):
            "more instructions than the \(declared) the first line declares"
        case .wrongFieldCount(let count):
            "expected 4 decimal numbers \"code jt jf k\", found \(count)"
        case .expected(let symbol, let found?):
            "expected \"\(symbol)\", found \(quotedExcerpt(String(found)))"
        case .expected(let symbol, nil):
            "expected \"\(symbol)\", found the end of the text"
        case .invalidField(let error): error.description
        case .undecodable(let error): error.description
        }
        return "tcpdump output\(place): \(why)"
    }
}
