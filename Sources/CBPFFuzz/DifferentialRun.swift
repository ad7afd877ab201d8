import CBPF
import Glibc

/// One case on which our implementation and the kernel disagree.
package struct Disagreement: Hashable, Sendable, CustomStringConvertible {
    /// The case's index in its comparison (replay it with ``DifferentialRun/generator(for:case:)``).
    package var caseIndex: Int
    /// The program as the kernel received it.
    package var program: [RawInstruction]
    /// The packet in hex, or the system call and its `seccomp_data`; `nil` for verifier cases.
    package var input: String?
    /// What we said.
    package var ours: String
    /// What the kernel did.
    package var kernel: String

    package var description: String {
        var text = "case \(caseIndex): ours: \(ours); kernel: \(kernel)\n"
        if let input { text += "  input: \(input)\n" }
        text += ProgramListing.text(program).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        return text
    }
}

/// A program as `bpf_asm`-style text with each instruction's raw fields, shortened when long.
package enum ProgramListing {
    package static func text(_ program: [RawInstruction], limit: Int = 40) -> String {
        if program.isEmpty { return "(no instructions)" }
        func line(_ index: Int) -> String {
            let raw = program[index]
            let text = (try? Instruction(raw: raw)).map { BPFAsmFormat.text(for: $0, at: index) } ?? "(unknown opcode)"
            let padded = text.count < 28 ? text + String(repeating: " ", count: 28 - text.count) : text
            return "\(index): \(padded) { 0x\(String(raw.code, radix: 16)), \(raw.jt), \(raw.jf), 0x\(String(raw.k, radix: 16)) }"
        }
        guard program.count > limit else { return program.indices.map(line).joined(separator: "\n") }
        let head = (0 ..< limit * 2 / 3).map(line)
        let tail = (program.count - limit / 3 ..< program.count).map(line)
        return (head + ["... \(program.count - head.count - tail.count) more ..."] + tail).joined(separator: "\n")
    }

    /// At most `limit` bytes in hex, with the length.
    package static func hex(_ bytes: [UInt8], limit: Int = 96) -> String {
        let shown = bytes.prefix(limit).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return "\(bytes.count) bytes: \(shown)\(bytes.count > limit ? "..." : "")"
    }
}

