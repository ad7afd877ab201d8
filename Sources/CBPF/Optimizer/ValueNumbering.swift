/// A symbolic value: two equal numbers denote the same 32-bit value on every run, two different
/// numbers may or may not.
///
/// Numbers are global to one analysis of one program. Every classic BPF instruction runs at most
/// once per run (the control-flow graph is acyclic), so a value that differs each time it is
/// produced (`ld #rand`, the value of a register where paths merge) gets a number of its own.
struct ValueNumber: Hashable, Comparable {
    let rawValue: Int32

    static func < (lhs: ValueNumber, rhs: ValueNumber) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How a value is computed. Packet contents, the length and the metadata do not change during a
/// run, so equal expressions have equal values.
enum ValueExpression: Hashable {
    case constant(UInt32)
    /// An absolute load at the raw offset `k` (direct, or relative to the network or link header).
    case packet(LoadSize, offset: UInt32)
    /// `ld [x + k]` with a symbolic X.
    case packetIndirect(LoadSize, offset: UInt32, index: ValueNumber)
    /// `ldxb 4*([k]&0xf)`.
    case ipv4HeaderLength(offset: UInt32)
    case length
    /// An ancillary field that does not change during a run.
    case ancillary(AncillaryField)
    case netlinkAttribute(nested: Bool, start: ValueNumber, type: ValueNumber)
    case arithmetic(ArithmeticOperation, ValueNumber, ValueNumber)
    case negate(ValueNumber)
    /// A value known only by its identity.
    case opaque(Int)
}

/// Interns value expressions, folds constants and applies algebraic identities, so that equal
/// computations get equal numbers.
struct ValueTable {
    /// Open addressing over `expressions`: each slot holds a value number or -1. Interning is
    /// the optimizer's most frequent operation; a table with a cheap hash keeps it fast.
    private var slots = [Int32](repeating: -1, count: 64)
    private var expressions: [ValueExpression] = []
    /// Facts that hold for a value wherever it appears (a byte load is below 256, ...).
    private var staticFacts: [ValueFacts] = []
    private var opaqueCount = 0

    init() {
        // Room for a typical filter's values, so that the arrays seldom grow.
        expressions.reserveCapacity(32)
        staticFacts.reserveCapacity(32)
    }

    func expression(of value: ValueNumber) -> ValueExpression { expressions[Int(value.rawValue)] }

    func facts(of value: ValueNumber) -> ValueFacts { staticFacts[Int(value.rawValue)] }

    /// The value when it is the same on every run.
    func constant(_ value: ValueNumber) -> UInt32? {
        if case .constant(let k) = expressions[Int(value.rawValue)] { return k }
        return nil
    }

    mutating func constant(_ k: UInt32) -> ValueNumber { intern(.constant(k)) }

    /// A new value with no known relation to any other.
    mutating func opaque() -> ValueNumber {
        opaqueCount += 1
        return intern(.opaque(opaqueCount))
    }

    /// The number of an expression, simplified first.
    mutating func number(_ expression: ValueExpression) -> ValueNumber {
        switch expression {
        case .arithmetic(let operation, let left, let right):
            return arithmetic(operation, left, right)
        case .negate(let operand):
            if let k = constant(operand) { return constant(0 &- k) }
            if case .negate(let inner) = self.expression(of: operand) { return inner }
            return intern(expression)
        default:
            return intern(expression)
        }
    }

    /// `left op right`, folded when both are constants and simplified by identities such as
    /// `v + 0 = v`, `v & 0 = 0`, `v - v = 0`, or `v % c = v` when `leftFacts` (by default the
    /// static facts of `left`) show `v < c`. Division by a constant 0 is the caller's concern.
    mutating func arithmetic(
        _ operation: ArithmeticOperation, _ left: ValueNumber, _ right: ValueNumber, leftFacts: ValueFacts? = nil
    ) -> ValueNumber {
        let leftFacts = leftFacts ?? facts(of: left)
        let leftConstant = constant(left)
        let rightConstant = constant(right)
        if let a = leftConstant, let b = rightConstant {
            return constant(operation.apply(a, b))
        }
        if let b = rightConstant {
            switch (operation, b) {
            case (.add, 0), (.subtract, 0), (.or, 0), (.xor, 0), (.multiply, 1), (.divide, 1): return left
            case (.shiftLeft, let k) where k & 31 == 0: return left
            case (.shiftRight, let k) where k & 31 == 0: return left
            case (.and, 0), (.multiply, 0), (.modulo, 1): return constant(0)
            case (.and, let mask) where leftFacts.zeroBits | mask == .max: return left
            case (.or, let bits) where leftFacts.oneBits & bits == bits: return left
            case (.shiftRight, let k) where leftFacts.maximum >> (k & 31) == 0: return constant(0)
            case (.modulo, let k) where leftFacts.maximum < k: return left
            case (.divide, let k) where leftFacts.maximum < k: return constant(0)
            default: break
            }
        }
        if let a = leftConstant {
            switch (operation, a) {
            case (.add, 0), (.or, 0), (.xor, 0): return right
            case (.multiply, 1): return right
            case (.and, 0), (.multiply, 0), (.shiftLeft, 0), (.shiftRight, 0): return constant(0)
            default: break
            }
        }
        if left == right {
            switch operation {
            case .and, .or: return left
            case .subtract, .xor: return constant(0)
            default: break
            }
        }
        // Commutative operations get one canonical operand order.
        switch operation {
        case .add, .multiply, .and, .or, .xor:
            let (first, second) = left <= right ? (left, right) : (right, left)
            return intern(.arithmetic(operation, first, second))
        default:
            return intern(.arithmetic(operation, left, right))
        }
    }

