/// The values of a word for which a test holds, in the forms the analysis reasons about.
enum WordShape: Hashable, Sendable {
    case always
    case never
    /// Ascending, disjoint ranges (one or two).
    case ranges([ClosedRange<UInt32>])
    /// `word & mask == value`.
    case pattern(mask: UInt32, value: UInt32)
    /// `word & mask != value`.
    case notPattern(mask: UInt32, value: UInt32)
    /// A test on a word computed in a way the analysis does not model (an ordering of a masked
    /// word): both outcomes are taken to be possible.
    case unmodelled

    /// The values of `set` of this shape, or `nil` when they take more than `limit` ranges or
    /// the shape is not modelled.
    func restrict(_ set: NumberSet, limit: Int) -> NumberSet? {
        switch self {
        case .always: return set
        case .never: return .empty
        case .ranges(let ranges): return set.intersection(NumberSet(ranges: ranges))
        case .pattern(let mask, let value): return NumberSet.matching(mask: mask, value: value, within: set, limit: limit)
        case .notPattern(let mask, let value):
            guard let matching = NumberSet.matching(mask: mask, value: value, within: set, limit: limit) else { return nil }
            let rest = set.subtracting(matching)
            return rest.ranges.count > limit ? nil : rest
        case .unmodelled: return nil
        }
    }
}
