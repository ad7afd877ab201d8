import CBPF

extension FilterProtocol {
    /// How libpcap names the protocols whose hosts, or whose `proto N`, it does not filter.
    var libpcapName: String? {
        switch self {
        case .atalk: "AppleTalk"
        case .aarp: "AARP"
        case .decnet: "DECNET"
        case .sca: "SCA"
        case .lat: "LAT"
        case .mopdl: "MOPDL"
        case .moprc: "MOPRC"
        case .iso: "ISO"
        case .ipx: "IPX"
        default: nil
        }
    }
}

extension FilterLLCFrame {
    /// libpcap's control-byte test for each format and command, as a value under a mask:
    /// the format bits (mask 0x03), the supervisory command bits (0x0f), or the unnumbered
    /// command bits without the poll/final bit (0xef); information frames have bit 0 clear.
    var controlValueAndMask: (value: UInt32, mask: UInt32) {
        switch self {
        case .i: (0x00, 0x01)
        case .s: (0x01, 0x03)
        case .u: (0x03, 0x03)
        case .rr: (0x01, 0x0f)
        case .rnr: (0x05, 0x0f)
        case .rej: (0x09, 0x0f)
        case .ui: (0x03, 0xef)
        case .ua: (0x63, 0xef)
        case .disc: (0x43, 0xef)
        case .dm: (0x0f, 0xef)
        case .sabme: (0x6f, 0xef)
        case .test: (0xe3, 0xef)
        case .xid: (0xaf, 0xef)
        case .frmr: (0x87, 0xef)
        }
    }
}

/// IP protocol numbers the code generator tests (IANA's, as in `/etc/protocols`).
enum IPProtocol {
    static let tcp: UInt32 = 6
    static let udp: UInt32 = 17
    static let sctp: UInt32 = 132
}
