/// What a path through a filter knows about one 32-bit word of `seccomp_data` (an argument half
/// or the instruction pointer): a range, fixed bits, excluded values and masked values it
/// differs from, plus tests the solver does not model.
///
/// ``witness(budget:)`` decides whether a value satisfies all of it, exactly for the modelled
/// parts: it never calls a satisfiable set unsatisfiable, so a path is only dropped when no
/// input can take it.
struct WordConstraint: Hashable, Sendable {
    var lowest: UInt32 = 0
    var highest: UInt32 = .max
    var fixedMask: UInt32 = 0
    var fixedValue: UInt32 = 0
    var excluded: [UInt32] = []
    /// `word & mask != value` for each.
    var differing: [MaskedValue] = []
    /// Literals whose shape is not modelled; a witness must satisfy them too.
    var unmodelled: [SeccompWordLiteral] = []
    /// Two or more ranges from a single literal: checked on witnesses like unmodelled ones.
    var rangeSets: [[ClosedRange<UInt32>]] = []

    struct MaskedValue: Hashable, Sendable {
        var mask: UInt32
        var value: UInt32
    }

    /// The outcome of a search for a value.
    enum Witness: Hashable, Sendable {
        case value(UInt32)
        case none
        /// The search ran out of budget, or a value could not be checked against unmodelled tests.
        case unknown
    }

    var isUnconstrained: Bool {
        lowest == 0 && highest == .max && fixedMask == 0 && excluded.isEmpty && differing.isEmpty
            && unmodelled.isEmpty && rangeSets.isEmpty
    }

    /// Adds a literal; `false` when it plainly contradicts what is known.
    mutating func add(_ literal: SeccompWordLiteral) -> Bool {
        switch literal.test.shape(holds: literal.holds) {
        case .always: return true
        case .never: return false
        case .ranges(let ranges):
            if ranges.count == 1, let range = ranges.first {
                lowest = max(lowest, range.lowerBound)
                highest = min(highest, range.upperBound)
                return lowest <= highest
            }
            rangeSets.append(ranges)
            return true
        case .pattern(let mask, let value):
            if fixedMask & mask & (fixedValue ^ value) != 0 { return false }
            fixedMask |= mask
            fixedValue |= value
            return true
        case .notPattern(let mask, let value):
            if mask == .max {
                excluded.append(value)
            } else {
                differing.append(MaskedValue(mask: mask, value: value))
            }
            return true
        case .unmodelled:
            unmodelled.append(literal)
            return true
        }
    }

    /// A value that satisfies every constraint, if the search finds one within `budget` steps.
    func witness(budget: inout Int) -> Witness {
        var undecided = false
        let found = search(
            fixedMask: fixedMask, fixedValue: fixedValue, pending: differing[...], budget: &budget, undecided: &undecided)
        if let found { return .value(found) }
        return undecided ? .unknown : .none
    }

    /// Depth-first over the ways each `word & mask != value` can hold: one of its free bits
    /// differs from the value's.
    private func search(
        fixedMask: UInt32, fixedValue: UInt32, pending: ArraySlice<MaskedValue>, budget: inout Int, undecided: inout Bool
    ) -> UInt32? {
        budget -= 1
        if budget < 0 {
            undecided = true
            return nil
        }
        var rest = pending
        while let first = rest.first {
            let fixedHere = first.mask & fixedMask
            if fixedValue & fixedHere != first.value & fixedHere {
                rest = rest.dropFirst()  // already differs in a fixed bit
                continue
            }
            let free = first.mask & ~fixedMask
            if free == 0 { return nil }  // every bit fixed and equal
            var remaining = free
            var agreed: UInt32 = 0
            while remaining != 0 {
                let bit = remaining & (~remaining &+ 1)
                remaining &= remaining - 1
                // This bit differs; the free bits tried before it agree (so no value is tried twice).
                let mask = fixedMask | agreed | bit
                let value = fixedValue | (first.value & agreed) | (~first.value & bit)
                if let found = search(
                    fixedMask: mask, fixedValue: value, pending: rest.dropFirst(), budget: &budget, undecided: &undecided)
                {
                    return found
                }
                if budget < 0 { return nil }
                agreed |= bit
            }
            return nil
        }
        return smallest(fixedMask: fixedMask, fixedValue: fixedValue, budget: &budget, undecided: &undecided)
    }

    /// The smallest value in the range with the fixed bits, not excluded, that passes the checks
    /// the solver does not model (tried on a bounded number of candidates).
    private func smallest(fixedMask: UInt32, fixedValue: UInt32, budget: inout Int, undecided: inout Bool) -> UInt32? {
        var start = UInt64(lowest)
        let excludedSet = excluded.count > 8 ? Set(excluded) : nil
        var candidatesLeft = 64
        while start <= UInt64(highest) {
            budget -= 1
            if budget < 0 {
                undecided = true
                return nil
            }
            guard let candidate = BitPattern.next(atLeast: start, mask: fixedMask, value: fixedValue),
                candidate <= UInt64(highest)
            else { return nil }
            let value = UInt32(candidate)
            let isExcluded = excludedSet?.contains(value) ?? excluded.contains(value)
            if !isExcluded {
                if passesUnmodelled(value) { return value }
                candidatesLeft -= 1
                if candidatesLeft == 0 {
                    undecided = true
                    return nil
                }
            }
            start = candidate + 1
        }
        return nil
    }

    private func passesUnmodelled(_ value: UInt32) -> Bool {
        unmodelled.allSatisfy { $0.holds(forWord: value) }
            && rangeSets.allSatisfy { ranges in ranges.contains { $0.contains(value) } }
    }
}
