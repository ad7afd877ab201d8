import CBPF

/// Rules for a decision that tests a single argument, from the 64-bit values of the argument
/// that lead to each outcome: `allow socket arg0 != 38 && arg0 != 40` rather than a rule for
/// each of libseccomp's tests of the high and the low half.
enum SingleArgumentRules {
    /// The most rules per outcome, beyond which the first-match list is used instead.
    static let ruleLimit = 8

    /// For each outcome other than `fallback`, rules (conditions on one argument) that hold
    /// exactly for its values; `nil` when the decision tests more than one argument, the
    /// instruction pointer, or words in ways not modelled, or when it would take too many rules.
    static func rules(
        _ decision: SeccompArgumentDecision, fallback: SeccompAction?, sixtyFourBitArguments: Bool, bigEndian: Bool
    ) -> [(action: SeccompAction, conditions: [ArgumentCondition])]? {
        var argument: UInt32?
        for case .test(let test, _, _) in decision.nodes {
            guard test.offset >= 16 else { return nil }
            let index = (test.offset - 16) / 8
            if let argument, argument != index { return nil }
            argument = index
        }
        guard let argument else { return nil }
        let lowOffset = 16 + 8 * argument + (bigEndian ? 4 : 0)
        // Every path, with the sets of its two halves.
        var byAction = [SeccompAction: [ClosedRange<UInt64>]]()
        var order = [SeccompAction]()
        var stack: [(index: Int, low: NumberSet, high: NumberSet)] = [(decision.root, .all, .all)]
        var paths = 0
        while let (index, low, high) = stack.popLast() {
            paths += 1
            if paths > 1000 { return nil }
            switch decision.nodes[index] {
            case .test(let test, let ifTrue, let ifFalse):
                let isLow = test.offset == lowOffset
                let set = isLow ? low : high
                guard let passing = test.shape(holds: true).restrict(set, limit: 64) else { return nil }
                let failing = set.subtracting(passing)
                if !passing.isEmpty { stack.append((ifTrue, isLow ? passing : low, isLow ? high : passing)) }
                if !failing.isEmpty { stack.append((ifFalse, isLow ? failing : low, isLow ? high : failing)) }
            case .outcome(let outcome):
                guard let action = outcome.action else { return nil }
                if action == fallback { continue }  // no rule needed
                if !sixtyFourBitArguments, high != .all { return nil }
                let highSet = sixtyFourBitArguments ? high : NumberSet(ranges: [0 ... 0])
                var values = [ClosedRange<UInt64>]()
                if low == .all {
                    values = highSet.ranges.map { UInt64($0.lowerBound) << 32 ... (UInt64($0.upperBound) << 32 | 0xffff_ffff) }
                } else {
                    guard highSet.count <= 16 else { return nil }
                    for range in highSet.ranges {
                        for h in range {
                            for l in low.ranges {
                                values.append(UInt64(h) << 32 | UInt64(l.lowerBound) ... UInt64(h) << 32 | UInt64(l.upperBound))
                            }
                        }
                    }
                }
                if byAction[action] == nil { order.append(action) }
                byAction[action, default: []] += values
            }
        }
        var result = [(action: SeccompAction, conditions: [ArgumentCondition])]()
        for action in order where action != fallback {
            guard let rules = conditions(for: merged(byAction[action] ?? []), argument: Int(argument)) else { return nil }
            result += rules.map { (action, $0) }
        }
        return result
    }

    private static func merged(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var result = [ClosedRange<UInt64>]()
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, last.upperBound == .max || last.upperBound + 1 >= range.lowerBound {
                result[result.count - 1] = last.lowerBound ... max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// Whether a policy for a 32-bit architecture can hold the value too.
    private static func fits(_ value: UInt64) -> Bool { ArgumentCondition.fitsIn32Bits(value) }

    /// Rules that hold exactly on `ranges` (ascending, disjoint, not adjacent).
    private static func conditions(for ranges: [ClosedRange<UInt64>], argument: Int) -> [[ArgumentCondition]]? {
        // A few values left out: one rule of inequalities.
        var gaps = [UInt64]()
        var next: UInt64 = 0
        var complete = true
        for range in ranges {
            if range.lowerBound > next {
                if range.lowerBound - next > 1 { complete = false }
                gaps.append(next)
            }
            next = range.upperBound == .max ? 0 : range.upperBound + 1
            if range.upperBound == .max { break }
        }
        if ranges.last?.upperBound != .max { complete = false }
        if complete, ranges.first?.lowerBound == 0 || !gaps.isEmpty, gaps.count <= ruleLimit, gaps.allSatisfy(fits) {
            return [gaps.map { ArgumentCondition(argument: argument, .notEqual, $0) }]
        }
        guard ranges.count <= ruleLimit else { return nil }
        var rules = [[ArgumentCondition]]()
        for range in ranges {
            var conditions = [ArgumentCondition]()
            if range.lowerBound == range.upperBound {
                guard fits(range.lowerBound) else { return nil }
                rules.append([ArgumentCondition(argument: argument, .equal, range.lowerBound)])
                continue
            }
            if range.lowerBound > 0 {
                if fits(range.lowerBound) {
                    conditions.append(ArgumentCondition(argument: argument, .greaterOrEqual, range.lowerBound))
                } else if fits(range.lowerBound - 1) {
                    conditions.append(ArgumentCondition(argument: argument, .greater, range.lowerBound - 1))
                } else {
                    return nil
                }
            }
            if range.upperBound < .max {
                if fits(range.upperBound) {
                    conditions.append(ArgumentCondition(argument: argument, .lessOrEqual, range.upperBound))
                } else if fits(range.upperBound + 1) {
                    conditions.append(ArgumentCondition(argument: argument, .less, range.upperBound + 1))
                } else {
                    return nil
                }
            }
            rules.append(conditions)
        }
        return rules
    }
}
