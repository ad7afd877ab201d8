/// A storage location an instruction can write: a register or a scratch slot.
struct LocationSet: OptionSet, Hashable {
    let rawValue: UInt32

    static let a = LocationSet(rawValue: 1)
    static let x = LocationSet(rawValue: 2)
    static let allScratch = LocationSet(rawValue: 0xffff << 2)
    static let all: LocationSet = [.a, .x, .allScratch]

    static func register(_ register: Register) -> LocationSet { register == .a ? .a : .x }
    static func scratch(_ slot: UInt32) -> LocationSet { LocationSet(rawValue: 1 << (slot + 2)) }
}

/// The part of the packet a load reads, for the loads whose success does not follow from a
/// single "the packet is at least n bytes long" fact.
struct PacketExtent: Hashable {
    enum Base: Hashable {
        case network, linkLayer
        case indirect(ValueNumber)
    }

    var base: Base
    var start: UInt32
    var end: UInt64

    func covers(_ other: PacketExtent) -> Bool {
        guard base == other.base else { return false }
        if case .indirect = base {
            // X + k wraps in 32 bits and changes region at 0: only the same start is safe.
            return start == other.start && other.end <= end
        }
        return start <= other.start && other.end <= end
    }
}

/// A comparison between two values whose outcome is known on a path.
struct KnownComparison: Hashable {
    var test: JumpTest
    var left: ValueNumber
    var right: ValueNumber
    var outcome: Bool
}

/// What the optimizer knows at one point of a program, on every path that reaches it.
struct AbstractState {
    var accumulator: ValueNumber
    var index: ValueNumber
    var scratch: ScratchValues
    /// Facts learned on the path, beyond the static facts of the value table.
    var facts = SmallMap<ValueNumber, ValueFacts>()
    var comparisons = SmallSet<KnownComparison>()
    /// Packet bytes `0..<readableLength` exist: a direct load that ends there succeeded.
    var readableLength: UInt64 = 0
    var readableExtents = SmallSet<PacketExtent>()
    /// An `ld #ifidx` or `ld #hatype` succeeded, so the packet has a device.
    var hasDevice = false

    subscript(register: Register) -> ValueNumber {
        get { register == .a ? accumulator : index }
        set {
            if register == .a { accumulator = newValue } else { index = newValue }
        }
    }

    func value(at location: LocationSet) -> ValueNumber {
        if location == .a { return accumulator }
        if location == .x { return index }
        return scratch[location.rawValue.trailingZeroBitCount - 2]
    }

    /// The locations whose values differ from `other`'s.
    func locationsDiffering(from other: AbstractState, table: ValueTable) -> LocationSet {
        var differing: LocationSet = []
        if !sameValue(accumulator, other.accumulator, table: table) { differing.insert(.a) }
        if !sameValue(index, other.index, table: table) { differing.insert(.x) }
        for slot in 0..<scratch.count where !sameValue(scratch[slot], other.scratch[slot], table: table) {
            differing.insert(.scratch(UInt32(slot)))
        }
        return differing
    }

    func facts(of value: ValueNumber, table: ValueTable) -> ValueFacts {
        facts[value] ?? table.facts(of: value)
    }

    /// The value on every run that reaches this point, if the facts fix it.
    func constant(_ value: ValueNumber, table: ValueTable) -> UInt32? {
        table.constant(value) ?? facts[value]?.exactValue
    }

    func sameValue(_ first: ValueNumber, _ second: ValueNumber, table: ValueTable) -> Bool {
        if first == second { return true }
        guard let a = constant(first, table: table), let b = constant(second, table: table) else { return false }
        return a == b
    }

    /// The outcome of `left test right` when it is known here.
    func evaluate(_ test: JumpTest, _ left: ValueNumber, _ right: ValueNumber, table: ValueTable) -> Bool? {
        let leftFacts = facts(of: left, table: table)
        let rightFacts = facts(of: right, table: table)
        if let k = rightFacts.exactValue { return leftFacts.evaluate(test, k) }
        if let k = leftFacts.exactValue {
            switch test {
            case .equal, .bitsSet: return rightFacts.evaluate(test, k)
            // k > r is !(r >= k); k >= r is !(r > k).
            case .greaterThan: return rightFacts.evaluate(.greaterOrEqual, k).map(!)
            case .greaterOrEqual: return rightFacts.evaluate(.greaterThan, k).map(!)
            }
        }
        if left == right {
            switch test {
            case .equal, .greaterOrEqual: return true
            case .greaterThan: return false
            case .bitsSet: return leftFacts.evaluate(.bitsSet, .max)
            }
        }
        if let outcome = comparisonOutcome(test, left, right) { return outcome }
        // Disjoint ranges decide the order.
        if leftFacts.maximum < rightFacts.minimum {
            if test != .bitsSet { return false }
        }
        if leftFacts.minimum > rightFacts.maximum {
            if test != .bitsSet { return test != .equal }
        }
        if test == .bitsSet, leftFacts.zeroBits | rightFacts.zeroBits == .max { return false }
        return nil
    }

