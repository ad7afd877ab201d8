/// Plans the dispatch on the system-call number as a cost-optimal alphabetic search tree.
///
/// The input is a section's ranges of numbers with equal outcome, each weighted by how many of
/// the profiled numbers it holds. A plan is a tree of `jge #lower` comparisons whose leaves are
/// ranges, and whose bottom may be an *exception chain*: a run of ranges sharing one outcome,
/// interrupted by single numbers, decided by one `jeq` per exception and then the shared
/// outcome (one instruction where a tree spends two per interruption).
///
/// The plan minimises, in this order: the instructions executed over the profiled numbers,
/// the leaf's own code included; the number of comparisons; and the sum of the ranges' depths,
/// which keeps the unweighted part of the space (numbers beyond the profiled ones) balanced.
/// Dynamic programming over intervals of ranges finds the optimum exactly in O(n³) for up to
/// ``exactLimit`` ranges; above it Knuth's bound on the split point (the best split of an
/// interval lies between those of its two sub-intervals one range shorter) brings it to O(n²),
/// which is exact for plain alphabetic trees and a close approximation with exception chains.
/// Its tables still take quadratic memory, so above ``pieceLimit`` ranges (a policy of raw
/// numbers can have thousands) consecutive pieces of at most that many are planned so, and
/// joined by the cheapest tree of splits between pieces.
///
/// The slowest profiled call can be bounded too: with a slack, the plan is the cheapest among
/// those whose slowest profiled call executes at most that many instructions more than in the
/// tree that makes the slowest call as fast as possible. Only intervals whose unbounded optimum
/// breaks the bound are searched again, with the instructions left as a further dimension; with
/// more than ``exactLimit`` ranges the bound is not applied.
struct SearchTreePlanner {
    /// A range of numbers as the planner sees it.
    struct Range {
        /// Its first number, the constant of the `jge` that separates it from the range below.
        var lower: UInt32
        /// Its outcome's index; ranges with the same outcome share their leaf code.
        var outcome: Int
        /// Whether it holds a single number, which a `jeq` can pick out.
        var isSingleNumber: Bool
        /// How many profiled numbers it holds.
        var weight: Int
        /// The instructions its leaf executes, summed over its profiled numbers.
        var leafCost: Int
        /// The most instructions its leaf executes for one of its profiled numbers; `nil` when
        /// it holds none, so that its depth is not bounded.
        var slowestLeaf: Int?
    }

    /// A decision procedure over an interval of ranges.
    indirect enum Plan: Equatable {
        /// The range's outcome.
        case leaf(range: Int)
        /// `jge #ranges[at].lower`: ranges from `at` on if it holds, the ones below if not.
        case split(at: Int, below: Plan, above: Plan)
        /// `jeq #ranges[e].lower` for each exception in order, each to its own outcome, then
        /// `otherwise` (an outcome index) for the other ranges.
        case exceptions([Int], otherwise: Int)

        /// The same plan with every range index moved by `offset`.
        func shifted(by offset: Int) -> Plan {
            switch self {
            case .leaf(let range): .leaf(range: range + offset)
            case .split(let at, let below, let above):
                .split(at: at + offset, below: below.shifted(by: offset), above: above.shifted(by: offset))
            case .exceptions(let exceptions, let otherwise): .exceptions(exceptions.map { $0 + offset }, otherwise: otherwise)
            }
        }
    }

    /// Up to this many ranges the search over split points is exhaustive.
    static let exactLimit = 192
    /// Above this many ranges the plan is made of separately planned pieces.
    static let pieceLimit = 1024
    /// The longest exception chain considered; longer ones cost more than a tree.
    static let longestChain = 8

    // A cost packs (executed, comparisons, depth sum) into one integer compared as a tuple.
    private static let executedShift: Int64 = 40
    private static let comparisonShift: Int64 = 24
    /// The requirement of a range without profiled numbers: it fits any depth.
    private static let unbounded = -(1 << 40)

    let ranges: [Range]
    private let count: Int
    private let weightSums: [Int]
    private let leafCostSums: [Int]
    /// Per range: the instructions its slowest profiled number executes in the leaf.
    private let needs: [Int]
    /// Per range i: the last j for which i...j can be an exception chain, judged by its ranges
    /// of several numbers alone, which must share one outcome.
    private let chainReach: [Int]

