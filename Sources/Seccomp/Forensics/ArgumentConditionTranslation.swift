import CBPF

/// Literals on argument words as conditions of a policy (``ArgumentCondition``), where the
/// policy format can write them.
enum ArgumentConditionTranslation {
    /// The conditions that hold exactly when all `literals` do, for an architecture with 64-bit
    /// arguments or not, of the given byte order; or why the format cannot write one of them.
    static func conditions(
        _ literals: [SeccompWordLiteral], sixtyFourBitArguments: Bool, bigEndian: Bool
    ) -> Result<[ArgumentCondition], Inexpressible> {
        var conditions = [ArgumentCondition]()
        for literal in literals {
            switch condition(literal, sixtyFourBitArguments: sixtyFourBitArguments, bigEndian: bigEndian) {
            case .success(let condition): conditions.append(condition)
            case .failure(let reason): return .failure(reason)
            }
        }
        return .success(tighteningOrderings(mergingPatterns(widening(conditions))))
    }

    /// On an argument whose high half is known to be 0, 32-bit conditions are 64-bit ones, and
    /// the test of the high half is `argN <= 0xffffffff` (which fits a 32-bit architecture too),
    /// left out when another condition implies it.
    static func widening(_ conditions: [ArgumentCondition]) -> [ArgumentCondition] {
        let highZero: (ArgumentCondition) -> Bool = {
            $0.width == .full && $0.comparison == .maskedEqual(mask: 0xffff_ffff_0000_0000) && $0.value == 0
        }
        let arguments = Set(conditions.filter(highZero).map(\.argument))
        if arguments.isEmpty { return conditions }
        var result = [ArgumentCondition]()
        for condition in conditions where !(highZero(condition) && arguments.contains(condition.argument)) {
            var widened = condition
            if arguments.contains(condition.argument) { widened.width = .full }
            result.append(widened)
        }
        for argument in arguments.sorted() {
            let bounded = result.contains { condition in
                guard condition.argument == argument else { return false }
                switch condition.comparison {
                case .equal: return condition.value <= 0xffff_ffff
                case .less: return condition.value <= 0x1_0000_0000
                case .lessOrEqual: return condition.value <= 0xffff_ffff
                case .maskedEqual(let mask): return mask & 0xffff_ffff_0000_0000 == 0xffff_ffff_0000_0000
                    && condition.value <= 0xffff_ffff
                default: return false
                }
            }
            if !bounded { result.append(ArgumentCondition(argument: argument, .lessOrEqual, 0xffff_ffff)) }
        }
        return result
    }

    /// Of several lower (or upper) bounds on one argument, only the tightest.
    static func tighteningOrderings(_ conditions: [ArgumentCondition]) -> [ArgumentCondition] {
        // The bound as `>= value` or `<= value`, or nil when it can never hold.
        func lower(_ condition: ArgumentCondition) -> UInt64?? {
            switch condition.comparison {
            case .greaterOrEqual: return .some(condition.value)
            case .greater: return condition.value == .max ? .some(nil) : .some(condition.value + 1)
            default: return nil
            }
        }
        func upper(_ condition: ArgumentCondition) -> UInt64?? {
            switch condition.comparison {
            case .lessOrEqual: return .some(condition.value)
            case .less: return condition.value == 0 ? .some(nil) : .some(condition.value - 1)
            default: return nil
            }
        }
        var dropped = Set<Int>()
        for (i, a) in conditions.enumerated() {
            for (j, b) in conditions.enumerated() where i != j && a.argument == b.argument && a.width == b.width {
                if case .some(let x?) = lower(a), case .some(let y?) = lower(b), x < y || (x == y && i > j) { dropped.insert(i) }
                if case .some(let x?) = upper(a), case .some(let y?) = upper(b), x > y || (x == y && i > j) { dropped.insert(i) }
            }
        }
        return conditions.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    }

    struct Inexpressible: Error, Hashable, Sendable, CustomStringConvertible {
        var literal: String
        var why: String
        var description: String { "\(literal): \(why)" }
    }