    private func comparisonOutcome(_ test: JumpTest, _ left: ValueNumber, _ right: ValueNumber) -> Bool? {
        if comparisons.elements.isEmpty { return nil }
        func known(_ test: JumpTest, _ outcome: Bool) -> Bool {
            comparisons.contains(KnownComparison(test: test, left: left, right: right, outcome: outcome))
        }
        if known(test, true) { return true }
        if known(test, false) { return false }
        switch test {
        case .equal:
            if known(.greaterThan, true) || known(.greaterOrEqual, false) { return false }
        case .greaterThan:
            if known(.equal, true) || known(.greaterOrEqual, false) { return false }
        case .greaterOrEqual:
            if known(.equal, true) || known(.greaterThan, true) { return true }
        case .bitsSet:
            break
        }
        return nil
    }

    /// Adds what the edge where `left test right` came out as `outcome` implies. Returns
    /// `false` when that edge can never be taken.
    mutating func assume(_ test: JumpTest, _ left: ValueNumber, _ right: ValueNumber, outcome: Bool, table: ValueTable) -> Bool {
        let leftFacts = facts(of: left, table: table)
        let rightFacts = facts(of: right, table: table)
        if let k = rightFacts.exactValue {
            guard let refined = leftFacts.refined(test, k, outcome: outcome) else { return false }
            facts[left] = refined
            return true
        }
        if let k = leftFacts.exactValue {
            let refined: ValueFacts?
            switch test {
            case .equal, .bitsSet: refined = rightFacts.refined(test, k, outcome: outcome)
            case .greaterThan: refined = rightFacts.refined(.greaterOrEqual, k, outcome: !outcome)
            case .greaterOrEqual: refined = rightFacts.refined(.greaterThan, k, outcome: !outcome)
            }
            guard let refined else { return false }
            facts[right] = refined
            return true
        }
        if test == .equal, outcome {
            guard let both = leftFacts.intersected(with: rightFacts) else { return false }
            facts[left] = both
            facts[right] = both
        }
        comparisons.insert(KnownComparison(test: test, left: left, right: right, outcome: outcome))
        return true
    }

    /// The state at a point that several paths reach: what holds on all of them.
    static func merging(_ states: [AbstractState], table: inout ValueTable) -> AbstractState {
        var merged = states[0]
        guard states.count > 1 else { return merged }
        let others = states.dropFirst()

        // Facts about a value hold where they hold on every path.
        var facts = SmallMap<ValueNumber, ValueFacts>()
        for entry in merged.facts.entries {
            let (value, first) = (entry.key, entry.value)
            var union = first
            var everywhere = true
            for state in others {
                guard let more = state.facts[value] else {
                    everywhere = false
                    break
                }
                union = union.union(with: more)
            }
            if everywhere { facts[value] = union }
        }

        func mergedValue(_ location: (AbstractState) -> ValueNumber) -> ValueNumber {
            let first = location(states[0])
            if others.allSatisfy({ location($0) == first }) { return first }
            var union = states[0].facts(of: first, table: table)
            for state in others {
                union = union.union(with: state.facts(of: location(state), table: table))
            }
            if let k = union.exactValue { return table.constant(k) }
            let value = table.opaque()
            if union != .unknown { facts[value] = union }
            return value
        }

        merged.accumulator = mergedValue { $0.accumulator }
        merged.index = mergedValue { $0.index }
        for slot in 0..<merged.scratch.count {
            merged.scratch[slot] = mergedValue { $0.scratch[slot] }
        }
        merged.facts = facts
        for state in others {
            merged.comparisons.formIntersection(state.comparisons)
            merged.readableLength = min(merged.readableLength, state.readableLength)
            merged.readableExtents.formIntersection(state.readableExtents)
            merged.hasDevice = merged.hasDevice && state.hasDevice
        }
        return merged
    }
}