    init(_ ranges: [Range]) {
        precondition(!ranges.isEmpty, "a section has at least one range")
        self.ranges = ranges
        count = ranges.count
        var weights = [0]
        var leafCosts = [0]
        for range in ranges {
            weights.append(weights.last! + range.weight)
            leafCosts.append(leafCosts.last! + range.leafCost)
        }
        weightSums = weights
        leafCostSums = leafCosts
        needs = ranges.map { $0.slowestLeaf ?? Self.unbounded }
        chainReach = ranges.indices.map { i in
            var otherwise = ranges[i].isSingleNumber ? nil : ranges[i].outcome
            var j = i
            while j + 1 < ranges.count, j + 1 - i < 2 * Self.longestChain + 1 {
                let next = ranges[j + 1]
                if !next.isSingleNumber {
                    if otherwise == nil { otherwise = next.outcome } else if otherwise != next.outcome { break }
                }
                j += 1
            }
            return j
        }
    }

    /// The tables of the unbounded optimum for every interval i...j, at `i * count + j`.
    private struct Tables {
        var costs: [Int64]
        /// -1 a leaf, -2 an exception chain, k a split before range k.
        var choices: [Int32]
        var bestSplits: [Int32]
        /// The instructions the slowest profiled call executes from the interval's root on.
        var requirements: [Int]
    }

    /// The cheapest plan for all ranges. With `slowestCallSlack`, the slowest profiled call may
    /// execute at most that many instructions more than the least possible.
    func plan(slowestCallSlack: Int? = nil) -> Plan {
        guard count <= Self.pieceLimit else { return piecewisePlan() }
        let tables = unboundedOptimum()
        let root = count - 1
        guard let slack = slowestCallSlack, count <= Self.exactLimit else { return build(0, root, tables) }
        let bound = fastestSlowestCall() + slack
        guard tables.requirements[root] > bound else { return build(0, root, tables) }
        var search = BoundedSearch(planner: self, tables: tables, bound: bound)
        guard search.cost(0, root, bound) != .max else { return build(0, root, tables) }
        return search.build(0, root, bound)
    }

    /// The plan for more than ``pieceLimit`` ranges: pieces of consecutive ranges, each at
    /// most that long and planned as a whole, under the cheapest tree of splits between pieces.
    /// The ranges with profiled numbers and those without are cut into separate pieces, so
    /// that the tree can keep the profiled ones near its root.
    private func piecewisePlan() -> Plan {
        // Piece p holds ranges starts[p] ..< starts[p + 1].
        var starts = [0]
        for index in 1 ..< count {
            let isFull = index - starts[starts.count - 1] == Self.pieceLimit
            if isFull || (ranges[index].weight > 0) != (ranges[index - 1].weight > 0) { starts.append(index) }
        }
        starts.append(count)
        let pieceCount = starts.count - 1
        var costs = [Int64](repeating: 0, count: pieceCount * pieceCount)
        var splits = [Int](repeating: 0, count: pieceCount * pieceCount)
        var piecePlans = [Plan]()
        for piece in 0 ..< pieceCount {
            let planner = SearchTreePlanner(Array(ranges[starts[piece] ..< starts[piece + 1]]))
            let tables = planner.unboundedOptimum()
            costs[piece * pieceCount + piece] = tables.costs[planner.count - 1]  // the interval 0...count - 1
            piecePlans.append(planner.build(0, planner.count - 1, tables).shifted(by: starts[piece]))
        }
        for length in 2 ... max(2, pieceCount) where length <= pieceCount {
            for first in 0 ... pieceCount - length {
                let last = first + length - 1
                var best = Int64.max
                for split in first + 1 ... last {
                    let cost = costs[first * pieceCount + split - 1] + costs[split * pieceCount + last]
                    if cost < best { (best, splits[first * pieceCount + last]) = (cost, split) }
                }
                costs[first * pieceCount + last] = best + node(starts[first], starts[last + 1] - 1)
            }
        }
        func build(_ first: Int, _ last: Int) -> Plan {
            if first == last { return piecePlans[first] }
            let split = splits[first * pieceCount + last]
            return .split(at: starts[split], below: build(first, split - 1), above: build(split, last))
        }
        return build(0, pieceCount - 1)
    }

    private func node(_ i: Int, _ j: Int) -> Int64 {
        Int64(weightSums[j + 1] - weightSums[i]) << Self.executedShift + 1 << Self.comparisonShift + Int64(j - i + 1)
    }

