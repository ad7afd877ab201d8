import CBPF

/// Why no policy of the native format compiles to a filter equivalent to the analysed one.
public struct SeccompPolicyReconstructionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What cannot be written, each with where and why.
    public var problems: [String]

    /// An error listing `problems`.
    public init(problems: [String]) {
        self.problems = problems
    }

    /// The problems, one a line.
    public var description: String { problems.joined(separator: "\n") }
}

extension SeccompFilterAnalysis {
    /// A policy in the native format whose compiled filter decides every call as this filter
    /// does, checked before it is returned: the policy is compiled with ``SeccompCompiler``, the
    /// result analysed, and the two decision tables compared (``SeccompFilterComparison``).
    ///
    /// The default action and the `unknown-syscalls enosys` setting are the ones that need the
    /// fewest rules; each system call libseccomp names gets the rules of its decision, read as
    /// a first-match list (``SeccompArgumentDecision/rules(limit:)``); numbers it does not name
    /// get raw-number rules, which apply to every architecture of the policy.
    ///
    /// - Throws: ``SeccompPolicyReconstructionError`` when the analysis is incomplete, when the
    ///   filter does something the format cannot say (test the instruction pointer, decide a
    ///   call differently on two architectures, give other architectures several actions), or
    ///   when the check finds a difference; the problems name the architecture, the calls and
    ///   the reason.
    public func equivalentPolicy() throws(SeccompPolicyReconstructionError) -> SeccompPolicy {
        var reconstruction = PolicyReconstruction(self)
        let policy = reconstruction.build()
        guard let policy, reconstruction.problems.isEmpty else {
            throw SeccompPolicyReconstructionError(problems: reconstruction.problems)
        }
        // The proof: the policy's own filter decides as this one.
        let compiled: Program
        do {
            compiled = try SeccompCompiler().compile(policy)
        } catch {
            throw SeccompPolicyReconstructionError(problems: ["the reconstructed policy does not compile: \(error)"])
        }
        let check: SeccompFilterAnalysis
        do {
            check = try SeccompFilterAnalysis(compiled, limits: PolicyReconstruction.checkLimits)
        } catch {
            throw SeccompPolicyReconstructionError(problems: ["the reconstructed policy's filter: \(error)"])
        }
        let comparison = SeccompFilterComparison(self, check, limit: 20)
        guard comparison.isEquivalent else {
            var problems = comparison.differences.map { difference in
                "the reconstructed policy differs: \(PolicyReconstruction.describe(difference))"
            }
            if comparison.limitReached { problems.append("(and more differences)") }
            throw SeccompPolicyReconstructionError(problems: problems)
        }
        return policy
    }
}

/// The search for an equivalent policy; ``problems`` says what stands in the way.
struct PolicyReconstruction {
    static let checkLimits = SeccompFilterAnalysis.Limits(timeLimit: .seconds(60))
    /// The most raw-number rules a reconstructed policy may have.
    static let rawNumberLimit = 1024

    let analysis: SeccompFilterAnalysis
    private(set) var problems = [String]()
    /// The conventions the policy covers, once known.
    private var covered = [SeccompConventionDecisions]()

    init(_ analysis: SeccompFilterAnalysis) {
        self.analysis = analysis
    }

    static func describe(_ difference: SeccompDecisionDifference) -> String {
        let values = difference.auditValues.map { range in
            AuditArchitecture(rawValue: range.lowerBound).description
                + (range.lowerBound == range.upperBound ? "" : "-0x" + String(range.upperBound, radix: 16))
        }.joined(separator: ",")
        let numbers = difference.numbers.lowerBound == difference.numbers.upperBound
            ? "\(difference.numbers.lowerBound)" : "\(difference.numbers.lowerBound)-\(difference.numbers.upperBound)"
        let conditions = difference.conditions.isEmpty
            ? "" : " when " + difference.conditions.map { $0.description(bigEndian: false) }.joined(separator: " && ")
        return "arch \(values) nr \(numbers)\(conditions): filter \(difference.first), policy \(difference.second)"
    }

    private mutating func problem(_ text: String) {
        if problems.count < 50 { problems.append(text) }
    }

