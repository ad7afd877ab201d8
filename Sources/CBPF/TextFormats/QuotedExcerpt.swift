/// Text from the input as an error message quotes it: in double quotes (or `quote`), with control
/// characters, quotes and backslashes escaped, and cut after `limit` characters, with the
/// whole length, so that a message about a 200 MB field stays one short line.
///
///     quotedExcerpt("6 0 0 x")           // "6 0 0 x"
///     quotedExcerpt(String(repeating: "\0", count: 300_000))
///                                        // "\0\0\0…" (300000 bytes)
package func quotedExcerpt(_ text: some StringProtocol, limit: Int = 40, quote: Unicode.Scalar = "\"") -> String {
    var quoted = String(quote)
    var shown = 0
    for scalar in text.unicodeScalars {
        if shown == limit {
            return quoted + "…\(quote) (\(text.utf8.count) bytes)"
        }
        shown += 1
        switch scalar {
        case "\0": quoted += "\\0"
        case "\t": quoted += "\\t"
        case "\n": quoted += "\\n"
        case "\r": quoted += "\\r"
        case quote: quoted += "\\" + String(quote)
        case "\\": quoted += "\\\\"
        case _ where scalar.properties.generalCategory == .control:
            quoted += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: quoted.unicodeScalars.append(scalar)
        }
    }
    return quoted + String(quote)
}
