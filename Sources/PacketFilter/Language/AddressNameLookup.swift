import CLinuxShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The names libpcap looks up in the system's databases when it compiles: Ethernet hosts for
/// `ether host NAME` (`ether_hostton`, that is `/etc/ethers` as `/etc/nsswitch.conf` says) and
/// networks for `net NAME` (`getnetbyname_r`, `/etc/networks`). ``system`` asks the C library
/// as libpcap does; tests and callers can give their own tables instead.
public struct AddressNameLookup: Sendable {
    /// The 6 bytes of the Ethernet address named, or nil.
    public var ethernetAddress: @Sendable (String) -> [UInt8]?
    /// The network number named, as `getnetbyname` gives it (`n_net`: right-aligned, so 127 for
    /// `127` and 0x7f000000 for `127.0.0.0`), or nil. libpcap takes 0 for "not found" too.
    public var network: @Sendable (String) -> UInt32?

    /// Lookups through these two functions.
    public init(
        ethernetAddress: @escaping @Sendable (String) -> [UInt8]?, network: @escaping @Sendable (String) -> UInt32?
    ) {
        self.ethernetAddress = ethernetAddress
        self.network = network
    }

    /// Fixed tables, for tests and for callers that keep their own names.
    public static func tables(ethers: [String: [UInt8]] = [:], networks: [String: UInt32] = [:]) -> AddressNameLookup {
        AddressNameLookup(ethernetAddress: { ethers[$0] }, network: { networks[$0] })
    }

    /// The C library's databases, as libpcap 1.10 reads them on Linux.
    public static let system = AddressNameLookup(ethernetAddress: systemEthernetAddress, network: systemNetwork)

    @Sendable private static func systemEthernetAddress(_ name: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 6)
        return cbpf_ether_hostton(name, &bytes) == 0 ? bytes : nil
    }

    @Sendable private static func systemNetwork(_ name: String) -> UInt32? {
        var entry = netent()
        var result: UnsafeMutablePointer<netent>?
        var hostError: Int32 = 0
        // libpcap's buffer size; a longer entry is "not found" to both.
        var buffer = [CChar](repeating: 0, count: 1024)
        guard getnetbyname_r(name, &entry, &buffer, buffer.count, &result, &hostError) == 0, let found = result else {
            return nil
        }
        return found.pointee.n_net
    }
}
