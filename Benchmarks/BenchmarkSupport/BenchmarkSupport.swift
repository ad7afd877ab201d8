// What the benchmarks share: statistics and column layout. (Their seedable generator,
// SplitMix64, is CBPFFuzz's.)

/// The median of `values`; NaN when there are none.
package func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `text` padded with spaces to `width` characters, on the left when `right` (right-aligned).
package func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}
