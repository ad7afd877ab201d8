import CBPF

/// The code that decides a call from its arguments, for one ``SyscallDecision``: conditional
/// jumps on argument words, each preceded by the loads it needs, ending in jumps to `ret`s.
///
/// The rules are tried in order and conditions compare 64-bit arguments word by word (high
/// word first for orderings, as an unsigned 64-bit comparison must). The code is generated as
/// a decision graph that carries what each path has learnt about the words
/// (``ArgumentKnowledge``): a test whose outcome is known is left out, and a word already in A
/// is not loaded again. `personality(0) || personality(8) || ...` thus checks the high word once.
struct ArgumentCheckBlock: Hashable, Sendable {
    /// Where a jump goes: another node of the block, or a `ret`.
    enum Target: Hashable, Sendable {
        case node(Int)
        case action(SeccompAction)
    }

    /// One conditional jump and the loads before it.
    struct Node: Hashable, Sendable {
        var test: WordTest
        /// Whether `ld [offset]` comes first (A holds another word or nothing known).
        var loadsWord: Bool
        /// Whether `and #mask` comes first.
        var masks: Bool
        var ifTrue: Target
        var ifFalse: Target

        var instructionCount: Int { 1 + (loadsWord ? 1 : 0) + (masks ? 1 : 0) }
    }

    /// In an order where every jump goes forward.
    let nodes: [Node]
    /// Where the block starts.
    let entry: Target
    /// Instructions executed, the final `ret` included, for the typical arguments.
    let typicalExecutedCount: Int

    var instructionCount: Int { nodes.reduce(0) { $0 + $1.instructionCount } }

    /// The smallest-cost code for `decision`, tuned for calls with `typicalArguments`: several
    /// ways of generating it are tried, and the one that executes fewest instructions for those
    /// arguments wins, then the shorter.
    init(_ decision: SyscallDecision, layout: ArgumentWordLayout, typicalArguments: [UInt64]) {
        var best: ArgumentCheckBlock?
        // The word order only matters for 64-bit (in)equalities; keeping knowledge within a
        // condition only is the fallback for when the others grow too large.
        let hasWideEquality = decision.rules.contains { rule in
            rule.conditions.contains { $0.width == .full && ($0.comparison == .equal || $0.comparison == .notEqual) }
        }
        let orders: [ArgumentCheckGenerator.WordOrder] = hasWideEquality ? [.highFirst, .lowFirst] : [.highFirst]
        for order in orders {
            for retention in ArgumentCheckGenerator.Retention.allCases {
                if retention == .withinCondition, best != nil { continue }
                var generator = ArgumentCheckGenerator(
                    decision: decision, layout: layout, wordOrder: order, retention: retention
                )
                guard let (nodes, entry) = generator.generate() else { continue }
                let candidate = ArgumentCheckBlock(
                    nodes: nodes, entry: entry, layout: layout, typicalArguments: typicalArguments
                )
                if let current = best,
                    (current.typicalExecutedCount, current.instructionCount)
                        <= (candidate.typicalExecutedCount, candidate.instructionCount)
                {
                    continue
                }
                best = candidate
            }
        }
        // Keeping knowledge within conditions only never gives up, so there is always a candidate.
        self = best!
    }

    private init(nodes: [Node], entry: Target, layout: ArgumentWordLayout, typicalArguments: [UInt64]) {
        self.nodes = nodes
        self.entry = entry
        var executed = 1  // the final `ret`
        var target = entry
        while case .node(let index) = target {
            let node = nodes[index]
            executed += node.instructionCount
            let word = layout.word(at: node.test.offset, arguments: typicalArguments)
            target = node.test.holds(forWord: word) ? node.ifTrue : node.ifFalse
        }
        typicalExecutedCount = executed
    }
}

/// Builds the decision graph of an ``ArgumentCheckBlock``.
///
/// Every condition compiles to a few *stages*, each a ``WordTest`` whose two outcomes lead to a
/// later stage, to the next condition (pass), or to the next rule (fail). The graph's nodes are
/// stages reached with some ``ArgumentKnowledge``; nodes with the same stage and knowledge are
/// shared. Positions only grow along edges (rule, condition, stage), so sorting the nodes by
/// position gives a layout where every jump goes forward.
struct ArgumentCheckGenerator {
    /// Which word of a 64-bit equality is compared first. Orderings always start with the high
    /// word.
    enum WordOrder: CaseIterable {
        /// Shares the high-word test between rules on the same argument.
        case highFirst
        /// Rejects a different value after one comparison when the values differ in the low word.
        case lowFirst
    }

