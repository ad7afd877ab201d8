import ArgumentParser
import CBPF
import Glibc
import Seccomp
import SystemCalls
import SystemPackage

/// The supervised side of the demo's user-notification part: it installs a filter that hands
/// `mkdir` to a supervisor, passes the listener to the demo over descriptor 3, and makes two
/// directories. A filter cannot read the path (it is in memory), a supervisor can.
struct NotifyClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-client",
        abstract: "(demo helper) mkdir under a USER_NOTIF filter supervised through descriptor 3.",
        shouldDisplay: false
    )

    @Argument(help: "The directory to make directories in.")
    var directory: String

    static let names = ["reports", "secrets"]

    func run() throws {
        let policy = SeccompPolicy(defaultAction: .allow) {
            Notify(.mkdir, "mkdirat")
        }
        let program = try SeccompCompiler().compileVerified(policy)
        // On this thread only; the process has no other thread that makes directories.
        // Descriptor 3 is the demo's socket, inherited: this process owns its copy.
        let supervisor = OwnedFileDescriptor(owning: FileDescriptor(rawValue: 3))
        guard let listener = try SeccompInstaller(flags: .newListener).install(program) else {
            throw LaunchError("no listener was returned")
        }
        try DescriptorPassing.send(listener.descriptor, over: supervisor.descriptor)
        try listener.close()
        try? supervisor.close()
        for name in Self.names {
            let path = directory + "/" + name
            let result = mkdir(path, 0o755)
            let code = errno
            let answer = result == 0 ? "0" : "-1 \(errnoName(code)) (\(errorMessage(code)))"
            print("mkdir(\"$TMP/\(name)\", 0755) = \(answer)")
        }
    }
}

/// The supervisor: receives each waiting call, reads its path from the caller's memory, and
/// answers. Returns what it did, one line per call.
enum MkdirSupervisor {
    /// Lets `reports` through (the kernel runs the call), refuses anything else with EACCES.
    static func supervise(_ listener: SeccompNotificationListener, directory: String) -> [String] {
        var lines = [String]()
        while true {
            var descriptor = pollfd(fd: listener.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
            let ready = (try? valueOrErrno { poll(&descriptor, 1, 5_000) }) ?? -1
            // POLLHUP: every filtered thread has exited (Linux 5.8); 0: nothing for 5 s.
            guard ready > 0, descriptor.revents & Int16(POLLIN) != 0 else { break }
            let call: SeccompNotification
            do {
                call = try listener.receive()
            } catch {
                if error == .noSuchFileOrDirectory { continue }  // the caller went away
                lines.append("receive: \(error)")
                break
            }
            let name = SeccompArchitecture.native.syscallName(forNumber: call.data.number) ?? "\(call.data.number)"
            let pointer = name == "mkdirat" ? call.data.arguments[1] : call.data.arguments[0]
            // Read, then check the call still waits, so a recycled pid cannot pass for the caller.
            let path = readString(pid: call.pid, address: pointer)
            guard let path, (try? listener.isValid(call.id)) == true else {
                try? listener.respond(to: call.id, with: .error(.permissionDenied))
                lines.append("\(name) from pid \(call.pid): could not read the path; refused")
                continue
            }
            let shown = path.hasPrefix(directory) ? "$TMP" + path.dropFirst(directory.count) : path
            let allowed = path == directory + "/reports"
            do {
                try listener.respond(to: call.id, with: allowed ? .continueCall : .error(.permissionDenied))
                lines.append(
                    "\(name)(\"\(shown)\") -> "
                        + (allowed ? "let through: the kernel runs it (SECCOMP_USER_NOTIF_FLAG_CONTINUE)"
                            : "answered EACCES: the call never runs"))
            } catch {
                lines.append("\(name)(\"\(shown)\") -> respond: \(error)")
            }
        }
        return lines
    }

    /// A NUL-terminated string at `address` in process `pid`, through `/proc/PID/mem`.
    static func readString(pid: pid_t, address: UInt64) -> String? {
        guard let memory = try? OwnedFileDescriptor.open("/proc/\(pid)/mem") else { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let count = (try? valueOrErrno {
            buffer.withUnsafeMutableBytes { pread(memory.descriptor.rawValue, $0.baseAddress, $0.count, off_t(Int64(bitPattern: address))) }
        }) ?? -1
        guard count > 0, let end = buffer[..<count].firstIndex(of: 0) else { return nil }
        return String(decoding: buffer[..<end], as: UTF8.self)
    }
}

/// Passing a descriptor over a Unix socket (`SCM_RIGHTS`), which is how a supervised process
/// hands its listener to a supervisor.
enum DescriptorPassing {
    /// `CMSG_LEN(sizeof(int))` and `CMSG_SPACE(sizeof(int))`: the header, then the descriptor,
    /// padded to the alignment of `size_t`.
    static let headerSize = MemoryLayout<cmsghdr>.size
    static let controlLength = headerSize + MemoryLayout<Int32>.size
    static let controlSpace = headerSize + MemoryLayout<Int>.size

    static func send(_ descriptor: FileDescriptor, over socket: FileDescriptor) throws(LaunchError) {
        var control = [UInt8](repeating: 0, count: controlSpace)
        control.withUnsafeMutableBytes { raw in
            var header = cmsghdr()
            header.cmsg_len = controlLength
            header.cmsg_level = SOL_SOCKET
            header.cmsg_type = Int32(SCM_RIGHTS)
            raw.storeBytes(of: header, as: cmsghdr.self)
            raw.storeBytes(of: descriptor.rawValue, toByteOffset: headerSize, as: Int32.self)
        }
        do {
            _ = try valueOrErrno { withOneByteMessage(control: &control) { sendmsg(socket.rawValue, &$0, 0) } }
        } catch {
            throw LaunchError("sendmsg: \(error)")
        }
    }

    /// Runs `body` with a message of one data byte whose control buffer is `control`: the shape
    /// `sendmsg` and `recvmsg` need to pass a descriptor with SCM_RIGHTS.
    private static func withOneByteMessage(control: inout [UInt8], _ body: (inout msghdr) -> Int) -> Int {
        var byte: UInt8 = 0
        return withUnsafeMutablePointer(to: &byte) { bytePointer in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: bytePointer, iov_len: 1)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    return body(&message)
                }
            }
        }
    }

    /// Waits up to `timeout` milliseconds for a descriptor, which the caller then owns; `nil`
    /// when the peer closed or sent none.
    static func receive(over socket: FileDescriptor, timeout: Int32) -> OwnedFileDescriptor? {
        var ready = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
        guard (try? valueOrErrno { poll(&ready, 1, timeout) }) == 1 else { return nil }
        var control = [UInt8](repeating: 0, count: controlSpace)
        let received = try? valueOrErrno {
            withOneByteMessage(control: &control) { recvmsg(socket.rawValue, &$0, Int32(MSG_CMSG_CLOEXEC)) }
        }
        guard received == 1 else { return nil }
        let header = control.withUnsafeBytes { $0.load(as: cmsghdr.self) }
        guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS),
            header.cmsg_len == controlLength
        else { return nil }
        let descriptor = control.withUnsafeBytes { $0.load(fromByteOffset: headerSize, as: Int32.self) }
        return OwnedFileDescriptor(owning: FileDescriptor(rawValue: descriptor))
    }
}
