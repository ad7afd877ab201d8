import CLinuxShims

/// One netlink message (`struct nlmsghdr` and its payload).
struct NetlinkMessage: Hashable, Sendable {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    /// The sender's port: 0 for the kernel.
    var port: UInt32
    var payload: [UInt8]

    static let headerLength = 16

    init(type: UInt16, flags: UInt16, sequence: UInt32 = 0, port: UInt32 = 0, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.port = port
        self.payload = payload
    }

    var encoded: [UInt8] {
        var bytes = NetlinkBytes.of(UInt32(Self.headerLength + payload.count)) + NetlinkBytes.of(type)
            + NetlinkBytes.of(flags) + NetlinkBytes.of(sequence) + NetlinkBytes.of(port) + payload
        bytes += [UInt8](repeating: 0, count: NetlinkBytes.padding(bytes.count))
        return bytes
    }

    /// The messages of one datagram.
    static func decode(_ datagram: [UInt8]) throws(NetlinkDecodingError) -> [NetlinkMessage] {
        var messages = [NetlinkMessage]()
        var offset = 0
        while datagram.count - offset >= headerLength {
            let bytes = datagram[...]
            let length = Int(NetlinkBytes.read(UInt32.self, bytes, at: offset))
            guard length >= headerLength, length <= datagram.count - offset else {
                throw NetlinkDecodingError("a message claims \(length) bytes, \(datagram.count - offset) remain")
            }
            messages.append(NetlinkMessage(
                type: NetlinkBytes.read(UInt16.self, bytes, at: offset + 4),
                flags: NetlinkBytes.read(UInt16.self, bytes, at: offset + 6),
                sequence: NetlinkBytes.read(UInt32.self, bytes, at: offset + 8),
                port: NetlinkBytes.read(UInt32.self, bytes, at: offset + 12),
                payload: Array(datagram[offset + headerLength ..< offset + length])))
            offset += min(length + NetlinkBytes.padding(length), datagram.count - offset)
        }
        return messages
    }
}

/// What an `NLMSG_ERROR` message says: an errno (0 for a plain acknowledgement) and, with
/// extended acks, the kernel's explanation.
struct NetlinkAcknowledgement: Hashable, Sendable {
    /// The kernel's negative errno, or 0.
    var error: Int32
    /// `NLMSGERR_ATTR_MSG`: what the kernel refused, in its own words.
    var message: String?
    /// `NLMSGERR_ATTR_OFFS`: where in the request the offending attribute starts.
    var offset: UInt32?

    /// Reads `struct nlmsgerr` (the errno and the request's header, or the whole request unless
    /// `NLM_F_CAPPED`) and the extended-ack attributes after it (`NLM_F_ACK_TLVS`).
    /// An `NLMSG_DONE` message is read the same way, but holds only the errno (0 when the dump
    /// succeeded) before its attributes.
    init(_ message: NetlinkMessage) throws(NetlinkDecodingError) {
        let payload = message.payload[...]
        if message.type == UInt16(NLMSG_DONE) {
            error = payload.count >= 4 ? NetlinkBytes.read(Int32.self, payload, at: 0) : 0
            guard error != 0, message.flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return }
            readAttributes(try NetlinkAttribute.decode(payload.dropFirst(4)))
            return
        }
        guard payload.count >= 4 + NetlinkMessage.headerLength else {
            throw NetlinkDecodingError("an error message of \(payload.count) bytes is too short for struct nlmsgerr")
        }
        error = NetlinkBytes.read(Int32.self, payload, at: 0)
        guard message.flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return }
        var attributesStart = 4 + NetlinkMessage.headerLength
        if message.flags & UInt16(NLM_F_CAPPED) == 0 {
            attributesStart = 4 + Int(NetlinkBytes.read(UInt32.self, payload, at: 4))
        }
        guard attributesStart <= payload.count else {
            throw NetlinkDecodingError("an error message's attributes start past its end")
        }
        readAttributes(try NetlinkAttribute.decode(payload[attributesStart...]))
    }

    private mutating func readAttributes(_ attributes: [NetlinkAttribute]) {
        message = attributes[type: UInt16(NLMSGERR_ATTR_MSG.rawValue)]?.string
        offset = attributes[type: UInt16(NLMSGERR_ATTR_OFFS.rawValue)]?.integer(UInt32.self)
    }
}
