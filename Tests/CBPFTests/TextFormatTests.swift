import CBPF
import CPcap
import Foundation
import Testing

// Text formats: tcpdump -d/-dd/-ddd, compared byte for byte with tcpdump and libpcap's
// bpf_image, and the tc / iptables bytecode string.

// MARK: - References

/// The installed tcpdump, if it is one whose output we reproduce (libpcap 1.10: later versions
/// name `ldx #len` and drop the trailing padding of operand-less instructions).
struct Tcpdump: Sendable {
    let executable: URL

    static let installed: Tcpdump? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent("tcpdump")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            let tcpdump = Tcpdump(executable: candidate)
            guard let version = tcpdump.run(["--version"], mergingStandardError: true) else { return nil }
            return version.output.contains("libpcap version 1.10.") ? tcpdump : nil
        }
        return nil
    }()

    /// Standard output and the exit status of one run.
    func run(_ arguments: [String], mergingStandardError: Bool = false) -> (output: String, status: Int32)? {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = mergingStandardError ? output : FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // Read to the end before waiting, so that a large listing cannot fill the pipe.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    /// tcpdump's compiled program in one style, or `nil` when tcpdump cannot compile it.
    func dump(_ expression: String, linkType: String, optimize: Bool, style: TcpdumpFormat.Style) -> String? {
        var arguments = ["-y", linkType, style.tcpdumpOption]
        if !optimize { arguments.append("-O") }
        // `--` so that an expression starting with "-" is not read as an option.
        arguments += ["--", expression]
        guard let result = run(arguments), result.status == 0 else { return nil }
        return result.output
    }
}

/// libpcap's own `bpf_image`, in-process: the function tcpdump -d prints with.
enum LibpcapImage {
    static let isVersion1_10 = String(cString: pcap_lib_version()).contains("libpcap version 1.10.")

    /// Not thread-safe in libpcap 1.10 (a static buffer): call it from one test only.
    static func line(_ instruction: RawInstruction, at index: Int) -> String {
        var insn = bpf_insn(code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
        return String(cString: bpf_image(&insn, Int32(index)))
    }
}

/// `accept.tsv` of libpcap's TESTrun: name, DLT, same|differ|optfail, expression.
struct AcceptedExpression: Sendable, CustomStringConvertible {
    var name: String
    var linkType: String
    var optimization: String
    var expression: String

    var description: String { "\(name) (\(linkType)): \(expression)" }

    static let table: URL? = {
        // Tests/CBPFTests/TextFormatTests.swift -> package root -> ../shared
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let table = root.appendingPathComponent("../shared/corpus/libpcap-testrun/accept.tsv").standardized
        return FileManager.default.fileExists(atPath: table.path) ? table : nil
    }()

    static func load() throws -> [AcceptedExpression] {
        guard let table else { return [] }
        return try String(contentsOf: table, encoding: .utf8).split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 3 else { return nil }
            // The `bpf_image` row asks newer libpcap's filtertest to enumerate opcodes; not an expression.
            guard !columns[0].hasPrefix("bpf_image") else { return nil }
            return AcceptedExpression(
                name: columns[0], linkType: columns[1], optimization: columns[2],
                expression: columns.count > 3 ? columns[3] : ""
            )
        }
    }
}

// MARK: - Corpus comparison with tcpdump

@Suite("TextFormat: tcpdump corpus")
struct TcpdumpCorpusTests {
    /// Rows that produce ancillary loads, `#pktlen` or unusual shapes; always compared.
    static let handPickedNames: Set<String> = [
        "greater_100", "len_ge_100", "less_200", "len_le_200", "inbound_linuxext", "outbound_linuxext",
        "ifindex_linuxext", "inbound_DSA_TAG_BRCM", "outbound_DSA_TAG_DSA",
    ]