    private func unboundedOptimum() -> Tables {
        var tables = Tables(
            costs: [Int64](repeating: 0, count: count * count), choices: [Int32](repeating: -1, count: count * count),
            bestSplits: [Int32](repeating: 0, count: count * count), requirements: [Int](repeating: 0, count: count * count)
        )
        for i in 0 ..< count {
            tables.costs[i * count + i] = Int64(ranges[i].leafCost) << Self.executedShift
            tables.bestSplits[i * count + i] = Int32(i)
            tables.requirements[i * count + i] = needs[i]
        }
        // The cost of i...j is also kept at `j * count + i`, so that the split loop reads both
        // halves' costs from consecutive memory.
        var transposed = tables.costs
        let bounded = count > Self.exactLimit
        for length in 2 ... max(2, count) where length <= count {
            for i in 0 ... count - length {
                let j = i + length - 1
                var lowest = bounded ? max(i + 1, Int(tables.bestSplits[i * count + j - 1])) : i + 1
                var highest = bounded ? min(j, Int(tables.bestSplits[(i + 1) * count + j])) : j
                if lowest > highest { (lowest, highest) = (i + 1, j) }
                var best = Int64.max
                var bestSplit = lowest
                tables.costs.withUnsafeBufferPointer { costs in
                    transposed.withUnsafeBufferPointer { transposed in
                        // costs[i * count + k - 1] is i...k-1; transposed[j * count + k] is k...j.
                        let below = costs.baseAddress! + i * count - 1
                        let above = transposed.baseAddress! + j * count
                        for k in lowest ... highest {
                            let cost = below[k] + above[k]
                            if cost < best {
                                best = cost
                                bestSplit = k
                            }
                        }
                    }
                }
                best += node(i, j)
                var choice = Int32(bestSplit)
                var requirement = 1 + max(
                    tables.requirements[i * count + bestSplit - 1], tables.requirements[bestSplit * count + j]
                )
                if j <= chainReach[i], let chain = chain(i, j), chain.cost < best {
                    best = chain.cost
                    choice = -2
                    requirement = chain.requirement
                }
                tables.costs[i * count + j] = best
                transposed[j * count + i] = best
                tables.choices[i * count + j] = choice
                tables.bestSplits[i * count + j] = Int32(bestSplit)
                tables.requirements[i * count + j] = requirement
            }
        }
        return tables
    }

    private func build(_ i: Int, _ j: Int, _ tables: Tables) -> Plan {
        if i == j { return .leaf(range: i) }
        let choice = tables.choices[i * count + j]
        if choice == -2, let chain = chain(i, j) { return chainPlan(i, j, chain) }
        let k = Int(choice)
        return .split(at: k, below: build(i, k - 1, tables), above: build(k, j, tables))
    }

    /// The least instructions the slowest profiled call can execute from the root, over trees
    /// of splits alone (which any interval has, so the bound it gives is always met).
    ///
    /// A sub-interval never needs more than its interval, so for a split at k the left side's
    /// requirement grows with k and the right side's shrinks: the best k is where they cross,
    /// found by bisection.
    private func fastestSlowestCall() -> Int {
        var least = [Int](repeating: 0, count: count * count)
        for i in 0 ..< count { least[i * count + i] = needs[i] }
        for length in 2 ... max(2, count) where length <= count {
            for i in 0 ... count - length {
                let j = i + length - 1
                func at(_ k: Int) -> Int { max(least[i * count + k - 1], least[k * count + j]) }
                var low = i + 1
                var high = j
                while low < high {
                    let middle = (low + high) / 2
                    if least[i * count + middle - 1] >= least[middle * count + j] { high = middle } else { low = middle + 1 }
                }
                least[i * count + j] = 1 + (low > i + 1 ? min(at(low), at(low - 1)) : at(low))
            }
        }
        return least[count - 1]
    }

    /// The cheapest plans under a bound on the slowest call, for the intervals where the
    /// unbounded optimum breaks it; memoised by interval and the instructions left.
    ///
    /// A bounded cost is never below the unbounded one, so a split whose two unbounded halves
    /// already cost as much as the best found is not searched (branch and bound), and the
    /// unbounded optimum's split is tried first to find a good bound early.
    private struct BoundedSearch {
        let planner: SearchTreePlanner
        let tables: Tables
        let stride: Int
        /// By `(i * count + j) * stride + budget`: the cost, `-1` when not yet known.
        var costs: [Int64]
        var choices: [Int32]

        init(planner: SearchTreePlanner, tables: Tables, bound: Int) {
            self.planner = planner
            self.tables = tables
            stride = max(bound, 0) + 1
            costs = [Int64](repeating: -1, count: planner.count * planner.count * stride)
            choices = [Int32](repeating: -1, count: planner.count * planner.count * stride)
        }

