import Attach
@testable import CBPF
import CBPFFuzz
import CPcap
import Foundation
import Glibc
import SystemPackage
import Testing

/// The optimizer: each pass on small programs, then differential runs (optimized against
/// unoptimized through the interpreter) on seeded random programs and on libpcap's output for
/// the libpcap test corpus, with libpcap's own optimizer as the benchmark for size.
@Suite struct OptimizerTests {
    // MARK: - Passes on small programs

    @Test func foldsConstantArithmeticAndReturnA() throws {
        let program = Program([
            .loadImmediate(.a, 2), .arithmetic(.add, .constant(3)), .tax, .loadImmediate(.a, 4),
            .arithmetic(.multiply, .x), .returnA,
        ])
        let optimized = try optimizeChecked(program)
        #expect(optimized.instructions == [.returnConstant(20)])
    }

    @Test func foldsBranchesOnKnownConstants() throws {
        let program = Program([
            .loadImmediate(.a, 7),
            .conditionalJump(.greaterThan, .constant(5), ifTrue: 0, ifFalse: 1),
            .returnConstant(1),
            .returnConstant(2),
        ])
        #expect(try optimizeChecked(program).instructions == [.returnConstant(1)])
    }

    /// After `jeq #0x800` is taken, a later `jeq #0x800` on a reload of the same field is known.
    @Test func threadsJumpsWhoseOutcomeIsKnown() throws {
        let program = Program([
            .loadAbsolute(.halfword, offset: 12),  // 0
            .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 3),  // 1: -> 2, 5
            .loadAbsolute(.byte, offset: 23),  // 2
            .conditionalJump(.equal, .constant(6), ifTrue: 5, ifFalse: 0),  // 3: -> 9, 4
            .returnConstant(3),  // 4
            .loadAbsolute(.halfword, offset: 12),  // 5
            .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),  // 6: -> 7, 8
            .returnConstant(1),  // 7
            .returnConstant(0),  // 8
            .returnConstant(2),  // 9
        ])
        let optimized = try optimizeChecked(program)
        // The second test of the EtherType disappears: one halfword load, two branches.
        #expect(optimized.instructions.filter { $0 == .loadAbsolute(.halfword, offset: 12) }.count == 1)
        #expect(optimized.instructions.filter(\.isJump).count == 2)
        #expect(optimized.instructions.contains(.returnConstant(1)) == false)
    }

    @Test func removesRedundantLoadsAndStores() throws {
        let program = Program([
            .loadAbsolute(.halfword, offset: 12), .store(.a, slot: 0), .loadAbsolute(.halfword, offset: 12),
            .store(.a, slot: 0), .loadScratch(.x, slot: 0), .txa,
            .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),
            .returnConstant(1), .returnConstant(0),
        ])
        let optimized = try optimizeChecked(program)
        #expect(optimized.instructions == [
            .loadAbsolute(.halfword, offset: 12),
            .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),
            .returnConstant(1), .returnConstant(0),
        ])
    }

    @Test func removesDeadStoresAndRegisterWrites() throws {
        let program = Program([
            .loadImmediate(.x, 5), .loadImmediate(.a, 1), .store(.a, slot: 3), .loadLength(.a),
            .store(.a, slot: 4), .returnA,
        ])
        #expect(try optimizeChecked(program).instructions == [.loadLength(.a), .returnA])
    }

    /// A load past the end of the packet returns 0, so an unused load stays unless the path
    /// returns 0 anyway or a longer load on every path would fail first.
    @Test func keepsLoadsThatMayFail() throws {
        let unused = Program([.loadAbsolute(.halfword, offset: 100), .returnConstant(1)])
        #expect(try optimizeChecked(unused) == unused)

        let returnsZero = Program([.loadAbsolute(.halfword, offset: 100), .returnConstant(0)])
        #expect(try optimizeChecked(returnsZero).instructions == [.returnConstant(0)])

        let covered = Program([
            .loadAbsolute(.halfword, offset: 10), .loadAbsolute(.word, offset: 20), .returnConstant(1),
        ])
        #expect(try optimizeChecked(covered).instructions == [.loadAbsolute(.word, offset: 20), .returnConstant(1)])

        // Already read once: the second read cannot fail.
        let known = Program([
            .loadAbsolute(.word, offset: 20), .store(.a, slot: 0), .loadAbsolute(.byte, offset: 3),
            .loadScratch(.a, slot: 0), .returnA,
        ])
        #expect(try optimizeChecked(known).instructions == [.loadAbsolute(.word, offset: 20), .returnA])
    }

    @Test func divisionByKnownZeroEndsTheProgram() throws {
        let program = Program([
            .loadImmediate(.x, 0), .loadAbsolute(.byte, offset: 0), .arithmetic(.divide, .x), .returnConstant(5),
        ])
        let optimized = try optimizeChecked(program)
        #expect(optimized.instructions == [.returnConstant(0)])

        // An unknown divisor keeps the division: it may end the program with 0.
        let unknown = Program([
            .loadAbsolute(.byte, offset: 0), .tax, .loadImmediate(.a, 9), .arithmetic(.divide, .x), .returnConstant(5),
        ])
        #expect(try optimizeChecked(unknown).instructions.contains(.arithmetic(.divide, .x)))
    }

    /// Without a device `ld #ifidx` returns A, so the A before it is live.
    @Test func interfaceIndexWithoutDeviceReturnsA() throws {
        let program = Program([
            .loadImmediate(.a, 7), .loadAncillary(.interfaceIndex, size: .word), .loadImmediate(.a, 1), .returnA,
        ])
        let optimized = try optimizeChecked(program)
        let interpreter = try Interpreter(optimized)
        #expect(interpreter.run(packet: []) == 7)
        var metadata = PacketMetadata()
        metadata.device = .init(index: 3, hardwareType: 1)
        #expect(interpreter.run(packet: [], metadata: metadata) == 1)
    }

    /// Two `ld #rand` are two values: their comparison is not folded.
    @Test func randomLoadsAreDistinct() throws {
        let program = Program([
            .loadAncillary(.random, size: .word), .store(.a, slot: 0), .loadAncillary(.random, size: .word), .tax,
            .loadScratch(.a, slot: 0), .conditionalJump(.equal, .x, ifTrue: 0, ifFalse: 1),
            .returnConstant(1), .returnConstant(2),
        ])
        let optimized = try optimizeChecked(program)
        #expect(optimized.instructions.filter { $0 == .loadAncillary(.random, size: .word) }.count == 2)
        #expect(optimized.instructions.contains(.returnConstant(2)))
    }

    @Test func mergesIdenticalReturnsAndTails() throws {
        let program = Program([
            .loadAbsolute(.byte, offset: 0),
            .conditionalJump(.equal, .constant(1), ifTrue: 0, ifFalse: 4),  // -> 2, 6
            .loadAbsolute(.byte, offset: 1),
            .arithmetic(.and, .constant(0xf)),
            .conditionalJump(.equal, .constant(2), ifTrue: 5, ifFalse: 6),  // -> 10, 11
            .returnConstant(0),
            .loadAbsolute(.byte, offset: 1),  // 6: the same tail as 2..4
            .arithmetic(.and, .constant(0xf)),
            .conditionalJump(.equal, .constant(2), ifTrue: 1, ifFalse: 2),  // -> 10, 11
            .returnConstant(0),
            .returnConstant(9),  // 10
            .returnConstant(0),  // 11
        ])
        let optimized = try optimizeChecked(program)
        #expect(optimized.count <= 6)
    }

    /// A jump into a return that other branches share falls through into it rather than
    /// getting a copy of it (found by CBPFFuzz programs).
    @Test func jumpsFallThroughIntoSharedReturns() throws {
        let program = Program([
            .loadAncillary(.mark, size: .byte),
            .conditionalJump(.bitsSet, .constant(0x7f16_1820), ifTrue: 1, ifFalse: 0),
            .arithmetic(.subtract, .constant(0xcd3)),
            .returnA,
        ])
        #expect(try optimizeChecked(program) == program)
    }

    @Test func foldsArithmeticIntoBranchesAndIndexOffsets() throws {
        // libpcap's `ether[5:1] & 0xc == 0` and `carp[0xab] == 0xcd` shapes.
        let masked = Program([
            .loadAbsolute(.byte, offset: 0), .arithmetic(.and, .constant(0xc)),
            .conditionalJump(.equal, .constant(0), ifTrue: 0, ifFalse: 1), .returnConstant(1), .returnConstant(0),
        ])
        #expect(try optimizeChecked(masked).count == 4)

        let indexed = Program([
            .loadImmediate(.a, 0xab), .loadIPv4HeaderLength(offset: 14), .arithmetic(.add, .x), .tax,
            .loadIndirect(.byte, offset: 14), .arithmetic(.subtract, .constant(0xcd)),
            .conditionalJump(.equal, .constant(0), ifTrue: 0, ifFalse: 1), .returnConstant(1), .returnConstant(0),
        ])
        let optimized = try optimizeChecked(indexed)
        #expect(optimized.instructions.prefix(3) == [
            .loadIPv4HeaderLength(offset: 14), .loadIndirect(.byte, offset: 14 + 0xab),
            .conditionalJump(.equal, .constant(0xcd), ifTrue: 0, ifFalse: 1),
        ])
    }

    @Test func seccompLengthIsConstant() throws {
        let allow = SeccompAction.allowValue
        let program = Program([
            .loadLength(.a), .conditionalJump(.equal, .constant(64), ifTrue: 0, ifFalse: 1),
            .returnConstant(allow), .returnConstant(0),
        ])
        #expect(try optimizeChecked(program, for: .seccomp).instructions == [.returnConstant(allow)])
    }

    /// Branches further than 255 instructions go through `ja`; the result still verifies.
    @Test func longProgramsUseTrampolines() throws {
        var instructions = [Instruction]()
        let tests = 140
        // Test i: ldb [i % 16]; jeq #(i % 5) -> a shared return far away, else next test.
        for i in 0..<tests {
            instructions.append(.loadAbsolute(.byte, offset: UInt32(i % 16)))
            instructions.append(.arithmetic(.add, .constant(UInt32(i))))
            instructions.append(.conditionalJump(.equal, .constant(UInt32(i % 5)), ifTrue: 0, ifFalse: 1))
            instructions.append(.jump(offset: 0))  // patched below
        }
        let returnsStart = instructions.count
        instructions += [.returnConstant(0), .returnConstant(1), .returnConstant(2)]
        for i in 0..<tests {
            let site = 4 * i + 3
            instructions[site] = .jump(offset: UInt32(returnsStart + 1 + i % 2 - (site + 1)))
        }
        let program = Program(instructions)
        try Verifier.verify(program, for: .socket)
        let optimized = try optimizeChecked(program, packets: 400)
        #expect(optimized.count <= program.count)
    }

    /// A chain of 1000 tests that all accept through one `ret`: far branches share copies of
    /// the return instead of each getting a `ja`.
    @Test func farBranchesShareCopiesOfReturns() throws {
        var random = FuzzRandom(seed: 3)
        var instructions = [Instruction]()
        var trampolines = [Int]()
        let tests = 1000
        for _ in 0..<tests {
            instructions.append(.loadAbsolute(.word, offset: UInt32(random.below(1000))))
            instructions.append(.conditionalJump(.equal, .constant(UInt32(random.below(100_000))), ifTrue: 0, ifFalse: 1))
            trampolines.append(instructions.count)
            instructions.append(.jump(offset: 0))
        }
        instructions += [.returnConstant(0), .returnConstant(1)]
        for site in trampolines {
            instructions[site] = .jump(offset: UInt32(instructions.count - 1 - (site + 1)))
        }
        let optimized = try optimizeChecked(Program(instructions), packets: 50)
        #expect(optimized.count <= 2 * tests + tests / 100 + 2)
        #expect(try Self.socketAccepts(optimized))
    }

    /// The kernel lets a `ret`'s written-slot set flow into the next instruction; a block that
    /// reads scratch memory must not follow a return whose paths did not write it.
    @Test func layoutRespectsTheKernelScratchCheck() throws {
        for seed in 0..<200 {
            var random = FuzzRandom(seed: UInt64(seed))
            var instructions: [Instruction] = [
                .loadAbsolute(.byte, offset: 0),
                .conditionalJump(.equal, .constant(1), ifTrue: 0, ifFalse: 3),  // -> 2, 5
                .loadAbsolute(.byte, offset: UInt32(random.below(8))),
                .arithmetic(.add, .constant(1)),
                .returnA,
                .store(.a, slot: 2),  // 5
                .loadAbsolute(.byte, offset: 1),
                .conditionalJump(.equal, .constant(UInt32(random.below(3))), ifTrue: 0, ifFalse: 2),  // -> 8, 10
                .loadScratch(.a, slot: 2),  // 8
                .returnA,
                .loadAbsolute(.byte, offset: 2),  // 10
                .conditionalJump(.greaterThan, .constant(UInt32(random.below(3))), ifTrue: 0, ifFalse: 2),  // -> 12, 14
                .loadScratch(.x, slot: 2),  // 12
                .returnConstant(3),
                .arithmetic(.add, .constant(UInt32(random.below(3)))),  // 14
                .returnA,
            ]
            if random.below(2) == 0 { instructions.swapAt(2, 3) }
            _ = try optimizeChecked(Program(instructions))
        }
    }

    @Test func invalidProgramsComeBackUnchanged() {
        let invalid = Program([.loadScratch(.a, slot: 0), .returnA])
        #expect(Optimizer.optimize(invalid) == invalid)
    }

    @Test func comparisonReportCountsInstructions() throws {
        let unoptimized = Program([
            .loadAbsolute(.halfword, offset: 12), .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 3),
            .loadAbsolute(.halfword, offset: 12), .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),
            .returnConstant(1), .returnConstant(0),
        ])
        let reference = Program([
            .loadAbsolute(.halfword, offset: 12), .conditionalJump(.equal, .constant(0x800), ifTrue: 0, ifFalse: 1),
            .returnConstant(1), .returnConstant(0),
        ])
        let comparison = Optimizer.compare([
            Optimizer.ReferencePair(unoptimized: unoptimized, reference: reference, packets: [[], [8, 0], Array(repeating: 8, count: 14)]),
        ])
        #expect(comparison.programCount == 1)
        #expect(comparison.unoptimizedInstructions == 6)
        #expect(comparison.referenceInstructions == 4)
        #expect(comparison.optimizedInstructions == 4)
        #expect(comparison.disagreementsWithUnoptimized == 0)
        #expect(!comparison.description.isEmpty)
    }

    // MARK: - Random programs

    @Test(arguments: [AttachTarget.socket, .seccomp, .iptables, .trafficControl])
    func randomProgramsKeepTheirResults(target: AttachTarget) throws {
        let programCount = Self.fullCorpus ? 4000 : 500
        var generator = RandomPrograms(random: FuzzRandom(seed: 0x0b7f_1234 &+ UInt64(target.rawValue.count)), target: target)
        var inputTotal = 0
        var outputTotal = 0
        for number in 0..<programCount {
            let program = generator.program()
            let optimized = try optimizeChecked(program, for: target, packets: 0)
            inputTotal += program.count
            outputTotal += optimized.count
            // The kernel's checker agrees with ours on what the optimizer emits.
            if target != .seccomp, number % 10 == 0 {
                #expect(try Self.socketAccepts(optimized), "\(Self.listing(optimized))")
            }
            let original = try Interpreter(program, for: target)
            let candidate = try Interpreter(optimized, for: target)
            for _ in 0..<100 {
                let packet = generator.packet()
                let metadata = generator.metadata()
                let wireLength = generator.random.below(2) == 0 ? UInt32(packet.count) : UInt32(generator.random.below(80))
                let expected = original.run(packet: packet, wireLength: wireLength, metadata: metadata)
                let actual = candidate.run(packet: packet, wireLength: wireLength, metadata: metadata)
                guard expected == actual else {
                    Issue.record("""
                        \(target.rawValue): \(expected) became \(actual) on \(packet) (wire \(wireLength), \(metadata))
                        input:
                        \(Self.listing(program))
                        optimized:
                        \(Self.listing(optimized))
                        """)
                    return
                }
            }
        }
        #expect(outputTotal <= inputTotal)
    }

    /// Programs from CBPFFuzz's generator, which the kernel differential tests also use.
    @Test func fuzzGeneratorProgramsKeepTheirResults() throws {
        var generator = CBPFFuzz.ProgramGenerator(seed: 0x5eed_0b7)
        var packets = RandomPrograms(random: FuzzRandom(seed: 99), target: .socket)
        for _ in 0..<(Self.fullCorpus ? 3000 : 300) {
            let socketCase = generator.socketCase()
            guard (try? Verifier.verify(socketCase.program, for: .socket)) != nil else { continue }
            try optimizeChecked(socketCase.program, packets: 0, extraPackets: [socketCase.packet] + (0..<60).map { _ in packets.packet() })
        }
    }

    // MARK: - libpcap's test corpus

    /// For each expression of libpcap's TESTrun accept table: compile it with libpcap without
    /// optimization (`tcpdump -O -ddd -y DLT EXPR` calls the same `pcap_compile`), optimize it,
    /// and compare size with libpcap's optimizer and results on the tcpdump test captures of
    /// that link type (whole and truncated) and on random packets.
    ///
    /// Runs every 8th expression unless `CBPF_FULL_CORPUS=1`.
    @Test(.enabled(if: acceptTable() != nil, "../shared/corpus is absent: no libpcap corpus to compare with"))
    func libpcapCorpusAgainstLibpcapOptimizer() throws {
        let rows = try #require(Self.acceptTable())
        let captures = Self.capturesByLinkType()
        let step = Self.fullCorpus ? 1 : 8
        var random = RandomPrograms(random: FuzzRandom(seed: 7), target: .socket)
        var pairs = [Optimizer.ReferencePair]()
        var notCompiled = 0
        var unverifiable = 0
        var notOptimizedByLibpcap = 0
        var libpcapChangesWholePackets = 0
        for (index, row) in rows.enumerated() where index % step == 0 {
            let linkType = pcap_datalink_name_to_val(row.linkType)
            guard linkType >= 0, let unoptimized = Self.compile(row.expression, linkType: linkType, optimize: false) else {
                notCompiled += 1
                continue
            }
            // protochain compiles to a backward jump, which the kernel rejects.
            guard (try? Verifier.verify(unoptimized, for: .socket)) != nil else {
                unverifiable += 1
                continue
            }
            let captured = captures[linkType] ?? []
            var packets = captured + captured.map { Array($0.prefix($0.count / 2)) } + captured.map { Array($0.dropLast()) }
            packets += (0..<40).map { _ in random.packet(maximumLength: 80) }
            // Every program in the corpus must keep its results: libpcap's optimized one too.
            try optimizeChecked(unoptimized, packets: 0, extraPackets: packets)
            guard let reference = Self.compile(row.expression, linkType: linkType, optimize: true) else {
                notOptimizedByLibpcap += 1  // libpcap's optimizer rejects expressions that match nothing
                continue
            }
            try optimizeChecked(reference, packets: 0, extraPackets: packets)
            pairs.append(Optimizer.ReferencePair(unoptimized: unoptimized, reference: reference, packets: packets))

            // On whole captured packets libpcap's result is ours, unless libpcap's own
            // optimization changed it.
            let optimized = Optimizer.optimize(unoptimized)
            #expect(try Self.socketAccepts(optimized), "\(row.linkType) \(row.expression)")
            let ours = try Interpreter(optimized)
            let theirs = try Interpreter(reference)
            let original = try Interpreter(unoptimized)
            for packet in captured where ours.run(packet: packet) != theirs.run(packet: packet) {
                libpcapChangesWholePackets += 1
                #expect(theirs.run(packet: packet) != original.run(packet: packet), "\(row.linkType) \(row.expression)")
            }
        }
        let comparison = Optimizer.compare(pairs)
        print("""
            OptimizerTests: libpcap corpus, every \(step)th row: \(notCompiled) not compiled by libpcap 1.10.3, \
            \(unverifiable) rejected by the kernel's checker, \(notOptimizedByLibpcap) rejected by libpcap's optimizer; \
            \(comparison); of the disagreements with libpcap, \(libpcapChangesWholePackets) on whole captured packets
            """)
        #expect(comparison.disagreementsWithUnoptimized == 0)
        #expect(comparison.disagreementsWithReference == comparison.referenceDisagreementsWithUnoptimized)
        #expect(comparison.optimizedInstructions <= comparison.referenceInstructions)
        #expect(comparison.programCount > 0)
    }
}

