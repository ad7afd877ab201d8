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
}
