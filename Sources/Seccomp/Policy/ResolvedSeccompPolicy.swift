import CBPF

/// A policy with every name resolved to numbers, for each architecture: what a compiler
/// turns into a filter.
///
/// ``action(for:)`` is the reference meaning of the policy, which a compiled filter must match.
public struct ResolvedSeccompPolicy: Hashable, Sendable {
    /// The policy this was resolved from.
    public var policy: SeccompPolicy
    /// One entry for each of the policy's architectures, in the policy's order.
    public var architectures: [ArchitecturePolicy]
    /// What happens to a call in a convention the policy does not cover.
    public var foreignArchitectureAction: SeccompAction { policy.foreignArchitectureAction }

    /// A resolved policy from its parts; ``SeccompPolicy/resolve()`` makes one from a policy.
    public init(policy: SeccompPolicy, architectures: [ArchitecturePolicy]) {
        self.policy = policy
        self.architectures = architectures
    }

    /// What the policy does with a call.
    ///
    /// The architecture is chosen by `seccomp_data.arch`; on `AUDIT_ARCH_X86_64` the number
    /// chooses between x86_64 and x32 (``SeccompArchitecture/isX32Number(_:coversX86_64:)``).
    /// A call in no covered convention gets ``foreignArchitectureAction``.
    public func action(for data: SeccompData) -> SeccompAction {
        let candidates = architectures.filter { $0.architecture.auditArchitecture == data.architecture }
        let chosen: ArchitecturePolicy?
        if data.architecture == .x86_64 {
            let isX32 = SeccompArchitecture.isX32Number(
                UInt32(bitPattern: data.number),
                coversX86_64: candidates.contains { !$0.architecture.usesX32SyscallBit })
            chosen = candidates.first { $0.architecture.usesX32SyscallBit == isX32 }
        } else {
            chosen = candidates.first
        }
        guard let chosen else { return foreignArchitectureAction }
        return chosen.action(forSyscall: data.number, arguments: data.arguments)
    }
}

/// A policy resolved for one architecture.
public struct ArchitecturePolicy: Hashable, Sendable {
    /// The architecture, which tells the audit value and whether numbers carry the x32 bit.
    public var architecture: SeccompArchitecture
    /// What a call gets when no rule decides and the number is known (or the ENOSYS option is off).
    public var defaultAction: SeccompAction
    /// Every number some rule applies to, ascending, each with its rules in order.
    public var syscalls: [ResolvedSyscall]
    /// `ERRNO(ENOSYS)` in this architecture's numbering when the policy's ENOSYS option is on:
    /// what a number outside ``knownSyscallNumbers`` gets when no rule decides.
    public var unknownSyscallAction: SeccompAction?
    /// Every number libseccomp knows on this architecture, ascending.
    public var knownSyscallNumbers: [Int32]

    /// An architecture's part from its parts.
    public init(
        architecture: SeccompArchitecture, defaultAction: SeccompAction, syscalls: [ResolvedSyscall],
        unknownSyscallAction: SeccompAction?, knownSyscallNumbers: [Int32]
    ) {
        self.architecture = architecture
        self.defaultAction = defaultAction
        self.syscalls = syscalls
        self.unknownSyscallAction = unknownSyscallAction
        self.knownSyscallNumbers = knownSyscallNumbers
    }

    /// ``knownSyscallNumbers`` as the fewest ascending ranges.
    public var knownSyscallRanges: [ClosedRange<Int32>] {
        var ranges = [ClosedRange<Int32>]()
        for number in knownSyscallNumbers {
            if let last = ranges.last, last.upperBound &+ 1 == number {
                ranges[ranges.count - 1] = last.lowerBound ... number
            } else {
                ranges.append(number ... number)
            }
        }
        return ranges
    }

    /// What the policy does with this call in this architecture: the first rule for the number
    /// whose conditions hold, else ``unknownSyscallAction`` for an unknown number, else
    /// ``defaultAction``.
    public func action(forSyscall number: Int32, arguments: [UInt64]) -> SeccompAction {
        if let syscall = syscall(number: number),
            let rule = syscall.rules.first(where: { rule in rule.conditions.allSatisfy { $0.holds(forArguments: arguments) } })
        {
            return rule.action
        }
        if let unknownSyscallAction, !isKnown(number) {
            return unknownSyscallAction
        }
        return defaultAction
    }

    /// The rules for a number, if any.
    public func syscall(number: Int32) -> ResolvedSyscall? {
        var low = 0
        var high = syscalls.count
        while low < high {
            let middle = (low + high) / 2
            if syscalls[middle].number < number { low = middle + 1 } else { high = middle }
        }
        return low < syscalls.count && syscalls[low].number == number ? syscalls[low] : nil
    }

    /// Whether libseccomp knows this number on this architecture.
    public func isKnown(_ number: Int32) -> Bool {
        var low = 0
        var high = knownSyscallNumbers.count
        while low < high {
            let middle = (low + high) / 2
            if knownSyscallNumbers[middle] < number { low = middle + 1 } else { high = middle }
        }
        return low < knownSyscallNumbers.count && knownSyscallNumbers[low] == number
    }
}

