import CBPF

// The second phase of an import: which of the rules for one call libseccomp keeps, and which
// pairs of them overlap.

extension OCIProfileImporter {
    /// How many pairs of entries for the same call the overlap check looks at in the whole
    /// profile before it reports the rest as ``OCIProfileWarning/overlapsUnchecked(syscall:pairCount:)``:
    /// their number grows with the square of the entries.
    static let overlapPairLimit = 1 << 15
    /// How many overlapping pairs are reported for one call before the rest go unchecked.
    static let overlapReportLimit = 16

    /// Makes ``rules`` of the candidates libseccomp keeps, in file order. Of a call that has a
    /// rule without conditions, libseccomp keeps only the first such rule, whatever comes before
    /// or after it, and drops the others without a word (here, with a warning when their action
    /// differs). A call without one keeps all its rules, and the import warns about pairs with
    /// different actions that can both hold.
    mutating func chooseRules(among candidates: [Candidate]) {
        var keep = Array(repeating: true, count: candidates.count)
        var byName = [String: [Int]]()
        var nameOrder = [String]()
        for (index, candidate) in candidates.enumerated() {
            if byName[candidate.name] == nil { nameOrder.append(candidate.name) }
            byName[candidate.name, default: []].append(index)
        }
        // Pairs of entries the overlap check may still look at; a call can have thousands of entries.
        var pairsLeft = Self.overlapPairLimit
        for name in nameOrder {
            let indices = byName[name] ?? []
            if let first = indices.first(where: { candidates[$0].conditions.isEmpty }) {
                for other in indices where other != first { keep[other] = false }
                warnAboutRules(indices, overriddenBy: first, in: candidates)
            } else {
                warnAboutOverlaps(among: indices, in: candidates, pairsLeft: &pairsLeft)
            }
        }
        for (index, candidate) in candidates.enumerated() where keep[index] {
            rules.append(SeccompRule(candidate.action, .syscall(Syscall(candidate.name)), conditions: candidate.conditions))
            entryIndices.append(candidate.entry)
        }
    }

    /// Warns, once each, about the rules of one call that its first unconditional rule
    /// overrides and that have another action.
    private mutating func warnAboutRules(_ indices: [Int], overriddenBy first: Int, in candidates: [Candidate]) {
        let winner = candidates[first]
        var told = Set<OCIProfileWarning>()
        for other in indices where other != first && candidates[other].action != winner.action {
            let warning = OCIProfileWarning.entryOverridden(
                path: "syscalls[\(candidates[other].entry)]", syscall: winner.name, by: "syscalls[\(winner.entry)]")
            if told.insert(warning).inserted { warnings.append(warning) }
        }
    }

    /// Warns about pairs of rules of one call, all with conditions, that have different actions
    /// and arguments for which both hold: the first ``overlapReportLimit`` such pairs, among at
    /// most `pairsLeft` pairs looked at, then how many went unchecked.
    private mutating func warnAboutOverlaps(among indices: [Int], in candidates: [Candidate], pairsLeft: inout Int) {
        guard let name = indices.first.map({ candidates[$0].name }) else { return }
        var actionCounts = [SeccompAction: Int]()
        for index in indices { actionCounts[candidates[index].action, default: 0] += 1 }
        let differingPairs = (indices.count * indices.count - actionCounts.values.reduce(0) { $0 + $1 * $1 }) / 2
        guard differingPairs > 0 else { return }
        var checkedPairs = 0
        var reported = 0
        scan: for (offset, a) in indices.enumerated() {
            for b in indices[(offset + 1)...] {
                guard pairsLeft > 0, reported < Self.overlapReportLimit else { break scan }
                pairsLeft -= 1
                guard candidates[a].action != candidates[b].action else { continue }
                checkedPairs += 1
                guard let witness = commonArguments(candidates[a].conditions, candidates[b].conditions) else {
                    continue
                }
                warnings.append(
                    .overlappingEntries(
                        syscall: name, first: "syscalls[\(candidates[a].entry)]",
                        second: "syscalls[\(candidates[b].entry)]", witness: witness))
                reported += 1
            }
        }
        if checkedPairs < differingPairs {
            warnings.append(.overlapsUnchecked(syscall: name, pairCount: differingPairs - checkedPairs))
        }
    }
}

/// Arguments 0 to 5 for which all conditions of `a` and of `b` hold, if the search finds any.
///
/// Each argument is independent, so each is searched on its own, among the values where some
/// condition changes its answer: every constant, its neighbours, the extremes, and values built
/// from masks. That finds a common value whenever one exists for comparisons and for masks
/// alone; combinations of masks with ranges may be missed.
func commonArguments(_ a: [ArgumentCondition], _ b: [ArgumentCondition]) -> [UInt64]? {
    let all = a + b
    var witness = [UInt64](repeating: 0, count: 6)
    for argument in 0 ..< 6 {
        let conditions = all.filter { $0.argument == argument }
        if conditions.isEmpty { continue }
        var candidates: [UInt64] = [0, 1, .max, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 1 << 63]
        var fixedMask: UInt64 = 0
        var fixedValue: UInt64 = 0
        for condition in conditions {
            let value = condition.value
            candidates += [value, value &- 1, value &+ 1]
            if case .maskedEqual(let mask) = condition.comparison {
                fixedMask |= mask
                fixedValue |= value & mask
                candidates += [value, value | ~mask]
            }
        }
        if fixedMask != 0 {
            let ranged = candidates
            candidates += [fixedValue, fixedValue | ~fixedMask]
            candidates += ranged.map { $0 & ~fixedMask | fixedValue }
        }
        guard let value = candidates.first(where: { candidate in conditions.allSatisfy { $0.holds(for: candidate) } })
        else { return nil }
        witness[argument] = value
    }
    return witness
}
