import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One run of the `cbpf` executable: what it printed and how it ended.
typealias CLIRun = ProcessRun

extension ProcessRun {
    /// Standard output without its trailing newline.
    var trimmedOutput: String { standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Finds and runs the `cbpf` executable built next to the test bundle.
enum CLI {
    /// `CBPF_EXECUTABLE`, or `cbpf` built next to the test bundle.
    static let executablePath = ProcessRun.builtExecutable(named: "cbpf", environmentVariable: "CBPF_EXECUTABLE")

    static var isAvailable: Bool { executablePath != nil }

    /// Runs `cbpf` with `arguments` (see ``ProcessRun/run(_:_:input:timeout:)``).
    static func run(_ arguments: [String], input: [UInt8]? = nil, timeout: Double = 60) throws -> CLIRun {
        guard let path = executablePath else { throw CLIError("cbpf was not found next to the test bundle") }
        return try ProcessRun.run(path, arguments, input: input, timeout: timeout)
    }

    /// Runs `cbpf` and expects it to succeed.
    static func succeed(
        _ arguments: [String], input: [UInt8]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIRun {
        let run = try run(arguments, input: input)
        try #require(run.succeeded, "\(run)", sourceLocation: sourceLocation)
        return run
    }

    /// Runs `cbpf` and expects a failure told properly: an exit (not a signal) with a non-zero
    /// status, nothing on standard output, and a message on standard error that contains each of
    /// `mentions` (compared case-insensitively).
    @discardableResult
    static func fail(
        _ arguments: [String], input: [UInt8]? = nil, status: Int32? = nil, mentioning mentions: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIRun {
        let run = try run(arguments, input: input)
        #expect(run.signal == nil && !run.timedOut, "crashed or hung: \(run)", sourceLocation: sourceLocation)
        #expect(run.exitStatus != nil && run.exitStatus != 0, "did not fail: \(run)", sourceLocation: sourceLocation)
        if let status { #expect(run.exitStatus == status, "\(run)", sourceLocation: sourceLocation) }
        #expect(run.standardOutputBytes.isEmpty, "printed a result anyway: \(run)", sourceLocation: sourceLocation)
        let message = run.standardError.lowercased()
        #expect(!message.isEmpty, "no message: \(run)", sourceLocation: sourceLocation)
        for mention in mentions {
            #expect(message.contains(mention.lowercased()), "\"\(mention)\" not in the message: \(run)",
                    sourceLocation: sourceLocation)
        }
        return run
    }
}

/// Finds and runs the `cbpf-differential` executable (the kernel differential campaigns, not a
/// product) built next to the test bundle.
enum Differential {
    /// `CBPF_DIFFERENTIAL_EXECUTABLE`, or `cbpf-differential` built next to the test bundle.
    static let executablePath = ProcessRun.builtExecutable(
        named: "cbpf-differential", environmentVariable: "CBPF_DIFFERENTIAL_EXECUTABLE")

    static var isAvailable: Bool { executablePath != nil }

    /// Runs `cbpf-differential` with `arguments` (see ``ProcessRun/run(_:_:input:timeout:)``).
    static func run(_ arguments: [String], timeout: Double = 60) throws -> CLIRun {
        guard let path = executablePath else { throw CLIError("cbpf-differential was not found next to the test bundle") }
        return try ProcessRun.run(path, arguments, timeout: timeout)
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}


// MARK: - Peers

/// The package's directory and what sits next to it.
enum Paths {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Docker's default profile in the shared corpus, `../shared/corpus/seccomp/docker-default.json`.
    static let dockerProfile: String? = {
        let path = package.deletingLastPathComponent().appendingPathComponent("shared/corpus/seccomp/docker-default.json")
            .path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    /// An executable in the usual directories, or `nil`.
    static func tool(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let tcpdump = tool("tcpdump")
    static let python3: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
        ? "/usr/bin/python3" : tool("python3")
}

/// Runs another program and returns what it printed and its exit status, or `nil` when it
/// could not start or did not exit normally.
func runTool(_ path: String, _ arguments: [String]) -> (output: String, error: String, status: Int32)? {
    guard let run = try? ProcessRun.run(path, arguments), let status = run.exitStatus else { return nil }
    return (run.standardOutput, run.standardError, status)
}

/// tcpdump's output for an expression (`-d`, `-dd`, `-ddd`, with `-O` for unoptimized code).
func tcpdump(_ flags: [String], _ expression: String) -> String? {
    guard let path = Paths.tcpdump, let result = runTool(path, flags + ["-y", "EN10MB", expression]),
        result.status == 0
    else { return nil }
    return result.output
}

/// System-call numbers from the kernel's UAPI headers (`asm/unistd_64.h`, `asm/unistd_32.h`),
/// a table that owes nothing to libseccomp.
enum KernelHeaders {
    static func numbers(_ header: String) -> [String: Int32] {
        let candidates = ["/usr/include/x86_64-linux-gnu/asm/\(header)", "/usr/include/asm/\(header)"]
        guard let text = candidates.lazy.compactMap({ try? String(contentsOfFile: $0, encoding: .utf8) }).first
        else { return [:] }
        var table = [String: Int32]()
        for line in text.split(separator: "\n") {
            // `#define __NR_read 0`, or on x32 `#define __NR_read (__X32_SYSCALL_BIT + 0)`.
            let words = line.split(separator: " ")
            guard words.count >= 3, words[0] == "#define", words[1].hasPrefix("__NR_"),
                let number = Int32(words[words.count - 1].filter { $0.isNumber })
            else { continue }
            table[String(words[1].dropFirst(5))] = number
        }
        return table
    }

    static let x86_64 = numbers("unistd_64.h")
    static let x86 = numbers("unistd_32.h")
    /// x32's numbers without bit 30 (`__X32_SYSCALL_BIT`), which `cbpf run --arch x32` adds.
    static let x32 = numbers("unistd_x32.h")
    static var isAvailable: Bool { x86_64["getppid"] != nil && x86["getppid"] != nil }
}

/// A classic BPF instruction, `struct sock_filter`.
struct SockFilter: Equatable, Sendable, CustomStringConvertible {
    var code: UInt16
    var jt: UInt8
    var jf: UInt8
    var k: UInt32

    var description: String { "\(code) \(jt) \(jf) \(k)" }

    /// `struct sock_filter[]` as the kernel reads it, in this machine's byte order.
    static func decode(raw bytes: [UInt8]) -> [SockFilter]? {
        guard bytes.count % 8 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 8).map { offset in
            let b = bytes[offset ..< offset + 8].map { $0 }
            return SockFilter(
                code: UInt16(b[0]) | UInt16(b[1]) << 8, jt: b[2], jf: b[3],
                k: UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
        }
    }

    static func encode(_ program: [SockFilter]) -> [UInt8] {
        program.flatMap { i in
            [UInt8(i.code & 0xff), UInt8(i.code >> 8), i.jt, i.jf, UInt8(i.k & 0xff), UInt8(i.k >> 8 & 0xff),
             UInt8(i.k >> 16 & 0xff), UInt8(i.k >> 24)]
        }
    }

    /// tc's bytecode string (`N,code jt jf k,...`), as `tc filter ... bpf bytecode` takes it.
    static func bytecodeString(_ program: [SockFilter]) -> String {
        ([String(program.count)] + program.map(\.description)).joined(separator: ",")
    }

    /// Parses tc's bytecode string or tcpdump's `-ddd` output.
    static func parse(_ text: String) -> [SockFilter]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let fields = trimmed.contains(",")
            ? trimmed.split(separator: ",").map(String.init)
            : trimmed.split(separator: "\n").map(String.init)
        guard let count = Int(fields.first ?? ""), count == fields.count - 1 else { return nil }
        var program = [SockFilter]()
        for field in fields.dropFirst() {
            let parts = field.split(separator: " ").compactMap { UInt64($0) }
            guard parts.count == 4 else { return nil }
            program.append(SockFilter(code: UInt16(parts[0]), jt: UInt8(parts[1]), jf: UInt8(parts[2]), k: UInt32(parts[3])))
        }
        return program
    }

    /// Parses tcpdump's `-dd` output: `{ 0x28, 0, 0, 0x0000000c },` lines.
    static func parseCArray(_ text: String) -> [SockFilter]? {
        var program = [SockFilter]()
        for line in text.split(separator: "\n") {
            let inner = line.filter { !"{} ".contains($0) }.split(separator: ",")
            guard inner.count == 4 else { return nil }
            func number(_ text: Substring) -> UInt64? {
                text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            }
            guard let code = number(inner[0]), let jt = number(inner[1]), let jf = number(inner[2]),
                let k = number(inner[3])
            else { return nil }
            program.append(SockFilter(code: UInt16(code), jt: UInt8(jt), jf: UInt8(jf), k: UInt32(k)))
        }
        return program
    }

    /// The line libpcap's `bpf_image()` prints for this instruction at `index` (tcpdump `-d`),
    /// for the opcodes a seccomp filter uses; `nil` for others.
    func tcpdumpListingLine(at index: Int) -> String? {
        func line(_ op: String, _ operand: String) -> String {
            let padded = op.padding(toLength: 8, withPad: " ", startingAt: 0)
            return String(format: "(%03d) ", index) + padded + " " + operand
        }
        func jump(_ op: String) -> String {
            let operand = "#0x" + String(k, radix: 16)
            return line(op, operand.padding(toLength: 16, withPad: " ", startingAt: 0))
                + " jt \(index + 1 + Int(jt))\tjf \(index + 1 + Int(jf))"
        }
        switch code {
        case 0x20: return line("ld", "[\(k)]")
        case 0x00: return line("ld", "#0x" + String(k, radix: 16))
        case 0x15: return jump("jeq")
        case 0x25: return jump("jgt")
        case 0x35: return jump("jge")
        case 0x45: return jump("jset")
        case 0x05: return line("ja", String(index + 1 + Int(k)))
        case 0x06: return line("ret", "#" + String(Int32(bitPattern: k)))
        case 0x54: return line("and", "#0x" + String(k, radix: 16))
        case 0x02: return line("st", "M[\(k)]")
        case 0x60: return line("ld", "M[\(k)]")
        case 0x07: return line("tax", "")
        case 0x87: return line("txa", "")
        default: return nil
        }
    }
}

/// The kernel's classic BPF for sockets: `SO_ATTACH_FILTER` on an AF_UNIX datagram socketpair.
enum KernelSocket {
    /// 0 when the kernel attaches the program, else the errno of `setsockopt`.
    static func attach(_ program: [SockFilter], to descriptor: Int32) -> Int32 {
        var bytes = SockFilter.encode(program)
        return bytes.withUnsafeMutableBytes { filter in
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var fprog = [UInt8](repeating: 0, count: 16)
            fprog.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: UInt16(program.count), toByteOffset: 0, as: UInt16.self)
                raw.storeBytes(of: UInt(bitPattern: filter.baseAddress), toByteOffset: 8, as: UInt.self)
            }
            let result = fprog.withUnsafeBytes {
                setsockopt(descriptor, SOL_SOCKET, SO_ATTACH_FILTER, $0.baseAddress, socklen_t($0.count))
            }
            return result == 0 ? 0 : errno
        }
    }

    /// Whether the kernel accepts the program as a socket filter.
    static func accepts(_ program: [SockFilter]) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        return attach(program, to: descriptor) == 0
    }

    /// How many bytes of `packet` the program lets through, `0` when it drops it, or `nil` when
    /// it cannot be attached.
    static func delivered(_ program: [SockFilter], packet: [UInt8]) -> Int? {
        var descriptors: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &descriptors) == 0 else { return nil }
        defer {
            close(descriptors[0])
            close(descriptors[1])
        }
        guard attach(program, to: descriptors[1]) == 0 else { return nil }
        _ = packet.withUnsafeBytes { send(descriptors[0], $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let received = buffer.withUnsafeMutableBytes { recv(descriptors[1], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return received < 0 ? 0 : received
    }
}

/// The kernel's seccomp, through a Python process (ctypes, no libseccomp): it installs a filter
/// read from a file of `struct sock_filter`s on itself and makes system calls. Filters are never
/// installed in the test process.
enum KernelSeccomp {
    static let script = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        data = open(sys.argv[1], "rb").read()
        seccomp_nr = int(sys.argv[2])
        buf = ctypes.create_string_buffer(data, len(data))
        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
        prog = Fprog(len(data) // 8, ctypes.addressof(buf))
        calls = [[int(x, 0) for x in spec.split(",")] for spec in sys.argv[3:]]
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            sys.exit("prctl: errno %d" % ctypes.get_errno())
        if libc.syscall(ctypes.c_long(seccomp_nr), ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.byref(prog)) != 0:
            sys.exit("seccomp(SECCOMP_SET_MODE_FILTER): errno %d" % ctypes.get_errno())
        lines = []
        for call in calls:
            args = [ctypes.c_ulong(a) for a in (call[1:] + [0] * 6)[:6]]
            ctypes.set_errno(0)
            result = libc.syscall(ctypes.c_long(call[0]), *args)
            lines.append("%d %d" % (result, ctypes.get_errno() if result == -1 else 0))
        os.write(1, ("\\n".join(lines) + "\\n").encode())
        os._exit(0)
        """

    static var isAvailable: Bool { Paths.python3 != nil && KernelHeaders.x86_64["seccomp"] != nil }

    /// Installs `filter` in a Python process and makes each call (number and arguments) in turn;
    /// returns each call's result and errno (0 when it did not fail).
    static func observe(_ filter: [UInt8], calls: [[UInt64]]) throws -> [(result: Int64, errno: Int32)] {
        guard let python = Paths.python3, let seccomp = KernelHeaders.x86_64["seccomp"] else {
            throw CLIError("python3 or the kernel headers are missing")
        }
        let directory = try TemporaryDirectory(prefix: "cbpf-cli")
        let filterPath = try directory.write("filter.bpf", bytes: filter)
        let scriptPath = try directory.write("seccomp.py", script)
        let specs = calls.map { $0.map { String($0) }.joined(separator: ",") }
        guard let run = runTool(python, [scriptPath, filterPath, String(seccomp)] + specs), run.status == 0 else {
            throw CLIError("the Python seccomp helper failed")
        }
        let lines = run.output.split(separator: "\n")
        guard lines.count == calls.count else { throw CLIError("the Python helper printed \(run.output)") }
        return try lines.map { line in
            let fields = line.split(separator: " ")
            guard fields.count == 2, let result = Int64(fields[0]), let error = Int32(fields[1]) else {
                throw CLIError("the Python helper printed \(line)")
            }
            return (result, error)
        }
    }
}