// MARK: - Helpers

extension OptimizerTests {
    static let fullCorpus = ProcessInfo.processInfo.environment["CBPF_FULL_CORPUS"] == "1"

    static let corpusDirectory: String = {
        // Tests/CBPFTests/OptimizerTests.swift -> the package -> its sibling `shared`.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }()

    /// Whether the kernel accepts a program with `SO_ATTACH_FILTER` on an AF_UNIX socket.
    static func socketAccepts(_ program: Program) throws -> Bool {
        try kernelAccepts(program.raw)
    }

    static func listing(_ program: Program) -> String {
        program.instructions.enumerated().map { "\($0): \(BPFAsmFormat.text(for: $1, at: $0))" }.joined(separator: "\n")
    }

    /// Optimizes `program`, checks that the result verifies, is not longer, that no candidate
    /// had to be discarded, and that it returns what the input returns on random packets.
    @discardableResult
    func optimizeChecked(
        _ program: Program, for target: AttachTarget = .socket, packets: Int = 300, extraPackets: [[UInt8]] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Program {
        let (optimized, fellBack) = Optimizer.optimizeReportingFallback(program, for: target)
        #expect(!fellBack, "the optimizer fell back (a candidate failed verification or grew):\n\(Self.listing(program))", sourceLocation: sourceLocation)
        try Verifier.verify(optimized, for: target)
        #expect(optimized.count <= program.count, sourceLocation: sourceLocation)
        let original = try Interpreter(program, for: target)
        let candidate = try Interpreter(optimized, for: target)
        var generator = RandomPrograms(random: FuzzRandom(seed: UInt64(program.count)), target: target)
        var inputs = extraPackets.map { ($0, PacketMetadata()) }
        for _ in 0..<packets { inputs.append((generator.packet(), generator.metadata())) }
        for (packet, metadata) in inputs {
            let expected = original.run(packet: packet, metadata: metadata)
            let actual = candidate.run(packet: packet, metadata: metadata)
            if expected != actual {
                Issue.record("""
                    \(expected) became \(actual) on \(packet)
                    input:
                    \(Self.listing(program))
                    optimized:
                    \(Self.listing(optimized))
                    """, sourceLocation: sourceLocation)
                break
            }
        }
        return optimized
    }

    struct AcceptRow {
        var linkType: String
        var expression: String
    }

    static func acceptTable() -> [AcceptRow]? {
        let path = corpusDirectory + "/libpcap-testrun/accept.tsv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 4 else { return nil }
            return AcceptRow(linkType: String(columns[1]), expression: String(columns[3]))
        }
    }

    /// libpcap's compiler, as tcpdump calls it for `-d` without an interface.
    static func compile(_ expression: String, linkType: Int32, optimize: Bool) -> Program? {
        guard let handle = pcap_open_dead(linkType, 262_144) else { return nil }
        defer { pcap_close(handle) }
        var compiled = bpf_program()
        guard pcap_compile(handle, &compiled, expression, optimize ? 1 : 0, 0) == 0 else { return nil }
        defer { pcap_freecode(&compiled) }
        let raw = (0..<Int(compiled.bf_len)).map { index in
            let instruction = compiled.bf_insns[index]
            return RawInstruction(code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
        }
        return try? Program(raw: raw)
    }

    /// Captured packets of the tcpdump test captures by DLT, at most 2000 per link type.
    static func capturesByLinkType() -> [Int32: [[UInt8]]] {
        let directory = corpusDirectory + "/pcap/tcpdump-tests"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
        var packets = [Int32: [[UInt8]]]()
        for name in names.sorted() where name.hasSuffix(".pcap") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                  let capture = ClassicCapture(bytes: [UInt8](data)) else { continue }
            packets[capture.linkType, default: []] += capture.packets
        }
        let limit = fullCorpus ? 6000 : 2000
        return packets.mapValues { all in
            all.count <= limit ? all : stride(from: 0, to: all.count, by: all.count / limit + 1).map { all[$0] }
        }
    }
}

/// A classic pcap file: a 24-byte header, then 16-byte record headers and packet bytes, in
/// either byte order. pcapng is not read.
struct ClassicCapture {
    /// The DLT, mapped from the file's LINKTYPE where the two differ on Linux.
    var linkType: Int32
    var packets: [[UInt8]]

