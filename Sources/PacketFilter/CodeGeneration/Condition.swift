import CBPF

/// A boolean test over a packet, before layout: libpcap's blocks joined by `gen_and`,
/// `gen_or` and `gen_not`. Tests run left to right and stop as soon as the result is known,
/// which decides which loads run, and so which truncated packets are rejected, as in libpcap.
indirect enum Condition: Sendable {
    /// Runs the statements (no jumps), then compares A with the operand.
    case test([Instruction], JumpCondition, Operand)
    /// Every operand holds, tested left to right (a chain of `and`s, kept flat so that a long
    /// chain needs no recursion per operand; see ``and(_:_:)``).
    case conjunction([Condition])
    /// Some operand holds, tested left to right (a chain of `or`s, kept flat).
    case disjunction([Condition])
    case not(Condition)
    case constant(Bool)

    /// `first and second`: one flat ``conjunction(_:)`` with the operands of any `and` chains.
    static func and(_ first: Condition, _ second: Condition) -> Condition {
        var operands: [Condition]
        if case .conjunction(let chain) = first { operands = chain } else { operands = [first] }
        if case .conjunction(let chain) = second { operands += chain } else { operands.append(second) }
        return .conjunction(operands)
    }

    /// `first or second`: one flat ``disjunction(_:)`` with the operands of any `or` chains.
    static func or(_ first: Condition, _ second: Condition) -> Condition {
        var operands: [Condition]
        if case .disjunction(let chain) = first { operands = chain } else { operands = [first] }
        if case .disjunction(let chain) = second { operands += chain } else { operands.append(second) }
        return .disjunction(operands)
    }

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
        case .conjunction(let operands):
            return Self.folded(operands, absorbing: false)
        case .disjunction(let operands):
            return Self.folded(operands, absorbing: true)
        }
    }

    /// A chain of `and` (`absorbing` false) or `or` (`absorbing` true), folded from the left as
    /// the tree `(a and b) and c` it stands for: a constant first operand decides or disappears;
    /// a neutral constant disappears; an absorbing constant decides alone only when it is
    /// structural and the operands before it only test fields. The operands are gathered in
    /// one array, so that a long chain takes linear time.
    private static func folded(_ operands: [Condition], absorbing: Bool) -> Condition {
        var decided: Bool? = nil
        var kept = [Condition]()
        var keptOnlyFieldTests = true
        func keep(_ condition: Condition) {
            switch (condition, absorbing) {
            case (.conjunction(let chain), false), (.disjunction(let chain), true): kept += chain
            default: kept.append(condition)
            }
            keptOnlyFieldTests = keptOnlyFieldTests && condition.hasOnlyFieldTests
        }
        for (position, operand) in operands.enumerated() {
            let right = operand.simplified
            if position == 0 || (decided != nil && decided != absorbing) {
                // The first operand, or the one after a neutral constant that stood first.
                kept = []
                keptOnlyFieldTests = true
                if case .constant(let value) = right { decided = value } else { decided = nil; keep(right) }
                continue
            }
            if decided == absorbing { continue }
            if case .constant(let value) = right {
                if value != absorbing { continue }
                if !operand.containsComparisonOfConstants && keptOnlyFieldTests {
                    decided = absorbing
                    continue
                }
            }
            keep(right)
        }
        if let decided { return .constant(decided) }
        if kept.count == 1 { return kept[0] }
        return absorbing ? .disjunction(kept) : .conjunction(kept)
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
        case .conjunction(let operands), .disjunction(let operands): operands.allSatisfy(\.hasOnlyFieldTests)
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
        case .conjunction(let operands), .disjunction(let operands): operands.contains(where: \.containsComparisonOfConstants)
        }
    }

    /// IPv4 that is not a later fragment: its fragment offset, at `networkOffset + 6`, is zero.
    /// libpcap's `gen_ipfrag`, which `port`, transport-layer loads and `dns qname` all test.
    static func notLaterIPv4Fragment(networkOffset: PacketOffset) -> Condition {
        .not(.compare(.halfword, at: networkOffset + 6, .bitsSet, 0x1fff))
    }

    /// Every one of `conditions` holds; true when there is none.
    static func all(_ conditions: [Condition]) -> Condition {
        conditions.dropFirst().reduce(conditions.first ?? .constant(true)) { .and($0, $1) }
    }

    /// Some of `conditions` holds; false when there is none.
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