    mutating func build() -> SeccompPolicy? {
        for (row, numbers, gap) in analysis.gaps.prefix(20) {
            problem("\(row.name) numbers \(numbers.lowerBound)-\(numbers.upperBound): the analysis cannot tell: \(gap)")
        }
        if !problems.isEmpty { return nil }

        // What other architectures get.
        var foreign: SeccompAction?
        for row in analysis.architectures where row.conventions.isEmpty {
            for range in row.numberRanges {
                guard let action = range.decision.outcome?.action, foreign == nil || foreign == action else {
                    problem("\(row.name): the filter gives calls of architectures it does not name several actions "
                        + "or tests their arguments, and a policy has one foreign-arch action")
                    return nil
                }
                foreign = action
            }
        }
        let foreignAction = foreign ?? .killProcess

        // The conventions the policy covers: those not all given the foreign action.
        var covered = [SeccompConventionDecisions]()
        for row in analysis.architectures {
            covered += Self.coveredConventions(of: row, foreignAction: foreignAction)
        }
        // Rules come from conventions with 64-bit arguments first: a 32-bit one sees only the
        // low halves, and the policy narrows conditions for it.
        covered.sort { a, b in
            if a.architecture.hasSixtyFourBitArguments != b.architecture.hasSixtyFourBitArguments {
                return a.architecture.hasSixtyFourBitArguments
            }
            return (SeccompArchitecture.all.firstIndex(of: a.architecture) ?? 0)
                < (SeccompArchitecture.all.firstIndex(of: b.architecture) ?? 0)
        }
        if covered.isEmpty {
            return SeccompPolicy(defaultAction: foreignAction, architectures: [.native], foreignArchitectureAction: foreignAction)
        }
        self.covered = covered
        // Tests a policy cannot make at all.
        for convention in covered {
            if let range = convention.numberRanges.first(where: { range in
                range.decision.nodes.contains { node in
                    if case .test(let test, _, _) = node { test.offset < 16 } else { false }
                }
            }) {
                problem("\(convention.architecture) numbers \(range.numbers.lowerBound)-\(range.numbers.upperBound): the "
                    + "filter tests the instruction pointer, which a policy cannot")
            }
        }
        if !problems.isEmpty { return nil }
        guard let (defaultAction, enosys) = chooseDefault(covered) else { return nil }
        var rules = [SeccompRule]()
        var named = Set<String>()
        var raw = [UInt32: (SeccompArgumentDecision, SeccompArchitecture)]()
        for convention in covered {
            let architecture = convention.architecture
            let known = Set(((try? architecture.knownSyscallNumbers()) ?? []).map { UInt32(bitPattern: $0) })
            for range in convention.numberRanges {
                let decision = range.decision
                let unnamedFallback = enosys ? SeccompAction.errno(architecture.enosys) : defaultAction
                // Named numbers of the range, and the unnamed ones when they need rules.
                let names = known.filter { range.numbers.contains($0) }.sorted()
                for number in names {
                    guard let name = convention.syscallName(forNumber: number), !named.contains(name) else { continue }
                    named.insert(name)
                    if decision.outcome?.action == defaultAction { continue }
                    checkOtherConventions(name: name, decision: decision, from: convention, covered: covered)
                    rules += self.rules(for: .syscall(Syscall(name)), decision, fallback: defaultAction, architecture)
                }
                if decision.outcome?.action == unnamedFallback { continue }
                let unnamed = (UInt64(range.numbers.upperBound) - UInt64(range.numbers.lowerBound) + 1) - UInt64(names.count)
                if unnamed == 0 { continue }
                var number = UInt64(range.numbers.lowerBound)
                while number <= UInt64(range.numbers.upperBound) {
                    let value = UInt32(number)
                    number += 1
                    if known.contains(value) { continue }
                    let plain = architecture.usesX32SyscallBit ? value & ~SeccompArchitecture.x32SyscallBit : value
                    guard plain < 0x8000_0000 else {
                        problem("\(architecture) number 0x\(String(value, radix: 16)): \(decision.outcomes.first!) "
                            + "for a negative number, which a policy cannot name")
                        return nil
                    }
                    if let (other, otherArchitecture) = raw[plain], other != decision {
                        problem("number \(plain) (no name): \(otherArchitecture) and \(architecture) decide it differently, "
                            + "and a raw number applies to every architecture of a policy")
                        continue
                    }
                    raw[plain] = (decision, architecture)
                }
            }
        }
        // Raw numbers must name nothing on any covered convention.
        for (plain, (decision, _)) in raw.sorted(by: { $0.key < $1.key }) {
            for convention in covered {
                let number = convention.architecture.usesX32SyscallBit ? plain | SeccompArchitecture.x32SyscallBit : plain
                if let name = convention.syscallName(forNumber: number) {
                    problem("number \(plain) has no name on one architecture but is \(name) on \(convention.architecture), "
                        + "and a raw number applies to every architecture of a policy")
                }
            }
            let fallback = enosys ? nil : defaultAction
            rules += self.rules(for: .number(Int32(plain)), decision, fallback: fallback, covered[0].architecture)
        }
        if !problems.isEmpty { return nil }
        let architectures = SeccompArchitecture.all.filter { architecture in covered.contains { $0.architecture == architecture } }
        return SeccompPolicy(
            defaultAction: defaultAction, architectures: architectures, foreignArchitectureAction: foreignAction,
            unknownSyscallsFailWithENOSYS: enosys, rules: rules)
    }

