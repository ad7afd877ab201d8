/// The names libpcap's grammar gives 802.11 frame types, subtypes and directions (`type mgt`,
/// `subtype beacon`, `dir tods`), matched without regard to case. The first name of a value is
/// the one the canonical text uses.
enum IEEE80211Names {
    /// The frame type bits of the frame control's first byte.
    static let typeMask: UInt32 = 0x0c
    /// The subtype bits of the frame control's first byte.
    static let subtypeMask: UInt32 = 0xf0
    /// The To DS and From DS bits of the frame control's second byte.
    static let directionMask: UInt32 = 0x03

    static let management: UInt32 = 0x00
    static let control: UInt32 = 0x04
    static let data: UInt32 = 0x08

    static let types: [(name: String, value: UInt32)] = [
        ("data", data), ("mgt", management), ("management", management), ("ctl", control), ("control", control),
    ]

    /// Each type's subtypes, in the order libpcap searches them for a bare `subtype NAME`.
    static let subtypes: [(type: UInt32, names: [(name: String, value: UInt32)])] = [
        (management, [
            ("assoc-req", 0x00), ("assocreq", 0x00), ("assoc-resp", 0x10), ("assocresp", 0x10),
            ("reassoc-req", 0x20), ("reassocreq", 0x20), ("reassoc-resp", 0x30), ("reassocresp", 0x30),
            ("probe-req", 0x40), ("probereq", 0x40), ("probe-resp", 0x50), ("proberesp", 0x50),
            ("beacon", 0x80), ("atim", 0x90), ("disassoc", 0xa0), ("disassociation", 0xa0),
            ("auth", 0xb0), ("authentication", 0xb0), ("deauth", 0xc0), ("deauthentication", 0xc0),
        ]),
        (control, [
            ("ps-poll", 0xa0), ("rts", 0xb0), ("cts", 0xc0), ("ack", 0xd0), ("cf-end", 0xe0), ("cf-end-ack", 0xf0),
        ]),
        (data, [
            ("data", 0x00), ("data-cf-ack", 0x10), ("data-cf-poll", 0x20), ("data-cf-ack-poll", 0x30),
            ("null", 0x40), ("cf-ack", 0x50), ("cf-poll", 0x60), ("cf-ack-poll", 0x70),
            ("qos-data", 0x80), ("qos-data-cf-ack", 0x90), ("qos-data-cf-poll", 0xa0), ("qos-data-cf-ack-poll", 0xb0),
            ("qos", 0xc0), ("qos-cf-poll", 0xe0), ("qos-cf-ack-poll", 0xf0),
        ]),
    ]

    static let directions: [(name: String, value: UInt32)] = [("nods", 0), ("tods", 1), ("fromds", 2), ("dstods", 3)]

    static func type(named name: String) -> UInt32? {
        types.first { $0.name == name.lowercased() }?.value
    }

    /// The subtype `name` of frames of `type`; nil if `type` has no named subtypes or none is `name`.
    static func subtype(named name: String, ofType type: UInt32) -> UInt32? {
        subtypes.first { $0.type == type }?.names.first { $0.name == name.lowercased() }?.value
    }

    /// A bare `subtype NAME`: the first type with a subtype of that name, and the subtype.
    static func typeAndSubtype(named name: String) -> (type: UInt32, subtype: UInt32)? {
        for (type, names) in subtypes {
            if let entry = names.first(where: { $0.name == name.lowercased() }) { return (type, entry.value) }
        }
        return nil
    }

    static func direction(named name: String) -> UInt32? {
        directions.first { $0.name == name.lowercased() }?.value
    }

    /// The canonical spelling of a type: its first name, or the number.
    static func typeText(_ type: UInt32) -> String {
        types.first { $0.value == type }?.name ?? String(type)
    }

    static func subtypeText(_ subtype: UInt32, ofType type: UInt32) -> String {
        subtypes.first { $0.type == type }?.names.first { $0.value == subtype }?.name ?? String(subtype)
    }

    static func directionText(_ direction: UInt32) -> String {
        directions.first { $0.value == direction }?.name ?? String(direction)
    }
}
