/// Two test namespaces joined by a veth pair: `veth0` (`SUBNET.1`, 02:00:00:00:00:01) in `local`,
/// `veth1` (`SUBNET.2`, 02:00:00:00:00:02) in `peer`, with IPv6 off and a permanent neighbour,
/// so that only the datagrams a test sends cross the link.
package struct TestVethPair {
    /// The namespace of `veth0`, where the tests attach.
    package let local: TestNamespace
    /// The namespace of `veth1`.
    package let peer: TestNamespace
    /// The first three bytes of both addresses (a /24).
    package let subnet: [UInt8]

    /// `veth0`'s Ethernet address.
    package static let localMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
    /// `veth1`'s Ethernet address.
    package static let peerMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]

    /// Makes both namespaces and the link; `subnet` keeps tests of different targets apart.
    package init(subnet: [UInt8] = [10, 99, 0], prefix: String = "cbpf-test") throws {
        self.subnet = subnet
        local = try TestNamespace(prefix: prefix)
        do {
            peer = try TestNamespace(prefix: prefix)
        } catch {
            local.delete()
            throw error
        }
        do {
            try local.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            try local.run("ip", "link", "add", "veth0", "address", "02:00:00:00:00:01", "type", "veth",
                          "peer", "name", "veth1", "address", "02:00:00:00:00:02", "netns", peer.name)
            try local.run("ip", "addr", "add", address(1) + "/24", "dev", "veth0")
            try peer.run("ip", "addr", "add", address(2) + "/24", "dev", "veth1")
            try local.run("ip", "link", "set", "veth0", "up")
            try peer.run("ip", "link", "set", "veth1", "up")
            try local.run("ip", "neigh", "add", address(2), "lladdr", "02:00:00:00:00:02", "dev", "veth0", "nud", "permanent")
        } catch {
            delete()
            throw error
        }
    }

    /// Deletes both namespaces, and the link with them.
    package func delete() {
        local.delete()
        peer.delete()
    }

    /// `SUBNET.host` in dotted form.
    package func address(_ host: UInt8) -> String {
        (subnet + [host]).map(String.init).joined(separator: ".")
    }

    /// Sends UDP datagrams from `SUBNET.1` to `SUBNET.2` (destination port and payload), one
    /// process for all of them.
    package func send(_ datagrams: [(port: UInt16, payload: String)]) throws {
        let sends = datagrams.map { "printf '\($0.payload)' > /dev/udp/\(address(2))/\($0.port)" }
        try local.run("bash", "-c", sends.joined(separator: "; "))
    }

    /// The Ethernet frame the kernel sends for a datagram, but for fields no expression reads.
    package func frame(port: UInt16, payload: String) -> [UInt8] {
        Self.peerMAC + Self.localMAC + [0x08, 0x00]
            + TestPackets.udp(Array(payload.utf8), from: subnet + [1], to: subnet + [2], sourcePort: 0x9c40, port: port)
    }
}
