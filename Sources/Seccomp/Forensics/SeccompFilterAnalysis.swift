import CBPF

/// What a seccomp filter does with every call, whoever wrote it: a decision table by
/// architecture and system-call number, with the tests on arguments where the filter makes
/// them.
///
/// The filter is run symbolically over `seccomp_data`: every path through the program is
/// followed with what it knows about each word it read, as exact sets of values for the
/// architecture and number, and as ranges, fixed bits and excluded values for the arguments and
/// the instruction pointer. A branch no input can take is dropped; nothing else is. Arithmetic
/// the analysis does not follow (a multiplication of an argument, a comparison of two
/// arguments) ends its path in an ``SeccompDecisionOutcome/undetermined(_:)`` outcome that
/// says so, for the calls that reach it, and so does a bound of ``Limits`` when it is reached
/// (``limitReached``).
///
/// ```swift
/// let analysis = try SeccompFilterAnalysis(program)
/// for row in analysis.architectures {
///     for range in row.numberRanges { print(row.auditValues, range.numbers, range.decision.outcomes) }
/// }
/// ```
public struct SeccompFilterAnalysis: Sendable {
    /// Bounds on the analysis, so that a hostile program cannot make it run or grow forever.
    public struct Limits: Hashable, Sendable {
        /// The most paths followed to an outcome.
        public var maximumPaths: Int
        /// The most nodes of the path tree kept in memory.
        public var maximumTreeNodes: Int
        /// The most ranges of architecture values and numbers the paths' outcomes keep (8 bytes
        /// each): a filter that tests low bits of the number splits it into many ranges.
        public var maximumStoredRanges: Int
        /// The longest the symbolic run and the table built from it may take.
        public var timeLimit: Duration

        /// 250,000 paths, 2,000,000 tree nodes, 16,000,000 ranges, 30 seconds: far beyond what
        /// the filters of Docker, systemd, Chrome or libseccomp need.
        public init(
            maximumPaths: Int = 250_000, maximumTreeNodes: Int = 2_000_000, maximumStoredRanges: Int = 16_000_000,
            timeLimit: Duration = .seconds(30)
        ) {
            self.maximumPaths = maximumPaths
            self.maximumTreeNodes = maximumTreeNodes
            self.maximumStoredRanges = maximumStoredRanges
            self.timeLimit = timeLimit
        }
    }

    /// Which bound of ``Limits`` stopped the analysis.
    public enum LimitReached: Hashable, Sendable, CustomStringConvertible {
        /// ``Limits/maximumPaths`` paths were followed.
        case paths(Int)
        /// The tree reached ``Limits/maximumTreeNodes`` nodes.
        case treeNodes(Int)
        /// The outcomes kept ``Limits/maximumStoredRanges`` ranges.
        case storedRanges(Int)
        /// The run, or building the table, took ``Limits/timeLimit``.
        case time(Duration)

        /// `the analysis stopped after 250000 paths`.
        public var description: String {
            switch self {
            case .paths(let count): "the analysis stopped after \(count) paths (its bound)"
            case .treeNodes(let count): "the analysis stopped at \(count) tree nodes (its bound)"
            case .storedRanges(let count): "the analysis stopped at \(count) stored ranges of numbers (its bound)"
            case .time(let duration): "the analysis stopped after \(duration) (its time bound)"
            }
        }
    }

    /// The program analysed; for a stack of filters (``stackedFilters``), the newest one's.
    public let program: Program
    /// The architectures the filter tells apart, each with its decisions: one row per set of
    /// `seccomp_data.arch` values that the filter treats alike.
    public let architectures: [SeccompArchitectureDecisions]
    /// The bound that stopped the analysis, if one did; the calls it did not reach are
    /// ``SeccompDecisionOutcome/undetermined(_:)``.
    public let limitReached: SeccompFilterAnalysis.LimitReached?
    /// How many paths the symbolic run followed to an outcome.
    public let pathCount: Int
    /// Instructions that no input reaches, as ranges of indices. Empty when a bound was reached,
    /// and for a stack (each of ``stackedFilters`` has its own).
    public let unreachableInstructions: [ClosedRange<Int>]
    /// Branches the word solver could not rule out within its budget; both sides were followed.
    public let undecidedBranches: Int
    /// For the combined effect of several filters (``init(stacking:)``), each filter's own
    /// analysis in the order they were installed (the newest last); empty for a single filter.
    public let stackedFilters: [SeccompFilterAnalysis]

