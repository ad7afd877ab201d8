/// Expressions that the compile-time target (a median under 50 µs) is measured on: the text
/// examples that the issue quotes, and the text its DSL examples print as. The test suite and
/// the comparison benchmark both time them.
package enum PacketFilterExamples {
    package static let quoted = [
        "ip and udp and port 53", "tcp[13] & 2 != 0", "vlan 1", "udp[4:2] == 48+8", "udp and port 53",
        "tcp and dst port 80", "dns qname \"example.com\"", "dns qname \"*.example.com\"",
    ]

    /// Further everyday expressions, timed for comparison.
    package static let everyday = [
        "host 10.0.0.1 or 10.0.0.2", "src net 192.168.0.0/16 and not dst port 22", "tcp port 80 and (443 or 8080)",
        "ip6 and icmp6", "portrange 1024-2048", "ether broadcast or ether multicast",
    ]

    /// The median of `values`: the middle one, or the mean of the two middle ones.
    package static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
