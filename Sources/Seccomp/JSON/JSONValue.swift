/// A JSON document as parsed for OCI seccomp profiles: every value keeps where it started, and
/// numbers keep their text, so that 64-bit integers stay exact and errors can point at a line.
///
/// Foundation's decoders go through `Double` for some numbers and report positions loosely; a
/// profile's argument values are full 64-bit integers and its errors must say where they are.
struct JSONValue: Sendable {
    enum Kind: Sendable {
        /// Members in document order, with where each key starts.
        case object([(key: String, keyPosition: JSONPosition, value: JSONValue)])
        case array([JSONValue])
        case string(String)
        /// The number as written: `-1`, `4294967295`, `1.5e3`.
        case number(String)
        case bool(Bool)
        case null
    }

    var kind: Kind
    var position: JSONPosition

    /// `object`, `array`, `string`, `number`, `true or false`, `null`: for error messages.
    var typeName: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// A place in a JSON text, counted from 1. Columns count Unicode scalars.
struct JSONPosition: Hashable, Sendable {
    var line: Int
    var column: Int
}

/// A JSON text that is not well formed.
struct JSONSyntaxError: Error, Sendable {
    var position: JSONPosition
    var what: String
    var why: String
}

/// A recursive-descent parser for RFC 8259 JSON over UTF-8 bytes.
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    /// Nesting deeper than this is refused rather than risking the stack.
    private static let maximumDepth = 512

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses a whole document: one value, surrounded by nothing but white space.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes)
        // A UTF-8 byte order mark is tolerated, as most JSON readers do.
        if bytes.starts(with: [0xef, 0xbb, 0xbf]) {
            parser.index = 3
            parser.lineStart = 3
        }
        parser.skipWhitespace()
        if parser.index == bytes.count {
            throw parser.error("empty document", why: "a profile is a JSON object, and there is nothing here")
        }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error(
                "unexpected \(parser.describeCurrent()) after the end of the document",
                why: "a JSON document holds a single value")
        }
        return value
    }

    /// Where the next byte is. Columns count scalars, not bytes; the count resumes from the last
    /// call on the same line, so a long minified line costs no more than one pass.
    private var position: JSONPosition {
        mutating get {
            if columnCache.lineStart != lineStart || columnCache.index > index {
                columnCache = (lineStart, lineStart, 1)
            }
            var column = columnCache.column
            var i = columnCache.index
            while i < index {
                if bytes[i] & 0xc0 != 0x80 { column += 1 }
                i += 1
            }
            columnCache = (lineStart, index, column)
            return JSONPosition(line: line, column: column)
        }
    }

    private var columnCache: (lineStart: Int, index: Int, column: Int) = (0, 0, 1)

    private mutating func error(_ what: String, why: String, at position: JSONPosition? = nil) -> JSONSyntaxError {
        JSONSyntaxError(position: position ?? self.position, what: what, why: why)
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of the document" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0d:
                index += 1
            case 0x0a:
                index += 1
                line += 1
                lineStart = index
            default:
                return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        guard index < bytes.count else {
            throw error("the document ends where a value should be", why: "it is cut short")
        }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(start)
        case UInt8(ascii: "["): return try parseArray(start)
        case UInt8(ascii: "\""): return JSONValue(kind: .string(try parseString()), position: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"):
            return JSONValue(kind: .number(try parseNumber()), position: start)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return JSONValue(kind: .bool(true), position: start)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return JSONValue(kind: .bool(false), position: start)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return JSONValue(kind: .null, position: start)
        default:
            throw error(
                "unexpected \(describeCurrent())",
                why: "a JSON value starts with {, [, \", a digit, -, true, false or null")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let text = literal.withUTF8Buffer { Array($0) }
        guard bytes.count - index >= text.count, Array(bytes[index ..< index + text.count]) == text else {
            throw error("unknown word", why: "JSON's only bare words are true, false and null (strings need quotes)")
        }
        index += text.count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("nesting too deep", why: "more than \(Self.maximumDepth) nested arrays and objects")
        }
    }

    private mutating func parseObject(_ start: JSONPosition) throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var members = [(key: String, keyPosition: JSONPosition, value: JSONValue)]()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return JSONValue(kind: .object(members), position: start)
        }
        while true {
            skipWhitespace()
            let keyPosition = position
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    throw error("trailing comma in an object", why: "JSON does not allow a comma before }")
                }
                throw error(
                    "expected a member name, found \(describeCurrent())",
                    why: "object members are written \"name\": value, with the name in double quotes")
            }
            let key = try parseString()
            if members.contains(where: { $0.key == key }) {
                throw error(
                    "duplicate member \"\(key)\"", why: "a name may appear once in an object, or its meaning is ambiguous",
                    at: keyPosition)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after \"\(key)\", found \(describeCurrent())", why: "members are written \"name\": value")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append((key, keyPosition, value))
            skipWhitespace()
            guard index < bytes.count else {
                throw error("the document ends inside an object", why: "an object needs its closing }", at: start)
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return JSONValue(kind: .object(members), position: start)
            }
            throw error(
                "expected ',' or '}' after the value of \"\(key)\", found \(describeCurrent())",
                why: "members of an object are separated by commas")
        }
    }

    private mutating func parseArray(_ start: JSONPosition) throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var elements = [JSONValue]()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return JSONValue(kind: .array(elements), position: start)
        }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                throw error("trailing comma in an array", why: "JSON does not allow a comma before ]")
            }
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else {
                throw error("the document ends inside an array", why: "an array needs its closing ]", at: start)
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return JSONValue(kind: .array(elements), position: start)
            }
            throw error(
                "expected ',' or ']' after an array element, found \(describeCurrent())",
                why: "elements of an array are separated by commas")
        }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = position
        index += 1
        var scalars = String.UnicodeScalarView()
        var run = [UInt8]()
        func flush() {
            if !run.isEmpty {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll(keepingCapacity: true)
            }
        }
        while true {
            guard index < bytes.count else {
                throw error("the document ends inside a string", why: "a string needs its closing \"", at: start)
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                let escapeStart = position
                index += 1
                guard index < bytes.count else {
                    throw error("the document ends inside a string", why: "a string needs its closing \"", at: start)
                }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0c}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let first = try parseHex4()
                    if (0xd800 ..< 0xdc00).contains(first) {
                        guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else {
                            throw error("unpaired surrogate \\u" + String(first, radix: 16), why: "a high surrogate must be followed by a low one")
                        }
                        index += 2
                        let second = try parseHex4()
                        guard (0xdc00 ..< 0xe000).contains(second) else {
                            throw error("unpaired surrogate \\u" + String(first, radix: 16), why: "a high surrogate must be followed by a low one")
                        }
                        let value = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
                        scalars.append(Unicode.Scalar(value)!)
                    } else if let scalar = Unicode.Scalar(first) {
                        scalars.append(scalar)
                    } else {
                        throw error("unpaired surrogate \\u" + String(first, radix: 16), why: "a low surrogate must follow a high one")
                    }
                default:
                    throw error(
                        "unknown escape \\\(Character(Unicode.Scalar(escape)))",
                        why: "JSON escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX", at: escapeStart)
                }
            case 0x00 ..< 0x20:
                throw error("control character 0x" + String(byte, radix: 16) + " in a string", why: "JSON strings must escape control characters (\\n, \\t, \\u0000)")
            default:
                run.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else {
            throw error("short \\u escape", why: "\\u takes four hexadecimal digits")
        }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("bad \\u escape", why: "\\u takes four hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = index
        let numberStart = position
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        if integerDigits == 0 {
            throw error("a number without digits", why: "a JSON number needs at least one digit after -")
        }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            throw error(
                "a number with a leading zero", why: "JSON numbers are decimal: write 8, not 010 (and no 0x hexadecimal)",
                at: numberStart)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { throw error("a number ends with '.'", why: "a fraction needs digits after the point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { throw error("a number with an empty exponent", why: "an exponent needs digits") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "x") || bytes[index] == UInt8(ascii: "X") {
            throw error("a hexadecimal number", why: "JSON numbers are decimal: write 0x7e020000 as 2114060288")
        }
        return String(decoding: bytes[start ..< index], as: UTF8.self)
    }
}
