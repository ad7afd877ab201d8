#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Host names for `host NAME`, resolved when the expression compiles, as libpcap's
/// `pcap_nametoaddrinfo` does: `getaddrinfo` with any family and TCP stream hints, one address
/// per result, in the resolver's order (`/etc/hosts`, then DNS, as `/etc/nsswitch.conf` says).
enum HostNameResolver {
    enum Address: Hashable {
        case ipv4(UInt32)
        case ipv6(IPv6Address)
    }

    static func addresses(of name: String) -> [Address] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [Address] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let socketAddress = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    let address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    addresses.append(.ipv4(UInt32(bigEndian: address.s_addr)))
                case AF_INET6:
                    let bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    if let address = IPv6Address(bytes: bytes) { addresses.append(.ipv6(address)) }
                default:
                    break
                }
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
