import Attach
import CBPF
import Foundation
import Glibc
import Testing

// The code samples of Sources/CBPF/CBPF.docc, exactly as the articles show them (the test
// `articleSamplesAreTested` checks that every `swift` block of the five catalogs appears in one
// of the DocumentationExampleTests files), and the tests that check what they say.
// The seccomp samples of the builder article are in Tests/SeccompTests, where they are also
// installed in a child process.

// MARK: - ProgramsAndTheirChecks.md

/// IPv4 frames whole, everything else dropped: the instructions written out.
func ipv4Only() -> Program {
    Program([
        .loadAbsolute(.halfword, offset: 12),                              // ldh [12]
        .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1), // jeq #0x800
        .returnConstant(262_144),                                          // ret #262144
        .returnConstant(0),                                                // ret #0
    ])
}

/// The same program in three of the text formats the core reads and writes.
func textForms(of program: Program) throws -> (bytecode: String, listing: String, assembly: String) {
    let bytecode = BytecodeString.format(program)                 // tc, iptables -m bpf --bytecode
    let listing = TcpdumpFormat.format(program, style: .listing)  // tcpdump -d
    let assembly = BPFAsmFormat.disassemble(program)              // Linux bpf_asm
    return (bytecode, listing, assembly)
}

/// Reads a bytecode string and `bpf_asm` source back into programs.
func readBack(bytecode: String, assembly: String) throws -> (Program, Program) {
    (try Program(raw: BytecodeString.parse(bytecode)), try Assembler.assemble(assembly))
}

/// Checks a program with the kernel's rules for an attach point, then shortens it.
func checkedAndOptimized(_ program: Program, for target: AttachTarget) throws -> Program {
    try Verifier.verify(program, for: target)        // a VerificationError names the rule broken
    return Optimizer.optimize(program, for: target)  // never longer; verifies for the same target
}

// MARK: - BuildingProgramsWithTheDSL.md

/// Drops everything that is not IPv4: a piece to reuse at the start of programs.
struct RequireIPv4: ProgramComponent {
    var fragment: ProgramFragment {
        ProgramFragment {
            Load.absolute(.halfword, 12)                   // EtherType
            Jump(if: .notEqual, 0x0800, then: "drop")
        }
    }
}

/// Ethernet frames with a UDP or TCP segment to port 53, whole; everything else dropped.
func dnsOverIPv4() throws -> Program {
    try Program {
        RequireIPv4()
        Load.absolute(.byte, 23)                       // IPv4 protocol
        Jump(if: .equal, 17, then: "transport")        // UDP
        Jump(if: .notEqual, 6, then: "drop")           // or TCP
        Label("transport")
        Load.absolute(.halfword, 20)                   // flags and fragment offset
        Jump(if: .bitsSet, 0x1fff, then: "drop")       // a later fragment has no ports
        Load.ipv4HeaderLength(at: 14)                  // X = the IPv4 header's length
        Load.indirect(.halfword, 16)                   // the destination port, at 14 + X + 2
        Jump(if: .equal, 53, else: "drop")
        Return(262_144)
        Label("drop")
        Return(0)
    }
}

/// What the filter returns for each frame, from the interpreter: the bytes to keep, 0 to drop.
func verdicts(of program: Program, on frames: [[UInt8]]) throws -> [UInt32] {
    let interpreter = try Interpreter(program, for: .socket)
    return frames.map { interpreter.run(packet: $0) }
}

// MARK: - Tests

