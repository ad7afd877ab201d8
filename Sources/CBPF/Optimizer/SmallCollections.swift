/// A map for the handful of entries an abstract state holds, searched linearly.
///
/// States are copied at every branch and merged at every join; for a few entries an array
/// is several times cheaper to copy, search and compare than a hashed `Dictionary`.
struct SmallMap<Key: Equatable, Value> {
    struct Entry {
        var key: Key
        var value: Value
    }

    /// The keys and values are plain data, so copying the map copies one buffer reference.
    private(set) var entries: [Entry] = []

    subscript(key: Key) -> Value? {
        get {
            for position in entries.indices where entries[position].key == key { return entries[position].value }
            return nil
        }
        set {
            if let position = entries.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    entries[position].value = newValue
                } else {
                    entries.remove(at: position)
                }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }
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

/// Up to 8 values stored inline, for the short lists in ``ValueFacts``: copying facts, which
/// the optimizer does at every branch, then copies bytes instead of counting references.
struct InlineList: RandomAccessCollection, Hashable {
    static let capacity = 8

    private var storage = InlineArray<8, UInt32>(repeating: 0)
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

/// The values of the scratch slots a program uses, stored inline: a state is copied at every
/// branch, and an inline copy needs no reference counting.
struct ScratchValues {
    private var storage = InlineArray<16, ValueNumber>(repeating: ValueNumber(rawValue: 0))
    let count: Int

    init(_ values: [ValueNumber]) {
        precondition(values.count <= 16, "classic BPF has 16 scratch slots")
        count = values.count
        for (slot, value) in values.enumerated() { storage[slot] = value }
    }

    subscript(slot: Int) -> ValueNumber {
        get { storage[slot] }
        set { storage[slot] = newValue }
    }

    /// Whether every slot holds the same value as in `other`.
    func holdsTheSameValues(as other: ScratchValues) -> Bool {
        count == other.count && (0..<count).allSatisfy { storage[$0] == other.storage[$0] }
    }
}
