/// Writes JSON text, pretty-printed with two spaces, members in the order given: the module's
/// one JSON writer and string escaper (OCI profiles, the forensics' `--format json`, error
/// messages that quote a name).
struct JSONWriter {
    private(set) var text = ""

    enum Value {
        case object([(String, Value)])
        /// An object written on one line: `{"first": 0, "last": 4}`.
        case inlineObject([(String, Value)])
        case array([Value])
        /// An array written on one line: `["read", "write"]`.
        case inlineArray([Value])
        case string(String)
        case unsigned(UInt64)
        case bool(Bool)
        case null
    }

    static func write(_ value: Value) -> String {
        var writer = JSONWriter()
        writer.write(value, indent: 0)
        writer.text += "\n"
        return writer.text
    }

    private mutating func write(_ value: Value, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch value {
        case .object(let members):
            if members.isEmpty {
                text += "{}"
                return
            }
            text += "{\n"
            for (offset, member) in members.enumerated() {
                text += pad + Self.quote(member.0) + ": "
                write(member.1, indent: indent + 1)
                text += offset == members.count - 1 ? "\n" : ",\n"
            }
            text += closePad + "}"
        case .inlineObject(let members):
            text += "{"
            for (offset, member) in members.enumerated() {
                if offset > 0 { text += ", " }
                text += Self.quote(member.0) + ": "
                write(member.1, indent: indent)
            }
            text += "}"
        case .array(let elements):
            if elements.isEmpty {
                text += "[]"
                return
            }
            text += "[\n"
            for (offset, element) in elements.enumerated() {
                text += pad
                write(element, indent: indent + 1)
                text += offset == elements.count - 1 ? "\n" : ",\n"
            }
            text += closePad + "]"
        case .inlineArray(let elements):
            text += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { text += ", " }
                write(element, indent: indent)
            }
            text += "]"
        case .string(let string):
            text += Self.quote(string)
        case .unsigned(let number):
            text += String(number)
        case .bool(let flag):
            text += flag ? "true" : "false"
        case .null:
            text += "null"
        }
    }

    /// `string` as a JSON string literal, quoted and escaped.
    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0c}": out += "\\f"
            case "\u{00}" ..< "\u{20}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