    init?(bytes: [UInt8]) {
        guard bytes.count >= 24 else { return nil }
        func word(_ offset: Int, littleEndian: Bool) -> UInt32 {
            let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            return littleEndian ? value : value.byteSwapped
        }
        let littleEndian: Bool
        switch word(0, littleEndian: true) {
        case 0xa1b2_c3d4, 0xa1b2_3c4d: littleEndian = true  // microsecond, nanosecond
        case 0xd4c3_b2a1, 0x4d3c_b2a1: littleEndian = false
        default: return nil
        }
        let linkType = word(20, littleEndian: littleEndian) & 0x03ff_ffff
        self.linkType = switch linkType {
        case 100: 11  // LINKTYPE_ATM_RFC1483
        case 101: 12  // LINKTYPE_RAW
        case 102: 15  // LINKTYPE_SLIP_BSDOS
        case 103: 16  // LINKTYPE_PPP_BSDOS
        case 106: 19  // LINKTYPE_ATM_CLIP
        default: Int32(linkType)
        }
        var packets = [[UInt8]]()
        var offset = 24
        while offset + 16 <= bytes.count {
            let capturedLength = Int(word(offset + 8, littleEndian: littleEndian))
            offset += 16
            guard capturedLength <= bytes.count - offset else { break }
            packets.append(Array(bytes[offset..<offset + capturedLength]))
            offset += capturedLength
        }
        self.packets = packets
    }
}


/// Random programs that verify for a target, biased toward what the optimizer acts on: tests
/// of a few packet fields against values they are likely to hold (libpcap's shape), scratch and
/// X traffic, constant arithmetic, and the instructions with unusual exits (loads past the
/// end, division by X, `ld #ifidx`, `ld #rand`).
struct RandomPrograms {
    var random: FuzzRandom
    var target: AttachTarget

