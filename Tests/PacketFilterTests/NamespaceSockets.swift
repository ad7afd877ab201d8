import Attach
import Foundation
import Glibc
import SystemCalls

/// An IPv4 or IPv6 socket address.
struct SocketAddress: CustomStringConvertible {
    var host: String
    var port: UInt16

    var family: Int32 { host.contains(":") ? AF_INET6 : AF_INET }

    var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Calls `body` with the C address.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            precondition(inet_pton(AF_INET6, host, &address.sin6_addr) == 1, "bad address \(host)")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        precondition(inet_pton(AF_INET, host, &address.sin_addr) == 1, "bad address \(host)")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

/// A socket for the tests, closed with its owner when it goes away.
final class TestSocket {
    private let socket: OwnedFileDescriptor
    var descriptor: FileDescriptor { socket.descriptor }

    init(family: Int32, type: Int32, protocol: Int32 = 0) throws {
        socket = try OwnedFileDescriptor.socket(family, type, `protocol`)
    }

    static func udp(_ family: Int32) throws -> TestSocket {
        try TestSocket(family: family, type: Int32(SOCK_DGRAM.rawValue))
    }

    func bind(_ address: SocketAddress) throws {
        let result = address.withSockaddr { Glibc.bind(descriptor.rawValue, $0, $1) }
        guard result == 0 else { throw SystemCallError("bind(\(address))", Errno(rawValue: errno)) }
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) throws {
        let sent = address.withSockaddr { sendto(descriptor.rawValue, bytes, bytes.count, 0, $0, $1) }
        guard sent == bytes.count else { throw SystemCallError("sendto(\(address))", Errno(rawValue: errno)) }
    }

    /// The next datagram or frame, or nil when none comes within `milliseconds`.
    func receive(milliseconds: Int = 200) throws -> [UInt8]? {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: milliseconds % 1000 * 1000)
        guard setsockopt(descriptor.rawValue, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw SystemCallError("setsockopt(SO_RCVTIMEO)", Errno(rawValue: errno))
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(descriptor.rawValue, &buffer, buffer.count, 0)
        if received < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw SystemCallError("recv", Errno(rawValue: errno))
        }
        return Array(buffer.prefix(received))
    }

    /// Everything that arrives until nothing more comes for `milliseconds`, at most `limit`.
    func receiveAll(milliseconds: Int = 200, limit: Int = 1000) throws -> [[UInt8]] {
        var all = [[UInt8]]()
        while all.count < limit, let next = try receive(milliseconds: milliseconds) { all.append(next) }
        return all
    }

    /// An AF_PACKET socket that receives every frame of `interface`, in the calling thread's
    /// namespace.
    static func packetCapture(interface: String) throws -> TestSocket {
        let socket = try TestSocket(family: AF_PACKET, type: Int32(SOCK_RAW.rawValue))
        let index = if_nametoindex(interface)
        guard index != 0 else { throw SystemCallError("if_nametoindex(\(interface))", Errno(rawValue: errno)) }
        // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype,
        // halen; u8 addr[8]; }, bound to ETH_P_ALL (3): Glibc does not import it.
        var address = [UInt8](repeating: 0, count: 20)
        address.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
            $0.storeBytes(of: UInt16(3).bigEndian, toByteOffset: 2, as: UInt16.self)
            $0.storeBytes(of: Int32(index), toByteOffset: 4, as: Int32.self)
        }
        let bound = address.withUnsafeBytes {
            Glibc.bind(socket.descriptor.rawValue, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        guard bound == 0 else { throw SystemCallError("bind(AF_PACKET)", Errno(rawValue: errno)) }
        return socket
    }
}
