import CBPF

/// Splits a filter expression into tokens the way libpcap's flex scanner does: the longest
/// match wins, and on a tie keywords, numbers and addresses win over names.
///
/// The scanner works on UTF-8 bytes: the language is ASCII outside `"strings"`, and bytes keep
/// lexing a small fraction of the time it takes to compile an expression.
struct Lexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    static func tokens(_ text: String) throws(FilterSyntaxError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var location: SourcePosition { SourcePosition(line: line, column: column) }

    /// Consumes `count` bytes and returns them as text. Columns count characters, not the
    /// continuation bytes of multi-byte ones.
    private mutating func advance(_ count: Int) -> String {
        let consumed = bytes[index..<index + count]
        for byte in consumed {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        index += count
        return String(decoding: consumed, as: UTF8.self)
    }

    private func byte(at offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    /// The character at the current position, for error messages.
    private var currentCharacter: String {
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func isPunctuation(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"),
             UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "!"), UInt8(ascii: "<"),
             UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "&"), UInt8(ascii: "|"),
             UInt8(ascii: "^"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    /// `>= <= != == << >> && ||`.
    private static func isTwoCharacterPunctuation(_ first: UInt8, _ second: UInt8) -> Bool {
        switch (first, second) {
        case (UInt8(ascii: ">"), UInt8(ascii: "=")), (UInt8(ascii: "<"), UInt8(ascii: "=")),
             (UInt8(ascii: "!"), UInt8(ascii: "=")), (UInt8(ascii: "="), UInt8(ascii: "=")),
             (UInt8(ascii: "<"), UInt8(ascii: "<")), (UInt8(ascii: ">"), UInt8(ascii: ">")),
             (UInt8(ascii: "&"), UInt8(ascii: "&")), (UInt8(ascii: "|"), UInt8(ascii: "|")):
            true
        default:
            false
        }
    }

    mutating func next() throws(FilterSyntaxError) -> Token {
        while index < bytes.count, Self.isWhitespace(bytes[index]) {
            _ = advance(1)
        }
        let start = location
        guard index < bytes.count else { return Token(kind: .end, text: "", location: start) }
        let first = bytes[index]
        if let second = byte(at: 1), Self.isTwoCharacterPunctuation(first, second) {
            let text = advance(2)
            switch text {
            case "&&": return Token(kind: .keyword(.and), text: text, location: start)
            case "||": return Token(kind: .keyword(.or), text: text, location: start)
            case "==": return Token(kind: .punctuation("="), text: text, location: start)
            default: return Token(kind: .punctuation(text), text: text, location: start)
            }
        }
        if first == UInt8(ascii: "\"") {
            guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "\"")) else {
                throw FilterSyntaxError("unterminated string: no closing \"", at: start)
            }
            let text = advance(close + 1 - index)
            return Token(kind: .string(String(text.dropFirst().dropLast())), text: text, location: start)
        }
        if first == UInt8(ascii: "\\") {
            // `\name`: a name even if it is spelled like a keyword (`proto \tcp`).
            var end = index + 1
            while end < bytes.count, !Self.isWhitespace(bytes[end]),
                  bytes[end] != UInt8(ascii: "!"), bytes[end] != UInt8(ascii: "("), bytes[end] != UInt8(ascii: ")") {
                end += 1
            }
            guard end > index + 1 else {
                throw FilterSyntaxError("expected a name after \"\\\"", at: start)
            }
            let text = advance(end - index)
            return Token(kind: .identifier(String(text.dropFirst())), text: text, location: start)
        }
        let startsIPv6 = first == UInt8(ascii: ":") && byte(at: 1) == UInt8(ascii: ":")
        if Self.isPunctuation(first) && !startsIPv6 {
            let text = advance(1)
            if text == "!" { return Token(kind: .keyword(.not), text: text, location: start) }
            return Token(kind: .punctuation(text), text: text, location: start)
        }
        guard Self.isLetterOrDigit(first) || first == UInt8(ascii: ":") else {
            throw FilterSyntaxError("unexpected character \"\(currentCharacter)\"", at: start)
        }
        return try word(at: start)
    }

    /// The longest token that starts here among names, keywords, numbers and addresses.
    private mutating func word(at start: SourcePosition) throws(FilterSyntaxError) -> Token {
        let rest = bytes[index...]
        func text(_ length: Int) -> String { String(decoding: rest.prefix(length), as: UTF8.self) }
        enum Candidate { case kind(TokenKind), number }
        var best: (length: Int, candidate: Candidate)?
        // In flex's rule order: on equal lengths the earlier candidate stays.
        func consider(_ length: Int?, _ candidate: Candidate) {
            guard let length, length > (best?.length ?? 0) else { return }
            best = (length, candidate)
        }
        let idLength = Self.identifierLength(rest)
        let identifier = idLength.map(text)
        if let length = idLength, let identifier {
            if let keyword = Keyword.spellings[identifier] {
                consider(length, .kind(.keyword(keyword)))
            } else if let value = namedConstants[identifier] {
                consider(length, .kind(.number(value)))
            }
        }
        if let length = Self.macLength(rest) { consider(length, .kind(.mac(text(length)))) }
        consider(Self.numberLength(rest), .number)
        if let length = Self.dottedLength(rest) { consider(length, .kind(.ipv4(text(length)))) }
        if let length = Self.ipv6Length(rest) { consider(length, .kind(.ipv6(text(length)))) }
        if let length = idLength, let identifier { consider(length, .kind(.identifier(identifier))) }
        guard let best else {
            throw FilterSyntaxError("unexpected character \"\(currentCharacter)\"", at: start)
        }
        let written = advance(best.length)
        switch best.candidate {
        case .kind(let kind):
            return Token(kind: kind, text: written, location: start)
        case .number:
            return Token(kind: .number(try Self.number(written, at: start)), text: written, location: start)
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func isLetter(_ c: UInt8) -> Bool {
        let lower = c | 0x20
        return lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
    }

    private static func isLetterOrDigit(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        let lower = c | 0x20
        return isDigit(c) || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f"))
    }

    /// `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`
    private static func identifierLength(_ s: ArraySlice<UInt8>) -> Int? {
        guard let first = s.first, isLetterOrDigit(first) else { return nil }
        var length = 1
        var lastGood = 1
        for c in s.dropFirst() {
            guard isLetterOrDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
            else { break }
            length += 1
            if c != UInt8(ascii: "-") && c != UInt8(ascii: "_") { lastGood = length }
        }
        return lastGood
    }

    /// `[0-9]+` or `0x[0-9a-fA-F]+`.
    private static func numberLength(_ s: ArraySlice<UInt8>) -> Int? {
        let start = s.startIndex
        if s.count >= 3, s[start] == UInt8(ascii: "0"), s[start + 1] | 0x20 == UInt8(ascii: "x"), isHexDigit(s[start + 2]) {
            return 2 + s.dropFirst(2).prefix(while: isHexDigit).count
        }
        let digits = s.prefix(while: isDigit).count
        return digits > 0 ? digits : nil
    }

    /// Two to four numbers joined by dots.
    private static func dottedLength(_ s: ArraySlice<UInt8>) -> Int? {
        var length = 0
        var parts = 0
        var rest = s
        while parts < 4 {
            guard let partLength = numberLength(rest) else { break }
            parts += 1
            length += partLength
            rest = rest.dropFirst(partLength)
            guard parts < 4, rest.first == UInt8(ascii: "."), numberLength(rest.dropFirst()) != nil else { break }
            length += 1
            rest = rest.dropFirst()
        }
        return parts >= 2 ? length : nil
    }

    /// libpcap's `MAC`: six 1-2 digit hex groups joined by `:`, `-` or `.`, three 4-digit
    /// groups joined by `.`, or 12 hex digits.
    private static func macLength(_ s: ArraySlice<UInt8>) -> Int? {
        guard let first = s.first, isHexDigit(first) else { return nil }
        func groups(separator: UInt8?, count: Int, widths: ClosedRange<Int>) -> Int? {
            var length = 0
            var rest = s
            for group in 0..<count {
                let digits = min(rest.prefix(while: isHexDigit).count, widths.upperBound)
                guard digits >= widths.lowerBound else { return nil }
                length += digits
                rest = rest.dropFirst(digits)
                if group < count - 1, let separator {
                    guard rest.first == separator else { return nil }
                    length += 1
                    rest = rest.dropFirst()
                }
            }
            return length
        }
        return groups(separator: UInt8(ascii: ":"), count: 6, widths: 1...2)
            ?? groups(separator: UInt8(ascii: "-"), count: 6, widths: 1...2)
            ?? groups(separator: UInt8(ascii: "."), count: 6, widths: 1...2)
            ?? groups(separator: UInt8(ascii: "."), count: 3, widths: 4...4)
            ?? groups(separator: nil, count: 3, widths: 4...4)
    }

    /// The longest IPv6 text: eight groups of four, the last two written as dotted IPv4.
    private static let longestIPv6Text = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".utf8.count

    /// The longest run of hex digits, colons and dots that is a valid IPv6 address. Only the bytes
    /// up to the longest IPv6 text are looked at: trying every prefix of a longer run, at every
    /// token of it, took quadratic time (`1:1:1:...`, 20,000 bytes: more than 10 minutes).
    private static func ipv6Length(_ s: ArraySlice<UInt8>) -> Int? {
        let run = s.prefix(longestIPv6Text).prefix { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
        var colons = run.count { $0 == UInt8(ascii: ":") }
        guard colons > 0 else { return nil }
        var length = run.count
        while length > 1 {
            // Eight colons at most (`1:2:3:4:5:6:7::`): the parse is slow in debug builds.
            if colons <= 8, IPv6Address(String(decoding: run.prefix(length), as: UTF8.self)) != nil { return length }
            length -= 1
            if run[run.startIndex + length] == UInt8(ascii: ":") { colons -= 1 }
        }
        return nil
    }

    /// libpcap's `stou`: decimal, `0x` hexadecimal, or `0` octal, at most 2^32 - 1.
    private static func number(_ text: String, at location: SourcePosition) throws(FilterSyntaxError) -> UInt32 {
        // libpcap's words, with a long number cut.
        let shown = text.utf8.count <= 40 ? text : quotedExcerpt(text)
        do {
            return try parseInteger(text, style: .c(binary: false))
        } catch .nonOctalDigit {
            throw FilterSyntaxError("number \(shown) contains non-octal digit", at: location)
        } catch .tooLarge {
            throw FilterSyntaxError("number \(shown) overflows 32 bits", at: location)
        } catch {
            throw FilterSyntaxError("\(quotedExcerpt(text)) is not a number", at: location)
        }
    }
}
