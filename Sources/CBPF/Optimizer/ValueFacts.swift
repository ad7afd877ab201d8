/// What is known about one 32-bit value: a range, known bits, values it cannot take, and masks
/// it shares a bit with. Every field only narrows the set of possible values.
struct ValueFacts: Hashable {
    var minimum: UInt32 = 0
    var maximum: UInt32 = .max
    /// Bits known to be 0.
    var zeroBits: UInt32 = 0
    /// Bits known to be 1.
    var oneBits: UInt32 = 0
    /// Values known not to be taken (sorted, at most 8).
    var excluded = InlineList()
    /// Masks `m` with `value & m != 0` known (from `jset` taken with several bits; at most 8).
    var sharesBitWith = InlineList()

    static let unknown = ValueFacts()

    static func exactly(_ k: UInt32) -> ValueFacts {
        ValueFacts(minimum: k, maximum: k, zeroBits: ~k, oneBits: k)
    }

    init() {}

    private init(minimum: UInt32, maximum: UInt32, zeroBits: UInt32, oneBits: UInt32) {
        self.minimum = minimum
        self.maximum = maximum
        self.zeroBits = zeroBits
        self.oneBits = oneBits
    }

    /// A value with no bits outside `bits`.
    init(maximumBits bits: UInt32) {
        self.init(minimum: 0, maximum: bits, zeroBits: ~bits, oneBits: 0)
    }

    init?(minimum: UInt32, maximum: UInt32) {
        guard let facts = ValueFacts(minimum: minimum, maximum: maximum, zeroBits: 0, oneBits: 0).normalized() else {
            return nil
        }
        self = facts
    }

    init?(zeroBits: UInt32, oneBits: UInt32) {
        guard let facts = ValueFacts(minimum: 0, maximum: .max, zeroBits: zeroBits, oneBits: oneBits).normalized() else {
            return nil
        }
        self = facts
    }

    var exactValue: UInt32? { minimum == maximum ? minimum : nil }

    /// What is known of `left op right` from what is known of the operands. Division and
    /// modulo assume a non-zero divisor: with zero the program has ended.
    static func arithmetic(_ operation: ArithmeticOperation, _ left: ValueFacts, _ right: ValueFacts) -> ValueFacts {
        if let a = left.exactValue, let b = right.exactValue {
            return operation == .divide || operation == .modulo ? (b == 0 ? .unknown : .exactly(operation.apply(a, b)))
                : .exactly(operation.apply(a, b))
        }
        var facts = ValueFacts()
        switch operation {
        case .add:
            let (high, overflow) = left.maximum.addingReportingOverflow(right.maximum)
            if !overflow { (facts.minimum, facts.maximum) = (left.minimum + right.minimum, high) }
        case .subtract:
            if left.minimum >= right.maximum {
                (facts.minimum, facts.maximum) = (left.minimum - right.maximum, left.maximum - right.minimum)
            }
        case .multiply:
            let (high, overflow) = left.maximum.multipliedReportingOverflow(by: right.maximum)
            if !overflow { (facts.minimum, facts.maximum) = (left.minimum * right.minimum, high) }
        case .divide:
            let divisorMinimum = max(right.minimum, 1)
            (facts.minimum, facts.maximum) = (left.minimum / max(right.maximum, 1), left.maximum / divisorMinimum)
        case .modulo:
            if left.maximum < right.minimum { return left }
            if right.maximum > 0 { facts.maximum = min(left.maximum, right.maximum - 1) }
        case .and:
            facts.zeroBits = left.zeroBits | right.zeroBits
            facts.oneBits = left.oneBits & right.oneBits
            facts.maximum = min(left.maximum, right.maximum)
        case .or:
            facts.zeroBits = left.zeroBits & right.zeroBits
            facts.oneBits = left.oneBits | right.oneBits
            facts.minimum = max(left.minimum, right.minimum)
        case .xor:
            facts.zeroBits = (left.zeroBits & right.zeroBits) | (left.oneBits & right.oneBits)
            facts.oneBits = (left.zeroBits & right.oneBits) | (left.oneBits & right.zeroBits)
        case .shiftLeft, .shiftRight:
            guard let count = right.exactValue.map({ $0 & 31 }) else { break }
            if operation == .shiftLeft {
                facts.zeroBits = (left.zeroBits << count) | ((1 << count) &- 1)
                facts.oneBits = left.oneBits << count
                if left.maximum <= UInt32.max >> count {
                    (facts.minimum, facts.maximum) = (left.minimum << count, left.maximum << count)
                }
            } else {
                facts.zeroBits = (left.zeroBits >> count) | ~(UInt32.max >> count)
                facts.oneBits = left.oneBits >> count
                (facts.minimum, facts.maximum) = (left.minimum >> count, left.maximum >> count)
            }
        }
        return facts.normalized() ?? .unknown
    }

