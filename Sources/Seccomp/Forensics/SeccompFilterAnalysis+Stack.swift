import CBPF

extension SeccompFilterAnalysis {
    /// The combined effect of filters stacked on one thread, given in the order they were
    /// installed, as `PTRACE_SECCOMP_GET_FILTER` numbers them and
    /// ``SeccompFilterReader/filters(ofProcess:)`` returns them (the oldest first).
    ///
    /// The kernel runs every filter on each call and keeps the most restrictive action
    /// (`seccomp_run_filters`: the lowest `ACTION_ONLY` value as a signed number, so
    /// `KILL_PROCESS` > `KILL_THREAD` > `TRAP` > `ERRNO` > `USER_NOTIF` > `TRACE` > `LOG` >
    /// `ALLOW`); it runs the newest first, and between equal actions with different data (two
    /// errnos) the first it ran, the newest, wins. The combined table applies that rule to every cell of the filters'
    /// tables, with their tests on arguments joined where both test them (combinations no input
    /// can take are dropped). A cell one filter leaves undetermined stays undetermined, unless
    /// another filter kills the process there, which nothing outranks.
    ///
    /// ``stackedFilters`` keeps each filter's own analysis; ``unreachableInstructions`` is empty,
    /// and ``program`` is the newest filter's (the last). Returns `nil` for an empty list, and the filter's
    /// own analysis for a single one.
    public init?(stacking filters: [SeccompFilterAnalysis]) {
        guard let newest = filters.last else { return nil }
        if filters.count == 1 {
            self = newest
            return
        }
        var combination = StackCombination(filters)
        self.init(
            program: newest.program, architectures: combination.rows(),
            limitReached: filters.lazy.compactMap(\.limitReached).first,
            pathCount: filters.reduce(0) { $0 + $1.pathCount }, unreachableInstructions: [],
            undecidedBranches: filters.reduce(0) { $0 + $1.undecidedBranches } + combination.undecidedBranches,
            stackedFilters: filters)
    }

    /// Whether this is the combined effect of several filters (``init(stacking:)``).
    public var isStack: Bool { !stackedFilters.isEmpty }
}
