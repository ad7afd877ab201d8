import CBPF

/// The covered architectures that share one `seccomp_data.arch` value: one architecture, or
/// x86_64 and x32, which both use `AUDIT_ARCH_X86_64`. A filter checks the value once and then
/// dispatches on the number for all of them.
struct DispatchSection: Sendable {
    var auditArchitecture: AuditArchitecture
    /// In the policy's order; at most one with and one without the x32 bit.
    var policies: [ArchitecturePolicy]

    /// The sections of a policy, in the order of their first architecture.
    static func sections(of policy: ResolvedSeccompPolicy) -> [DispatchSection] {
        var sections = [DispatchSection]()
        for architecture in policy.architectures {
            let audit = architecture.architecture.auditArchitecture
            if let index = sections.firstIndex(where: { $0.auditArchitecture == audit }) {
                sections[index].policies.append(architecture)
            } else {
                sections.append(DispatchSection(auditArchitecture: audit, policies: [architecture]))
            }
        }
        return sections
    }
}

/// Where the number dispatch of a section leads.
enum DispatchOutcome: Hashable, Sendable {
    /// `ret` with this action.
    case action(SeccompAction)
    /// Argument checks, with the argument layout of the architecture they are for.
    case argumentChecks(SyscallDecision, layout: ArgumentWordLayout)
}

/// The 32-bit number space of one section cut into maximal ranges of numbers that get the same
/// outcome, with the numbers whose cost the filter is tuned for.
struct SyscallNumberPartition: Sendable {
    /// Numbers `lower...upper` all lead to `outcomes[outcome]`.
    struct Range: Hashable, Sendable {
        var lower: UInt32
        var upper: UInt32
        var outcome: Int
    }

    /// Ascending, adjacent, covering `0...0xffffffff`; neighbours differ in outcome.
    private(set) var ranges: [Range] = []
    /// Each distinct outcome once.
    private(set) var outcomes: [DispatchOutcome] = []
    /// The numbers the dispatch is tuned for: those of ``SeccompCompiler/profiledNumbers(of:count:)``
    /// for each architecture of the section.
    let profiledWindows: [ClosedRange<UInt32>]

    private var outcomeIndices: [DispatchOutcome: Int] = [:]
    private var constantActions: [SyscallDecision: SeccompAction?] = [:]

    /// The parts of a section's number space and whether each is x32's, as
    /// ``ResolvedSeccompPolicy/action(for:)`` splits them: on `AUDIT_ARCH_X86_64` from
    /// `0x40000000` up, with `-1` x86_64's when the section has x86_64; elsewhere not at all.
    static func bands(of section: DispatchSection) -> [(numbers: ClosedRange<UInt32>, isX32: Bool)] {
        guard section.auditArchitecture == .x86_64 else { return [(0 ... 0xffff_ffff, false)] }
        let coversX86_64 = section.policies.contains { !$0.architecture.usesX32SyscallBit }
        return [
            (0 ... SeccompArchitecture.x32SyscallBit - 1, false),
            (SeccompArchitecture.x32SyscallBit ... 0xffff_fffe, true),
            (0xffff_ffff ... 0xffff_ffff, SeccompArchitecture.isX32Number(0xffff_ffff, coversX86_64: coversX86_64)),
        ]
    }

    /// Partitions a section's numbers as ``ResolvedSeccompPolicy/action(for:)`` decides them.
    init(section: DispatchSection, foreignAction: SeccompAction, profiledCount: Int?) {
        profiledWindows = section.policies.map {
            let numbers = SeccompCompiler.profiledNumbers(of: $0, count: profiledCount)
            return UInt32(bitPattern: numbers.lowerBound) ... UInt32(bitPattern: numbers.upperBound)
        }
        let prepared = section.policies.map(PreparedPolicy.init)
        for band in Self.bands(of: section) {
            if let policy = prepared.first(where: { $0.policy.architecture.usesX32SyscallBit == band.isX32 }) {
                appendRanges(of: policy, in: band.numbers)
            } else {
                append(band.numbers.lowerBound, band.numbers.upperBound, intern(.action(foreignAction)))
            }
        }
    }

    /// How many profiled numbers lie in `lower...upper`.
    func profiledCount(_ lower: UInt32, _ upper: UInt32) -> Int {
        profiledWindows.reduce(0) { $0 + Self.overlap(lower ... upper, $1) }
    }

    // MARK: Building

    private mutating func intern(_ outcome: DispatchOutcome) -> Int {
        if let index = outcomeIndices[outcome] { return index }
        outcomes.append(outcome)
        outcomeIndices[outcome] = outcomes.count - 1
        return outcomes.count - 1
    }

