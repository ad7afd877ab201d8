/// A map for the handful of entries an abstract state holds, searched linearly.
///
/// States are copied at every branch and merged at every join; for a few entries an array
/// is several times cheaper to copy, search and compare than a hashed `Dictionary`.
struct SmallMap<Key: Equatable, Value> {
    struct Entry {
        var key: Key
        var value: Value
    }

    private(set) var entries: [Entry] = []

    subscript(key: Key) -> Value? {
        get {
            for entry in entries where entry.key == key { return entry.value }
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

    var isEmpty: Bool { entries.isEmpty }
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