        /// The cheapest cost of i...j with at most `budget` instructions for its slowest call,
        /// or `Int64.max` when no plan fits.
        mutating func cost(_ i: Int, _ j: Int, _ budget: Int) -> Int64 {
            let count = planner.count
            let interval = i * count + j
            if tables.requirements[interval] <= budget { return tables.costs[interval] }
            if i == j || budget <= 0 { return .max }
            let key = interval * stride + budget
            if costs[key] >= 0 { return costs[key] }
            let node = planner.node(i, j)
            var best = Int64.max
            var choice: Int32 = -1
            func consider(_ k: Int) {
                let aboveLeast = tables.costs[k * count + j]
                if best != .max, tables.costs[i * count + k - 1] + aboveLeast + node >= best { return }
                let below = cost(i, k - 1, budget - 1)
                if below == .max || (best != .max && below + aboveLeast + node >= best) { return }
                let above = cost(k, j, budget - 1)
                if above != .max, below + above + node < best {
                    best = below + above + node
                    choice = Int32(k)
                }
            }
            let first = Int(tables.bestSplits[interval])
            consider(first)
            for k in i + 1 ... j where k != first { consider(k) }
            if j <= planner.chainReach[i], let chain = planner.chain(i, j), chain.requirement <= budget,
                chain.cost < best
            {
                best = chain.cost
                choice = -2
            }
            costs[key] = best
            choices[key] = choice
            return best
        }

        func build(_ i: Int, _ j: Int, _ budget: Int) -> Plan {
            let count = planner.count
            if tables.requirements[i * count + j] <= budget { return planner.build(i, j, tables) }
            let choice = choices[(i * count + j) * stride + budget]
            if choice == -2, let chain = planner.chain(i, j) { return planner.chainPlan(i, j, chain) }
            let k = Int(choice)
            return .split(at: k, below: build(i, k - 1, budget - 1), above: build(k, j, budget - 1))
        }
    }

    /// An exception chain over ranges i...j, evaluated without building it.
    private struct Chain {
        /// The outcome of the ranges that are not exceptions.
        var otherwise: Int
        var cost: Int64
        /// The instructions the slowest profiled call executes in the chain.
        var requirement: Int
    }

    /// The ranges i...j as one outcome interrupted by single numbers, or `nil` when two ranges
    /// of several numbers differ or there are no or too many interruptions.
    ///
    /// The exceptions are tested profiled ones first, each in ascending order. A single number
    /// is profiled for at most one architecture, so its weight is 0 or 1 and this order is the
    /// cheapest; the cost and the slowest call then follow from running sums.
    private func chain(_ i: Int, _ j: Int) -> Chain? {
        var otherwise = -1
        for index in i ... j where !ranges[index].isSingleNumber {
            if otherwise == -1 { otherwise = ranges[index].outcome } else if otherwise != ranges[index].outcome {
                return nil
            }
        }
        if otherwise == -1 {
            // Only single numbers: the outcome most of them share needs no `jeq`.
            var mostFrequent = 0
            for index in i ... j {
                let outcome = ranges[index].outcome
                var frequency = 0
                for other in i ... j where ranges[other].outcome == outcome { frequency += 1 }
                if frequency > mostFrequent || (frequency == mostFrequent && outcome < otherwise) {
                    (mostFrequent, otherwise) = (frequency, outcome)
                }
            }
        }
        var exceptions = 0
        var profiledExceptions = 0
        var executedInChain = 0
        var exceptionWeight = 0
        var requirement = Self.unbounded
        var slowestOtherwise = Self.unbounded
        for index in i ... j {
            if ranges[index].outcome == otherwise {
                slowestOtherwise = max(slowestOtherwise, needs[index])
            } else {
                exceptions += 1
                if ranges[index].weight > 0 {
                    profiledExceptions += 1
                    executedInChain += profiledExceptions * ranges[index].weight
                    exceptionWeight += ranges[index].weight
                    requirement = max(requirement, profiledExceptions + needs[index])
                }
            }
        }
        guard exceptions > 0, exceptions <= Self.longestChain else { return nil }
        let baseWeight = weightSums[j + 1] - weightSums[i] - exceptionWeight
        let executed = leafCostSums[j + 1] - leafCostSums[i] + executedInChain + exceptions * baseWeight
        let depthSum = exceptions * (exceptions + 1) / 2 + exceptions * (j - i + 1 - exceptions)
        return Chain(
            otherwise: otherwise,
            cost: Int64(executed) << Self.executedShift + Int64(exceptions) << Self.comparisonShift + Int64(depthSum),
            requirement: max(requirement, exceptions + slowestOtherwise)
        )
    }

    /// The plan of a chain: its exceptions in the order ``chain(_:_:)`` costs them.
    private func chainPlan(_ i: Int, _ j: Int, _ chain: Chain) -> Plan {
        let exceptions = (i ... j).filter { ranges[$0].outcome != chain.otherwise }
        let ordered = exceptions.filter { ranges[$0].weight > 0 } + exceptions.filter { ranges[$0].weight == 0 }
        return .exceptions(ordered, otherwise: chain.otherwise)
    }
}