    /// Whether the value may be `k`.
    func allows(_ k: UInt32) -> Bool {
        k >= minimum && k <= maximum && k & zeroBits == 0 && k & oneBits == oneBits
            && !excluded.contains(k) && sharesBitWith.allSatisfy { k & $0 != 0 }
    }

    /// The outcome of `value test k` when the facts decide it.
    func evaluate(_ test: JumpTest, _ k: UInt32) -> Bool? {
        if let value = exactValue { return test.holds(value, k) }
        switch test {
        case .equal:
            return allows(k) ? nil : false
        case .greaterThan:
            if minimum > k { return true }
            if maximum <= k { return false }
            return nil
        case .greaterOrEqual:
            if minimum >= k { return true }
            if maximum < k { return false }
            return nil
        case .bitsSet:
            if k & oneBits != 0 { return true }
            if k & ~zeroBits == 0 { return false }
            if sharesBitWith.contains(where: { $0 & ~k == 0 }) { return true }
            // Every bit the value may have is in k: the test is `value != 0`.
            if ~zeroBits & ~k == 0, !allows(0) { return true }
            // The value is below the lowest bit of k.
            if maximum < k & (0 &- k) { return false }
            return nil
        }
    }

    /// The facts on the edge where `value test k` came out as `outcome`, or `nil` when that
    /// edge can never be taken.
    func refined(_ test: JumpTest, _ k: UInt32, outcome: Bool) -> ValueFacts? {
        var facts = self
        switch (test, outcome) {
        case (.equal, true):
            return intersected(with: .exactly(k))
        case (.equal, false):
            facts.exclude(k)
        case (.greaterThan, true):
            guard k < .max else { return nil }
            facts.minimum = max(minimum, k + 1)
        case (.greaterThan, false):
            facts.maximum = min(maximum, k)
        case (.greaterOrEqual, true):
            facts.minimum = max(minimum, k)
        case (.greaterOrEqual, false):
            guard k > 0 else { return nil }
            facts.maximum = min(maximum, k - 1)
        case (.bitsSet, true):
            guard k != 0 else { return nil }
            if !facts.sharesBitWith.contains(k) { facts.sharesBitWith.append(k) }
        case (.bitsSet, false):
            facts.zeroBits |= k
        }
        return facts.normalized()
    }

    /// Both facts hold.
    func intersected(with other: ValueFacts) -> ValueFacts? {
        var facts = ValueFacts(
            minimum: max(minimum, other.minimum), maximum: min(maximum, other.maximum),
            zeroBits: zeroBits | other.zeroBits, oneBits: oneBits | other.oneBits)
        facts.excluded = excluded
        for k in other.excluded { facts.exclude(k) }
        facts.sharesBitWith = sharesBitWith
        for mask in other.sharesBitWith where !facts.sharesBitWith.contains(mask) {
            facts.sharesBitWith.append(mask)
        }
        return facts.normalized()
    }