    /// The conventions of a row a policy must cover: those whose numbers do not all get the
    /// foreign action. On `AUDIT_ARCH_X86_64`, -1 is x86_64's only when the policy covers
    /// x86_64, else x32's.
    static func coveredConventions(of row: SeccompArchitectureDecisions, foreignAction: SeccompAction)
        -> [SeccompConventionDecisions]
    {
        func isForeign(_ ranges: [SeccompNumberRangeDecision]) -> Bool {
            ranges.allSatisfy { $0.decision.outcome?.action == foreignAction }
        }
        guard row.auditArchitecture == .x86_64 else { return row.conventions.filter { !isForeign($0.numberRanges) } }
        let x86_64 = row.clipped(to: [0 ... 0x3fff_ffff])
        if !isForeign(x86_64) {
            return row.conventions.filter { !isForeign($0.numberRanges) }
        }
        let x32 = row.clipped(to: [0x4000_0000 ... 0xffff_ffff])
        return isForeign(x32) ? [] : [SeccompConventionDecisions(architecture: .x32, numberRanges: x32)]
    }

    /// A plain decision must be the same on every convention that has the call: a policy has
    /// one rule list for all of them. (Other differences are left to the final check.)
    private mutating func checkOtherConventions(
        name: String, decision: SeccompArgumentDecision, from convention: SeccompConventionDecisions,
        covered: [SeccompConventionDecisions]
    ) {
        guard let action = decision.outcome?.action else { return }
        for other in covered where other.architecture != convention.architecture {
            guard case .number(let number) = try? other.architecture.resolve(name),
                let theirs = other.decision(forNumber: UInt32(bitPattern: number))?.outcome?.action
            else { continue }
            if theirs != action {
                problem("\(name): \(convention.architecture) \(action), \(other.architecture) \(theirs); a policy has "
                    + "one rule list for all its architectures")
            }
        }
    }

    /// The rules of `decision` for a target, without the trailing ones that decide as the
    /// fallback (the default action, or `nil` for a raw number under `unknown-syscalls enosys`,
    /// whose fallback is ENOSYS: then every rule is kept).
    private mutating func rules(
        for target: SyscallTarget, _ decision: SeccompArgumentDecision, fallback: SeccompAction?,
        _ architecture: SeccompArchitecture
    ) -> [SeccompRule] {
        if let single = SingleArgumentRules.rules(
            decision, fallback: fallback, sixtyFourBitArguments: architecture.hasSixtyFourBitArguments,
            bigEndian: architecture.isBigEndian)
        {
            return single.map { SeccompRule($0.action, target, conditions: $0.conditions) }
        }
        if case .syscall(let syscall) = target, let name = syscall.name, isMultiplexed(name) {
            return multiplexedRules(for: target, name: name, decision, fallback: fallback, architecture)
        }
        guard var list = decision.rules() else {
            problem("\(target): the decision on its arguments takes more than 10000 rules")
            return []
        }
        while let last = list.last, last.outcome.action == fallback, fallback != nil { list.removeLast() }
        var rules = [SeccompRule]()
        for rule in list {
            guard let action = rule.outcome.action else { continue }  // gaps were refused before
            switch ArgumentConditionTranslation.conditions(
                rule.conditions, sixtyFourBitArguments: architecture.hasSixtyFourBitArguments,
                bigEndian: architecture.isBigEndian)
            {
            case .success(let conditions): rules.append(SeccompRule(action, target, conditions: conditions))
            case .failure(let reason):
                problem("\(target) on \(architecture): \(reason)")
                return []
            }
        }
        return rules
    }

