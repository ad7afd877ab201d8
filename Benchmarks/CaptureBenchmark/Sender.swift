import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// Sends UDP frames out of one interface through an AF_PACKET socket, at a fixed rate or as fast
/// as the socket takes them, for a bounded time.
enum Sender {
    /// A 128-byte Ethernet/IPv4/UDP frame to port 9999, for a MAC address nobody has (so the
    /// receiving stack drops it as PACKET_OTHERHOST without answering); the payload's first
    /// word counts the frames.
    static func frame(size: Int) -> [UInt8] {
        let ipLength = size - 14
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]
        var ip: [UInt8] = [0x45, 0, UInt8(ipLength >> 8), UInt8(ipLength & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0,
                           10, 204, 0, 1, 10, 204, 0, 2]
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xFF)
        let udpLength = ipLength - 20
        let udp: [UInt8] = [0x9C, 0x40, 0x27, 0x0F, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        frame += ip + udp
        frame += [UInt8](repeating: 0x55, count: size - frame.count)
        return frame
    }

    /// Sends for `seconds` at `rate` frames per second (0: as fast as possible); returns how
    /// many were sent and over how long.
    static func send(interface: String, rate: Int, seconds: Double, frameSize: Int) throws -> (sent: Int, elapsed: Double) {
        let index = if_nametoindex(interface)
        guard index != 0 else { throw BenchmarkError("no interface \(interface)") }
        let raw = cbpf_packet_socket()
        guard raw >= 0 else { throw BenchmarkError("socket(AF_PACKET): errno \(errno)") }
        let socket = OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
        let descriptor = socket.descriptor.rawValue
        guard cbpf_bind_packet_socket(descriptor, Int32(index)) == 0 else {
            throw BenchmarkError("bind(AF_PACKET): errno \(errno)")
        }
        // A receive filter that takes nothing: this socket only sends.
        var none = [sock_filter(code: 6, jt: 0, jf: 0, k: 0)]
        _ = cbpf_attach_socket_filter(descriptor, &none, 1)
        var frame = frame(size: frameSize)
        let start = now()
        var sent = 0
        while true {
            let elapsed = now() - start
            if elapsed >= seconds { break }
            let due = rate == 0 ? sent + 64 : Int(elapsed * Double(rate))
            if sent >= due {
                usleep(50)
                continue
            }
            // At most 256 frames between two looks at the clock, so that a sender that fell
            // behind does not run past the end catching up.
            let batchEnd = min(due, sent + 256)
            while sent < batchEnd {
                frame.withUnsafeMutableBytes { bytes in
                    bytes.storeBytes(of: UInt32(truncatingIfNeeded: sent).bigEndian, toByteOffset: 42, as: UInt32.self)
                }
                do {
                    _ = try valueOrErrno { frame.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) } }
                } catch .noBufferSpace, .resourceTemporarilyUnavailable {
                    continue  // the device queue is full: send the frame again
                } catch {
                    throw BenchmarkError("send: errno \(error.rawValue)")
                }
                sent += 1
            }
        }
        return (sent, now() - start)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
