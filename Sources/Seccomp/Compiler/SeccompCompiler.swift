import CBPF

/// Compiles seccomp policies to classic BPF filters.
///
/// ```swift
/// let program = try SeccompCompiler().compile(policy)
/// try SeccompInstaller().install(program)
/// ```
///
/// The filter decides every call exactly as ``ResolvedSeccompPolicy/action(for:)`` does. It
/// checks `seccomp_data.arch` first (one `jeq` per covered value, anything else gets the
/// foreign-architecture action), then dispatches on the number. Numbers with the same outcome
/// form ranges, and the ranges a cost-optimal search tree of `jge` comparisons, with `jeq`
/// chains for single numbers that interrupt a run (a search-tree planner). Numbers whose
/// rules have conditions lead to argument checks; all others end in a `ret` shared by every jump
/// to it. Identical argument checks, and identical subtrees of different architectures, are
/// emitted once.
///
/// On `AUDIT_ARCH_X86_64` the number chooses between x86_64 and x32 as the reference and
/// libseccomp do (``SeccompArchitecture/isX32Number(_:coversX86_64:)``): numbers from
/// `0x40000000` up, other than -1 when x86_64 is covered, are x32's, and get the foreign action
/// when x32 is not covered. On other audit values the number is the architecture's whatever its
/// bits.
///
/// The dispatch uses only what the kernel's seccomp action cache can evaluate without
/// arguments (`seccomp_is_const_allow`: word loads of `nr` and `arch`, `ja`, `jeq`/`jge`/`jgt`/
/// `jset` with a constant, `ret` with a constant), so every number the policy allows
/// unconditionally on the kernel's native (and compat) architecture is allowed from the
/// cache, without running the filter.
///
/// The tree is tuned for the numbers of ``profiledNumbers(of:count:)``: it has the lowest mean
/// number of instructions executed for them, counting the leaf's `ret` and argument checks
/// for ``Options-swift.struct/typicalArguments``, among the trees whose slowest profiled call is
/// within ``Options-swift.struct/slowestCallSlack`` of the fastest possible.
///
/// Every filter passes `Verifier` for `AttachTarget.seccomp` before it is returned.
public struct SeccompCompiler: Hashable, Sendable {
    /// What the generated code is tuned for.
    public struct Options: Hashable, Sendable {
        /// The arguments the cost model assumes when it weighs argument checks: all zero unless
        /// set. Only the cost, never the decision, depends on them.
        public var typicalArguments: [UInt64]
        /// How many numbers of each architecture the dispatch is tuned for, counted from its
        /// first number (0; `0x40000000` on x32; 4000, 5000 or 6000 on MIPS). `nil`, the default,
        /// takes 460 or the architecture's highest known number plus one, whichever is more.
        public var profiledSyscallCount: Int?
        /// How many more instructions than the least possible the slowest profiled call may
        /// execute: among the dispatch trees that meet this bound, the compiler takes the one
        /// with the lowest mean. 2 by default; `nil` minimises the mean alone.
        public var slowestCallSlack: Int?
        /// Whether the shared `Optimizer` shortens the filter afterwards. It merges identical
        /// code across architectures more freely than the compiler (a tenth of Docker's profile
        /// for x86_64, x86 and x32), but takes far longer than the compilation itself. Off by
        /// default.
        public var optimizes: Bool

        /// Options with these values; the defaults are those of `SeccompCompiler()`.
        public init(
            typicalArguments: [UInt64] = [], profiledSyscallCount: Int? = nil, slowestCallSlack: Int? = 2,
            optimizes: Bool = false
        ) {
            self.typicalArguments = typicalArguments
            self.profiledSyscallCount = profiledSyscallCount
            self.slowestCallSlack = slowestCallSlack
            self.optimizes = optimizes
        }
    }

    /// How the generated code is tuned.
    public var options: Options

    /// A compiler with these options.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Resolves `policy` (``SeccompPolicy/resolve()``) and compiles it.
    ///
    /// - Throws: ``SeccompCompilerError/invalidPolicy(_:)`` when the policy does not resolve, or
    ///   ``SeccompCompilerError/filterTooLong(minimumCount:limit:parts:)`` or
    ///   ``SeccompCompilerError/tooManyInstructions(count:limit:)`` when its filter is too long.
    public func compile(_ policy: SeccompPolicy) throws(SeccompCompilerError) -> Program {
        try compileVerified(policy).program
    }

    /// Resolves and compiles `policy` as `compile` does, and returns the
    /// filter with its proof, which ``SeccompInstaller`` takes without checking again.
    public func compileVerified(_ policy: SeccompPolicy) throws(SeccompCompilerError) -> VerifiedProgram {
        let resolved: ResolvedSeccompPolicy
        do {
            resolved = try policy.resolve()
        } catch {
            throw .invalidPolicy(error)
        }
        return try compileVerified(resolved)
    }

    /// Compiles a resolved policy to a verified filter of at most 4096 instructions.
    ///
    /// - Throws: ``SeccompCompilerError/filterTooLong(minimumCount:limit:parts:)`` for a
    ///   policy whose filter cannot fit the kernel's limit, as soon as that is certain, and
    ///   ``SeccompCompilerError/tooManyInstructions(count:limit:)`` when the laid-out filter,
    ///   with its long jumps, does not.
    public func compile(_ policy: ResolvedSeccompPolicy) throws(SeccompCompilerError) -> Program {
        try compileVerified(policy).program
    }