/// The outcome of one comparison.
package struct ComparisonResult: Sendable, CustomStringConvertible {
    package var comparison: DifferentialRun.Comparison
    /// The seed the cases were generated from.
    package var seed: UInt64
    /// Cases run.
    package var cases: Int = 0
    /// Cases where our answer equals the kernel's.
    package var agreements: Int = 0
    /// The first disagreements.
    package var examples: [Disagreement] = []
    /// How the cases came out (kernel verdicts, actions, ...), for judging the mix.
    package var tally: [String: Int] = [:]
    /// Facts about this machine that the comparison relied on.
    package var notes: [String] = []
    /// Set when the comparison could not run here (then `cases` is 0).
    package var unavailable: String?
    /// Wall time.
    package var duration: Duration = .zero

    package var disagreements: Int { cases - agreements }

    /// `socket verifier: 100000/100000 agree (100.000%) in 12.3 s`.
    package var summary: String {
        if let unavailable { return "\(comparison): not run: \(unavailable)" }
        let percent = cases == 0 ? 0 : Double(agreements) * 100 / Double(cases)
        return "\(comparison): \(agreements)/\(cases) agree (\(format(percent, decimals: 3))%) in "
            + "\(format(seconds, decimals: 1)) s"
    }

    package var seconds: Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    package var description: String {
        var lines = [summary]
        if !tally.isEmpty {
            lines.append("  " + tally.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        lines += notes.map { "  note: " + $0 }
        for example in examples {
            lines.append(example.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
    }
}

func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0 ..< decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let fraction = text.distance(from: dot, to: text.endIndex) - 1
        if fraction < decimals { text += String(repeating: "0", count: decimals - fraction) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

/// Runs random cases through our ``Verifier`` and ``Interpreter`` and through the running
/// kernel, and counts where they agree.
///
/// Every case is generated from `(seed, comparison, index)` alone, so any case can be replayed.
package struct DifferentialRun: Sendable {
    /// What is compared.
    package enum Comparison: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
        /// ``Verifier`` for ``AttachTarget/socket`` against `SO_ATTACH_FILTER` on an AF_UNIX
        /// socket: accepted, refused (`EINVAL`), or accepted but over the option-memory budget
        /// (`ENOMEM`, predicted from the translated length).
        case socketVerifier = "socket verifier"
        /// ``Verifier`` for ``AttachTarget/seccomp`` against `seccomp(SECCOMP_SET_MODE_FILTER)`.
        case seccompVerifier = "seccomp verifier"
        /// ``Interpreter`` against the length of a datagram received through the filter.
        case socketInterpreter = "socket interpreter"
        /// The action of ``Interpreter``'s return value against what a real system call does.
        case seccompInterpreter = "seccomp interpreter"

        package var description: String { rawValue }

        var stream: UInt64 {
            switch self {
            case .socketVerifier: 1
            case .seccompVerifier: 2
            case .socketInterpreter: 3
            case .seccompInterpreter: 4
            }
        }
    }

    /// The seed every case is generated from.
    package var seed: UInt64
    /// How many disagreements to describe.
    package var exampleLimit: Int

    package init(seed: UInt64, exampleLimit: Int = 5) {
        self.seed = seed
        self.exampleLimit = exampleLimit
    }

    /// The generator of one case.
    package func generator(for comparison: Comparison, case index: Int) -> ProgramGenerator {
        ProgramGenerator(random: FuzzRandom(seed: seed, stream: comparison.stream, index: UInt64(index)))
    }

    /// Runs `count` cases of one comparison; `progress` is called with the number done.
    package func run(_ comparison: Comparison, count: Int, progress: (@Sendable (Int) -> Void)? = nil) -> ComparisonResult {
        var result = ComparisonResult(comparison: comparison, seed: seed)
        let start = ContinuousClock.now
        switch comparison {
        case .socketVerifier: runSocketVerifier(count, &result, progress)
        case .seccompVerifier: runSeccompVerifier(count, &result, progress)
        case .socketInterpreter: runSocketInterpreter(count, &result, progress)
        case .seccompInterpreter: runSeccompInterpreter(count, &result, progress)
        }
        result.duration = ContinuousClock.now - start
        return result
    }

    private func record(_ agree: Bool, _ result: inout ComparisonResult, _ disagreement: @autoclosure () -> Disagreement) {
        result.cases += 1
        if agree {
            result.agreements += 1
        } else if result.examples.count < exampleLimit {
            result.examples.append(disagreement())
        }
    }

    private static func report(_ progress: (@Sendable (Int) -> Void)?, _ done: Int, _ count: Int) {
        if done % 500 == 0 || done == count { progress?(done) }
    }

    // MARK: Verifiers

    private func runSocketVerifier(_ count: Int, _ result: inout ComparisonResult, _ progress: (@Sendable (Int) -> Void)?) {
        let oracle: SocketOracle
        do { oracle = try SocketOracle() } catch {
            result.unavailable = error.reason
            return
        }
        let budget = oracle.translationBudget
        result.notes.append("the longest translation that attaches (net.core.optmem_max): \(budget)")
        if budget == .unknown { result.notes.append("ENOMEM is counted as accepted") }
        for index in 0 ..< count {
            var generator = self.generator(for: .socketVerifier, case: index)
            let program = generator.verifierCase(for: .socket)
            var ours: KernelVerdict
            var reason = ""
            var rule = ""
            do {
                try Verifier.verify(raw: program, for: .socket)
                ours = .accepted
                if case .limit(let limit) = budget, let typed = try? Program(raw: program),
                   Verifier.translatedLength(typed, for: .socket) > limit
                {
                    ours = .acceptedOverBudget
                    reason = " (translation of \(Verifier.translatedLength(typed, for: .socket)) instructions)"
                }
            } catch {
                ours = .rejected
                reason = ": \(error)"
                rule = Self.ruleName(error.rule)
            }
            var kernel = oracle.attach(program)
            if budget == .unknown && kernel == .acceptedOverBudget { kernel = .accepted }
            result.tally[Self.tallyName(kernel, rule), default: 0] += 1
            record(ours == kernel, &result, Disagreement(
                caseIndex: index, program: program, input: nil, ours: "\(ours)\(reason)", kernel: "\(kernel)"))
            Self.report(progress, index + 1, count)
        }
    }

    private func runSeccompVerifier(_ count: Int, _ result: inout ComparisonResult, _ progress: (@Sendable (Int) -> Void)?) {
        let oracle: SeccompVerdictOracle
        do { oracle = try SeccompVerdictOracle() } catch {
            result.unavailable = error.reason
            return
        }
        result.notes.append("verdicts from seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) in a helper whose other thread has a filter")
        for index in 0 ..< count {
            var generator = self.generator(for: .seccompVerifier, case: index)
            let program = generator.verifierCase(for: .seccomp)
            let ours: KernelVerdict
            var reason = ""
            var rule = ""
            do {
                try Verifier.verify(raw: program, for: .seccomp)
                ours = .accepted
            } catch {
                ours = .rejected
                reason = ": \(error)"
                rule = Self.ruleName(error.rule)
            }
            let kernel = oracle.verdict(for: program)
            result.tally[Self.tallyName(kernel, rule), default: 0] += 1
            record(ours == kernel, &result, Disagreement(
                caseIndex: index, program: program, input: nil, ours: "\(ours)\(reason)", kernel: "\(kernel)"))
            Self.report(progress, index + 1, count)
        }
    }

    /// The kernel's verdict, with our rule when both reject.
    private static func tallyName(_ verdict: KernelVerdict, _ rule: String) -> String {
        switch verdict {
        case .accepted: "accepted"
        case .acceptedOverBudget: "accepted but ENOMEM"
        case .rejected: rule.isEmpty ? "rejected" : "rejected (\(rule))"
        case .failed: "failed"
        }
    }

    /// `translatedJumpOutOfRange` for `.translatedJumpOutOfRange(offset: -32782)`.
    private static func ruleName(_ rule: VerificationRule) -> String {
        String("\(rule)".prefix { $0 != "(" })
    }

    // MARK: Socket interpreter

    private func runSocketInterpreter(_ count: Int, _ result: inout ComparisonResult, _ progress: (@Sendable (Int) -> Void)?) {
        let oracle: SocketOracle
        do { oracle = try SocketOracle() } catch {
            result.unavailable = error.reason
            return
        }
        SocketOracle.withPinnedCPU { cpu in
            if let cpu {
                result.notes.append("sending thread pinned to CPU \(cpu); ld #rand never reaches a return value")
            } else {
                result.notes.append("could not pin the sending thread: ld #cpu may differ")
            }
            var metadata = PacketMetadata()
            metadata.cpu = cpu ?? 0
            for index in 0 ..< count {
                var generator = self.generator(for: .socketInterpreter, case: index)
                let testCase = generator.socketCase()
                let input = ProgramListing.hex(testCase.packet)
                let expected: KernelDelivery
                let ours: String
                do {
                    let interpreter = try Interpreter(testCase.program, for: .socket)
                    let value = interpreter.run(packet: testCase.packet, metadata: metadata)
                    expected = value == 0 ? .dropped : .delivered(min(testCase.packet.count, Int(value)))
                    ours = "returned \(value) (0x\(String(value, radix: 16))): \(expected)"
                } catch {
                    expected = .attachFailed(EINVAL)
                    ours = "our verifier refuses the program: \(error)"
                }
                let kernel = oracle.deliver(testCase.program.raw, packet: testCase.packet)
                let outcome = switch kernel {
                case .dropped: "dropped"
                case .delivered(let length) where length == testCase.packet.count: "delivered whole"
                case .delivered: "truncated"
                default: "failed"
                }
                result.tally[outcome, default: 0] += 1
                record(expected == kernel, &result, Disagreement(
                    caseIndex: index, program: testCase.program.raw, input: input, ours: ours, kernel: "\(kernel)"))
                Self.report(progress, index + 1, count)
            }
        }
    }

    // MARK: Seccomp interpreter

    private func runSeccompInterpreter(_ count: Int, _ result: inout ComparisonResult, _ progress: (@Sendable (Int) -> Void)?) {
        let oracle: SeccompActionOracle
        do { oracle = try SeccompActionOracle() } catch {
            result.unavailable = error.reason
            return
        }
        let pointer = "0x" + String(oracle.instructionPointer, radix: 16)
        result.notes.append(
            "seccomp_data.instruction_pointer \(pointer) from si_call_addr of a TRAP probe; "
                + (oracle.instructionPointerConfirmed ? "ld [8]/[12] read the same" : "ld [8]/[12] read something else"))
        if !oracle.instructionPointerConfirmed {
            result.cases += 1
            result.examples.append(Disagreement(
                caseIndex: -1, program: [], input: nil, ours: "instruction_pointer = si_call_addr = \(pointer)",
                kernel: "ld [8] and ld [12] read another value"))
        }
        for index in 0 ..< count {
            var generator = self.generator(for: .seccompInterpreter, case: index)
            let testCase = generator.seccompCase(architecture: oracle.architecture, instructionPointer: oracle.instructionPointer)
            let data = testCase.call.seccompData(architecture: oracle.architecture, instructionPointer: oracle.instructionPointer)
            let input = "nr \(testCase.call.number), args [" + testCase.call.arguments.map { "0x" + String($0, radix: 16) }
                .joined(separator: ", ") + "], seccomp_data " + ProgramListing.hex(data.bytes)
            let observation = oracle.observe(testCase.program.raw, call: testCase.call)
            let ours: String
            let agree: Bool
            do {
                let interpreter = try Interpreter(testCase.program, for: .seccomp)
                let value = interpreter.run(seccomp: data)
                let action = SeccompAction(returnValue: value)
                result.tally[Self.actionName(action), default: 0] += 1
                let expected = Self.expectedOutcome(
                    of: action, call: testCase.call, architecture: oracle.architecture,
                    instructionPointer: oracle.instructionPointer, baseline: observation.baseline)
                agree = expected == observation.outcome
                ours = "returned 0x\(String(value, radix: 16)), \(action): "
                    + (expected.map { "\($0)" } ?? "the call runs as without a filter")
            } catch {
                agree = false
                ours = "our verifier refuses the program: \(error)"
            }
            record(agree, &result, Disagreement(
                caseIndex: index, program: testCase.program.raw, input: input, ours: ours,
                kernel: "\(observation.outcome)"))
            Self.report(progress, index + 1, count)
        }
        result.notes.append("helper processes started: \(oracle.helpersStarted) (one more after each KILL_PROCESS)")
    }

    private static func actionName(_ action: SeccompAction) -> String {
        switch action {
        case .killProcess: "KILL_PROCESS"
        case .killThread: "KILL_THREAD"
        case .trap: "TRAP"
        case .errno: "ERRNO"
        case .userNotification: "USER_NOTIF"
        case .trace: "TRACE"
        case .log: "LOG"
        case .allow: "ALLOW"
        }
    }

    /// What the kernel should do to `call` when the filter asks for `action`, following
    /// `__seccomp_filter`: ERRNO data is capped at 4095 (`MAX_ERRNO`), TRACE without a tracer
    /// and USER_NOTIF without a listener fail with ENOSYS, ALLOW and LOG run the call (as
    /// `baseline` did without the filter), TRAP sends SIGSYS with `si_errno` = data.
    static func expectedOutcome(
        of action: SeccompAction, call: SystemCallProbe, architecture: UInt32, instructionPointer: UInt64,
        baseline: SeccompOutcome?
    ) -> SeccompOutcome? {
        switch action {
        case .allow, .log:
            return baseline
        case .errno(let data):
            let code = min(Int32(data), 4095)
            return code == 0 ? .returned(result: 0, errno: 0) : .returned(result: -1, errno: code)
        case .trap(let data):
            return .trapped(data: Int32(data), syscall: call.number, architecture: architecture,
                            callAddress: instructionPointer)
        case .trace, .userNotification:
            return .returned(result: -1, errno: ENOSYS)
        case .killThread:
            return .threadKilled
        case .killProcess:
            return .processKilled(signal: SIGSYS)
        }
    }
}
