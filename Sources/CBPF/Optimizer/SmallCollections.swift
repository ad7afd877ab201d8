/// A map for the handful of entries an abstract state holds, searched linearly.
///
/// States are copied at every branch and merged at every join; for a few entries an array
/// is several times cheaper to copy, search and compare than a hashed `Dictionary`.
struct SmallMap<Key: Equatable, Value> {
    /// Keys and values in parallel, so that a search reads only keys.
    private(set) var keys: [Key] = []
    private(set) var values: [Value] = []

    subscript(key: Key) -> Value? {
        get {
            guard let position = keys.firstIndex(of: key) else { return nil }
            return values[position]
        }
        set {
            if let position = keys.firstIndex(of: key) {
                if let newValue {
                    values[position] = newValue
                } else {
                    keys.remove(at: position)
                    values.remove(at: position)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    var isEmpty: Bool { keys.isEmpty }
}

/// A set for the handful of elements an abstract state holds, searched linearly.
struct SmallSet<Element: Equatable> {
    private(set) var elements: [Element] = []

    func contains(_ element: Element) -> Bool { elements.contains(element) }

    func contains(where predicate: (Element) -> Bool) -> Bool { elements.contains(where: predicate) }

    mutating func insert(_ element: Element) {
        if !elements.contains(element) { elements.append(element) }
    }

    mutating func formIntersection(_ other: SmallSet<Element>) {
        if elements.isEmpty { return }
        elements.removeAll { !other.elements.contains($0) }
    }
}

/// Up to 16 values stored inline, for the short lists in ``ValueFacts``: copying facts, which
/// the optimizer does at every branch, then copies bytes instead of counting references.
struct InlineList: RandomAccessCollection, Hashable {
    static let capacity = 16

    private var storage = InlineArray<16, UInt32>(repeating: 0)
    private(set) var count = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> UInt32 {
        get { storage[position] }
        set { storage[position] = newValue }
    }

    var isFull: Bool { count == Self.capacity }

    /// Appends `value` unless the list is full.
    mutating func append(_ value: UInt32) {
        guard count < Self.capacity else { return }
        storage[count] = value
        count += 1
    }

    mutating func removeAll(where shouldRemove: (UInt32) -> Bool) {
        var kept = 0
        for position in 0..<count where !shouldRemove(storage[position]) {
            storage[kept] = storage[position]
            kept += 1
        }
        count = kept
    }

    /// Sorts in increasing order (insertion sort: lists are short).
    mutating func sort() {
        guard count > 1 else { return }
        for position in 1..<count {
            let value = storage[position]
            var hole = position
            while hole > 0, storage[hole - 1] > value {
                storage[hole] = storage[hole - 1]
                hole -= 1
            }
            storage[hole] = value
        }
    }

    static func == (lhs: InlineList, rhs: InlineList) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for value in self { hasher.combine(value) }
    }
}