    /// Expressions beyond the corpus that make libpcap emit every instruction kind it can.
    static let extraExpressions: [AcceptedExpression] = [
        ("LINUX_SLL", "inbound and ifindex 3"), ("LINUX_SLL2", "outbound or ifindex 7"),
        ("EN10MB", "ifindex 10"), ("EN10MB", "-ip[0] = 1"), ("EN10MB", "ip[0] * 2 = 4"),
        ("EN10MB", "ip[0] / 2 = 1"), ("EN10MB", "ip[0] % 3 = 1"), ("EN10MB", "ip[0] ^ 3 = 1"),
        ("EN10MB", "ip[0] >> 1 = 2"), ("EN10MB", "ip[0] << 1 = 2"), ("EN10MB", "ip[0] | 1 = 3"),
        ("EN10MB", "ip[0] - ip[1] > 0"), ("EN10MB", "ip[0] & ip[1] | ip[2] != 0"),
        ("EN10MB", "ip[0] % ip[1] = 0"), ("EN10MB", "ether[0] ^ ether[1] = 0"), ("EN10MB", "len * 2 > 100"),
        ("EN10MB", "ip[ip[0]:4] * ip[1] = len"), ("EN10MB", "tcp[tcpflags] & tcp-syn != 0"),
        ("EN10MB", "ip[0] + ip[1] >= ip[2]"), ("EN10MB", "vlan 10 and vlan 20"),
        ("EN10MB", "ip6 and tcp port 80 or udp portrange 1-1000"),
    ].map { AcceptedExpression(name: "extra", linkType: $0.0, optimization: "differ", expression: $0.1) }

