import CBPF
import CBPFFuzz
import Glibc
import Testing

/// Our ``Verifier`` and ``Interpreter`` against the running kernel (see CBPFFuzz): a seeded
/// slice of `cbpf-differential verify`, plus the kernel behaviours the comparisons rely on, each
/// checked on its own. A failure names the case; replay it with
/// `DifferentialRun(seed: KernelDifferentialTests.seed).generator(for:case:)`.
///
/// Socket filters need no privilege. The seccomp tests need seccomp filters
/// (`CONFIG_SECCOMP_FILTER`); where they are missing the tests are skipped (cancelled) with why.
@Suite struct KernelDifferentialTests {
    static let seed: UInt64 = 20_261_123

    /// Runs one comparison, or skips the test, saying why it cannot run here.
    static func run(_ comparison: DifferentialRun.Comparison, count: Int) throws -> ComparisonResult {
        let result = DifferentialRun(seed: seed).run(comparison, count: count)
        if let reason = result.unavailable {
            try Test.cancel("skipped: the \(comparison) comparison cannot run here: \(reason)")
        }
        return result
    }

    @Test func socketVerifierAgreesWithKernel() throws {
        let result = try Self.run(.socketVerifier, count: 3000)
        #expect(result.cases == 3000)
        #expect(result.disagreements == 0, "\(result)")
    }

    @Test func seccompVerifierAgreesWithKernel() throws {
        let result = try Self.run(.seccompVerifier, count: 3000)
        #expect(result.cases == 3000)
        #expect(result.disagreements == 0, "\(result)")
    }

    @Test func socketInterpreterAgreesWithKernel() throws {
        let result = try Self.run(.socketInterpreter, count: 3000)
        #expect(result.cases == 3000)
        #expect(result.disagreements == 0, "\(result)")
    }

    @Test func seccompInterpreterAgreesWithKernel() throws {
        let result = try Self.run(.seccompInterpreter, count: 1000)
        #expect(result.cases >= 1000)
        #expect(result.disagreements == 0, "\(result)")
    }

    /// The same seed gives the same cases.
    @Test func generationIsDeterministic() {
        let run = DifferentialRun(seed: 7)
        for index in [0, 1, 99] {
            var first = run.generator(for: .socketVerifier, case: index)
            var second = run.generator(for: .socketVerifier, case: index)
            #expect(first.verifierCase(for: .socket) == second.verifierCase(for: .socket))
            var third = run.generator(for: .socketInterpreter, case: index)
            var fourth = run.generator(for: .socketInterpreter, case: index)
            #expect(third.socketCase() == fourth.socketCase())
        }
        var a = FuzzRandom(seed: 1)
        var b = FuzzRandom(seed: 1)
        #expect((0 ..< 8).map { _ in a.next() } == (0 ..< 8).map { _ in b.next() })
    }

    // MARK: Kernel behaviours, one at a time