    /// Compiles a resolved policy as `compile` does, and returns
    /// the filter with its proof.
    public func compileVerified(_ policy: ResolvedSeccompPolicy) throws(SeccompCompilerError) -> VerifiedProgram {
        let limit = AttachTarget.seccomp.maximumInstructions
        let sections = DispatchSection.sections(of: policy)
        var partitions = [SyscallNumberPartition]()
        var blocks = [[Int: ArgumentCheckBlock]]()
        for section in sections {
            let partition = SyscallNumberPartition(
                section: section, foreignAction: policy.foreignArchitectureAction,
                profiledCount: options.profiledSyscallCount
            )
            partitions.append(partition)
            blocks.append(argumentChecks(of: partition))
        }
        // A filter that cannot fit is refused before it is planned and laid out, which takes far
        // longer for the huge policies that do not fit.
        let size = FilterSizeBound(sections: sections, partitions: partitions, blocks: blocks)
        guard size.minimumCount <= limit else {
            throw .filterTooLong(minimumCount: size.minimumCount, limit: limit, parts: size.parts)
        }

        var trees = [DispatchTree]()
        for (partition, checks) in zip(partitions, blocks) {
            let planner = SearchTreePlanner(plannerRanges(of: partition, blocks: checks))
            trees.append(DispatchTree(planner.plan(slowestCallSlack: options.slowestCallSlack), ranges: partition.ranges))
        }
        var sharing = sections.count > 1
            ? SubtreeSharing(trees: trees, partitions: partitions, blocks: blocks) : nil

        var emitter = FilterEmitter()
        let labels = sections.map { _ in emitter.newLabel() }
        emitter.emitArchitectureChecks(
            zip(sections, labels).map { ($0.auditArchitecture, $1) }, foreign: policy.foreignArchitectureAction
        )
        for index in sections.indices {
            emitter.emitSection(
                index, at: labels[index], partition: partitions[index], tree: trees[index], blocks: blocks[index],
                sharing: &sharing
            )
            emitter.emitReturns()
        }

        guard emitter.instructionCount <= limit else {
            // Long jumps can only add to it.
            throw .filterTooLong(minimumCount: emitter.instructionCount, limit: limit, parts: size.parts)
        }
        let program: Program
        do {
            program = try emitter.program()
        } catch {
            throw .internalError("labels did not resolve: \(error)")
        }
        guard program.count <= limit else {
            throw .tooManyInstructions(count: program.count, limit: limit)
        }
        let verified: VerifiedProgram
        do {
            verified = try VerifiedProgram(program, for: .seccomp)
        } catch {
            throw .internalError("the filter does not verify: \(error)")
        }
        // The optimizer never returns a longer program, and only verified ones.
        return options.optimizes ? Optimizer.optimize(verified) : verified
    }

    /// The numbers of an architecture the dispatch is tuned for, and that
    /// ``SeccompFilterStatistics`` measures by default: `count` numbers from the architecture's
    /// first, or with `count` `nil`, 460 or up to its highest known number, whichever is more.
    public static func profiledNumbers(of architecture: ArchitecturePolicy, count: Int? = nil) -> ClosedRange<Int32> {
        let first = architecture.architecture.numberBase
        let highestKnown = architecture.knownSyscallNumbers.last { $0 >= first && $0 - first < 1024 } ?? first
        let count = max(1, count ?? max(460, Int(highestKnown - first) + 1))
        return first ... first + Int32(min(count, Int(Int32.max - first) + 1) - 1)
    }

    // MARK: Steps

    /// The argument checks of every outcome that has conditions, by outcome index.
    private func argumentChecks(of partition: SyscallNumberPartition) -> [Int: ArgumentCheckBlock] {
        var blocks = [Int: ArgumentCheckBlock]()
        for (index, outcome) in partition.outcomes.enumerated() {
            if case .argumentChecks(let decision, let layout) = outcome {
                blocks[index] = ArgumentCheckBlock(decision, layout: layout, typicalArguments: options.typicalArguments)
            }
        }
        return blocks
    }

    /// The partition's ranges with their weights and the cost of their leaves.
    private func plannerRanges(of partition: SyscallNumberPartition, blocks: [Int: ArgumentCheckBlock])
        -> [SearchTreePlanner.Range]
    {
        func executed(_ outcome: Int) -> Int {
            blocks[outcome]?.typicalExecutedCount ?? 1
        }
        return partition.ranges.map { range in
            let weight = partition.profiledCount(range.lower, range.upper)
            let leafCost = weight * executed(range.outcome)
            let slowestLeaf = weight > 0 ? executed(range.outcome) : nil
            return SearchTreePlanner.Range(
                lower: range.lower, outcome: range.outcome, isSingleNumber: range.lower == range.upper,
                weight: weight, leafCost: leafCost, slowestLeaf: slowestLeaf
            )
        }
    }
}

/// Why a policy was not compiled.
public enum SeccompCompilerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The policy does not resolve.
    case invalidPolicy(SeccompPolicyError)
    /// The filter would be longer than the kernel accepts.
    case tooManyInstructions(count: Int, limit: Int)
    /// The filter would be longer than the kernel accepts, which was clear before it was
    /// complete: it needs at least `minimumCount` instructions, and `parts` says where they go.
    case filterTooLong(minimumCount: Int, limit: Int, parts: SeccompFilterParts)
    /// A bug in the compiler: the filter it built does not assemble or verify.
    case internalError(String)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .invalidPolicy(let error): "invalid policy: \(error)"
        case .tooManyInstructions(let count, let limit):
            "the filter needs \(count) instructions, \(count - limit) more than the kernel's limit of \(limit)"
        case .filterTooLong(let minimumCount, let limit, let parts):
            "the filter needs at least \(minimumCount) instructions, \(minimumCount - limit) more than the kernel's "
                + "limit of \(limit): \(parts)"
        case .internalError(let message): "seccomp compiler bug: \(message)"
        }
    }
}