    @Test(
        "tcpdump -d, -dd and -ddd output is reproduced byte for byte",
        .enabled(if: AcceptedExpression.table != nil, "../shared/corpus is absent: corpus comparison skipped"),
        .enabled(if: Tcpdump.installed != nil, "no tcpdump with libpcap 1.10 installed: corpus comparison skipped")
    )
    func corpusMatchesTcpdump() throws {
        guard let tcpdump = Tcpdump.installed else { return }
        let full = ProcessInfo.processInfo.environment["CBPF_FULL_CORPUS"] == "1"
        let rows = try AcceptedExpression.load()
        let selected = rows.enumerated().filter { index, row in
            full || index % 10 == 0 || Self.handPickedNames.contains(row.name)
        }.map(\.element) + Self.extraExpressions

        var comparedExpressions = 0
        var comparedPrograms = 0
        var uncompilable = [AcceptedExpression]()
        var mismatches = 0
        // libpcap leaves values in fields the kernel ignores (such as `k` of `tax`); the typed
        // Program drops them, so its -dd/-ddd differ from tcpdump's in those fields only.
        var programsWithIgnoredFields = 0
        var opcodesWithIgnoredFields = Set<UInt16>()
        func compare(_ ours: String, _ expected: String?, _ what: @autoclosure () -> String) {
            guard ours != expected else { return }
            mismatches += 1
            if mismatches <= 10 {
                Issue.record("\(what()):\n--- tcpdump\n\(expected ?? "(failed)")--- ours\n\(ours)")
            }
        }
        for row in selected {
            // Unoptimized code has other shapes (scratch memory, `x` operands); compare it too
            // where it differs. `optfail` rows only compile unoptimized.
            let variants = row.optimization == "same" ? [true] : [true, false]
            var comparedAny = false
            for optimize in variants {
                guard let decimal = tcpdump.dump(row.expression, linkType: row.linkType, optimize: optimize, style: .decimal)
                else { continue }
                let raw = try TcpdumpFormat.parse(decimal, style: .decimal)
                let program = try Program(raw: raw)
                comparedAny = true
                comparedPrograms += 1
                let listing = tcpdump.dump(row.expression, linkType: row.linkType, optimize: optimize, style: .listing)
                let cArray = tcpdump.dump(row.expression, linkType: row.linkType, optimize: optimize, style: .cArray)
                let variant = "\(optimize ? "" : "-O ")\(row)"
                compare(TcpdumpFormat.format(raw: raw, style: .decimal), decimal, "-ddd \(variant)")
                compare(TcpdumpFormat.format(raw: raw, style: .cArray), cArray, "-dd \(variant)")
                compare(TcpdumpFormat.format(raw: raw, style: .listing), listing, "-d \(variant)")
                compare(TcpdumpFormat.format(program, style: .listing), listing, "-d of the typed program, \(variant)")
                if program.raw == raw {
                    compare(TcpdumpFormat.format(program, style: .decimal), decimal, "-ddd of the typed program, \(variant)")
                    compare(TcpdumpFormat.format(program, style: .cArray), cArray, "-dd of the typed program, \(variant)")
                } else {
                    programsWithIgnoredFields += 1
                    for (theirs, ours) in zip(raw, program.raw) where theirs != ours {
                        opcodesWithIgnoredFields.insert(theirs.code)
                        // Only fields the kernel ignores may differ.
                        #expect(try Instruction(raw: ours) == Instruction(raw: theirs))
                    }
                }
                // Every dump reads back, and so does the bytecode string `-ddd | tr '\n' ','` makes.
                if let cArray { #expect(try TcpdumpFormat.parse(cArray) == raw) }
                #expect(try BytecodeString.parse(String(decimal.map { $0 == "\n" ? "," : $0 })) == raw)
                #expect(try BytecodeString.parse(BytecodeString.format(raw)) == raw)
            }
            if comparedAny { comparedExpressions += 1 } else { uncompilable.append(row) }
        }
        let ignoredOpcodes = opcodesWithIgnoredFields.sorted().map { "0x" + String($0, radix: 16) }
        print("""
            TextFormat corpus (\(full ? "all" : "every 10th row plus hand-picked; CBPF_FULL_CORPUS=1 for all") \
            of \(rows.count) rows, plus \(Self.extraExpressions.count) extra expressions): \
            \(comparedExpressions) expressions, \(comparedPrograms) programs compared in -d, -dd and -ddd, \
            \(mismatches) mismatches; \(uncompilable.count) did not compile with tcpdump (skipped); \
            \(programsWithIgnoredFields) programs have values in fields the kernel ignores (opcodes \(ignoredOpcodes)), \
            kept by the raw form and dropped by Program
            """)
        #expect(mismatches == 0)
        #expect(comparedExpressions > 0)
    }
}

// MARK: - Listing against libpcap's bpf_image

@Suite("TextFormat: tcpdump -d listing", .serialized)
struct TcpdumpListingTests {
    /// Every instruction kind, with operands that show signedness, ancillary fields and the
    /// `SKF_NET_OFF`/`SKF_LL_OFF` areas.
    static let everyKind: [Instruction] = {
        var instructions = [Instruction]()
        for size in LoadSize.allCases {
            for offset: UInt32 in [
                0, 12, 0x7fff_ffff, 0x8000_0000, SpecialOffset.network, SpecialOffset.network + 9,
                SpecialOffset.linkLayer, SpecialOffset.linkLayer + 2, SpecialOffset.ancillary + 1,
                SpecialOffset.ancillary + 64, 0xffff_ffff,
            ] {
                instructions.append(.loadAbsolute(size, offset: offset))
                instructions.append(.loadIndirect(size, offset: offset))
            }
            instructions += AncillaryField.allCases.map { .loadAncillary($0, size: size) }
        }
        for register in Register.allCases {
            instructions += [
                .loadImmediate(register, 0), .loadImmediate(register, 0x800), .loadImmediate(register, .max),
                .loadScratch(register, slot: 15), .loadScratch(register, slot: 0xffff_fff0),
                .loadLength(register), .store(register, slot: 3), .store(register, slot: .max),
            ]
        }
        instructions += [.loadIPv4HeaderLength(offset: 14), .loadIPv4HeaderLength(offset: SpecialOffset.network)]
        for operation in ArithmeticOperation.allCases {
            instructions += [
                .arithmetic(operation, .constant(5)), .arithmetic(operation, .constant(0xffff_fff0)),
                .arithmetic(operation, .x),
            ]
        }
        instructions += [.negate, .jump(offset: 0), .jump(offset: 3), .jump(offset: 0x7fff_ffff), .jump(offset: .max)]
        for test in JumpTest.allCases {
            instructions += [
                .conditionalJump(test, .constant(0x86dd), ifTrue: 0, ifFalse: 255),
                .conditionalJump(test, .constant(.max), ifTrue: 7, ifFalse: 0),
                .conditionalJump(test, .x, ifTrue: 1, ifFalse: 0),
            ]
        }
        instructions += [.returnConstant(0), .returnConstant(262_144), .returnConstant(.max), .returnA, .tax, .txa]
        return instructions
    }()