/// The rules for one system-call number on one architecture.
public struct ResolvedSyscall: Hashable, Sendable {
    /// The number, with bit 30 on x32.
    public var number: Int32
    /// libseccomp's name for the number, if it has one.
    public var name: String?
    /// The rules in order; the first whose conditions all hold decides. Never empty.
    public var rules: [ResolvedRule]

    /// A call with its rules.
    public init(number: Int32, name: String?, rules: [ResolvedRule]) {
        self.number = number
        self.name = name
        self.rules = rules
    }
}

/// A rule for one number on one architecture.
public struct ResolvedRule: Hashable, Sendable {
    /// What the filter returns when this rule decides.
    public var action: SeccompAction
    /// Conditions that must all hold. On an architecture with 32-bit arguments all of them are
    /// ``ArgumentCondition/Width/low32`` with 32-bit values and masks. For a call reached through
    /// a multiplexer this is `arg0 == subcall`.
    public var conditions: [ArgumentCondition]
    /// The index in ``SeccompPolicy/rules`` of the rule this comes from.
    public var ruleIndex: Int

    /// A rule with its action, conditions and origin.
    public init(action: SeccompAction, conditions: [ArgumentCondition], ruleIndex: Int) {
        self.action = action
        self.conditions = conditions
        self.ruleIndex = ruleIndex
    }
}

extension SeccompPolicy {
    /// Resolves every rule for every architecture, checking the policy on the way.
    ///
    /// - Throws: ``SeccompPolicyError``: no or duplicate architectures, an architecture the
    ///   installed libseccomp does not support, an errno above 4095, a name libseccomp does not
    ///   know, a name no covered architecture has, a condition on an argument outside 0...5 or
    ///   that does not fit 32 bits where arguments are 32 bits, conditions on arguments other than
    ///   0 of a multiplexed call, or a contradiction (also one that only the multiplexer shows).
    public func resolve() throws(SeccompPolicyError) -> ResolvedSeccompPolicy {
        try checkArchitecturesAndActions()
        var resolved = [ArchitecturePolicy]()
        var resolvedSomewhere = Set<Int>()
        for architecture in architectures {
            resolved.append(try resolve(for: architecture, resolvedRules: &resolvedSomewhere))
        }
        for (index, rule) in rules.enumerated() {
            if case .syscall(let syscall) = rule.target, !resolvedSomewhere.contains(index) {
                throw .unavailableSyscall(
                    rule: rule, index: index, syscall: syscall.description, architectures: architectures
                )
            }
        }
        return ResolvedSeccompPolicy(policy: self, architectures: resolved)
    }

    private func checkArchitecturesAndActions() throws(SeccompPolicyError) {
        if architectures.isEmpty { throw .noArchitectures }
        var seen = Set<SeccompArchitecture>()
        for architecture in architectures {
            if !seen.insert(architecture).inserted { throw .duplicateArchitecture(architecture) }
            if !architecture.isSupportedByLibseccomp {
                throw .unsupportedArchitecture(architecture, libseccomp: .current)
            }
        }
        let tooLarge = "the kernel returns errno values up to 4095"
        for action in [defaultAction, foreignArchitectureAction] {
            if case .errno(let value) = action, value > 4095 {
                throw .invalidAction(action, index: nil, reason: tooLarge)
            }
        }
        for (index, rule) in rules.enumerated() {
            if case .errno(let value) = rule.action, value > 4095 {
                throw .invalidAction(rule.action, index: index, reason: tooLarge)
            }
            for condition in rule.conditions {
                if !(0 ... 5).contains(condition.argument) {
                    throw .invalidCondition(
                        rule: rule, index: index, condition, reason: "system calls have arguments 0 to 5"
                    )
                }
                if condition.width == .low32 {
                    try checkFits32Bits(condition, rule: rule, index: index, why: "it compares 32 bits")
                }
            }
        }
    }

    private func checkFits32Bits(_ condition: ArgumentCondition, rule: SeccompRule, index: Int, why: String)
        throws(SeccompPolicyError)
    {
        if condition.narrowedTo32Bits() == nil {
            throw .invalidCondition(
                rule: rule, index: index, condition, reason: "its value or mask does not fit in 32 bits, and \(why)"
            )
        }
    }

    /// A rule as it applies to one number, before contradictions are sorted out.
    private struct Candidate {
        var rule: ResolvedRule
        /// Whether the policy rule names the call itself rather than through a group.
        var isExplicit: Bool
        /// The call, when this is its multiplexer's `arg0 == subcall` standing in for a rule whose
        /// conditions the multiplexer cannot check.
        var uncheckedCall: String? = nil
    }

