import CBPF

/// One line of a decision read as a first-match list: when every condition holds (and no
/// earlier rule of the list decided), the outcome.
public struct SeccompDecisionRule: Hashable, Sendable {
    /// Conditions on words of `seccomp_data`, all of which must hold; none for the last rule.
    public var conditions: [SeccompWordLiteral]
    /// What the filter does then.
    public var outcome: SeccompDecisionOutcome

    /// A rule from its conditions and outcome.
    public init(conditions: [SeccompWordLiteral], outcome: SeccompDecisionOutcome) {
        self.conditions = conditions
        self.outcome = outcome
    }
}

extension SeccompArgumentDecision {
    /// The decision as a first-match list of rules, the last of which has no conditions, or
    /// `nil` when it takes more than `limit` rules (a graph whose paths multiply).
    ///
    /// At each test one branch is listed first with the test as a condition, and the other after
    /// it without: every input that passes the test is decided by the first branch's rules. The
    /// branch listed first is the one whose condition a policy can write: the failing branch of
    /// a `jset` (`arg & mask == 0`), the passing branch of the others.
    public func rules(limit: Int = 10_000) -> [SeccompDecisionRule]? {
        var rules = [SeccompDecisionRule]()
        var stack: [(index: Int, conditions: [SeccompWordLiteral])] = [(root, [])]
        while let (index, conditions) = stack.popLast() {
            switch nodes[index] {
            case .outcome(let outcome):
                rules.append(SeccompDecisionRule(conditions: conditions, outcome: outcome))
                if rules.count > limit { return nil }
            case .test(let test, let ifTrue, let ifFalse):
                let trueFirst = test.test != .bitsSet
                let first = trueFirst ? ifTrue : ifFalse
                let second = trueFirst ? ifFalse : ifTrue
                stack.append((second, conditions))
                stack.append((first, conditions + [SeccompWordLiteral(test: test, holds: trueFirst)]))
            }
        }
        // Rules just before the last that decide as it does add nothing.
        if let last = rules.last {
            while rules.count > 1, rules[rules.count - 2].outcome == last.outcome { rules.remove(at: rules.count - 2) }
        }
        return rules
    }
}
