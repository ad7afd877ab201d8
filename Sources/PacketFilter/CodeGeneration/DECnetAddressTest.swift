/// The test that a DECnet routing header, at `payload`, holds an address as its source or its
/// destination: libpcap's `gen_dnhostop` for one direction, after the EtherType test.
///
/// The header follows a 2-byte length and may start with one pad byte (flag bit 0x80); its flags
/// say whether it is short (2) or long (6). DECnet writes addresses little-endian; libpcap passes
/// its constants through `ntohs`, which swaps them on the little-endian hosts its verdicts come
/// from, so the halfword loads compare swapped values, as here.
struct DECnetAddressTest {
    let address: UInt16
    let isSource: Bool
    /// Where the link layer's payload starts (libpcap's `OR_LINKPL`).
    let payload: PacketOffset

    /// The address's offset within a short header (after the flags; the source after the
    /// destination) and within a long one (after flags, destination area and subarea, HIORD...).
    private var shortOffset: UInt32 { isSource ? 3 : 1 }
    private var longOffset: UInt32 { isSource ? 15 : 7 }

    /// Tested in libpcap's order: unpadded short, padded short, unpadded long, padded long.
    var condition: Condition {
        .any([
            headerIs(short: true, padded: false),
            headerIs(short: true, padded: true),
            headerIs(short: false, padded: false),
            headerIs(short: false, padded: true),
        ])
    }

    private func headerIs(short: Bool, padded: Bool) -> Condition {
        let flags = payload + 2
        let flagsTest: Condition
        if padded {
            // The pad byte 0x81, then the flags: ntohs(0x0281 or 0x0681) under ntohs(0x07ff).
            flagsTest = .compare(.halfword, at: flags, short ? 0x8102 : 0x8106, mask: 0xff07)
        } else {
            flagsTest = .compare(.byte, at: flags, short ? 0x02 : 0x06, mask: 0x07)
        }
        let offset = (padded ? 1 : 0) + (short ? shortOffset : longOffset)
        return .and(flagsTest, .compare(.halfword, at: flags + offset, UInt32(address.byteSwapped)))
    }
}
