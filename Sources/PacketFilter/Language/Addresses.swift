/// An IPv6 address, parsed as `inet_pton(AF_INET6, ...)` does.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes in network order.
    public let bytes: [UInt8]

    /// The address with these 16 bytes, or nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the text form, including `::` compression and a trailing dotted IPv4 part.
    public init?(_ text: String) {
        var groups: [[UInt16]] = [[], []]
        var side = 0
        var rest = Substring(text)
        if rest.hasPrefix("::") {
            side = 1
            rest = rest.dropFirst(2)
        }
        var trailingIPv4: UInt32?
        while !rest.isEmpty {
            let field = rest.prefix { $0 != ":" }
            rest = rest.dropFirst(field.count)
            if field.contains(".") {
                guard rest.isEmpty, let (value, bits) = parseDottedIPv4(field), bits == 32 else { return nil }
                trailingIPv4 = value
                break
            }
            guard (1...4).contains(field.count), let value = UInt16(field, radix: 16) else { return nil }
            groups[side].append(value)
            if rest.hasPrefix("::") {
                guard side == 0 else { return nil }
                side = 1
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix(":") {
                rest = rest.dropFirst()
                guard !rest.isEmpty else { return nil }
            }
        }
        if let trailingIPv4 {
            groups[side].append(UInt16(trailingIPv4 >> 16))
            groups[side].append(UInt16(trailingIPv4 & 0xffff))
        }
        let count = groups[0].count + groups[1].count
        if side == 0 {
            guard count == 8 else { return nil }
        } else {
            guard count <= 7 else { return nil }
        }
        let all = groups[0] + Array(repeating: 0, count: 8 - count) + groups[1]
        bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// The RFC 5952 text form.
    public var description: String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        // The longest run of two or more zero groups becomes `::`.
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > best.length, index - start >= 2 { best = (start, index - start) }
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard best.start >= 0 else { return hex(groups[...]) }
        return hex(groups[..<best.start]) + "::" + hex(groups[(best.start + best.length)...])
    }

    /// The address as four big-endian words, as the filter loads it.
    var words: [UInt32] {
        (0..<4).map { word in
            (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[4 * word + $1]) }
        }
    }
}

/// libpcap's `__pcap_atoin`: one to four dotted decimal parts, each 0-255. Returns the value
/// right-aligned and the number of bits written (8 per part).
func parseDottedIPv4(_ text: Substring) -> (value: UInt32, bits: Int)? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...4).contains(parts.count) else { return nil }
    var value: UInt32 = 0
    for part in parts {
        guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }), let byte = UInt8(part) else { return nil }
        value = value << 8 | UInt32(byte)
    }
    return (value, 8 * parts.count)
}

/// libpcap's `__pcap_atodn`: `AREA.NODE` as `sscanf("%d.%d")` reads it (decimal numbers, the
/// rest of the text ignored), the area in the top 6 bits and the node in the low 10. Nil when
/// either number is missing, as in `0x1.2`.
func parseDECnetAddress(_ text: Substring) -> UInt16? {
    /// `%d`: leading decimal digits; past `Int64.max` strtol saturates, and only low bits count.
    func decimal(_ text: inout Substring) -> UInt64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        text = text.dropFirst(digits.count)
        return digits.reduce(UInt64(0)) { value, digit in
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let next = times10 &+ UInt64(digit.asciiValue! - 48)
            return overflow || next < times10 || next > UInt64(Int64.max) ? UInt64(Int64.max) : next
        }
    }
    var rest = text
    guard let area = decimal(&rest), rest.first == "." else { return nil }
    rest = rest.dropFirst()
    guard let node = decimal(&rest) else { return nil }
    return UInt16(truncatingIfNeeded: (area << 10) & 0xfc00 | node & 0x3ff)
}

/// An Ethernet address in any of the forms libpcap's scanner takes.
func parseEthernetAddress(_ text: String) -> [UInt8]? {
    let separators: Set<Character> = [":", "-", "."]
    let groups = text.split(omittingEmptySubsequences: false) { separators.contains($0) }
    if groups.count == 6 {
        let bytes = groups.compactMap { $0.count <= 2 ? UInt8($0, radix: 16) : nil }
        return bytes.count == 6 ? bytes : nil
    }
    if groups.count == 1, text.count == 12 {
        let words = stride(from: 0, to: 12, by: 4).compactMap {
            UInt16(text.dropFirst($0).prefix(4), radix: 16)
        }
        guard words.count == 3 else { return nil }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
    if groups.count == 3 {
        let words = groups.compactMap { $0.count <= 4 ? UInt16($0, radix: 16) : nil }
        guard words.count == 3 else { return nil }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
    return nil
}