    static let likelyValues: [UInt32] = [0, 1, 2, 3, 4, 6, 8, 0x10, 0x11, 0x800, 0xff, 0xffff_ffff]

    mutating func likely() -> UInt32 { Self.likelyValues.randomElement(using: &random)! }

    mutating func constant() -> UInt32 {
        random.below(2) == 0 ? likely() : UInt32(random.below(41))
    }

    mutating func program() -> Program {
        random.below(2) == 0 ? structuredProgram() : arbitraryProgram()
    }

    private var isSeccomp: Bool { target == .seccomp }

    private mutating func offset() -> UInt32 {
        switch random.below(60) {
        case 0...2: SpecialOffset.network &+ UInt32(random.below(9))
        case 3...4: SpecialOffset.linkLayer &+ UInt32(random.below(9))
        case 5: 0x8000_0000  // no packet has it
        default: UInt32(random.below(25))
        }
    }

    /// Any instruction, with forward jumps that stay inside a program of `count` instructions.
    private mutating func instruction(at index: Int, count: Int) -> Instruction {
        let remaining = count - index - 1
        let slot = UInt32(random.below(4))
        let register: Register = random.below(2) == 0 ? .a : .x
        let size = LoadSize.allCases.randomElement(using: &random)!
        switch random.below(30) {
        case 0...5:
            return isSeccomp ? .loadAbsolute(.word, offset: UInt32(random.below(16) * 4)) : .loadAbsolute(size, offset: offset())
        case 6:
            return isSeccomp ? .loadLength(register) : .loadIndirect(size, offset: UInt32(random.below(9)))
        case 7:
            return isSeccomp ? .tax : .loadIPv4HeaderLength(offset: UInt32(random.below(17)))
        case 8:
            return isSeccomp ? .txa : .loadAncillary(AncillaryField.allCases.randomElement(using: &random)!, size: .word)
        case 9, 10: return .loadImmediate(register, constant())
        case 11, 12: return .loadScratch(register, slot: slot)
        case 13, 14: return .store(register, slot: slot)
        case 15: return .loadLength(register)
        case 16...18:
            var operation = ArithmeticOperation.allCases.randomElement(using: &random)!
            if isSeccomp, operation == .modulo { operation = .divide }
            if random.below(2) == 0 { return .arithmetic(operation, .x) }
            var k = constant()
            if operation == .divide || operation == .modulo { k = max(k, 1) }
            if operation == .shiftLeft || operation == .shiftRight { k &= 31 }
            return .arithmetic(operation, .constant(k))
        case 19: return .negate
        case 20: return .tax
        case 21: return .txa
        case 22...26 where remaining > 1:
            let test = JumpTest.allCases.randomElement(using: &random)!
            let operand: Operand = random.below(4) == 0 ? .x : .constant(constant())
            let limit = min(remaining - 1, 12)
            return .conditionalJump(
                test, operand, ifTrue: UInt8(random.below(limit + 1)), ifFalse: UInt8(random.below(limit + 1)))
        case 27 where remaining > 1:
            return .jump(offset: UInt32(random.below(min(remaining - 1, 8) + 1)))
        case 28 where random.below(4) == 0:
            return .returnA
        case 29 where random.below(4) == 0:
            return .returnConstant([0, 1, 0xffff, 0x7fff_0000].randomElement(using: &random)!)
        default:
            return .loadImmediate(.a, constant())
        }
    }

