import CBPF

/// Where the instructions of a seccomp filter go, as far as that is known before the filter is
/// laid out: what ``SeccompCompilerError/filterTooLong(minimumCount:limit:parts:)`` reports.
public struct SeccompFilterParts: Hashable, Sendable, CustomStringConvertible {
    /// The argument checks of one system call on one architecture.
    public struct ArgumentChecks: Hashable, Sendable {
        /// libseccomp's name of the call, or `system call N` for a number it does not know.
        public var syscall: String
        /// The architecture whose checks these are.
        public var architecture: SeccompArchitecture
        /// The rules that need checks, after those that can never decide are dropped.
        public var ruleCount: Int
        /// How many instructions the checks take.
        public var instructionCount: Int
    }

    /// The instructions of all argument checks, each distinct one counted once.
    public var argumentCheckCount: Int
    /// The longest argument checks, if there are any.
    public var longestArgumentChecks: ArgumentChecks?
    /// The fewest comparisons the dispatch on the system-call number needs, for the
    /// architectures (those sharing an audit value) with the most ranges of numbers.
    public var dispatchCount: Int
    /// Those ranges: runs of numbers that get the same outcome, each differing from its neighbours.
    public var rangeCount: Int

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        let dispatch = "at least \(dispatchCount) (\(rangeCount) ranges of numbers)"
        guard let longest = longestArgumentChecks else {
            return "the dispatch on the system-call number takes " + dispatch
        }
        let rules = "\(longest.ruleCount) rule" + (longest.ruleCount == 1 ? "" : "s")
        return "the argument checks take \(argumentCheckCount) (the longest, for \(longest.syscall) on "
            + "\(longest.architecture), \(longest.instructionCount) for \(rules)), "
            + "the dispatch on the system-call number " + dispatch
    }
}

/// The fewest instructions a filter can take, known once its argument checks are generated and
/// before its number dispatch is planned, and where they go.
///
/// Every distinct argument check is emitted once at least. A section's dispatch over R ranges
/// needs at least R / 2 comparisons, rounded down: a `jge` separates two neighbouring ranges, and
/// an exception chain's `jeq` at best two (neighbours always differ in outcome, so the ranges
/// that are no exception are never adjacent). Sections can share subtrees, so only the largest
/// dispatch counts. Add the architecture checks and one `ret`.
struct FilterSizeBound {
    let minimumCount: Int
    let parts: SeccompFilterParts

    init(sections: [DispatchSection], partitions: [SyscallNumberPartition], blocks: [[Int: ArgumentCheckBlock]]) {
        var distinctBlocks = Set<ArgumentCheckBlock>()
        var checkCount = 0
        var longest: (section: Int, outcome: Int, count: Int)?
        for (section, sectionBlocks) in blocks.enumerated() {
            for (outcome, block) in sectionBlocks.sorted(by: { $0.key < $1.key })
                where distinctBlocks.insert(block).inserted
            {
                checkCount += block.instructionCount
                if block.instructionCount > longest?.count ?? 0 {
                    longest = (section, outcome, block.instructionCount)
                }
            }
        }
        let rangeCount = partitions.map(\.ranges.count).max() ?? 0
        let dispatchCount = rangeCount / 2
        minimumCount = 1 + sections.count + checkCount + dispatchCount + 1
        parts = SeccompFilterParts(
            argumentCheckCount: checkCount,
            longestArgumentChecks: longest.map {
                Self.argumentChecks(
                    outcome: $0.outcome, section: sections[$0.section], partition: partitions[$0.section],
                    instructionCount: $0.count
                )
            },
            dispatchCount: dispatchCount, rangeCount: rangeCount
        )
    }

    /// The argument checks of an outcome, named after the first number that leads there.
    private static func argumentChecks(
        outcome: Int, section: DispatchSection, partition: SyscallNumberPartition, instructionCount: Int
    ) -> SeccompFilterParts.ArgumentChecks {
        let number = partition.ranges.first { $0.outcome == outcome }?.lower ?? 0
        let isX32 = SyscallNumberPartition.bands(of: section).first { $0.numbers.contains(number) }?.isX32 ?? false
        let policy = section.policies.first { $0.architecture.usesX32SyscallBit == isX32 } ?? section.policies[0]
        let name = policy.syscall(number: Int32(bitPattern: number))?.name ?? "system call \(number)"
        var ruleCount = 0
        if case .argumentChecks(let decision, _) = partition.outcomes[outcome] { ruleCount = decision.rules.count }
        return SeccompFilterParts.ArgumentChecks(
            syscall: name, architecture: policy.architecture, ruleCount: ruleCount, instructionCount: instructionCount
        )
    }
}
