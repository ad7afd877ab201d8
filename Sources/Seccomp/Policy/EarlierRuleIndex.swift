/// The condition sets of the rules kept so far for one system-call number, indexed so that the
/// first of them that holds whenever a new rule does (its conditions are a subset of the new
/// rule's) is found without comparing the new rule with every earlier one, which made a call with
/// thousands of rules take quadratic time.
///
/// Each kept set is filed under one of its conditions, the one that the fewest rules of the
/// number have. A subset of a new rule's conditions has its filing condition among them, so only
/// the sets filed under those are compared, and a condition that many rules share files few.
struct EarlierRuleIndex {
    private var sets: [Set<ArgumentCondition>] = []
    /// Kept indices by filing condition, ascending.
    private var filed: [ArgumentCondition: [Int]] = [:]
    /// The first kept set without conditions, a subset of every set.
    private var firstUnconditional: Int?
    /// How many of the number's rules have each condition.
    private let frequencies: [ArgumentCondition: Int]

    /// An empty index for rules with these condition sets, which decide the filing conditions.
    init(conditionSets: some Sequence<Set<ArgumentCondition>>) {
        var frequencies = [ArgumentCondition: Int]()
        for set in conditionSets {
            for condition in set { frequencies[condition, default: 0] += 1 }
        }
        self.frequencies = frequencies
    }

    /// The index, in the order of ``append(_:)``, of the first kept set that is a subset of
    /// `conditions`, or `nil`.
    func firstSubset(of conditions: Set<ArgumentCondition>) -> Int? {
        var first = firstUnconditional
        for condition in conditions {
            for index in filed[condition] ?? [] {
                if let found = first, index >= found { break }
                if sets[index].isSubset(of: conditions) {
                    first = index
                    break
                }
            }
        }
        return first
    }

    /// Keeps a set, with the next index.
    mutating func append(_ conditions: Set<ArgumentCondition>) {
        let index = sets.count
        sets.append(conditions)
        // Which of the rarest conditions files it changes nothing but the work.
        let filing = conditions.min { (frequencies[$0] ?? 0) < (frequencies[$1] ?? 0) }
        if let filing {
            filed[filing, default: []].append(index)
        } else if firstUnconditional == nil {
            firstUnconditional = index
        }
    }
}
