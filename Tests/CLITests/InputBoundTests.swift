import Foundation
import TestSupport
import Testing

/// Endless and huge inputs: each is refused at its bound, quickly, with a message that names
/// the input and the bound, and messages quote at most a short excerpt of what they read.
@Suite("cbpf input bounds", .enabled(if: CLI.isAvailable, "skipped: the cbpf executable is not next to the test bundle"))
struct InputBoundTests {
    @Test func endlessFilesAreRefusedAtTheirBound() throws {
        let cases: [(arguments: [String], mentions: [String])] = [
            (["asm", "/dev/zero"], ["/dev/zero", "more than 1 MiB", "program text"]),
            (["seccomp", "compile", "--policy", "/dev/zero"], ["/dev/zero", "more than 16 MiB", "seccomp policy"]),
            (["seccomp", "stats", "--profile", "/dev/zero"], ["/dev/zero", "more than 16 MiB", "seccomp policy"]),
            // A capture file is refused by its first four bytes, whatever follows.
            (["filter", "-r", "/dev/zero", "tcp"], ["/dev/zero", "byte 0", "not a pcap or pcapng capture file"]),
        ]
        for (arguments, mentions) in cases {
            let started = Date()
            try CLI.fail(arguments, mentioning: mentions)
            #expect(Date().timeIntervalSince(started) < 10, "\(arguments) took too long")
        }
    }

    @Test func oversizedStandardInputIsRefused() throws {
        let zeros = [UInt8](repeating: 0, count: (1 << 20) + 1)
        for command in [["verify", "-"], ["disasm", "-"], ["asm", "-"], ["optimize", "-"]] {
            try CLI.fail(command, input: zeros, mentioning: ["<stdin>", "more than 1 MiB (1048576 bytes)"])
        }
        // At the bound the text is read, and refused for what it says.
        let exactly = [UInt8](repeating: 0, count: 1 << 20)
        let run = try CLI.fail(["verify", "-"], input: exactly, mentioning: ["bytecode string field 1"])
        #expect(!run.standardError.contains("more than 1 MiB"))
    }

    @Test func errorsQuoteAShortExcerptOfLongFields() throws {
        let nulls = [UInt8](repeating: 0, count: 300_000)
        for command in [["verify", "-"], ["disasm", "-"]] {
            let run = try CLI.fail(command, input: nulls, mentioning: ["\\0\\0\\0", "…\" (300000 bytes)"])
            #expect(run.standardError.utf8.count < 400, "\(run)")
        }
        let longNumber = "2,6 0 0 " + String(repeating: "9", count: 100_000) + ",6 0 0 0"
        let run = try CLI.fail(["verify", longNumber], mentioning: ["k \"999", "(100000 bytes) is too large"])
        #expect(run.standardError.utf8.count < 400, "\(run)")
    }

    /// The expression and the word it stops at are both excerpts; libpcap's single quotes stay
    /// around names.
    @Test func filterExpressionErrorsQuoteExcerpts() throws {
        let word = String(repeating: "x", count: 100_000)
        let cases: [(expression: String, mentions: [String])] = [
            ("ip and " + word, ["filter expression \"ip and xxx", "(100007 bytes)", "1:8: \"xxx", "(100000 bytes) has no qualifier"]),
            ("port " + word, ["(100005 bytes)", "1:6: unknown port 'xxx", "…' (100000 bytes) (not in /etc/services)"]),
        ]
        for (expression, mentions) in cases {
            let run = try CLI.fail(["compile", expression], mentioning: mentions)
            #expect(run.standardError.utf8.count < 400, "\(run)")
        }
    }
}