@Suite struct DocumentationExampleTests {
    /// An Ethernet frame: IPv4 with protocol `ipProtocol`, a 20-byte header unless options are
    /// added, then a transport header whose destination port is `port`.
    static func frame(ipProtocol: UInt8 = 17, port: UInt16, optionWords: Int = 0, fragmentOffset: UInt16 = 0,
                      etherType: UInt16 = 0x0800) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 12) + [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        var ip = [UInt8](repeating: 0, count: 20 + 4 * optionWords)
        ip[0] = 0x40 | UInt8(5 + optionWords)
        ip[6] = UInt8(fragmentOffset >> 8)
        ip[7] = UInt8(fragmentOffset & 0xff)
        ip[9] = ipProtocol
        bytes += ip
        bytes += [0x30, 0x39, UInt8(port >> 8), UInt8(port & 0xff), 0, 8, 0, 0]  // source port 12345
        return bytes
    }

    static let frames: [[UInt8]] = [
        frame(port: 53),  // UDP to 53
        frame(ipProtocol: 6, port: 53, optionWords: 2),  // TCP to 53, behind IPv4 options
        frame(port: 54),  // another port
        frame(ipProtocol: 1, port: 53),  // ICMP
        frame(port: 53, fragmentOffset: 0x0010),  // a later fragment
        frame(port: 53, etherType: 0x86dd),  // not IPv4
    ]
    static let expected: [UInt32] = [262_144, 262_144, 0, 0, 0, 0]

    /// The core article's program in its text forms, checked and optimized.
    @Test func coreArticleSamples() throws {
        let (bytecode, listing, assembly) = try textForms(of: ipv4Only())
        #expect(bytecode == "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0")
        #expect(listing == """
            (000) ldh      [12]
            (001) jeq      #0x800           jt 2\tjf 3
            (002) ret      #262144
            (003) ret      #0

            """)
        #expect(assembly.contains("ldh [12]"))
        let (fromBytecode, fromAssembly) = try readBack(bytecode: bytecode, assembly: assembly)
        #expect(fromBytecode == ipv4Only() && fromAssembly == ipv4Only())
        #expect(try checkedAndOptimized(ipv4Only(), for: .socket) == ipv4Only())
        // A redundant load goes.
        let redundant = Program([.loadAbsolute(.halfword, offset: 12)] + ipv4Only().instructions)
        #expect(try checkedAndOptimized(redundant, for: .socket) == ipv4Only())
        #expect {
            _ = try checkedAndOptimized(Program([.arithmetic(.divide, .constant(0)), .returnA]), for: .socket)
        } throws: { error in
            "\(error)" == "socket: instruction 0 (div #0x0): division by the constant 0"
        }
        let ipv4 = Self.frame(port: 53)
        #expect(try verdicts(of: ipv4Only(), on: [ipv4, Self.frame(port: 53, etherType: 0x86dd)]) == [262_144, 0])
    }

    /// The builder article's packet filter, run by the interpreter.
    @Test func builderPacketFilterThroughTheInterpreter() throws {
        let program = try dnsOverIPv4()
        #expect(try verdicts(of: program, on: Self.frames) == Self.expected)
        // The component's two instructions and the labels resolved as the article says: 12
        // instructions, each `jneq` a `jeq` with its targets swapped.
        #expect(program.count == 12)
        #expect(program.instructions[1] == .conditionalJump(.equal, .constant(0x0800), ifTrue: 0, ifFalse: 9))
        try Verifier.verify(program, for: .socket)
    }

    /// The same filter in the kernel: attached to one end of an AF_UNIX datagram socketpair,
    /// where a socket filter sees each datagram from its first byte, the kernel delivers
    /// exactly the frames the interpreter accepts.
    @Test func builderPacketFilterInTheKernel() throws {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &pair) == 0 else {
            throw SystemCallError("socketpair", Errno(rawValue: errno))
        }
        let (sender, receiver) = (FileDescriptor(rawValue: pair[0]), FileDescriptor(rawValue: pair[1]))
        defer {
            try? sender.close()
            try? receiver.close()
        }
        try SocketFilter.attach(try dnsOverIPv4(), to: receiver)
        for (index, frame) in Self.frames.enumerated() {
            var marked = frame
            marked[0] = UInt8(index)  // a destination MAC byte the filter never reads
            _ = try marked.withUnsafeBytes { try sender.write($0) }
        }
        var delivered = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = recv(receiver.rawValue, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 { break }
            delivered.append(buffer[0])
        }
        #expect(delivered == Self.expected.indices.filter { Self.expected[$0] != 0 }.map(UInt8.init))
    }

    /// Every `swift` code block of the five DocC catalogs appears, line for line (indentation
    /// aside), in one of the DocumentationExampleTests files: the articles show tested code.
    @Test func articleSamplesAreTested() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let testFiles = ["CBPFTests", "SeccompTests", "PacketFilterTests", "SystemCallsTests"].map {
            root.appendingPathComponent("Tests/\($0)/DocumentationExampleTests.swift")
        }
        let testLines = try testFiles.map { try String(contentsOf: $0, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        var blocks = 0
        for module in ["CBPF", "Attach", "Seccomp", "PacketFilter", "SystemCalls"] {
            let catalog = root.appendingPathComponent("Sources/\(module)/\(module).docc")
            let articles = try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter { $0.hasSuffix(".md") }
            #expect(!articles.isEmpty, "\(module).docc has no articles")
            for article in articles {
                let text = try String(contentsOf: catalog.appendingPathComponent(article), encoding: .utf8)
                for block in Self.swiftBlocks(in: text) {
                    blocks += 1
                    let found = testLines.contains { Self.contains($0, block) }
                    #expect(found, "\(module).docc/\(article): this sample is in no DocumentationExampleTests file:\n\(block.joined(separator: "\n"))")
                }
            }
        }
        #expect(blocks >= 10, "only \(blocks) swift blocks found")
    }

    /// The lines of each ```swift block, trimmed.
    static func swiftBlocks(in text: String) -> [[String]] {
        var blocks = [[String]]()
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" {
                current = []
            } else if current != nil, trimmed == "```" {
                blocks.append(current!)
                current = nil
            } else if current != nil {
                current!.append(trimmed)
            }
        }
        return blocks
    }

    static func contains(_ lines: [String], _ block: [String]) -> Bool {
        guard !block.isEmpty, lines.count >= block.count else { return block.isEmpty }
        return (0...(lines.count - block.count)).contains { start in
            block.indices.allSatisfy { lines[start + $0] == block[$0] }
        }
    }
}