    /// One of the two facts holds.
    func union(with other: ValueFacts) -> ValueFacts {
        var facts = ValueFacts(
            minimum: min(minimum, other.minimum), maximum: max(maximum, other.maximum),
            zeroBits: zeroBits & other.zeroBits, oneBits: oneBits & other.oneBits)
        for k in excluded where !other.allows(k) { facts.exclude(k) }
        for k in other.excluded where !allows(k) { facts.exclude(k) }
        func keepShared(_ masks: InlineList) {
            for mask in masks
            where evaluate(.bitsSet, mask) == true && other.evaluate(.bitsSet, mask) == true
                && !facts.sharesBitWith.contains(mask) {
                facts.sharesBitWith.append(mask)
            }
        }
        keepShared(sharesBitWith)
        keepShared(other.sharesBitWith)
        return facts.normalized() ?? .unknown
    }

    private mutating func exclude(_ k: UInt32) {
        guard !excluded.contains(k) else { return }
        if excluded.isFull { return }  // forgetting a fact is always sound
        excluded.append(k)
        excluded.sort()
    }

    /// Tightens the fields against each other; `nil` when no value satisfies them all.
    func normalized() -> ValueFacts? {
        var facts = self
        // Within a round `excluded` stays and `sharesBitWith` only loses masks, so the scalars
        // and that count tell whether a round changed anything.
        var previous: (UInt32, UInt32, UInt32, UInt32, Int)
        var rounds = 0
        repeat {
            previous = (facts.minimum, facts.maximum, facts.zeroBits, facts.oneBits, facts.sharesBitWith.count)
            rounds += 1
            guard facts.zeroBits & facts.oneBits == 0 else { return nil }
            facts.minimum = max(facts.minimum, facts.oneBits)
            facts.maximum = min(facts.maximum, ~facts.zeroBits)
            guard facts.minimum <= facts.maximum else { return nil }
            // Every value of a range shares the high bits on which its ends agree.
            let agreeing = (facts.minimum ^ facts.maximum).leadingZeroBitCount
            let highMask: UInt32 = agreeing == 32 ? .max : ~(UInt32.max >> agreeing)
            let fixedOnes = facts.minimum & highMask
            let fixedZeros = ~facts.minimum & highMask
            guard fixedOnes & facts.zeroBits == 0, fixedZeros & facts.oneBits == 0 else { return nil }
            facts.oneBits |= fixedOnes
            facts.zeroBits |= fixedZeros
            while facts.excluded.contains(facts.minimum) {
                guard facts.minimum < facts.maximum else { return nil }
                facts.minimum += 1
            }
            while facts.excluded.contains(facts.maximum) {
                guard facts.minimum < facts.maximum else { return nil }
                facts.maximum -= 1
            }
            if !facts.sharesBitWith.isEmpty {
                var shares = InlineList()
                for mask in facts.sharesBitWith where mask & facts.oneBits == 0 {
                    let possible = mask & ~facts.zeroBits
                    if possible == 0 { return nil }
                    if possible & (possible &- 1) == 0 {
                        facts.oneBits |= possible
                    } else {
                        shares.append(mask)
                    }
                }
                facts.sharesBitWith = shares
            }
        } while previous != (facts.minimum, facts.maximum, facts.zeroBits, facts.oneBits, facts.sharesBitWith.count)
            && rounds < 8
        if facts.zeroBits | facts.oneBits == .max {
            guard facts.allowsIgnoringExactness(facts.oneBits), facts.oneBits >= facts.minimum,
                  facts.oneBits <= facts.maximum else { return nil }
            return .exactly(facts.oneBits)
        }
        if let value = facts.exactValue {
            guard facts.allowsIgnoringExactness(value) else { return nil }
            return .exactly(value)
        }
        let bounds = facts
        facts.excluded.removeAll { !bounds.allowsIgnoringExclusion($0) }
        return facts
    }

    private func allowsIgnoringExactness(_ k: UInt32) -> Bool {
        k & zeroBits == 0 && k & oneBits == oneBits && !excluded.contains(k) && sharesBitWith.allSatisfy { k & $0 != 0 }
    }

    private func allowsIgnoringExclusion(_ k: UInt32) -> Bool {
        k >= minimum && k <= maximum && k & zeroBits == 0 && k & oneBits == oneBits
    }
}
