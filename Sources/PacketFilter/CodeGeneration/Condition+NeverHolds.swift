import CBPF

/// What libpcap's optimizer can prove about a condition, to say "expression rejects all packets"
/// where libpcap says it and nowhere else.
///
/// Our optimizer knows more than libpcap's (the range of a loaded byte, the bits an `and` leaves,
/// `len > 4294967295`), so a program it reduces to `ret #0` can be one that libpcap compiles:
/// `len > -1`, `ip[0] = 4294967295`. libpcap's optimizer decides a branch only from a constant
/// accumulator and from the branches taken on the way to it (`fold_edge` in `optimize.c`, with
/// jumps threaded along each path): the same test of the same value, or, after `jeq #k` was
/// taken, another `jeq` of that value. This follows the condition's paths with those facts alone
/// (a test's value is its statements): the condition never holds when every path to "accept"
/// takes two branches that contradict each other.
extension Condition {
    /// Whether the condition is false on every packet by libpcap's optimizer's reasoning. An
    /// expression with more than ``pathLimit`` paths is not looked into: false.
    var neverHoldsByLibpcapsReasoning: Bool {
        Self.paths(self, outcome: true)?.isEmpty ?? false
    }

    /// The most paths followed; libpcap's own optimizer gives up on big programs too.
    static let pathLimit = 256

    /// A test as libpcap's branch codes have it (`jeq`, `jgt`, `jge`, `jset`), and whether the
    /// condition is that test negated (`jne` is `jeq` with the targets swapped).
    private struct BranchTest: Hashable {
        var statements: [Instruction]
        var jump: JumpCondition
        var operand: Operand
        var isNegated = false

        init(_ statements: [Instruction], _ condition: JumpCondition, _ operand: Operand) {
            self.statements = statements
            self.operand = operand
            switch condition {
            case .equal, .greaterThan, .greaterOrEqual, .bitsSet: jump = condition
            case .notEqual: (jump, isNegated) = (.equal, true)
            case .lessThan: (jump, isNegated) = (.greaterOrEqual, true)
            case .lessOrEqual: (jump, isNegated) = (.greaterThan, true)
            case .bitsClear: (jump, isNegated) = (.bitsSet, true)
            }
        }

        /// The branch's outcome when the accumulator is a constant.
        var constantOutcome: Bool? {
            guard case .constant(let k) = operand, statements.count == 1,
                case .loadImmediate(.a, let value) = statements[0]
            else { return nil }
            return jump.holds(value, k)
        }
    }

    /// A branch taken: the test and which way it went.
    private struct Fact {
        var test: BranchTest
        var outcome: Bool

        /// Whether no packet takes both branches, as libpcap sees it.
        func contradicts(_ other: Fact) -> Bool {
            guard test.statements == other.test.statements, test.jump == other.test.jump else { return false }
            if test.operand == other.test.operand { return outcome != other.outcome }
            guard test.jump == .equal, outcome, other.outcome, case .constant = test.operand,
                case .constant = other.test.operand
            else { return false }
            return true
        }
    }

    /// The branches taken on one way through a condition.
    private typealias Path = [Fact]

    /// Every way through `condition` that ends in `outcome`, without contradictions; nil when
    /// there are more than ``pathLimit``.
    private static func paths(_ condition: Condition, outcome: Bool) -> [Path]? {
        switch condition {
        case .constant(let value):
            return value == outcome ? [[]] : []
        case .test(let statements, let jump, let operand):
            let test = BranchTest(statements, jump, operand)
            let branch = outcome != test.isNegated
            if let known = test.constantOutcome { return known == branch ? [[]] : [] }
            return [[Fact(test: test, outcome: branch)]]
        case .not(let inner):
            return paths(inner, outcome: !outcome)
        case .conjunction(let operands), .disjunction(let operands):
            // `and` goes on to its next operand when the ones before hold, `or` when they do not;
            // the other outcome of the operands before decides alone. The chain is walked from
            // the left, as the binary tree `(a and b) and c` it stands for.
            let continues = if case .conjunction = condition { true } else { false }
            guard var through = paths(operands[0], outcome: continues) else { return nil }
            var alone: [Path]? = outcome != continues ? paths(operands[0], outcome: outcome) : []
            for operand in operands.dropFirst() {
                guard let aloneSoFar = alone, let then = paths(operand, outcome: outcome) else { return nil }
                var result = aloneSoFar
                for path in through {
                    for next in then where !next.contains(where: { fact in path.contains { $0.contradicts(fact) } }) {
                        result.append(path + next)
                        if result.count > pathLimit { return nil }
                    }
                }
                if outcome == continues {
                    through = result
                    alone = []
                } else {
                    alone = result
                    // The prefix's way on: it continues when this operand does too.
                    guard let more = paths(operand, outcome: continues) else { return nil }
                    var onward = [Path]()
                    for path in through {
                        for next in more where !next.contains(where: { fact in path.contains { $0.contradicts(fact) } }) {
                            onward.append(path + next)
                            if onward.count > pathLimit { return nil }
                        }
                    }
                    through = onward
                }
            }
            return outcome == continues ? through : alone
        }
    }
}