    static func condition(
        _ literal: SeccompWordLiteral, sixtyFourBitArguments: Bool, bigEndian: Bool
    ) -> Result<ArgumentCondition, Inexpressible> {
        let test = literal.test
        let text = literal.description(bigEndian: bigEndian)
        func refuse(_ why: String) -> Result<ArgumentCondition, Inexpressible> {
            .failure(Inexpressible(literal: text, why: why))
        }
        guard test.offset >= 16 else {
            return refuse(test.offset >= 8 ? "a policy cannot test the instruction pointer" : "not an argument")
        }
        guard test.addend == 0 else { return refuse("a policy cannot compare an argument plus a constant") }
        let argument = Int((test.offset - 16) / 8)
        let high = (test.offset % 8 == 4) != bigEndian
        if high, !sixtyFourBitArguments {
            return refuse("a policy compares only the low 32 bits of arguments on this architecture")
        }
        func pattern(_ mask: UInt32, _ value: UInt32) -> ArgumentCondition {
            if high {
                return ArgumentCondition(argument: argument, .maskedEqual(mask: UInt64(mask) << 32), UInt64(value) << 32)
            }
            if mask == .max { return ArgumentCondition(argument: argument, .equal, UInt64(value), width: .low32) }
            return ArgumentCondition(argument: argument, .maskedEqual(mask: UInt64(mask)), UInt64(value), width: .low32)
        }
        switch test.test {
        case .equal:
            let target = test.value ^ test.flip
            guard target & ~test.mask == 0 else { return refuse("the test never holds") }
            if literal.holds { return .success(pattern(test.mask, target)) }
            if test.mask == .max, high, target == 0 || target == .max {
                // The high half is not 0 (or not all ones): one bound on the whole argument.
                return .success(target == 0
                    ? ArgumentCondition(argument: argument, .greaterOrEqual, 0x1_0000_0000)
                    : ArgumentCondition(argument: argument, .less, 0xffff_ffff_0000_0000))
            }
            guard test.mask == .max, !high else {
                return refuse("a policy has no masked or high-half inequality (only == follows a mask)")
            }
            return .success(ArgumentCondition(argument: argument, .notEqual, UInt64(target), width: .low32))
        case .bitsSet:
            let bits = test.value & test.mask
            guard test.flip & test.value & ~test.mask == 0, bits != 0 else { return refuse("the test is decided") }
            if literal.holds { return refuse("a policy cannot say that some bit of a mask is set (only arg & mask == value)") }
            return .success(pattern(bits, test.flip & bits))
        case .greaterThan, .greaterOrEqual:
            guard test.mask == .max, test.flip == 0 else {
                return refuse("a policy cannot order a masked argument")
            }
            let value = UInt64(test.value)
            let comparison: ArgumentCondition.Comparison
            let bound: UInt64
            switch (test.test, literal.holds, high) {
            case (.greaterThan, true, false): (comparison, bound) = (.greater, value)
            case (.greaterThan, false, false): (comparison, bound) = (.lessOrEqual, value)
            case (.greaterOrEqual, true, false): (comparison, bound) = (.greaterOrEqual, value)
            case (.greaterOrEqual, false, false): (comparison, bound) = (.less, value)
            case (.greaterThan, true, true): (comparison, bound) = (.greater, value << 32 | 0xffff_ffff)
            case (.greaterThan, false, true): (comparison, bound) = (.lessOrEqual, value << 32 | 0xffff_ffff)
            case (.greaterOrEqual, true, true): (comparison, bound) = (.greaterOrEqual, value << 32)
            default: (comparison, bound) = (.less, value << 32)
            }
            return .success(ArgumentCondition(argument: argument, comparison, bound, width: high ? .full : .low32))
        }
    }

    /// Equalities and masked equalities on one argument as one condition: `arg0 & 0xffffffff00000000
    /// == 0` and `arg0.lo32 == 5` become `arg0 == 5`.
    static func mergingPatterns(_ conditions: [ArgumentCondition]) -> [ArgumentCondition] {
        func bits(_ condition: ArgumentCondition) -> (mask: UInt64, value: UInt64)? {
            let width: UInt64 = condition.width == .low32 ? 0xffff_ffff : .max
            switch condition.comparison {
            case .equal: return (width, condition.value & width)
            case .maskedEqual(let mask): return (mask & width, condition.value & width)
            default: return nil
            }
        }
        var result = [ArgumentCondition]()
        var merged = [Int: (index: Int, mask: UInt64, value: UInt64, count: Int)]()
        for condition in conditions {
            guard let (mask, value) = bits(condition) else {
                result.append(condition)
                continue
            }
            if let existing = merged[condition.argument] {
                let mask = existing.mask | mask
                let value = existing.value | value
                merged[condition.argument] = (existing.index, mask, value, existing.count + 1)
                result[existing.index] = mask == .max
                    ? ArgumentCondition(argument: condition.argument, .equal, value)
                    : ArgumentCondition(argument: condition.argument, .maskedEqual(mask: mask), value)
            } else {
                merged[condition.argument] = (result.count, mask, value, 1)
                result.append(condition)
            }
        }
        return result
    }
}
