import ArgumentParser
import Glibc

/// `cbpf capture -w` against `tcpdump -w` on the same veth traffic: both capture the receiving
/// end of a veth pair between two namespaces made for the run, while this program blasts UDP
/// frames into the other end for a bounded time; each reports what its kernel socket counted.
struct CaptureBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "CaptureBenchmark",
        abstract: "Packets per second and kernel drops of cbpf capture -w against tcpdump -w on one veth.",
        subcommands: [Compare.self, Send.self], defaultSubcommand: Compare.self)
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare")

    @Option(help: "Frames per second to send, comma-separated; 0 means as fast as possible.")
    var rates = "50000,100000,200000,0"

    @Option(help: "Seconds of traffic per run.")
    var seconds = 5.0

    @Option(help: "Runs per rate; the table gives each and the median.")
    var runs = 3

    @Option(help: "Bytes per frame.")
    var frameSize = 128

    @Option(help: "The ring size in KiB given to both (-B); none leaves each its default (tcpdump 2 MiB, cbpf 8 MiB).")
    var buffer: Int?

    @Option(help: "The cbpf executable; by default the one built next to this program.")
    var cbpf: String?

    func run() throws {
        guard geteuid() == 0 else { throw BenchmarkError("run as root: it makes namespaces and captures") }
        let me = Self.executablePath()
        let cbpfPath = cbpf ?? (me.split(separator: "/").dropLast().joined(separator: "/").withLeadingSlash + "/cbpf")
        guard access(cbpfPath, X_OK) == 0 else { throw BenchmarkError("\(cbpfPath) is missing: swift build -c release --product cbpf") }
        guard let tcpdump = (["/usr/bin/tcpdump", "/usr/sbin/tcpdump"] as [String]).first(where: { access($0, X_OK) == 0 }) else {
            throw BenchmarkError("tcpdump is missing")
        }
        let rateList = rates.split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
        print("frames of \(frameSize) bytes for \(seconds) s; ring: \(buffer.map { "\($0) KiB for both" } ?? "each tool's default")")
        print("captured/s is frames written to the file per second of sending; dropped is the kernel's count")
        print("cpu is the capture process's user + system seconds (the kernel's softirq work is not in it)")
        print("rate      run  sent/s      tcpdump: captured/s  dropped   cpu    cbpf: captured/s  dropped   cpu")
        for rate in rateList {
            var results = [(sent: Double, elapsed: Double, tcpdump: Outcome, cbpf: Outcome)]()
            for runNumber in 1 ... runs {
                let result = try Self.measure(rate: rate, seconds: seconds, frameSize: frameSize, buffer: buffer,
                                              me: me, cbpf: cbpfPath, tcpdump: tcpdump)
                results.append(result)
                print(Self.row(rate == 0 ? "max" : String(rate), String(runNumber), result.sent / result.elapsed,
                               result.tcpdump, result.cbpf, result.elapsed))
            }
            // The run whose sending rate is the median, whole.
            let median = results.sorted { $0.sent / $0.elapsed < $1.sent / $1.elapsed }[results.count / 2]
            print(Self.row(rate == 0 ? "max" : String(rate), "med", median.sent / median.elapsed, median.tcpdump,
                           median.cbpf, median.elapsed))
        }
    }

    struct Outcome {
        var captured: Int
        var received: Int
        var dropped: Int
        var cpuSeconds = 0.0
    }

    static func cpu(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100).rounded())
        return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
    }

    static func row(_ rate: String, _ run: String, _ sent: Double, _ tcpdump: Outcome, _ cbpf: Outcome, _ seconds: Double) -> String {
        func column(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
        return column(rate, 10) + column(run, 5) + column(String(Int(sent)), 12)
            + column(String(Int(Double(tcpdump.captured) / seconds)), 21) + column(String(tcpdump.dropped), 10)
            + column(cpu(tcpdump.cpuSeconds), 7)
            + column(String(Int(Double(cbpf.captured) / seconds)), 18) + column(String(cbpf.dropped), 10)
            + cpu(cbpf.cpuSeconds)
    }

    /// One run: fresh namespaces, both captures on vb, the sender on va, then SIGINT.
    static func measure(rate: Int, seconds: Double, frameSize: Int, buffer: Int?, me: String, cbpf: String,
                        tcpdump: String) throws -> (sent: Double, elapsed: Double, tcpdump: Outcome, cbpf: Outcome) {
        let stem = "cbpf-bench-\(getpid())-\(UInt32.random(in: 0 ... UInt32.max))"
        let (near, far) = (stem + "-a", stem + "-b")
        let directory = "/tmp/\(stem)"
        mkdir(directory, 0o700)
        defer {
            try? runCommand(["/usr/sbin/ip", "netns", "del", near])
            try? runCommand(["/usr/sbin/ip", "netns", "del", far])
            for name in ["tcpdump.pcap", "cbpf.pcap", "tcpdump.out", "tcpdump.err", "cbpf.out", "cbpf.err", "send.out", "send.err"] {
                unlink(directory + "/" + name)
            }
            rmdir(directory)
        }
        try runCommand(["/usr/sbin/ip", "netns", "add", near])
        try runCommand(["/usr/sbin/ip", "netns", "add", far])
        try runCommand(["/usr/sbin/ip", "-n", near, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", far])
        try runCommand(["/usr/sbin/ip", "-n", near, "link", "set", "va", "up"])
        try runCommand(["/usr/sbin/ip", "-n", far, "link", "set", "vb", "up"])
        let bufferArguments = buffer.map { ["-B", String($0)] } ?? []
        let expression = "udp port 9999"
        let tcpdumpChild = try Child(
            ["/usr/sbin/ip", "netns", "exec", far, tcpdump, "-i", "vb", "-n", "-Z", "root", "-w", directory + "/tcpdump.pcap"]
                + bufferArguments + [expression], directory: directory, name: "tcpdump")
        let cbpfChild = try Child(
            ["/usr/sbin/ip", "netns", "exec", far, cbpf, "capture", "-i", "vb", "-w", directory + "/cbpf.pcap"]
                + bufferArguments + [expression], directory: directory, name: "cbpf")
        for child in [tcpdumpChild, cbpfChild] where !child.waitForError(containing: "listening on") {
            throw BenchmarkError("a capture did not start: \(child.standardError)")
        }
        let sender = try Child(
            ["/usr/sbin/ip", "netns", "exec", near, me, "send", "--interface", "va", "--rate", String(rate),
             "--seconds", String(seconds), "--frame-size", String(frameSize)], directory: directory, name: "send")
        guard sender.wait(timeout: seconds + 30) == 0 else { throw BenchmarkError("the sender failed: \(sender.standardError)") }
        let sent = sender.standardOutput.split(separator: " ").compactMap { Double($0.filter { $0 != "\n" && $0 != " " }) }
        // tcpdump hands over a block after 1 s: let both drain, then stop them.
        usleep(2_000_000)
        for child in [tcpdumpChild, cbpfChild] {
            kill(child.pid, SIGINT)
        }
        let outcomes = try [tcpdumpChild, cbpfChild].map { child in
            guard child.wait() == 0 else { throw BenchmarkError("a capture failed: \(child.standardError)") }
            var result = try outcome(child.standardError)
            result.cpuSeconds = child.cpuSeconds
            return result
        }
        guard sent.count == 2, sent[1] > 0 else { throw BenchmarkError("the sender printed \(sender.standardOutput)") }
        return (sent[0], sent[1], outcomes[0], outcomes[1])
    }

    /// tcpdump's three lines: "N packets captured", "N packets received by filter", "N packets dropped by kernel".
    static func outcome(_ standardError: String) throws -> Outcome {
        func number(_ suffix: String) throws -> Int {
            guard let line = standardError.split(separator: "\n").first(where: { $0.hasSuffix(suffix) }),
                  let value = Int(line.split(separator: " ")[0])
            else { throw BenchmarkError("no \"\(suffix)\" in: \(standardError)") }
            return value
        }
        return Outcome(captured: try number("captured"), received: try number("received by filter"),
                       dropped: try number("dropped by kernel"))
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return String(decoding: buffer[..<max(0, length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Sends frames from inside the near namespace; prints "SENT SECONDS".
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send")

    @Option var interface: String
    @Option var rate: Int
    @Option var seconds: Double
    @Option var frameSize = 128

    func run() throws {
        guard (64 ... 1514).contains(frameSize) else { throw BenchmarkError("--frame-size: 64 to 1514") }
        guard seconds > 0 && seconds <= 600 else { throw BenchmarkError("--seconds: more than 0, at most 600") }
        let (sent, elapsed) = try Sender.send(interface: interface, rate: rate, seconds: seconds, frameSize: frameSize)
        print("\(sent) \(elapsed)")
    }
}

extension String {
    var withLeadingSlash: String { hasPrefix("/") ? self : "/" + self }
}

CaptureBenchmark.main()
