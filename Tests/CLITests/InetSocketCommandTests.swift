import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `cbpf compile --inet-socket`: the bytecode it prints, attached to a UDP socket as a user would
/// (`setsockopt(SO_ATTACH_FILTER)`), lets the kernel deliver exactly the datagrams it names.
@Suite("cbpf compile --inet-socket")
struct InetSocketCommandTests {
    /// Datagrams from ::1 or 127.0.0.1 to a UDP socket bound to the loopback address of that
    /// family; the first payload byte is what the expression tests. Without `--inet-socket`
    /// (Ethernet code) the same expression drops everything.
    @Test(arguments: [("127.0.0.1", AF_INET), ("::1", AF_INET6)] as [(String, Int32)])
    func bytecodeFiltersAUDPSocket(host: String, family: Int32) throws {
        let expression = "udp[8] == 1 and (src host 127.0.0.1 or src host ::1)"
        let forSocket = try #require(SockFilter.parse(try CLI.succeed(["compile", "--inet-socket", expression]).trimmedOutput))
        let forEthernet = try #require(SockFilter.parse(try CLI.succeed(["compile", expression]).trimmedOutput))
        #expect(try UDPLoopback.delivered(forSocket, host: host, family: family, payloads: [[1, 9], [2, 9], [1, 8]]) == [[1, 9], [1, 8]])
        #expect(try UDPLoopback.delivered(forEthernet, host: host, family: family, payloads: [[1, 9], [2, 9], [1, 8]]) == [])
    }

    @Test(arguments: [
        (["compile", "--inet-socket", "ether host 1:2:3:4:5:6"], ["ether host", "link-layer header", "transport header"]),
        (["compile", "--inet-socket", "arp"], ["'arp'", "only IPv4 and IPv6"]),
        (["compile", "--inet-socket", "len > 100"], ["'len'", "ip[2:2]"]),
        (["compile", "--inet-socket", "vlan and udp"], ["'vlan'", "link-layer"]),
        (["compile", "--inet-socket", "--target", "xt_bpf", "udp"], ["--inet-socket", "xt_bpf"]),
        (["compile", "--inet-socket", "--linktype", "RAW", "udp"], ["--inet-socket", "--linktype"]),
    ])
    func refusalsNameThePrimitive(_ arguments: [String], _ mentions: [String]) throws {
        try CLI.fail(arguments, mentioning: mentions)
    }
}

/// A UDP socket bound to a loopback address with a filter, and a sender.
enum UDPLoopback {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The payloads that arrive, in order, when each is sent to a socket with `program` attached.
    static func delivered(_ program: [SockFilter], host: String, family: Int32, payloads: [[UInt8]]) throws -> [[UInt8]] {
        let receiver = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        let sender = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(receiver)
            close(sender)
        }
        guard receiver >= 0, sender >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var storage = sockaddr_storage()
        var length: socklen_t
        if family == AF_INET6 {
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                address.pointee.sin6_family = sa_family_t(AF_INET6)
                _ = inet_pton(AF_INET6, host, &address.pointee.sin6_addr)
            }
        } else {
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                address.pointee.sin_family = sa_family_t(AF_INET)
                _ = inet_pton(AF_INET, host, &address.pointee.sin_addr)
            }
        }
        // Port 0: the kernel picks a free one, which getsockname then reports.
        let bound = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(receiver, address, length) == 0 && getsockname(receiver, address, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind(\(host)): errno \(errno)") }
        let attached = KernelSocket.attach(program, to: receiver)
        guard attached == 0 else { throw Failure(description: "setsockopt(SO_ATTACH_FILTER): errno \(attached)") }
        for payload in payloads {
            let sent = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(sender, payload, payload.count, 0, $0, length) }
            }
            guard sent == payload.count else { throw Failure(description: "sendto: errno \(errno)") }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = [[UInt8]]()
        var buffer = [UInt8](repeating: 0, count: 2048)
        while received.count <= payloads.count {
            let count = recv(receiver, &buffer, buffer.count, 0)
            guard count >= 0 else { break }
            received.append(Array(buffer.prefix(count)))
        }
        return received
    }
}
