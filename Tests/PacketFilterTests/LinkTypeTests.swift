import CPcap
import PacketFilter
import Testing

@Suite struct LinkTypeTests {
    @Test func namesRoundTrip() {
        for type in LinkType.known {
            #expect(LinkType(name: type.name!) == type)
        }
        #expect(LinkType(name: "dlt_en10mb") == .ethernet)
        #expect(LinkType(name: "IPX") == nil)
    }

    /// Our names are libpcap's (`pcap_datalink_name_to_val`), and our summaries its descriptions,
    /// which its error messages quote ("no VLAN support for Cisco HDLC").
    @Test func namesAndSummariesAreLibpcaps() throws {
        for type in LinkType.known {
            let name = try #require(type.name)
            let dlt = pcap_datalink_name_to_val(name)
            #expect(dlt >= 0, "libpcap does not know \(name)")
            #expect(pcap_datalink_val_to_description(dlt).map { String(cString: $0) } == type.summary, "\(name)")
        }
    }
}