    private mutating func append(_ lower: UInt32, _ upper: UInt32, _ outcome: Int) {
        if let last = ranges.last, last.outcome == outcome {
            ranges[ranges.count - 1].upper = upper
        } else {
            ranges.append(Range(lower: lower, upper: upper, outcome: outcome))
        }
    }

    /// An architecture's rules and known numbers, in the order of the unsigned numbers that
    /// `seccomp_data.nr` holds.
    private struct PreparedPolicy {
        let policy: ArchitecturePolicy
        let syscalls: [ResolvedSyscall]
        let knownRanges: [ClosedRange<UInt32>]

        init(_ policy: ArchitecturePolicy) {
            self.policy = policy
            syscalls = policy.syscalls.sorted { UInt32(bitPattern: $0.number) < UInt32(bitPattern: $1.number) }
            knownRanges = policy.unknownSyscallAction == nil ? [] : policy.knownSyscallRanges
                .map { UInt32(bitPattern: $0.lowerBound) ... UInt32(bitPattern: $0.upperBound) }
                .sorted { $0.lowerBound < $1.lowerBound }
        }
    }

    /// The ranges of one architecture's numbers inside `band`: the default action for known
    /// numbers, `ENOSYS` for unknown ones when the policy asks for it, and each number with
    /// rules on its own.
    private mutating func appendRanges(of prepared: PreparedPolicy, in band: ClosedRange<UInt32>) {
        let policy = prepared.policy
        let layout = ArgumentWordLayout(isBigEndian: policy.architecture.isBigEndian)
        let syscalls = prepared.syscalls
        var next = syscalls.firstIndex { UInt32(bitPattern: $0.number) >= band.lowerBound } ?? syscalls.endIndex
        for (segment, fallback) in Self.baseSegments(of: prepared, in: band) {
            var cursor = UInt64(segment.lowerBound)
            while next < syscalls.endIndex, UInt32(bitPattern: syscalls[next].number) <= segment.upperBound {
                let syscall = syscalls[next]
                let number = UInt32(bitPattern: syscall.number)
                if cursor < UInt64(number) {
                    append(UInt32(cursor), number - 1, intern(.action(fallback)))
                }
                if let first = syscall.rules.first, first.conditions.isEmpty {
                    // The common case: the first rule decides alone.
                    append(number, number, intern(.action(first.action)))
                } else {
                    let decision = SyscallDecision(rules: syscall.rules, otherwise: fallback)
                    let outcome: DispatchOutcome = constantAction(of: decision).map { .action($0) }
                        ?? .argumentChecks(decision, layout: layout)
                    append(number, number, intern(outcome))
                }
                cursor = UInt64(number) + 1
                next += 1
            }
            if cursor <= UInt64(segment.upperBound) {
                append(UInt32(cursor), segment.upperBound, intern(.action(fallback)))
            }
        }
    }

    /// The decision's action when no argument can change it, found once per distinct decision.
    private mutating func constantAction(of decision: SyscallDecision) -> SeccompAction? {
        if let known = constantActions[decision] { return known }
        let action = ArgumentCheckGenerator.provenConstantAction(of: decision)
        constantActions[decision] = action
        return action
    }

    /// `band` cut into known numbers, which fall back to the default action, and unknown ones,
    /// which fall back to `ENOSYS` when the policy asks for it.
    private static func baseSegments(of prepared: PreparedPolicy, in band: ClosedRange<UInt32>)
        -> [(ClosedRange<UInt32>, SeccompAction)]
    {
        let policy = prepared.policy
        guard let unknownAction = policy.unknownSyscallAction else {
            return [(band, policy.defaultAction)]
        }
        var segments = [(ClosedRange<UInt32>, SeccompAction)]()
        var cursor = UInt64(band.lowerBound)
        for numbers in prepared.knownRanges {
            guard let part = intersection(numbers, band) else { continue }
            if cursor < UInt64(part.lowerBound) {
                segments.append((UInt32(cursor) ... part.lowerBound - 1, unknownAction))
            }
            segments.append((part, policy.defaultAction))
            cursor = UInt64(part.upperBound) + 1
        }
        if cursor <= UInt64(band.upperBound) {
            segments.append((UInt32(cursor) ... band.upperBound, unknownAction))
        }
        return segments
    }

    // MARK: Interval arithmetic

    static func intersection(_ a: ClosedRange<UInt32>, _ b: ClosedRange<UInt32>) -> ClosedRange<UInt32>? {
        let lower = max(a.lowerBound, b.lowerBound)
        let upper = min(a.upperBound, b.upperBound)
        return lower <= upper ? lower ... upper : nil
    }

    static func overlap(_ a: ClosedRange<UInt32>, _ b: ClosedRange<UInt32>) -> Int {
        intersection(a, b).map { Int($0.upperBound - $0.lowerBound) + 1 } ?? 0
    }
}
