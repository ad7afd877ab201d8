/// A set of 32-bit values as ascending, disjoint and non-adjacent closed ranges: the
/// architecture values or system-call numbers that a path through a filter can still have.
struct NumberSet: Hashable, Sendable {
    private(set) var ranges: [ClosedRange<UInt32>]

    init(ranges: [ClosedRange<UInt32>]) {
        self.ranges = ranges
    }

    static let all = NumberSet(ranges: [0 ... .max])
    static let empty = NumberSet(ranges: [])

    var isEmpty: Bool { ranges.isEmpty }

    /// The number of values, up to 2^32.
    var count: UInt64 { ranges.reduce(0) { $0 + UInt64($1.upperBound - $1.lowerBound) + 1 } }

    func contains(_ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < value { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].contains(value)
    }

    func intersection(_ other: NumberSet) -> NumberSet {
        var result = [ClosedRange<UInt32>]()
        var i = 0
        var j = 0
        while i < ranges.count, j < other.ranges.count {
            let a = ranges[i]
            let b = other.ranges[j]
            let low = max(a.lowerBound, b.lowerBound)
            let high = min(a.upperBound, b.upperBound)
            if low <= high { result.append(low ... high) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return NumberSet(ranges: result)
    }

    func subtracting(_ other: NumberSet) -> NumberSet {
        intersection(other.complement)
    }

    var complement: NumberSet {
        var result = [ClosedRange<UInt32>]()
        var next: UInt64 = 0
        for range in ranges {
            if UInt64(range.lowerBound) > next { result.append(UInt32(next) ... range.lowerBound - 1) }
            next = UInt64(range.upperBound) + 1
        }
        if next <= UInt64(UInt32.max) { result.append(UInt32(next) ... .max) }
        return NumberSet(ranges: result)
    }

    /// Where a value enters or leaves the set: each range's start, and the value after its end.
    var boundaries: [UInt32] {
        var points = [UInt32]()
        points.reserveCapacity(ranges.count * 2)
        for range in ranges {
            points.append(range.lowerBound)
            if range.upperBound < .max { points.append(range.upperBound + 1) }
        }
        return points
    }

    /// The values of `within` whose bits under `mask` equal `value`, or `nil` when that takes
    /// more than `limit` ranges (a mask with low bits splits the numbers into many pieces).
    static func matching(mask: UInt32, value: UInt32, within: NumberSet, limit: Int) -> NumberSet? {
        guard value & ~mask == 0 else { return .empty }
        let lowFree: UInt32 = mask == 0 ? .max : (mask & (~mask &+ 1)) &- 1  // the free bits below the lowest masked one
        var result = [ClosedRange<UInt32>]()
        for range in within.ranges {
            var start = UInt64(range.lowerBound)
            while start <= UInt64(range.upperBound) {
                guard let first = BitPattern.next(atLeast: start, mask: mask, value: value),
                    first <= UInt64(range.upperBound)
                else { break }
                let end = min(UInt64(range.upperBound), first | UInt64(lowFree))
                if let last = result.last, UInt64(last.upperBound) + 1 == first {
                    result[result.count - 1] = last.lowerBound ... UInt32(end)
                } else {
                    result.append(UInt32(first) ... UInt32(end))
                }
                if result.count > limit { return nil }
                start = end + 1
            }
        }
        return NumberSet(ranges: result)
    }
}

/// Values with some bits fixed: `word & mask == value`.
enum BitPattern {
    /// The smallest 32-bit value from `start` up whose bits under `mask` equal `value`, or `nil`.
    ///
    /// The values that match are `value | deposit(k, ~mask)` for k = 0, 1, 2, ..., in increasing
    /// order, so a binary search over k finds it.
    static func next(atLeast start: UInt64, mask: UInt32, value: UInt32) -> UInt64? {
        guard start <= UInt64(UInt32.max), value & ~mask == 0 else { return nil }
        let free = ~mask
        let freeCount = free.nonzeroBitCount
        var low: UInt64 = 0
        var high: UInt64 = (1 << UInt64(freeCount)) - 1
        func candidate(_ k: UInt64) -> UInt64 { UInt64(value | deposit(UInt32(truncatingIfNeeded: k), into: free)) }
        guard candidate(high) >= start else { return nil }
        while low < high {
            let middle = (low + high) / 2
            if candidate(middle) >= start { high = middle } else { low = middle + 1 }
        }
        return candidate(low)
    }

    /// The low bits of `bits` placed, in order, at the set bits of `mask` (the `pdep` instruction).
    static func deposit(_ bits: UInt32, into mask: UInt32) -> UInt32 {
        var result: UInt32 = 0
        var remaining = mask
        var source = bits
        while remaining != 0 {
            let lowest = remaining & (~remaining &+ 1)
            if source & 1 != 0 { result |= lowest }
            source >>= 1
            remaining &= remaining - 1
        }
        return result
    }
}
