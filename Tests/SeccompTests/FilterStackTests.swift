import CBPF
import CBPFFuzz
import Glibc
import LibseccompReference
import Seccomp
import Testing

/// Several filters stacked on one thread, analysed together (`SeccompFilterAnalysis(stacking:)`)
/// and checked against the kernel: a thread of the helper process installs them one after the
/// other and makes the call, and the kernel's answer must be the combined table's.
@Suite("stacked seccomp filters in the kernel", .serialized)
struct FilterStackTests {
    static let probeCall = FilterAnalysisKernelTests.probeCall

    /// Runs `stack` (in the order installed) on `probes` in the kernel and compares each outcome
    /// with what the combined analysis predicts. Returns the probes compared, the probes the
    /// analysis left undetermined, and the disagreements.
    static func compareInKernel(
        _ oracle: SeccompActionOracle, stack: [Program], combined: SeccompFilterAnalysis, probes: [SeccompData]
    ) -> (count: Int, undetermined: Int, disagreements: [String]) {
        var count = 0
        var undetermined = 0
        var disagreements = [String]()
        for probe in probes {
            var data = probe
            data.instructionPointer = oracle.instructionPointer
            guard let action = combined.outcome(for: data).action else {
                undetermined += 1
                continue
            }
            let expected = expectedKernelOutcome(
                action, call: probeCall, architecture: oracle.architecture, instructionPointer: oracle.instructionPointer)
            let number = UInt32(bitPattern: data.number)
            let baked = stack.map { bakingIn($0, number: number, architecture: data.architecture.rawValue).raw }
            let outcome = oracle.observe(stack: baked, call: SystemCallProbe(number: probeCall, arguments: data.arguments)).outcome
            count += 1
            if outcome != expected {
                disagreements.append("arch \(data.architecture) nr \(data.number) args \(data.arguments): kernel \(outcome), "
                    + "combined table \(action)")
            }
        }
        return (count, undetermined, disagreements)
    }

    static let actions: [SeccompAction] = [
        .killProcess, .killThread, .trap(7), .errno(1), .errno(13), .userNotification, .trace(3), .log, .allow,
    ]

    /// Every ordered pair of actions, and triples, as one-instruction filters: the kernel's
    /// precedence, and of two errnos the newest filter's.
    @Test func actionPrecedenceIsTheKernels() throws {
        let oracle = try FilterAnalysisKernelTests.oracle()
        func filter(_ action: SeccompAction) -> Program { Program([.returnConstant(action.returnValue)]) }
        var stacks = [[SeccompAction]]()
        for older in Self.actions {
            for newer in Self.actions { stacks.append([older, newer]) }
        }
        stacks += [[.errno(13), .allow, .errno(1)], [.errno(1), .errno(13), .trap(2)], [.log, .trace(1), .userNotification],
                   [.trap(1), .killThread, .trap(2)]]
        var compared = 0
        for actions in stacks {
            let programs = actions.map(filter)
            let combined = try #require(SeccompFilterAnalysis(stacking: try programs.map { try SeccompFilterAnalysis($0) }))
            let (count, undetermined, disagreements) = Self.compareInKernel(
                oracle, stack: programs, combined: combined,
                probes: [SeccompData(number: 0, architecture: AuditArchitecture(rawValue: oracle.architecture))])
            #expect(undetermined == 0 && disagreements.isEmpty, "\(actions): \(disagreements)")
            compared += count
        }
        // The rule written out: of two errnos the newest filter's (the last installed).
        let ties = try SeccompFilterAnalysis(stacking: [filter(.errno(13)), filter(.errno(1))].map { try SeccompFilterAnalysis($0) })
        #expect(ties?.architectures.first?.numberRanges.first?.decision.outcome == .action(.errno(1)))
        print("forensics: stacked actions: \(stacks.count) stacks, \(compared) kernel probes")
    }