    mutating func arbitraryProgram() -> Program {
        while true {
            let count = 1 + random.below(target == .iptables ? 40 : 48)
            var instructions = [Instruction]()
            // Usually write a few slots first, so that scratch reads verify.
            if random.below(4) != 0 {
                for slot in 0...3 where random.below(2) == 0 || slot == 0 {
                    instructions.append(.loadImmediate(.a, constant()))
                    instructions.append(.store(.a, slot: UInt32(slot)))
                }
            }
            let total = instructions.count + count
            while instructions.count < total - 1 {
                instructions.append(instruction(at: instructions.count, count: total))
            }
            instructions.append(random.below(2) == 0 ? .returnA : .returnConstant(1))
            let program = Program(instructions)
            if (try? Verifier.verify(program, for: target)) != nil { return program }
            // Reads of slots some path leaves unwritten: read the slot written first instead.
            let repaired = Program(instructions.map { instruction in
                if case .loadScratch(let register, _) = instruction { return .loadScratch(register, slot: 0) }
                return instruction
            })
            if (try? Verifier.verify(repaired, for: target)) != nil { return repaired }
        }
    }

    /// Tests of packet fields chained into `and`/`or` shapes that share targets.
    mutating func structuredProgram() -> Program {
        var instructions = [Instruction]()
        var branchSites = [Int]()
        for _ in 0..<(2 + random.below(9)) {
            switch random.below(10) {
            case 0 where !isSeccomp:
                instructions.append(.loadIPv4HeaderLength(offset: UInt32(random.below(3))))
                instructions.append(.loadIndirect(.byte, offset: UInt32(random.below(4))))
            case 1:
                instructions.append(.loadImmediate(.a, constant()))
            case 2:
                instructions.append(.loadScratch(.a, slot: 0))
            case 3 where !isSeccomp:
                let field = [AncillaryField.interfaceIndex, .protocol, .random, .hardwareType].randomElement(using: &random)!
                instructions.append(.loadAncillary(field, size: .word))
            default:
                let size: LoadSize = isSeccomp ? .word : LoadSize.allCases.randomElement(using: &random)!
                let k = isSeccomp ? UInt32(random.below(4) * 4) : UInt32(random.below(7))
                instructions.append(.loadAbsolute(size, offset: k))
            }
            switch random.below(8) {
            case 0: instructions.append(.arithmetic(.and, .constant([0xf, 0xf0, 0x1, 0xff].randomElement(using: &random)!)))
            case 1: instructions.append(.store(.a, slot: UInt32(random.below(2))))
            case 2: instructions.append(.tax)
            case 3: instructions.append(.arithmetic(.add, .constant(1)))
            case 4: instructions.append(.arithmetic(.subtract, .constant(1)))
            default: break
            }
            branchSites.append(instructions.count)
            let operand: Operand = random.below(6) == 0 ? .x : .constant(constant() & 0x1f)
            let test = JumpTest.allCases.randomElement(using: &random)!
            instructions.append(.conditionalJump(test, operand, ifTrue: 0, ifFalse: 0))
        }
        let returns: [Instruction] = [.returnConstant(0), .returnConstant(0xffff), .returnA, .returnConstant(1)]
        let returnsStart = instructions.count
        let returnCount = 2 + random.below(returns.count - 1)
        instructions += returns.prefix(returnCount)
        for (number, site) in branchSites.enumerated() {
            // The next test, a later test, or a return.
            func destination() -> Int {
                let later = Array(branchSites.indices.filter { $0 > number })
                if !later.isEmpty, random.below(3) != 0 {
                    let test = random.below(3) == 0 ? later.randomElement(using: &random)! : later[0]
                    return test == 0 ? 0 : branchSites[test - 1] + 1
                }
                return returnsStart + random.below(returnCount)
            }
            guard case .conditionalJump(let test, let operand, _, _) = instructions[site] else { continue }
            let ifTrue = destination() - site - 1
            let ifFalse = destination() - site - 1
            instructions[site] = .conditionalJump(test, operand, ifTrue: UInt8(ifTrue), ifFalse: UInt8(ifFalse))
        }
        instructions.insert(contentsOf: [.loadImmediate(.a, 1), .store(.a, slot: 0), .store(.a, slot: 1)], at: 0)
        let program = Program(instructions)
        if (try? Verifier.verify(program, for: target)) != nil { return program }
        return arbitraryProgram()
    }

    /// Packet bytes biased toward the constants the programs compare with; seccomp data is
    /// always 64 bytes.
    mutating func packet(maximumLength: Int = 36) -> [UInt8] {
        let length = isSeccomp ? Int(Limits.seccompDataSize) : random.below(maximumLength + 1)
        return (0..<length).map { _ in
            random.below(3) == 0 ? UInt8(random.below(256)) : [0, 1, 2, 3, 4, 6, 8, 0x10, 0x11, 0xff].randomElement(using: &random)!
        }
    }

    mutating func metadata() -> PacketMetadata {
        var metadata = PacketMetadata()
        if random.below(2) == 0 {
            metadata.device = .init(index: likely(), hardwareType: UInt16(truncatingIfNeeded: likely()))
        }
        metadata.protocol = UInt16(truncatingIfNeeded: likely())
        metadata.mark = likely()
        metadata.random = likely()
        metadata.vlanTagPresent = random.below(2) == 0
        metadata.networkHeaderOffset = random.below(5)
        metadata.linkLayerHeaderOffset = random.below(2) == 0 ? random.below(3) : nil
        return metadata
    }
}