    private func resolve(for architecture: SeccompArchitecture, resolvedRules: inout Set<Int>)
        throws(SeccompPolicyError) -> ArchitecturePolicy
    {
        var candidates = [Int32: [Candidate]]()
        var names = [Int32: String]()
        for (index, rule) in rules.enumerated() {
            var conditions = rule.conditions
            if !architecture.hasSixtyFourBitArguments {
                var narrowed = [ArgumentCondition]()
                for condition in conditions {
                    guard let narrow = condition.narrowedTo32Bits() else {
                        throw .invalidCondition(
                            rule: rule, index: index, condition,
                            reason: "its value or mask does not fit in 32 bits, the width of arguments on \(architecture)"
                        )
                    }
                    narrowed.append(narrow)
                }
                conditions = narrowed
            }
            let members: [(syscall: Syscall, isExplicit: Bool)]
            switch rule.target {
            case .syscall(let syscall): members = [(syscall, true)]
            case .group(let group): members = group.syscallNames.map { (Syscall($0), false) }
            }
            for member in members {
                let resolution: SyscallResolution
                do {
                    resolution = try architecture.resolve(member.syscall)
                } catch {
                    if member.isExplicit { throw .unknownSyscall(rule: rule, index: index, error) }
                    continue
                }
                let label = member.syscall.description
                switch resolution {
                case .unavailable:
                    continue
                case .number(let number):
                    candidates[number, default: []].append(
                        Candidate(rule: ResolvedRule(action: rule.action, conditions: conditions, ruleIndex: index),
                                  isExplicit: member.isExplicit)
                    )
                    if names[number] == nil { names[number] = member.syscall.name }
                case .multiplexed(let call):
                    // As libseccomp 2.5.4 (`abi_rule_add`): the conditions on the direct number, and
                    // `arg0 == subcall` in place of those on argument 0 on the multiplexer. It keeps
                    // conditions on other arguments there, where they test the multiplexer's own
                    // arguments (a pointer to the call's): those are refused.
                    if conditions.contains(where: { $0.argument != 0 }) {
                        throw .conditionsOnMultiplexedSyscall(
                            rule: rule, index: index, syscall: label, multiplexer: call.multiplexer.rawValue,
                            architecture: architecture
                        )
                    }
                    if let direct = call.directNumber {
                        candidates[direct, default: []].append(
                            Candidate(rule: ResolvedRule(action: rule.action, conditions: conditions, ruleIndex: index),
                                      isExplicit: member.isExplicit)
                        )
                        if names[direct] == nil { names[direct] = label }
                    }
                    var selector = ArgumentCondition(argument: 0, .equal, UInt64(call.subcall))
                    if !architecture.hasSixtyFourBitArguments { selector.width = .low32 }
                    candidates[call.multiplexerNumber, default: []].append(
                        Candidate(rule: ResolvedRule(action: rule.action, conditions: [selector], ruleIndex: index),
                                  isExplicit: member.isExplicit, uncheckedCall: conditions.isEmpty ? nil : label)
                    )
                    if names[call.multiplexerNumber] == nil { names[call.multiplexerNumber] = call.multiplexer.rawValue }
                }
                resolvedRules.insert(index)
            }
        }

        var syscalls = [ResolvedSyscall]()
        // Thrown once no number shows a plain contradiction, which says more.
        var multiplexedContradiction: SeccompPolicyError?
        for number in candidates.keys.sorted() {
            let name = architecture.syscallName(forNumber: number) ?? names[number]
            let numberCandidates = candidates[number] ?? []
            let conditionSets = numberCandidates.map { Set($0.rule.conditions) }
            var kept = [Candidate]()
            var keptIndex = EarlierRuleIndex(conditionSets: conditionSets)
            for (candidate, conditions) in zip(numberCandidates, conditionSets) {
                if let earlierIndex = keptIndex.firstSubset(of: conditions) {
                    let earlier = kept[earlierIndex]
                    if earlier.rule.action != candidate.rule.action && candidate.isExplicit {
                        if let call = candidate.uncheckedCall ?? earlier.uncheckedCall {
                            multiplexedContradiction = multiplexedContradiction ?? .multiplexedContradiction(
                                first: rules[earlier.rule.ruleIndex], firstIndex: earlier.rule.ruleIndex,
                                second: rules[candidate.rule.ruleIndex], secondIndex: candidate.rule.ruleIndex,
                                syscall: call, multiplexer: name ?? String(number), architecture: architecture
                            )
                            continue
                        }
                        throw .contradiction(
                            first: rules[earlier.rule.ruleIndex], firstIndex: earlier.rule.ruleIndex,
                            second: rules[candidate.rule.ruleIndex], secondIndex: candidate.rule.ruleIndex,
                            syscall: name ?? String(number), architecture: architecture
                        )
                    }
                    continue
                }
                kept.append(candidate)
                keptIndex.append(conditions)
            }
            syscalls.append(ResolvedSyscall(number: number, name: name, rules: kept.map(\.rule)))
        }
        if let multiplexedContradiction { throw multiplexedContradiction }

        let known: [Int32]
        do {
            known = try architecture.knownSyscallNumbers()
        } catch {
            throw .unsupportedArchitecture(architecture, libseccomp: .current)
        }
        return ArchitecturePolicy(
            architecture: architecture,
            defaultAction: defaultAction,
            syscalls: syscalls,
            unknownSyscallAction: unknownSyscallsFailWithENOSYS ? .errno(architecture.enosys) : nil,
            knownSyscallNumbers: known
        )
    }
}
