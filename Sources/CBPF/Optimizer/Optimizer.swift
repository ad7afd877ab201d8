/// Makes classic BPF programs shorter without changing what they return.
///
/// The optimizer works on a control-flow graph of basic blocks and runs these passes in rounds
/// until nothing changes:
///
/// - **forward simplification**: value numbering with facts learned from branches; removes
///   loads, stores and computations whose result is already in place, folds constants
///   (arithmetic, `ret a`, X operands, branches with a known outcome) and threads jumps through
///   blocks whose outcome is known on the incoming edge (libpcap's `opt_j`, but with facts from
///   every dominating path rather than one edge), and regroups chains of tests with a common
///   exit by the value they test; a test moved ahead of a load that may fail reaches the exit
///   through a copy of that load (a probe), so truncated packets keep their verdicts;
/// - **dead code elimination**: unused register writes and dead stores; loads that may fail are
///   removed only when that cannot change the result;
/// - **peepholes**: `A op k` folded into the branch that tests it, `X + k` into the offsets of
///   indirect loads;
/// - **block merging**: unreachable code, jumps to jumps, straight-line blocks, identical blocks
///   and identical tails, blocks that can only return 0;
/// - **indexed load sharing**: code that loads `[k + c]` jumps, with `ldx #c`, into code of
///   the same shape that loads `[x + k]`, where X is free.
///
/// Before the layout, probes whose loads cover one another's are chained, to fall through into
/// one another and into the shared return.
///
/// Semantics are the kernel's: a load outside the packet or a division by X = 0 ends the
/// program with 0, `ld #ifidx`/`ld #hatype` without a device end it with A, and `ld #rand`
/// differs each time. The result is verified again for the attach point; the input comes back
/// unchanged if the result does not verify or is longer.
public enum Optimizer {
    /// Limits on the work the optimizer does.
    public struct Configuration: Hashable, Sendable {
        /// The most rounds of all passes; optimization stops earlier at a fixed point.
        public var maximumRounds: Int

        /// A configuration; the default is enough to reach a fixed point on realistic programs.
        public init(maximumRounds: Int = 32) {
            self.maximumRounds = maximumRounds
        }
    }

    /// Returns an equivalent program for `target` that is as short as the optimizer can make
    /// it, and never longer than `program`.
    ///
    /// A program that does not verify for `target` is returned unchanged: its behaviour is not
    /// defined.
    public static func optimize(
        _ program: Program, for target: AttachTarget = .socket, configuration: Configuration = Configuration()
    ) -> Program {
        optimizeReportingFallback(program, for: target, configuration: configuration).program
    }

    /// Returns an equivalent program for the attach point `program` was verified for, as short
    /// as the optimizer can make it and never longer; the result is verified for it too.
    public static func optimize(_ program: VerifiedProgram, configuration: Configuration = Configuration()) -> VerifiedProgram {
        let result = optimizeVerified(program.program, for: program.target, configuration: configuration)
        return VerifiedProgram(unchecked: result.program, for: program.target)
    }

    /// Optimizes a program that may be longer than `target` allows, and verifies the result
    /// for `target` with its limit: the limit applies to the program that is attached, not to
    /// a compiler's unoptimized output. `program` must meet every other rule of `target`.
    ///
    /// Throws the verifier's error: for `program` when it breaks a rule other than its length,
    /// and ``VerificationRule/tooLong(count:limit:)`` with the optimized length when even that
    /// is too long.
    public static func optimize(
        _ program: Program, toFit target: AttachTarget, configuration: Configuration = Configuration()
    ) throws(VerificationError) -> VerifiedProgram {
        try Verifier.verify(program, for: target, checksLength: false)
        let optimized = optimizeVerified(program, for: target, configuration: configuration).program
        try Verifier.verify(optimized, for: target)
        return VerifiedProgram(unchecked: optimized, for: target)
    }

    /// Like ``optimize(_:for:configuration:)``, and also says whether the optimizer fell back:
    /// the result failed verification or is longer than the input. Both
    /// are optimizer bugs that tests look for.
    static func optimizeReportingFallback(
        _ program: Program, for target: AttachTarget, configuration: Configuration = Configuration()
    ) -> (program: Program, fellBack: Bool) {
        guard (try? Verifier.verify(program, for: target)) != nil else { return (program, false) }
        return optimizeVerified(program, for: target, configuration: configuration)
    }

    /// Optimizes a program already verified for `target`; the result verifies for it as well.
    private static func optimizeVerified(
        _ program: Program, for target: AttachTarget, configuration: Configuration
    ) -> (program: Program, fellBack: Bool) {
        var graph = ControlFlowGraph(program)
        for _ in 0..<configuration.maximumRounds {
            var forward = ForwardSimplification(target: target)
            let neverExits = forward.run(on: &graph)
            var changed = forward.changedGraph
            // Each pass says whether it changed the graph; a round that changes nothing is the
            // fixed point.
            if DeadCodeElimination.removeUnusedStatements(in: &graph, neverExits: neverExits) { changed = true }
            if Peephole.run(on: &graph) { changed = true }
            // Jumps only go forward, so the coverage pass needs no normal form first.
            if DeadCodeElimination.removeStatementsCoveredByLaterLoads(in: &graph) { changed = true }
            if graph.normalize() { changed = true }
            if BlockMerging.run(on: &graph) { changed = true }
            if IndexedLoadSharing.run(on: &graph) { changed = true }
            if !changed { break }
        }
        // Only the final graph is laid out: each round is at least as good as the one before.
        let candidate = Layout.emit(graph)
        // An input longer than the target allows (``optimize(_:toFit:configuration:)``) was
        // checked without the length rules, and so is the candidate: the caller checks those.
        let checksLength = program.count <= target.maximumInstructions
        guard (try? Verifier.verify(candidate, for: target, checksLength: checksLength)) != nil,
              candidate.count <= program.count else {
            return (program, true)
        }
        return (candidate, false)
    }
}
