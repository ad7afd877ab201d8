import CBPF

/// A boolean test over a packet, before layout: libpcap's blocks joined by `gen_and`,
/// `gen_or` and `gen_not`. Tests run left to right and stop as soon as the result is known,
/// which decides which loads run, and so which truncated packets are rejected, as in libpcap.
indirect enum Condition: Sendable {
    /// Runs the statements (no jumps), then compares A with the operand.
    case test([Instruction], JumpCondition, Operand)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
    case constant(Bool)

    /// Folds what libpcap's optimizer folds, so that packets too short for a dropped load get
    /// its optimized program's verdict:
    /// - a structural constant (a link type that can't carry the protocol, a mask of 0) decides
    ///   its `and`/`or` alone, and the other operand's loads go, wherever it stands, when that
    ///   operand only tests fields;
    /// - a comparison of constants (`2 > 1`) decides alone only when it comes first: after
    ///   another test, libpcap keeps that test's loads, and so do we.
    var simplified: Condition {
        switch self {
        case .test, .constant:
            return (knownValue ?? maskedOutValue).map { .constant($0) } ?? self
        case .not(let inner):
            let inner = inner.simplified
            if case .constant(let value) = inner { return .constant(!value) }
            return .not(inner)
        case .and(let first, let second):
            return Self.folded(first, second, absorbing: false, join: Condition.and)
        case .or(let first, let second):
            return Self.folded(first, second, absorbing: true, join: Condition.or)
        }
    }

    /// `and` (`absorbing` false) or `or` (`absorbing` true) of two conditions, folded: a constant
    /// first operand decides or disappears; a neutral constant second disappears; an absorbing
    /// constant second decides alone only when it is structural and the first only tests fields.
    private static func folded(
        _ first: Condition, _ second: Condition, absorbing: Bool, join: (Condition, Condition) -> Condition
    ) -> Condition {
        let (left, right) = (first.simplified, second.simplified)
        if case .constant(let value) = left { return value == absorbing ? .constant(absorbing) : right }
        if case .constant(let value) = right {
            if value != absorbing { return left }
            if !second.containsComparisonOfConstants && left.hasOnlyFieldTests { return .constant(absorbing) }
        }
        return join(left, right)
    }

    /// Whether every test only loads a field, masks it and compares it (libpcap's `gen_cmp`
    /// blocks). libpcap's optimizer removes such tests when their outcome no longer matters, but
    /// keeps the statements of arithmetic relations, which go through scratch memory, and with
    /// them their loads.
    private var hasOnlyFieldTests: Bool {
        switch self {
        case .test(let statements, _, _):
            statements.allSatisfy { statement in
                switch statement {
                case .loadAbsolute, .loadIndirect, .loadIPv4HeaderLength, .loadLength, .loadAncillary: true
                case .arithmetic(.and, .constant): true
                default: false
                }
            }
        case .constant: true
        case .not(let inner): inner.hasOnlyFieldTests
        case .and(let first, let second), .or(let first, let second): first.hasOnlyFieldTests && second.hasOnlyFieldTests
        }
    }

    /// The outcome of a test that loads nothing: a comparison of two constants.
    private var knownValue: Bool? {
        guard case .test(let statements, let condition, .constant(let k)) = self, statements.count == 1,
            case .loadImmediate(.a, let value) = statements[0]
        else { return nil }
        return condition.holds(value, k)
    }

    /// The outcome of a field test whose mask is 0 (`net 0.0.0.0/0`, the zero words of an IPv6
    /// prefix): structural, like a link type's constant.
    private var maskedOutValue: Bool? {
        guard case .test(let statements, let condition, .constant(let k)) = self, statements.count == 2,
            case .loadAbsolute = statements[0], case .arithmetic(.and, .constant(0)) = statements[1]
        else { return nil }
        return condition.holds(0, k)
    }

    /// Whether a comparison of constants decided this (sub)condition.
    private var containsComparisonOfConstants: Bool {
        switch self {
        case .test: knownValue != nil
        case .constant: false
        case .not(let inner): inner.containsComparisonOfConstants
        case .and(let first, let second), .or(let first, let second):
            first.containsComparisonOfConstants || second.containsComparisonOfConstants
        }
    }

    /// IPv4 that is not a later fragment: its fragment offset, at `networkOffset + 6`, is zero.
    /// libpcap's `gen_ipfrag`, which `port`, transport-layer loads and `dns qname` all test.
    static func notLaterIPv4Fragment(networkOffset: PacketOffset) -> Condition {
        .not(.compare(.halfword, at: networkOffset + 6, .bitsSet, 0x1fff))
    }

    static func all(_ conditions: [Condition]) -> Condition {
        conditions.dropFirst().reduce(conditions.first ?? .constant(true)) { .and($0, $1) }
    }

    static func any(_ conditions: [Condition]) -> Condition {
        conditions.dropFirst().reduce(conditions.first ?? .constant(false)) { .or($0, $1) }
    }

    /// `ld size [offset]; jeq value`, with `and mask` between when the mask isn't all ones.
    /// A mask of 0 makes the outcome known without the load: ``simplified`` folds it, as
    /// libpcap's optimizer drops such loads (its unoptimized code keeps them).
    static func compare(_ size: LoadSize, at offset: PacketOffset, _ value: UInt32, mask: UInt32? = nil) -> Condition {
        var statements = offset.load(size)
        if let mask, mask != size.allOnes { statements.append(.arithmetic(.and, .constant(mask))) }
        return .test(statements, .equal, .constant(value))
    }

    static func compare(_ size: LoadSize, at offset: UInt32, _ value: UInt32, mask: UInt32? = nil) -> Condition {
        compare(size, at: .fixed(offset), value, mask: mask)
    }

    /// `ld size [offset]` compared with `value` by `condition`.
    static func compare(_ size: LoadSize, at offset: PacketOffset, _ condition: JumpCondition, _ value: UInt32) -> Condition {
        .test(offset.load(size), condition, .constant(value))
    }

    static func compare(_ size: LoadSize, at offset: UInt32, _ condition: JumpCondition, _ value: UInt32) -> Condition {
        compare(size, at: .fixed(offset), condition, value)
    }

    /// Runs `statements` and goes on: A >= 0 always holds. libpcap appends statements to a test
    /// that always holds the same way (`jeq x` after `tax`).
    static func always(_ statements: [Instruction]) -> Condition {
        .test(statements, .greaterOrEqual, .constant(0))
    }

    /// Like ``compare(_:at:_:_:)`` with the offset relative to X, loaded by `loadX`.
    static func compareIndirect(
        loadX: [Instruction], _ size: LoadSize, at offset: UInt32, _ condition: JumpCondition, _ value: UInt32
    ) -> Condition {
        .test(loadX + [.loadIndirect(size, offset: offset)], condition, .constant(value))
    }

    /// `size` bytes at X + `offset`, under `mask`, equal to `value`, with X loaded by `loadX`.
    static func compareIndirect(
        loadX: [Instruction], _ size: LoadSize, at offset: UInt32, _ value: UInt32, mask: UInt32
    ) -> Condition {
        var statements = loadX + [.loadIndirect(size, offset: offset)]
        if mask != size.allOnes { statements.append(.arithmetic(.and, .constant(mask))) }
        return .test(statements, .equal, .constant(value))
    }
}

extension JumpCondition {
    func holds(_ a: UInt32, _ k: UInt32) -> Bool {
        switch self {
        case .equal: a == k
        case .notEqual: a != k
        case .greaterThan: a > k
        case .greaterOrEqual: a >= k
        case .lessThan: a < k
        case .lessOrEqual: a <= k
        case .bitsSet: a & k != 0
        case .bitsClear: a & k == 0
        }
    }
}

extension LoadSize {
    var allOnes: UInt32 {
        switch self {
        case .byte: 0xff
        case .halfword: 0xffff
        case .word: 0xffff_ffff
        }
    }
}