    private mutating func intern(_ expression: ValueExpression) -> ValueNumber {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: expression.fingerprint) & mask
        while slots[slot] >= 0 {
            if expressions[Int(slots[slot])] == expression { return ValueNumber(rawValue: slots[slot]) }
            slot = (slot + 1) & mask
        }
        let number = ValueNumber(rawValue: Int32(expressions.count))
        slots[slot] = number.rawValue
        expressions.append(expression)
        staticFacts.append(computeStaticFacts(expression))
        if expressions.count * 2 > slots.count { rehash(capacity: slots.count * 2) }
        return number
    }

    private mutating func rehash(capacity: Int) {
        slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (number, expression) in expressions.enumerated() {
            var slot = Int(truncatingIfNeeded: expression.fingerprint) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(number)
        }
    }

    private func computeStaticFacts(_ expression: ValueExpression) -> ValueFacts {
        func below(bits: UInt32) -> ValueFacts { ValueFacts(maximumBits: bits) }
        switch expression {
        case .constant(let k):
            return .exactly(k)
        case .packet(let size, _), .packetIndirect(let size, _, _):
            switch size {
            case .byte: return below(bits: 0xff)
            case .halfword: return below(bits: 0xffff)
            case .word: return .unknown
            }
        case .ipv4HeaderLength:
            return below(bits: 0x3c)
        case .ancillary(let field):
            switch field {
            case .protocol, .hardwareType, .queue, .vlanTag, .vlanProtocol: return below(bits: 0xffff)
            case .packetType: return below(bits: 7)
            case .vlanTagPresent: return below(bits: 1)
            default: return .unknown
            }
        case .arithmetic(let operation, let left, let right):
            return .arithmetic(operation, facts(of: left), facts(of: right))
        case .length, .netlinkAttribute, .negate, .opaque:
            return .unknown
        }
    }
}

extension ValueExpression {
    /// A cheap hash for ``ValueTable``'s slots: equal expressions have equal fingerprints.
    var fingerprint: UInt64 {
        func mix(_ tag: UInt64, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            hash = (hash ^ tag) &* 0x100_0000_01b3
            hash = (hash ^ a) &* 0x100_0000_01b3
            hash = (hash ^ b) &* 0x100_0000_01b3
            hash = (hash ^ c) &* 0x100_0000_01b3
            return hash ^ (hash >> 29)
        }
        func number(_ value: ValueNumber) -> UInt64 { UInt64(UInt32(bitPattern: value.rawValue)) }
        switch self {
        case .constant(let k): return mix(1, UInt64(k))
        case .packet(let size, let offset): return mix(2, UInt64(size.byteCount), UInt64(offset))
        case .packetIndirect(let size, let offset, let index):
            return mix(3, UInt64(size.byteCount), UInt64(offset), number(index))
        case .ipv4HeaderLength(let offset): return mix(4, UInt64(offset))
        case .length: return mix(5)
        case .ancillary(let field): return mix(6, UInt64(field.rawValue))
        case .netlinkAttribute(let nested, let start, let type):
            return mix(7, nested ? 1 : 0, number(start), number(type))
        case .arithmetic(let operation, let left, let right):
            return mix(8, UInt64(operation.opcodeBits), number(left), number(right))
        case .negate(let operand): return mix(9, number(operand))
        case .opaque(let identity): return mix(10, UInt64(UInt(bitPattern: identity)))
        }
    }
}
