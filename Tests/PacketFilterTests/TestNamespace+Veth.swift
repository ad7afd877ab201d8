import Foundation
import TestSupport

/// Two test namespaces joined by a veth pair: `veth0` (10.99.0.1, 02:00:00:00:00:01) in `local`,
/// `veth1` (10.99.0.2, 02:00:00:00:00:02) in `peer`, with IPv6 off and a permanent neighbour,
/// so that only the datagrams a test sends cross the link.
struct TestVethPair {
    let local: TestNamespace
    let peer: TestNamespace

    static let localMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
    static let peerMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]

    init() throws {
        local = try TestNamespace()
        do {
            peer = try TestNamespace()
        } catch {
            local.delete()
            throw error
        }
        do {
            try local.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            try local.run("ip", "link", "add", "veth0", "address", "02:00:00:00:00:01", "type", "veth",
                          "peer", "name", "veth1", "address", "02:00:00:00:00:02", "netns", peer.name)
            try local.run("ip", "addr", "add", "10.99.0.1/24", "dev", "veth0")
            try peer.run("ip", "addr", "add", "10.99.0.2/24", "dev", "veth1")
            try local.run("ip", "link", "set", "veth0", "up")
            try peer.run("ip", "link", "set", "veth1", "up")
            try local.run("ip", "neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev", "veth0", "nud", "permanent")
        } catch {
            delete()
            throw error
        }
    }

    func delete() {
        local.delete()
        peer.delete()
    }

    /// Sends UDP datagrams from 10.99.0.1 to 10.99.0.2 (destination port and payload), one
    /// process for all of them.
    func send(_ datagrams: [(port: UInt16, payload: String)]) throws {
        let sends = datagrams.map { "printf '\($0.payload)' > /dev/udp/10.99.0.2/\($0.port)" }
        try local.run("bash", "-c", sends.joined(separator: "; "))
    }

    /// The Ethernet frame the kernel sends for a datagram, but for fields no expression reads.
    static func frame(port: UInt16, payload: String) -> [UInt8] {
        peerMAC + localMAC + [0x08, 0x00]
            + TestPackets.udp(Array(payload.utf8), from: [10, 99, 0, 1], to: [10, 99, 0, 2], sourcePort: 0x9c40, port: port)
    }
}

extension TestNamespace {
    /// The file `ip netns add` made for the namespace, which `TrafficControl(networkNamespace:)` enters.
    var path: String { "/run/netns/\(name)" }
}
