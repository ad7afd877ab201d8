import CLinuxShims
import Glibc
import SystemCalls
import SystemPackage

/// A `NETLINK_ROUTE` socket that sends one request at a time and reads the kernel's answer:
/// an acknowledgement or a dump. Extended acks are on, so refusals carry the kernel's words.
///
/// Every read is bounded: a datagram by ``maximumDatagramLength``, a dump by
/// ``maximumDumpMessages``, a wait by ``replyTimeout``.
struct RouteNetlinkSocket: ~Copyable, Sendable {
    private let socket: OwnedFileDescriptor
    var descriptor: FileDescriptor { socket.descriptor }

    static let maximumDatagramLength = 1 << 20
    static let maximumDumpMessages = 1 << 16
    static let replyTimeout: Duration = .seconds(10)

    /// Opens a socket in this thread's network namespace, or in the one the file at
    /// `namespacePath` names (such as `/run/netns/NAME`): a socket stays in the namespace it
    /// was made in, so the thread enters that namespace only while it makes the socket.
    init(namespacePath: FilePath? = nil) throws(TrafficControlError) {
        do {
            socket = try Self.open(namespacePath: namespacePath)
        } catch {
            throw .systemCall(error)
        }
    }

    private static func open(namespacePath: FilePath?) throws(SystemCallError) -> OwnedFileDescriptor {
        guard let namespacePath else { return try open() }
        // The one way in and back out: a thread that cannot return throws, as everywhere.
        do {
            return try NetworkNamespace.run(at: namespacePath.string) { () throws(SystemCallError) in try open() }
        } catch {
            switch error {
            case .systemCall(let error): throw error
            case .body(let error): throw error
            }
        }
    }

    private static func open() throws(SystemCallError) -> OwnedFileDescriptor {
        let raw = try systemCall("socket(AF_NETLINK, NETLINK_ROUTE)") { cbpf_route_netlink_socket() }
        let socket = OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
        let microseconds = Int(replyTimeout.components.seconds) * 1_000_000
        _ = try systemCall("setsockopt(SO_RCVTIMEO)") { cbpf_set_receive_timeout(raw, microseconds) }
        return socket
    }

    /// Sends `message` with `NLM_F_ACK` and waits for the kernel's acknowledgement; a refusal
    /// throws with the kernel's errno and explanation. `request` names it in errors.
    func acknowledge(_ message: NetlinkMessage, request: String) throws(TrafficControlError) {
        _ = try self.request(message, request: request)
    }

    /// Sends `message` with `NLM_F_ACK` and returns what the kernel answered before its
    /// acknowledgement (for a `GET` of one object, that object).
    func request(_ message: NetlinkMessage, request: String) throws(TrafficControlError) -> [NetlinkMessage] {
        var message = message
        message.flags |= UInt16(NLM_F_REQUEST | NLM_F_ACK)
        let sequence = try send(message, request: request)
        var answers = [NetlinkMessage]()
        while true {
            for reply in try receive(request: request) where reply.sequence == sequence {
                if reply.type == UInt16(NLMSG_ERROR) {
                    try Self.check(reply, request: request)
                    return answers
                }
                guard answers.count < Self.maximumDumpMessages else {
                    throw .malformedReply(request: request, reason: "more than \(Self.maximumDumpMessages) answers")
                }
                answers.append(reply)
            }
        }
    }

    /// Sends `message` with `NLM_F_DUMP` and returns the kernel's messages up to `NLMSG_DONE`.
    func dump(_ message: NetlinkMessage, request: String) throws(TrafficControlError) -> [NetlinkMessage] {
        var message = message
        message.flags |= UInt16(NLM_F_REQUEST) | UInt16(NLM_F_DUMP)
        let sequence = try send(message, request: request)
        var messages = [NetlinkMessage]()
        while true {
            for reply in try receive(request: request) where reply.sequence == sequence {
                if reply.flags & UInt16(NLM_F_DUMP_INTR) != 0 {
                    throw .malformedReply(request: request, reason: "the kernel's tables changed during the dump; try again")
                }
                switch Int32(reply.type) {
                case NLMSG_DONE:
                    // The payload is an errno when the dump failed part way.
                    try Self.check(reply, request: request)
                    return messages
                case NLMSG_ERROR:
                    try Self.check(reply, request: request)
                case NLMSG_NOOP:
                    continue
                default:
                    guard messages.count < Self.maximumDumpMessages else {
                        throw .malformedReply(request: request, reason: "more than \(Self.maximumDumpMessages) entries")
                    }
                    messages.append(reply)
                }
            }
        }
    }

    /// Throws the refusal an `NLMSG_ERROR` message carries, if any.
    private static func check(_ reply: NetlinkMessage, request: String) throws(TrafficControlError) {
        let acknowledgement: NetlinkAcknowledgement
        do {
            acknowledgement = try NetlinkAcknowledgement(reply)
        } catch {
            throw .malformedReply(request: request, reason: error.description)
        }
        guard acknowledgement.error != 0 else { return }
        throw .refused(request: request, errno: Errno(rawValue: -acknowledgement.error),
                       kernelMessage: acknowledgement.message)
    }

    /// Sends a request under a fresh sequence number, which it returns.
    private func send(_ message: NetlinkMessage, request: String) throws(TrafficControlError) -> UInt32 {
        var message = message
        message.sequence = UInt32.random(in: 1 ... UInt32.max)
        let bytes = message.encoded
        let call = "sendto(NETLINK_ROUTE, \(request))"
        let sent: Int
        do {
            sent = try systemCall(call) { bytes.withUnsafeBytes { cbpf_netlink_send(descriptor.rawValue, $0.baseAddress, UInt($0.count)) } }
        } catch {
            throw .systemCall(error)
        }
        // A netlink datagram goes whole or not at all.
        guard sent == bytes.count else { throw .systemCall(SystemCallError(call, .messageTooLong)) }
        return message.sequence
    }

    /// The messages of the next datagram from the kernel, sized first with a peek.
    private func receive(request: String) throws(TrafficControlError) -> [NetlinkMessage] {
        while true {
            var port: UInt32 = 0
            var probe: UInt8 = 0
            let length = try receive(request: request) { cbpf_netlink_receive(descriptor.rawValue, &probe, 1, 1, &port) }
            guard length <= Self.maximumDatagramLength else {
                throw .malformedReply(request: request, reason: "a datagram of \(length) bytes")
            }
            var buffer = [UInt8](repeating: 0, count: max(length, 1))
            let received = try receive(request: request) {
                buffer.withUnsafeMutableBytes { cbpf_netlink_receive(descriptor.rawValue, $0.baseAddress, UInt($0.count), 0, &port) }
            }
            // Only the kernel (port 0) answers requests; anything else is not ours to read.
            guard port == 0 else { continue }
            do {
                return try NetlinkMessage.decode(Array(buffer.prefix(received)))
            } catch {
                throw .malformedReply(request: request, reason: error.description)
            }
        }
    }

    /// Makes one `recvfrom` call; the socket's timeout running out is ``TrafficControlError/noReply(request:)``.
    private func receive(request: String, _ call: () -> Int) throws(TrafficControlError) -> Int {
        do {
            return try valueOrErrno(call)
        } catch .resourceTemporarilyUnavailable, .wouldBlock {
            throw .noReply(request: request)
        } catch {
            throw .systemCall(SystemCallError("recvfrom(NETLINK_ROUTE, \(request))", error))
        }
    }
}