    /// How much knowledge is carried along; less means more sharing and no growth.
    enum Retention: CaseIterable {
        /// Everything, across rules: the best code, but paths can multiply.
        case everything
        /// Within a rule only: every rule starts from nothing known.
        case withinRule
        /// Within a condition only: every condition starts from nothing known. Never grows
        /// beyond one node per stage.
        case withinCondition
    }

    enum Exit: Hashable {
        case stage(Int)
        case pass
        case fail
    }

    struct Stage: Hashable {
        var test: WordTest
        var ifTrue: Exit
        var ifFalse: Exit
    }

    private struct Position: Hashable, Comparable {
        var rule: Int
        var condition: Int
        var stage: Int

        static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.rule, lhs.condition, lhs.stage) < (rhs.rule, rhs.condition, rhs.stage)
        }
    }

    private struct Key: Hashable {
        var position: Position
        var knowledge: ArgumentKnowledge
    }

    /// A candidate that keeps knowledge beyond a condition is given up for one that keeps less
    /// when it grows past four nodes per stage (keeping it within a condition, there is at most
    /// one node per stage).
    private let nodeLimit: Int
    /// Such a candidate is also given up when it visits stages more than eight times per stage,
    /// or this many times if that is more. Paths that carry different knowledge into a stage
    /// visit it separately, even where the knowledge decides the stage and no node results, so
    /// visits can grow with the square of the rules (`arg0 == 1`, `arg0 == 2`, ... compared
    /// low word first) or faster. Policies of a few hundred stages can take some 100,000 visits
    /// and keep their code.
    private static let visitFloor = 1 << 17
    private let visitLimit: Int
    private var visits = 0

    let decision: SyscallDecision
    let retention: Retention
    private let stages: [[[Stage]]]
    private var nodes: [(position: Position, node: ArgumentCheckBlock.Node)] = []
    /// Nodes by position and content: the same node reached with other knowledge is the same code.
    private var nodeIndices: [NodeKey: Int] = [:]
    private var memo: [Key: ArgumentCheckBlock.Target] = [:]

    private struct NodeKey: Hashable {
        var position: Position
        var node: ArgumentCheckBlock.Node
    }

    init(decision: SyscallDecision, layout: ArgumentWordLayout, wordOrder: WordOrder, retention: Retention) {
        self.decision = decision
        self.retention = retention
        stages = decision.rules.map { rule in
            rule.conditions.map { Self.stages(of: $0, layout: layout, wordOrder: wordOrder) }
        }
        let stageCount = stages.joined().reduce(0) { $0 + $1.count }
        nodeLimit = retention == .withinCondition ? .max : 4 * stageCount
        visitLimit = retention == .withinCondition ? .max : max(Self.visitFloor, 8 * stageCount)
    }

    /// The action of a decision whose rules can never change its outcome, such as a rule whose
    /// conditions contradict each other (`arg0 == 1 && arg0 == 2`): every path through its
    /// checks, with everything learnt on the way, ends in that action. `nil` otherwise.
    static func provenConstantAction(of decision: SyscallDecision) -> SeccompAction? {
        if let action = decision.constantAction { return action }
        var generator = ArgumentCheckGenerator(
            decision: decision, layout: ArgumentWordLayout(isBigEndian: false), wordOrder: .highFirst,
            retention: .everything
        )
        guard let (nodes, entry) = generator.generate() else { return nil }
        var actions = Set<SeccompAction>()
        for target in [entry] + nodes.flatMap({ [$0.ifTrue, $0.ifFalse] }) {
            if case .action(let action) = target { actions.insert(action) }
        }
        return actions.count == 1 ? actions.first : nil
    }

    /// The nodes in layout order and the entry, or `nil` when the graph grew too large.
    mutating func generate() -> ([ArgumentCheckBlock.Node], ArgumentCheckBlock.Target)? {
        guard let entry = build(Position(rule: 0, condition: 0, stage: 0), .none) else { return nil }
        // Stable: nodes at one position keep their creation order.
        let order = nodes.indices.sorted { (nodes[$0].position, $0) < (nodes[$1].position, $1) }
        var newIndex = [Int](repeating: 0, count: nodes.count)
        for (new, old) in order.enumerated() { newIndex[old] = new }
        func renumber(_ target: ArgumentCheckBlock.Target) -> ArgumentCheckBlock.Target {
            if case .node(let old) = target { return .node(newIndex[old]) }
            return target
        }
        let laidOut = order.map { old in
            var node = nodes[old].node
            node.ifTrue = renumber(node.ifTrue)
            node.ifFalse = renumber(node.ifFalse)
            return node
        }
        return (laidOut, renumber(entry))
    }

    /// A stage being visited with some knowledge, waiting for where its outcomes lead.
    private struct Visit {
        var key: Key
        var stage: Stage
        /// The test's outcome when the knowledge decides it: then the stage is no node, and
        /// leads where that outcome does.
        var decided: Bool?
        /// Where the true outcome leads, once known.
        var ifTrue: ArgumentCheckBlock.Target?
    }

    /// What a visit of a stage finds.
    private enum Arrival {
        /// Where the stage leads, known without looking at it: an action, or an earlier visit's answer.
        case known(ArgumentCheckBlock.Target)
        /// A stage to look at.
        case visit(Visit)
        /// The graph grew past its limits.
        case tooLarge
    }

    /// Where the stage at `position` leads with `knowledge`, depth first, true outcome first.
    ///
    /// A path through the checks can be as long as all the rules together, so the depth-first
    /// walk keeps its own stack rather than recursing.
    private mutating func build(_ position: Position, _ knowledge: ArgumentKnowledge) -> ArgumentCheckBlock.Target? {
        var stack = [Visit]()
        var next = (position: position, knowledge: knowledge)
        while true {
            var result: ArgumentCheckBlock.Target
            switch arrive(at: next.position, next.knowledge) {
            case .tooLarge:
                return nil
            case .visit(let visit):
                stack.append(visit)
                let outcome = visit.decided ?? true
                let learnt = visit.decided == nil
                    ? visit.key.knowledge.learning(visit.stage.test, outcome: true) : visit.key.knowledge
                next = follow(outcome ? visit.stage.ifTrue : visit.stage.ifFalse, from: visit.key.position, learnt)
                continue
            case .known(let target):
                result = target
            }
            // Hand the result to the visits waiting for it, until one needs its false outcome.
            while true {
                guard var visit = stack.popLast() else { return result }
                if visit.decided == nil {
                    guard let ifTrue = visit.ifTrue else {
                        visit.ifTrue = result
                        stack.append(visit)
                        next = follow(
                            visit.stage.ifFalse, from: visit.key.position,
                            visit.key.knowledge.learning(visit.stage.test, outcome: false)
                        )
                        break
                    }
                    result = node(for: visit, ifTrue: ifTrue, ifFalse: result)
                }
                memo[visit.key] = result
            }
        }
    }

    private mutating func arrive(at position: Position, _ knowledge: ArgumentKnowledge) -> Arrival {
        guard position.rule < decision.rules.count else { return .known(.action(decision.otherwise)) }
        let rule = decision.rules[position.rule]
        guard position.condition < rule.conditions.count else { return .known(.action(rule.action)) }
        let key = Key(position: position, knowledge: knowledge)
        if let known = memo[key] { return .known(known) }
        guard visits < visitLimit else { return .tooLarge }
        visits += 1
        let stage = stages[position.rule][position.condition][position.stage]
        let decided = knowledge.decide(stage.test)
        if decided == nil, nodes.count >= nodeLimit { return .tooLarge }
        return .visit(Visit(key: key, stage: stage, decided: decided))
    }

    /// The node of an undecided stage, or its twin at the same position.
    private mutating func node(for visit: Visit, ifTrue: ArgumentCheckBlock.Target, ifFalse: ArgumentCheckBlock.Target)
        -> ArgumentCheckBlock.Target
    {
        let test = visit.stage.test
        let accumulator = visit.key.knowledge.accumulator
        let loadsWord = accumulator?.offset != test.offset
            || (accumulator?.mask != WordTest.noMask && accumulator?.mask != test.mask)
        let masks = test.mask != WordTest.noMask && (loadsWord || accumulator?.mask != test.mask)
        let node = ArgumentCheckBlock.Node(
            test: test, loadsWord: loadsWord, masks: masks, ifTrue: ifTrue, ifFalse: ifFalse
        )
        let nodeKey = NodeKey(position: visit.key.position, node: node)
        if let twin = nodeIndices[nodeKey] { return .node(twin) }
        nodes.append((visit.key.position, node))
        nodeIndices[nodeKey] = nodes.count - 1
        return .node(nodes.count - 1)
    }

    /// The position an exit leads to, and what is still known there.
    private func follow(_ exit: Exit, from position: Position, _ knowledge: ArgumentKnowledge)
        -> (position: Position, knowledge: ArgumentKnowledge)
    {
        switch exit {
        case .stage(let stage):
            (Position(rule: position.rule, condition: position.condition, stage: stage), knowledge)
        case .pass:
            (Position(rule: position.rule, condition: position.condition + 1, stage: 0),
             retention == .withinCondition ? .none : knowledge)
        case .fail:
            (Position(rule: position.rule + 1, condition: 0, stage: 0), retention == .everything ? knowledge : .none)
        }
    }

    // MARK: Conditions as stages

    /// The stages of one condition; stage 0 comes first, and stages only lead to later ones.
    static func stages(of condition: ArgumentCondition, layout: ArgumentWordLayout, wordOrder: WordOrder)
        -> [Stage]
    {
        let low = layout.lowWord(condition.argument)
        let high = layout.highWord(condition.argument)
        let lowValue = UInt32(truncatingIfNeeded: condition.value)
        let highValue = UInt32(truncatingIfNeeded: condition.value >> 32)
        let isFull = condition.width == .full

        switch condition.comparison {
        case .equal, .notEqual:
            let passOnEqual = condition.comparison == .equal
            let onMatch: Exit = passOnEqual ? .pass : .fail
            let onMismatch: Exit = passOnEqual ? .fail : .pass
            guard isFull else {
                return [Stage(test: WordTest(offset: low, .equal, lowValue), ifTrue: onMatch, ifFalse: onMismatch)]
            }
            let words = wordOrder == .highFirst ? [(high, highValue), (low, lowValue)] : [(low, lowValue), (high, highValue)]
            return [
                Stage(test: WordTest(offset: words[0].0, .equal, words[0].1), ifTrue: .stage(1), ifFalse: onMismatch),
                Stage(test: WordTest(offset: words[1].0, .equal, words[1].1), ifTrue: onMatch, ifFalse: onMismatch),
            ]

        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let lowStage = orderingStage(condition.comparison, offset: low, value: lowValue)
            guard isFull else { return [lowStage] }
            // Unsigned 64-bit order: the high words decide unless they are equal.
            let isUpward = condition.comparison == .greater || condition.comparison == .greaterOrEqual
            let below: Exit = isUpward ? .fail : .pass
            let above: Exit = isUpward ? .pass : .fail
            return [
                Stage(test: WordTest(offset: high, .greaterOrEqual, highValue), ifTrue: .stage(1), ifFalse: below),
                Stage(test: WordTest(offset: high, .equal, highValue), ifTrue: .stage(2), ifFalse: above),
                lowStage,
            ]

        case .maskedEqual(let mask):
            let lowStage = maskedStage(offset: low, mask: UInt32(truncatingIfNeeded: mask), value: lowValue, next: .pass)
            guard isFull else { return [lowStage] }
            let highMask = UInt32(truncatingIfNeeded: mask >> 32)
            return [maskedStage(offset: high, mask: highMask, value: highValue, next: .stage(1)), lowStage]
        }
    }

    /// The low word's test of an ordering, or the whole test of a 32-bit one.
    private static func orderingStage(_ comparison: ArgumentCondition.Comparison, offset: UInt32, value: UInt32)
        -> Stage
    {
        switch comparison {
        case .greater: Stage(test: WordTest(offset: offset, .greaterThan, value), ifTrue: .pass, ifFalse: .fail)
        case .greaterOrEqual:
            Stage(test: WordTest(offset: offset, .greaterOrEqual, value), ifTrue: .pass, ifFalse: .fail)
        case .less: Stage(test: WordTest(offset: offset, .greaterOrEqual, value), ifTrue: .fail, ifFalse: .pass)
        default: Stage(test: WordTest(offset: offset, .greaterThan, value), ifTrue: .fail, ifFalse: .pass)
        }
    }

    /// `(word & mask) == value` in the fewest instructions: a plain `jeq` without a mask, a
    /// `jset` when the value is 0 or the mask is one bit equal to the value, `and` + `jeq`
    /// otherwise. A part that always or never holds is decided by ``ArgumentKnowledge/decide(_:)``.
    private static func maskedStage(offset: UInt32, mask: UInt32, value: UInt32, next: Exit) -> Stage {
        if mask == WordTest.noMask {
            return Stage(test: WordTest(offset: offset, .equal, value), ifTrue: next, ifFalse: .fail)
        }
        if mask != 0, value & ~mask == 0 {
            if value == 0 {
                return Stage(test: WordTest(offset: offset, .bitsSet, mask), ifTrue: .fail, ifFalse: next)
            }
            if value == mask, mask.nonzeroBitCount == 1 {
                return Stage(test: WordTest(offset: offset, .bitsSet, mask), ifTrue: next, ifFalse: .fail)
            }
        }
        return Stage(test: WordTest(offset: offset, mask: mask, .equal, value), ifTrue: next, ifFalse: .fail)
    }
}

