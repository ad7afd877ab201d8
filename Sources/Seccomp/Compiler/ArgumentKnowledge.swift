import CBPF

/// A test of one 32-bit word of `seccomp_data`, optionally masked first: one conditional jump,
/// after the `ld` (and `and`) that put the word into A.
struct WordTest: Hashable, Sendable {
    /// The word's offset in `seccomp_data`.
    var offset: UInt32
    /// `and #mask` before the test; `0xffffffff` for none.
    var mask: UInt32
    var test: JumpTest
    var constant: UInt32

    static let noMask: UInt32 = 0xffff_ffff

    init(offset: UInt32, mask: UInt32 = noMask, _ test: JumpTest, _ constant: UInt32) {
        self.offset = offset
        self.mask = mask
        self.test = test
        self.constant = constant
    }

    /// The test's outcome for a value of the word.
    func holds(forWord word: UInt32) -> Bool {
        test.holds(word & mask, constant)
    }
}

/// What is known about the arguments on one path through argument checks: bounds and excluded
/// values for the words tested so far, and what A holds. It lets later tests that are already
/// decided disappear, and a word already in A skip its load.
struct ArgumentKnowledge: Hashable, Sendable {
    /// The values one word can still have: `minimum...maximum` without `excluded`.
    struct WordBounds: Hashable, Sendable {
        var minimum: UInt32 = 0
        var maximum: UInt32 = .max
        /// Sorted, strictly inside the bounds.
        var excluded: [UInt32] = []
    }

    /// The contents of A: the word at `offset`, masked with `mask`.
    struct Accumulator: Hashable, Sendable {
        var offset: UInt32
        var mask: UInt32
    }

    /// The most excluded values kept for a word; beyond it, less is known, which stays sound.
    static let excludedLimit = 16

    /// The words learnt about, by offset: few, so a sorted array beats a dictionary.
    private var words: [(offset: UInt32, bounds: WordBounds)] = []
    var accumulator: Accumulator?

    private func bounds(at offset: UInt32) -> WordBounds {
        words.first { $0.offset == offset }?.bounds ?? WordBounds()
    }

    private mutating func setBounds(_ bounds: WordBounds, at offset: UInt32) {
        if let index = words.firstIndex(where: { $0.offset == offset }) {
            words[index].bounds = bounds
        } else {
            words.append((offset, bounds))
            words.sort { $0.offset < $1.offset }
        }
    }

    static func == (lhs: ArgumentKnowledge, rhs: ArgumentKnowledge) -> Bool {
        lhs.accumulator == rhs.accumulator && lhs.words.elementsEqual(rhs.words) { $0 == $1 }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(accumulator)
        for (offset, bounds) in words {
            hasher.combine(offset)
            hasher.combine(bounds)
        }
    }

    /// Nothing known.
    static let none = ArgumentKnowledge()

    /// Whether the test's outcome already follows from what is known, and which it is.
    func decide(_ test: WordTest) -> Bool? {
        let bounds = bounds(at: test.offset)
        if test.mask != WordTest.noMask {
            guard test.test == .equal else {
                return bounds.minimum == bounds.maximum ? test.holds(forWord: bounds.minimum) : nil
            }
            if test.constant & ~test.mask != 0 { return false }
            if test.mask == 0 { return test.constant == 0 }
            return bounds.minimum == bounds.maximum ? test.holds(forWord: bounds.minimum) : nil
        }
        let k = test.constant
        switch test.test {
        case .equal:
            if k < bounds.minimum || k > bounds.maximum || bounds.excluded.contains(k) { return false }
            if bounds.minimum == bounds.maximum { return true }
        case .greaterThan:
            if bounds.minimum > k { return true }
            if bounds.maximum <= k { return false }
        case .greaterOrEqual:
            if bounds.minimum >= k { return true }
            if bounds.maximum < k { return false }
        case .bitsSet:
            if bounds.minimum == bounds.maximum { return bounds.minimum & k != 0 }
            // A value below k's lowest bit has no bit of k.
            if k == 0 || UInt64(bounds.maximum) < UInt64(1) << k.trailingZeroBitCount { return false }
        }
        return nil
    }

    /// What is known after `test` came out as `outcome`, with A holding the tested word.
    func learning(_ test: WordTest, outcome: Bool) -> ArgumentKnowledge {
        var knowledge = self
        knowledge.accumulator = Accumulator(offset: test.offset, mask: test.mask)
        guard test.mask == WordTest.noMask else { return knowledge }
        var bounds = bounds(at: test.offset)
        let k = test.constant
        switch (test.test, outcome) {
        case (.equal, true):
            bounds = WordBounds(minimum: k, maximum: k)
        case (.equal, false):
            if bounds.excluded.count < Self.excludedLimit, !bounds.excluded.contains(k) {
                bounds.excluded.append(k)
                bounds.excluded.sort()
            }
        case (.greaterThan, true): bounds.minimum = max(bounds.minimum, k &+ 1)
        case (.greaterThan, false): bounds.maximum = min(bounds.maximum, k)
        case (.greaterOrEqual, true): bounds.minimum = max(bounds.minimum, k)
        case (.greaterOrEqual, false): bounds.maximum = min(bounds.maximum, k &- 1)
        case (.bitsSet, _): return knowledge
        }
        // Excluded values at the edges move the edges; the rest must lie strictly inside.
        while bounds.minimum < bounds.maximum, bounds.excluded.first == bounds.minimum {
            bounds.excluded.removeFirst()
            bounds.minimum += 1
        }
        while bounds.minimum < bounds.maximum, bounds.excluded.last == bounds.maximum {
            bounds.excluded.removeLast()
            bounds.maximum -= 1
        }
        bounds.excluded.removeAll { $0 <= bounds.minimum || $0 >= bounds.maximum }
        knowledge.setBounds(bounds, at: test.offset)
        return knowledge
    }
}