    /// A value of no known action kills the process, but the kernel ranks it by its value among
    /// the other filters' actions: the table says so where that matters, and decides where it
    /// does not (against ALLOW, and against KILL_PROCESS).
    @Test func unknownActionValuesAreUndeterminedWhereTheirRankMatters() throws {
        let unknown = Program([.returnConstant(0x0004_0000)])  // between TRAP and ERRNO
        func combined(_ other: SeccompAction) throws -> SeccompDecisionOutcome? {
            let stack = [Program([.returnConstant(other.returnValue)]), unknown]
            return SeccompFilterAnalysis(stacking: try stack.map { try SeccompFilterAnalysis($0) })?
                .architectures.first?.numberRanges.first?.decision.outcome
        }
        #expect(try combined(.allow) == .action(.killProcess))
        #expect(try combined(.killProcess) == .action(.killProcess))
        #expect(try combined(.errno(1))?.action == nil)
        #expect(try combined(.trap(1))?.action == nil)
        // The kernel: below ERRNO, so the process dies; above TRAP, so TRAP wins.
        let oracle = try FilterAnalysisKernelTests.oracle()
        let call = SystemCallProbe(number: Self.probeCall)
        let errno = Program([.returnConstant(SeccompAction.errno(1).returnValue)])
        let trap = Program([.returnConstant(SeccompAction.trap(1).returnValue)])
        #expect(oracle.observe(stack: [errno.raw, unknown.raw], call: call).outcome == .processKilled(signal: SIGSYS))
        #expect(oracle.observe(stack: [trap.raw, unknown.raw], call: call).outcome
            == expectedKernelOutcome(.trap(1), call: Self.probeCall, architecture: oracle.architecture,
                                     instructionPointer: oracle.instructionPointer))
    }

    /// Stacks of two and three of the hand-written policies on this machine's architecture,
    /// built by us and by libseccomp at both levels, and Docker's profile as runc has
    /// libseccomp build it under one of ours: every probe of the combined table in the kernel.
    @Test func stacksOfOursAndLibseccompsDecideAsTheKernel() throws {
        let oracle = try FilterAnalysisKernelTests.oracle()
        let native = handwrittenPolicies.filter { handwritten in
            guard case .agrees = handwritten.libseccomp else { return false }
            return (try? handwritten.policy.architectures == [.native]) ?? false
        }
        try #require(native.count >= 6, "only \(native.count) native policies")
        var stacks = [(name: String, programs: [Program])]()
        for start in stride(from: 0, to: native.count - 2, by: max(1, native.count / 6)) {
            let (a, b, c) = (native[start], native[start + 1], native[start + 2])
            stacks.append(("\(a.name) (ours) + \(b.name) (libseccomp -O2)", [
                try SeccompCompiler().compile(try a.policy), try LibseccompFilter.program(for: try b.policy, optimization: 2),
            ]))
            stacks.append(("\(a.name) (libseccomp -O1) + \(b.name) (ours) + \(c.name) (libseccomp -O2)", [
                try LibseccompFilter.program(for: try a.policy, optimization: 1), try SeccompCompiler().compile(try b.policy),
                try LibseccompFilter.program(for: try c.policy, optimization: 2),
            ]))
        }
        if let text = dockerDefaultProfileText {
            let profile = try OCISeccompProfile(json: text)
            let runc = try LibseccompOracle.runcProgram(
                profile, target: .x86_64, architectures: [.x86_64, .x86, .x32],
                capabilities: OCIProfileImportOptions.dockerDefaultCapabilities, kernel: ociTestKernel,
                foreignAction: .killThread, optimization: 2)
            stacks.append(("Docker (runc/libseccomp -O2) + \(native[0].name) (ours)", [
                runc, try SeccompCompiler().compile(try native[0].policy),
            ]))
        }
        var total = 0
        for (name, programs) in stacks {
            let analyses = try programs.map { try SeccompFilterAnalysis($0) }
            let combined = try #require(SeccompFilterAnalysis(stacking: analyses))
            #expect(combined.isComplete, "\(name)")
            #expect(combined.stackedFilters.count == programs.count)
            // The combined table's cells, and each filter's own, so that every filter's cuts are probed.
            var probes = sample(analysisProbes(combined, seed: 5, randomPerRange: 1), atMost: 150)
            for analysis in analyses { probes += sample(analysisProbes(analysis, seed: 9), atMost: 40) }
            let (count, undetermined, disagreements) = Self.compareInKernel(oracle, stack: programs, combined: combined, probes: probes)
            print("forensics: stack \(name): \(count) kernel probes, \(disagreements.count) disagreements")
            #expect(undetermined == 0 && disagreements.isEmpty, "\(name): \(disagreements.prefix(3))")
            total += count
        }
        print("forensics: \(stacks.count) stacks, \(total) kernel probes")
    }
}