    /// `bpf_convert_filter` encodes eBPF jumps in 16 bits. Its first pass computes every
    /// forward offset as `-(position + 1)`, so a jump emitted past eBPF instruction 32767
    /// fails; its second pass needs the real distance to be at most 32767. `ldh [12]` becomes
    /// 14 eBPF instructions, after a 7-instruction prologue.
    @Test func translatedJumpLimitsMatchKernel() throws {
        let oracle = try SocketOracle()
        let load = RawInstruction(code: 0x28, k: 12)  // ldh [12]
        let filler = RawInstruction(code: 0x00, k: 0)  // ld #0
        let ret = RawInstruction(code: 0x06, k: 1)
        func verdicts(_ program: [RawInstruction]) -> (ours: VerificationRule?, kernel: KernelVerdict) {
            var rule: VerificationRule?
            do { try Verifier.verify(raw: program, for: .socket) } catch { rule = error.rule }
            return (rule, oracle.attach(program))
        }
        // A jump whose translation ends at eBPF instruction 32768 (accepted) or 32769 (refused).
        for (loads, accepted) in [(2340, true), (2341, false)] {
            let program = Array(repeating: load, count: loads) + [RawInstruction(code: 0x15, k: 0), ret]
            let (ours, kernel) = verdicts(program)
            #expect((ours == nil) == accepted)
            // Accepted programs this long usually exceed net.core.optmem_max: ENOMEM, not EINVAL.
            #expect(accepted ? kernel == .accepted || kernel == .acceptedOverBudget : kernel == .rejected)
            if !accepted { #expect(ours == .translatedJumpOutOfRange(offset: -(7 + 14 * loads + 1))) }
        }
        // A ja that spans 32767 (accepted) or 32768 (refused) eBPF instructions.
        for (fillers, accepted) in [(7, true), (8, false)] {
            let body = Array(repeating: load, count: 2340) + Array(repeating: filler, count: fillers)
            let program = [RawInstruction(code: 0x05, k: UInt32(body.count))] + body + [ret]
            let (ours, kernel) = verdicts(program)
            #expect((ours == nil) == accepted)
            #expect(accepted ? kernel == .accepted || kernel == .acceptedOverBudget : kernel == .rejected)
            if !accepted { #expect(ours == .translatedJumpOutOfRange(offset: 32768)) }
        }
    }

    /// An AF_UNIX datagram has no device: `ld #ifidx` and `ld #hatype` end the program and
    /// return A. Its network header is its first byte and it has no link-layer header.
    @Test func unixDatagramMetadataMatchesKernel() throws {
        let oracle = try SocketOracle()
        let packet = (0 ..< 200).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let programs: [Program] = [
            Program([.loadImmediate(.a, 77), .loadAncillary(.interfaceIndex, size: .word), .returnConstant(5)]),
            Program([.loadImmediate(.a, 66), .loadAncillary(.hardwareType, size: .halfword), .returnConstant(5)]),
            Program([.loadAbsolute(.byte, offset: SpecialOffset.network + 3), .returnA]),
            Program([.loadAbsolute(.byte, offset: SpecialOffset.linkLayer), .returnConstant(9)]),
            Program([.loadAncillary(.protocol, size: .word), .arithmetic(.add, .constant(40)), .returnA]),
            Program([.loadAncillary(.payloadOffset, size: .word), .arithmetic(.add, .constant(41)), .returnA]),
        ]
        let expected: [KernelDelivery] = [.delivered(77), .delivered(66), .delivered(22), .dropped, .delivered(40), .delivered(41)]
        for (program, delivery) in zip(programs, expected) {
            #expect(oracle.deliver(program.raw, packet: packet) == delivery, "\(program.instructions)")
            let ours = try Interpreter(program).run(packet: packet)
            #expect((ours == 0 ? .dropped : .delivered(min(packet.count, Int(ours)))) == delivery)
        }
    }

    /// `ld #cpu` reads the CPU of the sending thread.
    @Test func cpuIsTheSendersCPU() throws {
        let oracle = try SocketOracle()
        let program = Program([.loadAncillary(.cpu, size: .word), .arithmetic(.add, .constant(1)), .returnA])
        let pinned = SocketOracle.withPinnedCPU { cpu in
            guard let cpu else { return false }
            #expect(oracle.deliver(program.raw, packet: Array(repeating: 0, count: 300)) == .delivered(Int(cpu) + 1))
            return true
        }
        if !pinned { try Test.cancel("skipped: this thread cannot be pinned to a CPU") }
    }

    /// What a seccomp helper sees: `seccomp_data.instruction_pointer` equals `si_call_addr` of
    /// a TRAP, ERRNO data is capped at 4095, TRACE and USER_NOTIF fail with ENOSYS without a
    /// tracer or listener (even for a real system call), and an unknown action kills the process.
    @Test func seccompActionsMatchKernel() throws {
        let oracle: SeccompActionOracle
        do { oracle = try SeccompActionOracle() } catch {
            try Test.cancel("skipped: the seccomp action oracle cannot run here: \(error)")
        }
        #expect(oracle.instructionPointerConfirmed)
        let getpid = SystemCallProbe(number: 39)
        let missing = SystemCallProbe(number: 4321)
        func outcome(_ value: UInt32, _ call: SystemCallProbe) -> SeccompOutcome {
            oracle.observe([RawInstruction(code: 0x06, k: value)], call: call).outcome
        }
        #expect(outcome(0x0005_ffff, missing) == .returned(result: -1, errno: 4095))
        #expect(outcome(0x0005_0000, missing) == .returned(result: 0, errno: 0))
        #expect(outcome(0x7ff0_0001, getpid) == .returned(result: -1, errno: ENOSYS))
        #expect(outcome(0x7fc0_0000, getpid) == .returned(result: -1, errno: ENOSYS))
        #expect(outcome(0x7fff_0000, missing) == .returned(result: -1, errno: ENOSYS))
        #expect(outcome(0x0000_0000, missing) == .threadKilled)
        #expect(outcome(0x0001_0000, missing) == .processKilled(signal: SIGSYS))
        #expect(outcome(0x0003_abcd, missing) == .trapped(
            data: 0xabcd, syscall: 4321, architecture: oracle.architecture, callAddress: oracle.instructionPointer))
    }
}
