/// One netlink attribute (`struct nlattr`): a 16-bit type and a payload, padded to 4 bytes.
/// Nested attributes are attributes whose payload is more attributes.
struct NetlinkAttribute: Hashable, Sendable {
    /// The type without the `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` flags.
    var type: UInt16
    var payload: [UInt8]

    /// The flags the kernel may set in an attribute's type (`NLA_TYPE_MASK`'s complement).
    static let typeFlags: UInt16 = 0xC000
    static let headerLength = 4

    init(type: UInt16, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    init(type: UInt16, nested attributes: [NetlinkAttribute]) {
        self.init(type: type, payload: attributes.flatMap(\.encoded))
    }

    init(type: UInt16, string: String) {
        self.init(type: type, payload: Array(string.utf8) + [0])
    }

    init<Integer: FixedWidthInteger>(type: UInt16, integer: Integer) {
        self.init(type: type, payload: NetlinkBytes.of(integer))
    }

    /// Length, type, payload and padding, in host byte order as netlink wants.
    var encoded: [UInt8] {
        let length = UInt16(Self.headerLength + payload.count)
        var bytes = NetlinkBytes.of(length) + NetlinkBytes.of(type) + payload
        bytes += [UInt8](repeating: 0, count: NetlinkBytes.padding(bytes.count))
        return bytes
    }

    /// The attributes in `bytes`, in order. A length that runs past the end is an error, not a
    /// shorter read.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(NetlinkDecodingError) -> [NetlinkAttribute] {
        var attributes = [NetlinkAttribute]()
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= headerLength {
            let length = Int(NetlinkBytes.read(UInt16.self, bytes, at: offset))
            let type = NetlinkBytes.read(UInt16.self, bytes, at: offset + 2) & ~typeFlags
            guard length >= headerLength, length <= bytes.endIndex - offset else {
                throw NetlinkDecodingError("attribute \(type) claims \(length) bytes, \(bytes.endIndex - offset) remain")
            }
            attributes.append(NetlinkAttribute(type: type, payload: Array(bytes[offset + headerLength ..< offset + length])))
            offset += min(length + NetlinkBytes.padding(length), bytes.endIndex - offset)
        }
        return attributes
    }

    /// This attribute's payload read as nested attributes.
    func nested() throws(NetlinkDecodingError) -> [NetlinkAttribute] {
        try Self.decode(payload[...])
    }

    /// The payload as a NUL-terminated string.
    var string: String {
        String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The payload as an integer, or nil when it is too short.
    func integer<Integer: FixedWidthInteger>(_: Integer.Type) -> Integer? {
        payload.count >= MemoryLayout<Integer>.size ? NetlinkBytes.read(Integer.self, payload[...], at: 0) : nil
    }
}

extension [NetlinkAttribute] {
    /// The first attribute of `type`.
    subscript(type type: UInt16) -> NetlinkAttribute? {
        first { $0.type == type }
    }
}

/// Host-byte-order integers, as netlink encodes them.
enum NetlinkBytes {
    static func of<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// Reads an integer at `offset`; the caller has checked that it fits.
    static func read<Integer: FixedWidthInteger>(_: Integer.Type, _ bytes: ArraySlice<UInt8>, at offset: Int) -> Integer {
        var value = Integer.zero
        withUnsafeMutableBytes(of: &value) { destination in
            for index in 0 ..< destination.count { destination[index] = bytes[offset + index] }
        }
        return value
    }

    /// The zero bytes that pad `length` to netlink's 4-byte alignment (`NLA_ALIGN`, `NLMSG_ALIGN`).
    static func padding(_ length: Int) -> Int { (4 - length % 4) % 4 }
}

/// A reply from the kernel that does not parse: what was wrong with it.
struct NetlinkDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