    @Test("known lines of libpcap 1.10's bpf_image")
    func knownLines() {
        let cases: [(Instruction, Int, String)] = [
            (.loadAbsolute(.halfword, offset: 12), 0, "(000) ldh      [12]"),
            (.loadAncillary(.protocol, size: .word), 1, "(001) ld       [proto]"),
            (.loadAncillary(.packetType, size: .halfword), 2, "(002) ldh      [type]"),
            (.loadAncillary(.vlanTagPresent, size: .byte), 3, "(003) ldb      [vlanp]"),
            (.loadAncillary(.random, size: .word), 4, "(004) ld       [random]"),
            (.loadAncillary(.vlanProtocol, size: .word), 5, "(005) ld       [vlan_tpid]"),
            (.loadAbsolute(.word, offset: SpecialOffset.ancillary + 1), 6, "(006) ld       [-4095]"),
            (.loadAbsolute(.word, offset: SpecialOffset.ancillary + 64), 6, "(006) ld       [-4032]"),
            (.loadAbsolute(.byte, offset: SpecialOffset.network + 9), 7, "(007) ldb      [-1048567]"),
            (.loadAbsolute(.halfword, offset: SpecialOffset.linkLayer + 12), 8, "(008) ldh      [-2097140]"),
            (.loadIndirect(.word, offset: 0x8000_0000), 9, "(009) ld       [x + -2147483648]"),
            (.loadLength(.a), 10, "(010) ld       #pktlen"),
            (.loadLength(.x), 11, "(011) unimp    0x81"),
            (.loadIPv4HeaderLength(offset: 14), 12, "(012) ldxb     4*([14]&0xf)"),
            (.loadImmediate(.x, 0xffff_ffff), 13, "(013) ldx      #0xffffffff"),
            (.store(.x, slot: 2), 14, "(014) stx      M[2]"),
            (.arithmetic(.add, .constant(0xffff_ffff)), 15, "(015) add      #-1"),
            (.arithmetic(.and, .constant(0xffff_ffff)), 16, "(016) and      #0xffffffff"),
            (.arithmetic(.modulo, .x), 17, "(017) mod      x"),
            (.negate, 18, "(018) neg      "),
            (.jump(offset: 3), 19, "(019) ja       23"),
            (.jump(offset: 0xffff_ffff), 1000, "(1000) ja       1000"),
            (.conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 3), 20, "(020) jeq      #0x800           jt 21\tjf 24"),
            (.conditionalJump(.bitsSet, .x, ifTrue: 200, ifFalse: 255), 21, "(021) jset     x                jt 222\tjf 277"),
            (.returnConstant(0xffff_ffff), 22, "(022) ret      #-1"),
            (.returnA, 23, "(023) ret      "),
            (.tax, 24, "(024) tax      "),
        ]
        for (instruction, index, expected) in cases {
            #expect(TcpdumpFormat.listingLine(for: instruction, at: index) == expected)
        }
        // Opcodes libpcap does not know keep the jt/jf columns when they are in the jump class.
        #expect(TcpdumpFormat.listingLine(for: RawInstruction(code: 0x55, jt: 3, jf: 4, k: 7), at: 13)
            == "(013) unimp    0x55             jt 17\tjf 18")
        #expect(TcpdumpFormat.listingLine(for: RawInstruction(code: 0x0d, jt: 1, jf: 1, k: 1), at: 15) == "(015) unimp    0xd")
        #expect(TcpdumpFormat.listingLine(for: RawInstruction(code: 0x115, jt: 3, jf: 4, k: 7), at: 14)
            == "(014) unimp    0x115            jt 18\tjf 19")
    }

    @Test("every instruction kind prints as bpf_image prints it", .enabled(if: LibpcapImage.isVersion1_10, "libpcap is not 1.10"))
    func everyKindMatchesLibpcap() {
        for (position, instruction) in Self.everyKind.enumerated() {
            for index in [position, 999, 1000, 65_535] {
                let typed = TcpdumpFormat.listingLine(for: instruction, at: index)
                #expect(!typed.isEmpty)
                #expect(typed == TcpdumpFormat.listingLine(for: instruction.raw, at: index))
                #expect(typed == LibpcapImage.line(instruction.raw, at: index), "\(instruction)")
            }
        }
        let listing = TcpdumpFormat.format(Program(Self.everyKind), style: .listing)
        let expected = Self.everyKind.enumerated().map { LibpcapImage.line($1.raw, at: $0) + "\n" }.joined()
        #expect(listing == expected)
    }

    @Test("all 65536 opcodes, known or not, print as bpf_image prints them", .enabled(if: LibpcapImage.isVersion1_10, "libpcap is not 1.10"))
    func everyOpcodeMatchesLibpcap() {
        var mismatches = [String]()
        for code in 0 ... UInt16.max {
            for (k, jt, jf) in [(UInt32(0), UInt8(0), UInt8(0)), (0x8000_0000, 3, 250), (0xffff_ffff, 255, 1)] {
                let raw = RawInstruction(code: code, jt: jt, jf: jf, k: k)
                let expected = LibpcapImage.line(raw, at: 42)
                if TcpdumpFormat.listingLine(for: raw, at: 42) != expected { mismatches.append(expected) }
            }
        }
        // Absolute and other k-dependent loads across the special areas.
        let loads: [UInt16] = [0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1, 0x00, 0x01, 0x60, 0x61, 0x02, 0x03, 0x05, 0x06]
        let specials = (SpecialOffset.ancillary - 4 ... SpecialOffset.ancillary + 70)
            + [SpecialOffset.network, SpecialOffset.network + 1, SpecialOffset.linkLayer, SpecialOffset.linkLayer + 14]
        for code in loads {
            for k in specials {
                let raw = RawInstruction(code: code, k: k)
                let expected = LibpcapImage.line(raw, at: 7)
                if TcpdumpFormat.listingLine(for: raw, at: 7) != expected { mismatches.append(expected) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }
}

// MARK: - -dd and -ddd

@Suite("TextFormat: tcpdump -dd and -ddd")
struct TcpdumpDumpTests {
    static let ipv4 = Program([
        .loadAbsolute(.halfword, offset: 12),
        .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),
        .returnConstant(262_144),
        .returnConstant(0),
    ])

    @Test func printsAsBpfDump() {
        #expect(TcpdumpFormat.format(Self.ipv4, style: .cArray) == """
            { 0x28, 0, 0, 0x0000000c },
            { 0x15, 0, 1, 0x00000800 },
            { 0x6, 0, 0, 0x00040000 },
            { 0x6, 0, 0, 0x00000000 },

            """)
        #expect(TcpdumpFormat.format(Self.ipv4, style: .decimal) == "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")
        #expect(TcpdumpFormat.format(Self.ipv4, style: .listing) == """
            (000) ldh      [12]
            (001) jeq      #0x800           jt 2\tjf 3
            (002) ret      #262144
            (003) ret      #0

            """)
        #expect(TcpdumpFormat.format(Program([]), style: .decimal) == "0\n")
        #expect(TcpdumpFormat.format(Program([]), style: .listing) == "")
    }

    @Test func rawFieldsTheKernelIgnoresArePrinted() {
        let raw = [RawInstruction(code: 0x16, jt: 1, jf: 2, k: 99)]
        #expect(TcpdumpFormat.format(raw: raw, style: .cArray) == "{ 0x16, 1, 2, 0x00000063 },\n")
        #expect(TcpdumpFormat.format(raw: raw, style: .decimal) == "1\n22 1 2 99\n")
        #expect(TcpdumpFormat.format(raw: raw, style: .listing) == "(000) ret      \n")
    }

    @Test func readsBothDumpsBack() throws {
        for style in [TcpdumpFormat.Style.cArray, .decimal] {
            let text = TcpdumpFormat.format(Self.ipv4, style: style)
            #expect(try TcpdumpFormat.parse(text, style: style) == Self.ipv4.raw)
            #expect(try TcpdumpFormat.parse(text) == Self.ipv4.raw)
            #expect(try Program(tcpdumpOutput: text) == Self.ipv4)
        }
        // C literals in any base, several per line, CRLF, no trailing comma.
        let cArray = "{ 40, 0, 0, 014 }, {0X15,0,1,0x800}\r\n{ 0x6, 0, 0, 0x40000 },{ 6, 0, 0, 0 }"
        #expect(try TcpdumpFormat.parse(cArray) == Self.ipv4.raw)
        #expect(try TcpdumpFormat.parse("\n 4\r\n40 0 0 12\n\n21  0 1 2048\n6 0 0 262144\n6\t0 0 0") == Self.ipv4.raw)
    }

    @Test func unknownOpcodesReadAsRawButNotAsProgram() throws {
        let text = "2\n6 0 0 0\n255 0 0 0\n"
        #expect(try TcpdumpFormat.parse(text) == [RawInstruction(code: 6), RawInstruction(code: 255)])
        let error = try #require(throws: TcpdumpFormatError.self) { try Program(tcpdumpOutput: text) }
        #expect(error.description.contains("instruction 1"))
        #expect(error.description.contains("0xff"))
    }

    @Test func malformedDumpsAreRejectedWithLineAndReason() {
        func reason(_ text: String, style: TcpdumpFormat.Style? = nil) -> TcpdumpFormatError? {
            do throws(TcpdumpFormatError) {
                if let style { _ = try TcpdumpFormat.parse(text, style: style) } else { _ = try TcpdumpFormat.parse(text) }
                return nil
            } catch {
                return error
            }
        }
        #expect(reason("")?.reason == .empty)
        #expect(reason(" \n\t")?.reason == .empty)
        #expect(reason("(000) ldh      [12]\n")?.reason == .listingNotReadable)
        #expect(reason("4\n", style: .listing)?.reason == .listingNotReadable)
        #expect(reason("ldh [12]")?.reason == .unrecognized("l"))
        #expect(reason("2\n6 0 0 0\n")?.reason == .countMismatch(declared: 2, found: 1))
        #expect(reason("1\n6 0 0 0\n6 0 0 0\n") == TcpdumpFormatError(line: 3, reason: .countMismatch(declared: 1, found: nil)))
        #expect(reason("1 2\n6 0 0 0\n") == TcpdumpFormatError(line: 1, reason: .invalidCount("1 2")))
        #expect(reason("1\n6 0 0\n") == TcpdumpFormatError(line: 2, reason: .wrongFieldCount(3)))
        #expect(reason("1\n6 0 256 0\n") == TcpdumpFormatError(
            line: 2, reason: .invalidField(.init(field: .jf, text: "256", problem: .tooLarge))))
        #expect(reason("1\n6 0 0 0x10\n") == TcpdumpFormatError(
            line: 2, reason: .invalidField(.init(field: .k, text: "0x10", problem: .notDecimal))))
        #expect(reason("1\n6 0 0 4294967296\n")?.reason == .invalidField(.init(field: .k, text: "4294967296", problem: .tooLarge)))
        #expect(reason("1\n65536 0 0 0\n")?.reason == .invalidField(.init(field: .code, text: "65536", problem: .tooLarge)))
        #expect(reason("{ 0x6, 0, 0, 0 },\n{ 0x6, 0, 0 },") == TcpdumpFormatError(line: 2, reason: .expected(",", found: "}")))
        #expect(reason("{ 0x6, 0, 0, 0 ") == TcpdumpFormatError(line: 1, reason: .expected("}", found: nil)))
        #expect(reason("{ 0x6, 0, , 0 }")?.reason == .invalidField(.init(field: .jf, text: "", problem: .missing)))
        #expect(reason("{ 0x6, 0, 08, 0 }")?.reason == .invalidField(.init(field: .jf, text: "08", problem: .notCInteger)))
        #expect(reason("{ 0xg6, 0, 0, 0 }")?.reason == .invalidField(.init(field: .code, text: "0xg6", problem: .notCInteger)))
        #expect(reason("{ -1, 0, 0, 0 }")?.reason == .invalidField(.init(field: .code, text: "", problem: .missing)))
        #expect(reason("{ 0x6, 0, 0, 0x100000000 }")?.reason == .invalidField(.init(field: .k, text: "0x100000000", problem: .tooLarge)))
        #expect(reason("", style: .cArray)?.reason == .empty)
        #expect(reason("1\n6 0 0 0x10\n")?.description == "tcpdump output, line 2: k \"0x10\" is not a decimal number")
    }
}

// MARK: - Bytecode string

@Suite("TextFormat: tc / iptables bytecode string")
struct BytecodeStringTests {
    /// The example of iptables-extensions(8): TCP, written as `tcpdump -ddd ip proto 6`.
    static let iptablesExample = "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"
    static let iptablesExampleRaw = [
        RawInstruction(code: 48, k: 9), RawInstruction(code: 21, jt: 0, jf: 1, k: 6),
        RawInstruction(code: 6, k: 1), RawInstruction(code: 6, k: 0),
    ]

    func failure(_ text: String) -> BytecodeStringError? {
        do {
            _ = try BytecodeString.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func formatsAndParses() throws {
        #expect(BytecodeString.format(Self.iptablesExampleRaw) == Self.iptablesExample)
        #expect(try BytecodeString.parse(Self.iptablesExample) == Self.iptablesExampleRaw)
        let program = try Program(bytecodeString: Self.iptablesExample)
        #expect(program.bytecodeString == Self.iptablesExample)
        #expect(program.instructions.first == .loadAbsolute(.byte, offset: 9))
        #expect(BytecodeString.format([RawInstruction]()) == "0")
        #expect(try BytecodeString.parse("0") == [])
        let extremes = [RawInstruction(code: .max, jt: .max, jf: .max, k: .max)]
        #expect(try BytecodeString.parse(BytecodeString.format(extremes)) == extremes)
    }

    @Test(arguments: [
        "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0,",
        "  4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0,\n",
        "\t4 , 48 0 0 9 ,21  0\t1 6, 6 0 0 1,6 0 0 0 ",
        "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0",
        "04,048 0 0 09,21 0 1 6,6 0 0 1,6 0 0 0",
    ])
    func acceptsTrailingCommaAndWhitespace(text: String) throws {
        #expect(try BytecodeString.parse(text) == Self.iptablesExampleRaw)
    }

    @Test func rejectsMalformedStringsSayingWhereAndWhy() {
        #expect(failure("") == BytecodeStringError(reason: .empty))
        #expect(failure(" \n ") == BytecodeStringError(reason: .empty))
        #expect(failure(",")?.reason == .invalidCount)
        #expect(failure("x,6 0 0 0") == BytecodeStringError(reason: .invalidCount, field: 1, fieldCount: 2, text: "x"))
        #expect(failure("-1,6 0 0 0")?.reason == .invalidCount)
        #expect(failure("99999999999999999999999,6 0 0 0")?.reason == .invalidCount)
        #expect(failure("3,48 0 0 9,21 0 1 6") == BytecodeStringError(reason: .countMismatch(declared: 3, found: 2)))
        #expect(failure("1,48 0 0 9,6 0 0 0")?.reason == .countMismatch(declared: 1, found: 2))
        #expect(failure("2,6 0 0 0,,6 0 0 0") == BytecodeStringError(reason: .emptyInstruction, field: 3, fieldCount: 4, text: ""))
        #expect(failure("2,6 0 0 0,6 0 0 0,,")?.reason == .emptyInstruction)
        #expect(failure("1,6 0 0") == BytecodeStringError(reason: .wrongNumberCount(3), field: 2, fieldCount: 2, text: "6 0 0"))
        #expect(failure("1,6 0 0 0 0")?.reason == .wrongNumberCount(5))
        #expect(failure("1 6 0 0 0")?.reason == .invalidCount)
        #expect(failure("1,0x6 0 0 0")?.reason == .invalidNumber(.init(field: .code, text: "0x6", problem: .notDecimal)))
        #expect(failure("1,6 -1 0 0")?.reason == .invalidNumber(.init(field: .jt, text: "-1", problem: .notDecimal)))
        #expect(failure("1,6 0 +1 0")?.reason == .invalidNumber(.init(field: .jf, text: "+1", problem: .notDecimal)))
        #expect(failure("1,6 0 0 1e3")?.reason == .invalidNumber(.init(field: .k, text: "1e3", problem: .notDecimal)))
        #expect(failure("1,65536 0 0 0")?.reason == .invalidNumber(.init(field: .code, text: "65536", problem: .tooLarge)))
        #expect(failure("1,6 256 0 0")?.reason == .invalidNumber(.init(field: .jt, text: "256", problem: .tooLarge)))
        #expect(failure("1,6 0 0 4294967296")?.reason == .invalidNumber(.init(field: .k, text: "4294967296", problem: .tooLarge)))
        #expect(failure("1,6 0 0 99999999999999999999999")?.reason
            == .invalidNumber(.init(field: .k, text: "99999999999999999999999", problem: .tooLarge)))
        #expect(failure("1;6 0 0 0")?.reason == .invalidCount)
        #expect(failure("1,６ 0 0 0")?.reason == .invalidNumber(.init(field: .code, text: "６", problem: .notDecimal)))
    }

    @Test func errorMessagesNameTheField() {
        #expect(failure("2,6 0 0 0,6 0 256 0")?.description
            == "bytecode string field 3 of 3 (instruction 1) \"6 0 256 0\": jf \"256\" is too large; the largest jf is 255")
        #expect(failure("2,6 0 0 0,6 0 0")?.description
            == "bytecode string field 3 of 3 (instruction 1) \"6 0 0\": expected 4 numbers separated by spaces, \"code jt jf k\", found 3")
        #expect(failure("x,6 0 0 0")?.description
            == "bytecode string field 1 of 2 \"x\": the first field must be the instruction count, a decimal number")
        #expect(failure("3,6 0 0 0")?.description == "bytecode string: the count field says 3 instructions but 1 follow")
        #expect(failure("")?.description == "bytecode string: the string is empty; expected \"N,code jt jf k,...\"")
    }

    @Test func unknownOpcodesParseRawButFailAsProgram() throws {
        #expect(try BytecodeString.parse("2,6 0 0 0,255 0 0 0") == [RawInstruction(code: 6), RawInstruction(code: 255)])
        let error = try #require(throws: BytecodeStringError.self) { try Program(bytecodeString: "2,6 0 0 0,255 0 0 0") }
        #expect(error.field == 3)
        #expect(error.instructionIndex == 1)
        #expect(error.description.hasPrefix("bytecode string field 3 of 3 (instruction 1) \"255 0 0 0\": unknown opcode 0xff"))
    }

    @Test("every instruction kind survives a round trip")
    func everyKindRoundTrips() throws {
        let program = Program(TcpdumpListingTests.everyKind)
        #expect(try Program(bytecodeString: program.bytecodeString) == program)
        for style in [TcpdumpFormat.Style.cArray, .decimal] {
            #expect(try Program(tcpdumpOutput: TcpdumpFormat.format(program, style: style)) == program)
        }
    }
}

// MARK: - No traps

@Suite("TextFormat: parsers never trap")
struct TextFormatRobustnessTests {
    /// Mutates valid texts with a fixed-seed generator; any input must give a value or an error.
    @Test func mutatedInputsThrowInsteadOfTrapping() {
        let alphabet = Array(",{} 0123456789xX-+\n\r\t;a٣")
        let seeds = [
            BytecodeStringTests.iptablesExample,
            TcpdumpFormat.format(TcpdumpDumpTests.ipv4, style: .cArray),
            TcpdumpFormat.format(TcpdumpDumpTests.ipv4, style: .decimal),
            "1,65535 255 255 4294967295",
        ]
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var parsed = 0
        for round in 0 ..< 20_000 {
            var text = Array(seeds[round % seeds.count])
            for _ in 0 ... next(4) {
                let position = next(text.count + 1)
                switch next(3) {
                case 0 where position < text.count: text.remove(at: position)
                case 1 where position < text.count: text[position] = alphabet[next(alphabet.count)]
                default: text.insert(alphabet[next(alphabet.count)], at: position)
                }
            }
            let mutated = String(text)
            if (try? BytecodeString.parse(mutated)) != nil { parsed += 1 }
            if (try? TcpdumpFormat.parse(mutated)) != nil { parsed += 1 }
            _ = try? Program(bytecodeString: mutated)
            _ = try? Program(tcpdumpOutput: mutated)
        }
        #expect(parsed > 0)
    }
}