    /// Whether a covered convention also reaches the call through `socketcall` or `ipc`.
    private func isMultiplexed(_ name: String) -> Bool {
        covered.contains { convention in
            if case .multiplexed = try? convention.architecture.resolve(name) { true } else { false }
        }
    }

    /// Rules for a call some architecture multiplexes: there each rule also applies to the
    /// multiplexer with `arg0 == subcall` alone, so all must share one action. Each path of the
    /// decision to an outcome other than the fallback becomes a rule with all its conditions.
    private mutating func multiplexedRules(
        for target: SyscallTarget, name: String, _ decision: SeccompArgumentDecision, fallback: SeccompAction?,
        _ architecture: SeccompArchitecture
    ) -> [SeccompRule] {
        var rules = [SeccompRule]()
        var stack: [(index: Int, conditions: [SeccompWordLiteral])] = [(decision.root, [])]
        var action: SeccompAction?
        while let (index, literals) = stack.popLast() {
            switch decision.nodes[index] {
            case .test(let test, let ifTrue, let ifFalse):
                stack.append((ifFalse, literals + [SeccompWordLiteral(test: test, holds: false)]))
                stack.append((ifTrue, literals + [SeccompWordLiteral(test: test, holds: true)]))
            case .outcome(let outcome):
                guard let found = outcome.action, found != fallback else { continue }
                if let action, action != found {
                    problem("\(name) on \(architecture): \(action) for some arguments and \(found) for others, but "
                        + "an architecture of the policy also reaches \(name) through socketcall or ipc, where a policy "
                        + "cannot tell its arguments apart")
                    return []
                }
                action = found
                switch ArgumentConditionTranslation.conditions(
                    literals, sixtyFourBitArguments: architecture.hasSixtyFourBitArguments, bigEndian: architecture.isBigEndian)
                {
                case .success(let conditions): rules.append(SeccompRule(found, target, conditions: conditions))
                case .failure(let reason):
                    problem("\(target) on \(architecture): \(reason)")
                    return []
                }
                if rules.count > 10_000 {
                    problem("\(target): the decision on its arguments takes more than 10000 rules")
                    return []
                }
            }
        }
        return rules
    }

    /// The default action and ENOSYS setting that need the fewest rules, with at most
    /// ``rawNumberLimit`` raw numbers.
    private mutating func chooseDefault(_ covered: [SeccompConventionDecisions]) -> (SeccompAction, Bool)? {
        var candidates = [SeccompAction]()
        for convention in covered {
            for range in convention.numberRanges {
                if let action = range.decision.outcome?.action, !candidates.contains(action) { candidates.append(action) }
            }
        }
        if candidates.isEmpty { candidates = [.killProcess] }
        var best: (cost: UInt64, action: SeccompAction, enosys: Bool)?
        for enosys in [false, true] {
            for candidate in candidates {
                var raw: UInt64 = 0
                var named: UInt64 = 0
                for convention in covered {
                    let known = ((try? convention.architecture.knownSyscallNumbers()) ?? []).map { UInt32(bitPattern: $0) }
                    let unnamedFallback = enosys ? SeccompAction.errno(convention.architecture.enosys) : candidate
                    for range in convention.numberRanges {
                        let count = UInt64(known.filter { range.numbers.contains($0) }.count)
                        let size = UInt64(range.numbers.upperBound) - UInt64(range.numbers.lowerBound) + 1
                        let action = range.decision.outcome?.action
                        if action != candidate { named += count }
                        if action != unnamedFallback { raw += size - count }
                    }
                }
                guard raw <= UInt64(Self.rawNumberLimit) else { continue }
                let cost = raw + named
                if best == nil || cost < best!.cost { best = (cost, candidate, enosys) }
            }
        }
        guard let best else {
            problem("no default action leaves fewer than \(Self.rawNumberLimit) numbers without a name to write "
                + "as raw numbers: the filter decides ranges of unnamed numbers in ways a policy cannot")
            return nil
        }
        return (best.action, best.enosys)
    }
}
