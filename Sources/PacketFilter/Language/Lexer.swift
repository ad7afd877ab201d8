import CBPF

/// Splits a filter expression into tokens the way libpcap's flex scanner does: the longest
/// match wins, and on a tie keywords, numbers and addresses win over names.
struct Lexer {
    private let characters: [Character]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        characters = Array(text)
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

    private mutating func advance(_ count: Int) -> String {
        let text = String(characters[index..<index + count])
        for character in characters[index..<index + count] {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        index += count
        return text
    }

    private static let twoCharacterPunctuation: Set<String> = [">=", "<=", "!=", "==", "<<", ">>", "&&", "||"]
    private static let punctuation: Set<Character> = [
        "+", "-", "*", "/", "%", ":", "[", "]", "!", "<", ">", "(", ")", "&", "|", "^", "=",
    ]

    mutating func next() throws(FilterSyntaxError) -> Token {
        while index < characters.count, characters[index].isWhitespace {
            _ = advance(1)
        }
        let start = location
        guard index < characters.count else { return Token(kind: .end, text: "", location: start) }
        let character = characters[index]
        if index + 1 < characters.count {
            let pair = String([character, characters[index + 1]])
            if Self.twoCharacterPunctuation.contains(pair) {
                let text = advance(2)
                switch text {
                case "&&": return Token(kind: .keyword(.and), text: text, location: start)
                case "||": return Token(kind: .keyword(.or), text: text, location: start)
                case "==": return Token(kind: .punctuation("="), text: text, location: start)
                default: return Token(kind: .punctuation(text), text: text, location: start)
                }
            }
        }
        if character == "\"" {
            guard let close = characters[(index + 1)...].firstIndex(of: "\"") else {
                throw FilterSyntaxError("unterminated string: no closing \"", at: start)
            }
            let text = advance(close + 1 - index)
            return Token(kind: .string(String(text.dropFirst().dropLast())), text: text, location: start)
        }
        if character == "\\" {
            // `\name`: a name even if it is spelled like a keyword (`proto \tcp`).
            var end = index + 1
            while end < characters.count, !characters[end].isWhitespace, !"!()".contains(characters[end]) {
                end += 1
            }
            guard end > index + 1 else {
                throw FilterSyntaxError("expected a name after \"\\\"", at: start)
            }
            let text = advance(end - index)
            return Token(kind: .identifier(String(text.dropFirst())), text: text, location: start)
        }
        let startsIPv6 = character == ":" && index + 1 < characters.count && characters[index + 1] == ":"
        if Self.punctuation.contains(character) && !startsIPv6 {
            let text = advance(1)
            if text == "!" { return Token(kind: .keyword(.not), text: text, location: start) }
            return Token(kind: .punctuation(text), text: text, location: start)
        }
        guard character.isASCII, character.isLetter || character.isNumber || character == ":" else {
            throw FilterSyntaxError("unexpected character \"\(character)\"", at: start)
        }
        return try word(at: start)
    }

    /// The longest token that starts here among names, keywords, numbers and addresses.
    private mutating func word(at start: SourcePosition) throws(FilterSyntaxError) -> Token {
        let rest = characters[index...]
        func text(_ length: Int) -> String { String(rest.prefix(length)) }
        enum Candidate { case kind(TokenKind), number }
        var best: (length: Int, candidate: Candidate)?
        // In flex's rule order: on equal lengths the earlier candidate stays.
        func consider(_ length: Int?, _ candidate: Candidate) {
            guard let length, length > (best?.length ?? 0) else { return }
            best = (length, candidate)
        }
        let idLength = Self.identifierLength(rest)
        if let length = idLength {
            if let keyword = Keyword.spellings[text(length)] {
                consider(length, .kind(.keyword(keyword)))
            } else if let value = namedConstants[text(length)] {
                consider(length, .kind(.number(value)))
            }
        }
        if let length = Self.macLength(rest) { consider(length, .kind(.mac(text(length)))) }
        consider(Self.numberLength(rest), .number)
        if let length = Self.dottedLength(rest) { consider(length, .kind(.ipv4(text(length)))) }
        if let length = Self.ipv6Length(rest) { consider(length, .kind(.ipv6(text(length)))) }
        if let length = idLength { consider(length, .kind(.identifier(text(length)))) }
        guard let best else {
            throw FilterSyntaxError("unexpected character \"\(characters[index])\"", at: start)
        }
        let written = advance(best.length)
        switch best.candidate {
        case .kind(let kind):
            return Token(kind: kind, text: written, location: start)
        case .number:
            return Token(kind: .number(try Self.number(written, at: start)), text: written, location: start)
        }
    }

    private static func isHexDigit(_ c: Character) -> Bool { c.isHexDigit && c.isASCII }
    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    /// `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`
    private static func identifierLength(_ s: ArraySlice<Character>) -> Int? {
        guard let first = s.first, first.isASCII, first.isLetter || first.isNumber else { return nil }
        var length = 1
        var lastGood = 1
        for c in s.dropFirst() {
            guard c.isASCII, c.isLetter || c.isNumber || c == "-" || c == "_" || c == "." else { break }
            length += 1
            if c != "-" && c != "_" { lastGood = length }
        }
        return lastGood
    }

    /// `[0-9]+` or `0x[0-9a-fA-F]+`.
    private static func numberLength(_ s: ArraySlice<Character>) -> Int? {
        let chars = Array(s.prefix(64))
        if chars.count >= 3, chars[0] == "0", chars[1] == "x" || chars[1] == "X", isHexDigit(chars[2]) {
            return 2 + chars.dropFirst(2).prefix(while: isHexDigit).count
        }
        let digits = chars.prefix(while: isDigit).count
        return digits > 0 ? digits : nil
    }

    /// Two to four numbers joined by dots.
    private static func dottedLength(_ s: ArraySlice<Character>) -> Int? {
        var length = 0
        var parts = 0
        var rest = s
        while parts < 4 {
            guard let partLength = numberLength(rest) else { break }
            parts += 1
            length += partLength
            rest = rest.dropFirst(partLength)
            guard parts < 4, rest.first == ".", numberLength(rest.dropFirst()) != nil else { break }
            length += 1
            rest = rest.dropFirst()
        }
        return parts >= 2 ? length : nil
    }

    /// libpcap's `MAC`: six 1-2 digit hex groups joined by `:`, `-` or `.`, three 4-digit
    /// groups joined by `.`, or 12 hex digits.
    private static func macLength(_ s: ArraySlice<Character>) -> Int? {
        func groups(separator: Character?, count: Int, widths: ClosedRange<Int>) -> Int? {
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
        return groups(separator: ":", count: 6, widths: 1...2) ?? groups(separator: "-", count: 6, widths: 1...2)
            ?? groups(separator: ".", count: 6, widths: 1...2) ?? groups(separator: ".", count: 3, widths: 4...4)
            ?? groups(separator: nil, count: 3, widths: 4...4)
    }

    /// The longest run of hex digits, colons and dots that is a valid IPv6 address.
    private static func ipv6Length(_ s: ArraySlice<Character>) -> Int? {
        let run = s.prefix { isHexDigit($0) || $0 == ":" || $0 == "." }
        guard run.contains(":") else { return nil }
        var length = run.count
        while length > 1 {
            if IPv6Address(String(run.prefix(length))) != nil { return length }
            length -= 1
        }
        return nil
    }

    /// libpcap's `stou`: decimal, `0x` hexadecimal, or `0` octal, at most 2^32 - 1.
    private static func number(_ text: String, at location: SourcePosition) throws(FilterSyntaxError) -> UInt32 {
        let (digits, radix): (Substring, Int)
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            (digits, radix) = (text.dropFirst(2), 16)
        } else if text.hasPrefix("0") && text.count > 1 {
            (digits, radix) = (text.dropFirst(), 8)
        } else {
            (digits, radix) = (Substring(text), 10)
        }
        guard let value = UInt32(digits, radix: radix) else {
            if radix == 8, digits.contains(where: { $0 == "8" || $0 == "9" }) {
                throw FilterSyntaxError("number \(text) contains non-octal digit", at: location)
            }
            throw FilterSyntaxError("number \(text) overflows 32 bits", at: location)
        }
        return value
    }
}