    /// Verifies `program` for seccomp and analyses it.
    ///
    /// - Throws: `VerificationError` when the kernel would refuse the program as a seccomp filter.
    public init(_ program: Program, limits: Limits = Limits()) throws(VerificationError) {
        self.init(verified: try VerifiedProgram(program, for: .seccomp), limits: limits)
    }

    /// Analyses a program verified for seccomp (one verified for another attach point is
    /// verified for seccomp first).
    public init(_ program: VerifiedProgram, limits: Limits = Limits()) throws(VerificationError) {
        self.init(verified: try program.verified(for: .seccomp), limits: limits)
    }

    private init(verified: VerifiedProgram, limits: Limits) {
        program = verified.program
        let exploration = FilterExploration(verified, limits: limits)
        var builder = DecisionTableBuilder(exploration)
        architectures = builder.rows()
        limitReached = exploration.limitReached ?? (builder.ranOutOfTime ? .time(limits.timeLimit) : nil)
        pathCount = exploration.pathCount
        undecidedBranches = exploration.undecidedBranches
        var unreachable = [ClosedRange<Int>]()
        if exploration.limitReached == nil {
            for (index, reached) in exploration.reached.enumerated() where !reached {
                if let last = unreachable.last, last.upperBound == index - 1 {
                    unreachable[unreachable.count - 1] = last.lowerBound ... index
                } else {
                    unreachable.append(index ... index)
                }
            }
        }
        unreachableInstructions = unreachable
        stackedFilters = []
    }

    /// An analysis from its parts (the combination of a stack).
    init(program: Program, architectures: [SeccompArchitectureDecisions], limitReached: LimitReached?, pathCount: Int,
         unreachableInstructions: [ClosedRange<Int>], undecidedBranches: Int, stackedFilters: [SeccompFilterAnalysis])
    {
        self.program = program
        self.architectures = architectures
        self.limitReached = limitReached
        self.pathCount = pathCount
        self.unreachableInstructions = unreachableInstructions
        self.undecidedBranches = undecidedBranches
        self.stackedFilters = stackedFilters
    }

    /// The row for an architecture value.
    public func row(forArchitecture value: UInt32) -> SeccompArchitectureDecisions {
        architectures.first { row in row.auditValues.contains { $0.contains(value) } }!
    }

    /// The decision for a number in an architecture.
    public func decision(architecture: UInt32, number: UInt32) -> SeccompArgumentDecision {
        row(forArchitecture: architecture).decision(forNumber: number)
    }

    /// What the filter does with `data`, according to the analysis.
    public func outcome(for data: SeccompData) -> SeccompDecisionOutcome {
        decision(architecture: data.architecture.rawValue, number: UInt32(bitPattern: data.number)).outcome(for: data)
    }

    /// Every place where the analysis could not decide: the row, the numbers and why.
    public var gaps: [(architecture: SeccompArchitectureDecisions, numbers: ClosedRange<UInt32>, gap: SeccompAnalysisGap)] {
        var list = [(SeccompArchitectureDecisions, ClosedRange<UInt32>, SeccompAnalysisGap)]()
        for row in architectures {
            for range in row.numberRanges {
                for case .undetermined(let gap) in range.decision.outcomes { list.append((row, range.numbers, gap)) }
            }
        }
        return list
    }

    /// Whether every call has a known outcome: no bound was reached and nothing was beyond the
    /// analysis.
    public var isComplete: Bool { gaps.isEmpty }
}
