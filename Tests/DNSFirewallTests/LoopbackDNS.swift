import Attach
import Foundation
import SystemCalls
import TestSupport

/// A DNS server's socket on port 53 of the loopback address and a client's socket, both UDP, in
/// one family: the client sends a query, the server answers whatever reaches it (the query with
/// its QR bit set), and the client waits for the answer. A query the firewall drops never
/// reaches the server.
final class LoopbackDNS {
    let ipv6: Bool
    private let serverSocket: OwnedFileDescriptor
    private let clientSocket: OwnedFileDescriptor
    private var server: Int32 { serverSocket.descriptor.rawValue }
    private var client: Int32 { clientSocket.descriptor.rawValue }

    /// Opens both sockets, closed with this value; call it inside the namespace.
    init(ipv6: Bool) throws {
        self.ipv6 = ipv6
        let family = ipv6 ? AF_INET6 : AF_INET
        serverSocket = try OwnedFileDescriptor.socket(family, Int32(SOCK_DGRAM.rawValue))
        clientSocket = try OwnedFileDescriptor.socket(family, Int32(SOCK_DGRAM.rawValue))
        let (server, client) = (serverSocket.descriptor.rawValue, clientSocket.descriptor.rawValue)
        guard Self.withAddress(ipv6: ipv6, { bind(server, $0, $1) }) == 0 else { throw Self.failure("bind port 53") }
        guard Self.withAddress(ipv6: ipv6, { connect(client, $0, $1) }) == 0 else { throw Self.failure("connect") }
    }

    /// Sends `message` and says whether an answer came back within the timeout.
    func exchange(_ message: [UInt8], timeout: Int32 = 400) throws -> Bool {
        guard send(client, message, message.count, 0) == message.count else { throw Self.failure("send") }
        var buffer = [UInt8](repeating: 0, count: 2048)
        var from = sockaddr_storage()
        var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        guard Self.readable(server, timeout: timeout) else { return false }
        let received = withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(server, &buffer, buffer.count, 0, $0, &fromLength) }
        }
        guard received > 2 else { throw Self.failure("recvfrom") }
        var answer = Array(buffer[..<received])
        answer[2] |= 0x80
        let sent = withUnsafePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(server, answer, answer.count, 0, $0, fromLength) }
        }
        guard sent == answer.count else { throw Self.failure("sendto") }
        guard Self.readable(client, timeout: timeout) else { return false }
        return recv(client, &buffer, buffer.count, 0) == answer.count
    }

    private static func readable(_ descriptor: Int32, timeout: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, timeout) == 1
    }

    /// 127.0.0.1 or ::1, port 53.
    private static func withAddress(ipv6: Bool, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(53).bigEndian
            address.sin6_addr.__in6_u.__u6_addr8.15 = 1
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(53).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    private static func failure(_ call: String) -> Error {
        SystemCallError(call, Errno(rawValue: errno))
    }
}

/// A DNS message that `TestPackets.dnsQuery` does not make.
enum DNSMessage {
    /// A query for `first` followed by a compression pointer to `example.com`, which the message
    /// holds after the question (as an additional record's name would): a decoder reads
    /// `first.example.com`.
    static func compressedQuery(_ first: String) -> [UInt8] {
        var message: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        message += [UInt8(first.utf8.count)] + Array(first.utf8)
        let target = message.count + 2 + 4
        message += [0xc0, UInt8(target), 0, 1, 0, 1]
        return message + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]
    }
}
