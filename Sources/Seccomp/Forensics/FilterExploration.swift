import CBPF

/// The symbolic run of a seccomp filter over every `seccomp_data`: every path through the
/// program, with what each path knows about the words it read, as a tree whose inner nodes are
/// the tests both of whose outcomes some input can take, and whose leaves are outcomes.
///
/// The architecture and the number are followed as exact sets of values (``NumberSet``); the
/// other words (arguments, instruction pointer) as ``WordConstraint``s, whose solver drops a
/// branch only when no value can take it. The run is iterative (an explicit stack), so a long
/// program cannot exhaust the thread's stack, and bounded by ``SeccompFilterAnalysis/Limits``.
struct FilterExploration {
    enum Node: Hashable, Sendable {
        case test(SeccompWordTest, ifTrue: Int, ifFalse: Int)
        case leaf(SeccompDecisionOutcome, architectures: NumberSet, numbers: NumberSet)
    }

    private(set) var nodes: [Node] = []
    private(set) var root = 0
    /// Whether each instruction was reached by some path.
    private(set) var reached: [Bool]
    private(set) var pathCount = 0
    private(set) var limitReached: SeccompFilterAnalysis.LimitReached?
    /// Branches whose feasibility the solver could not decide within its budget (both taken).
    private(set) var undecidedBranches = 0

    /// The most ranges a mask test may split the number or architecture into.
    static let rangeLimit = 4096
    /// Steps the word solver may take for one branch.
    static let solverBudget = 4096

    private struct PathState {
        var pc: Int
        var a: SymbolicValue = .constant(0)
        var x: SymbolicValue = .constant(0)
        var scratch = [SymbolicValue?](repeating: nil, count: 16)
        var architectures = NumberSet.all
        var numbers = NumberSet.all
        var words = [WordConstraint](repeating: WordConstraint(), count: 16)
    }

    /// Where a finished path's first node goes: the root, or a child of a test node.
    private enum Slot {
        case root
        case ifTrue(Int)
        case ifFalse(Int)
    }

    private let instructions: [Instruction]
    private let limits: SeccompFilterAnalysis.Limits

    /// When the run and the table built from it must end.
    let deadline: ContinuousClock.Instant

    init(_ program: VerifiedProgram, limits: SeccompFilterAnalysis.Limits) {
        instructions = program.program.instructions
        self.limits = limits
        deadline = ContinuousClock.now.advanced(by: limits.timeLimit)
        reached = [Bool](repeating: false, count: instructions.count)
        run()
    }

    private mutating func add(_ node: Node, at slot: Slot) -> Int {
        nodes.append(node)
        let index = nodes.count - 1
        switch slot {
        case .root: root = index
        case .ifTrue(let parent):
            if case .test(let test, _, let ifFalse) = nodes[parent] { nodes[parent] = .test(test, ifTrue: index, ifFalse: ifFalse) }
        case .ifFalse(let parent):
            if case .test(let test, let ifTrue, _) = nodes[parent] { nodes[parent] = .test(test, ifTrue: ifTrue, ifFalse: index) }
        }
        return index
    }

    /// The ranges the leaves keep, counted whether or not they share storage.
    private var storedRanges = 0

    private mutating func finish(_ state: PathState, _ outcome: SeccompDecisionOutcome, at slot: Slot) {
        pathCount += 1
        storedRanges += state.architectures.ranges.count + state.numbers.ranges.count
        _ = add(.leaf(outcome, architectures: state.architectures, numbers: state.numbers), at: slot)
    }

    private mutating func run() {
        let clock = ContinuousClock()
        var stack: [(PathState, Slot)] = [(PathState(pc: 0), .root)]
        var steps = 0
        while let (start, slot) = stack.popLast() {
            if limitReached == nil {
                steps += 1
                if pathCount >= limits.maximumPaths {
                    limitReached = .paths(limits.maximumPaths)
                } else if nodes.count >= limits.maximumTreeNodes {
                    limitReached = .treeNodes(limits.maximumTreeNodes)
                } else if storedRanges >= limits.maximumStoredRanges {
                    limitReached = .storedRanges(limits.maximumStoredRanges)
                } else if steps & 255 == 0, clock.now >= deadline {
                    limitReached = .time(limits.timeLimit)
                }
            }
            if let limitReached {
                finish(start, .undetermined(SeccompAnalysisGap(instruction: start.pc, reason: limitReached.description)), at: slot)
                continue
            }
            var state = start
            var slot = slot
            walk: while true {
                let pc = state.pc
                reached[pc] = true
                switch instructions[pc] {
                case .loadAbsolute(.word, let offset) where offset % 4 == 0 && offset < 64:
                    state.a = .loaded(offset)
                case .loadImmediate(let register, let value):
                    set(&state, register, .constant(value))
                case .loadLength(let register):
                    set(&state, register, .constant(64))  // seccomp's `len` is sizeof(struct seccomp_data)
                case .loadScratch(let register, let slotIndex):
                    guard slotIndex < 16, let value = state.scratch[Int(slotIndex)] else {
                        finish(state, gap(pc, "reads a scratch slot never written"), at: slot)
                        break walk
                    }
                    set(&state, register, value)
                case .store(let register, let slotIndex):
                    guard slotIndex < 16 else {
                        finish(state, gap(pc, "stores outside the 16 scratch slots"), at: slot)
                        break walk
                    }
                    state.scratch[Int(slotIndex)] = register == .a ? state.a : state.x
                case .arithmetic(let operation, let operand):
                    let right: SymbolicValue = if case .constant(let k) = operand { .constant(k) } else { state.x }
                    if operation == .divide || operation == .modulo, case .x = operand {
                        // The kernel ends the filter with 0 (KILL_THREAD) on a division by zero.
                        switch state.x {
                        case .constant(0):
                            finish(state, .action(SeccompAction(returnValue: 0)), at: slot)
                            break walk
                        case .constant:
                            break
                        case .computed(let origin, let reason):
                            finish(state, gap(origin, reason + ", and instruction \(pc) divides by it"), at: slot)
                            break walk
                        case .word(let offset, let mask, let flip, let addend):
                            let isZero = SeccompWordTest(
                                offset: offset, mask: mask, flip: flip, addend: addend, test: .equal, value: 0)
                            switch split(state, isZero) {
                            case .unfollowed(let reason):
                                finish(state, gap(pc, reason), at: slot)
                                break walk
                            case .branches(let zero, let nonZero):
                                guard var nonZero else {
                                    if let zero { finish(zero, .action(SeccompAction(returnValue: 0)), at: slot) }
                                    break walk
                                }
                                if let zero {
                                    let node = add(.test(isZero, ifTrue: -1, ifFalse: -1), at: slot)
                                    finish(zero, .action(SeccompAction(returnValue: 0)), at: .ifTrue(node))
                                    slot = .ifFalse(node)
                                }
                                nonZero.a = nonZero.a.applying(operation, right, at: pc)
                                state = nonZero
                                state.pc = pc + 1
                                continue walk
                            }
                        }
                    }
                    state.a = state.a.applying(operation, right, at: pc)
                case .negate:
                    state.a = state.a.negated(at: pc)
                case .tax:
                    state.x = state.a
                case .txa:
                    state.a = state.x
                case .jump(let offset):
                    state.pc = pc + 1 + Int(offset)
                    continue walk
                case .returnConstant(let value):
                    finish(state, .action(SeccompAction(returnValue: value)), at: slot)
                    break walk
                case .returnA:
                    switch state.a {
                    case .constant(let value): finish(state, .action(SeccompAction(returnValue: value)), at: slot)
                    case .word(let offset, _, _, _):
                        finish(state, gap(pc, "returns a value computed from "
                            + SeccompWordTest.fieldName(offset: offset, bigEndian: false)), at: slot)
                    case .computed(let origin, let reason):
                        finish(state, gap(origin, reason + ", and returns it"), at: slot)
                    }
                    break walk
                case .conditionalJump(let jumpTest, let operand, let ifTrue, let ifFalse):
                    let right: SymbolicValue = if case .constant(let k) = operand { .constant(k) } else { state.x }
                    let truePC = pc + 1 + Int(ifTrue)
                    let falsePC = pc + 1 + Int(ifFalse)
                    if truePC == falsePC {  // goes on the same way whatever it compares
                        state.pc = truePC
                        continue walk
                    }
                    let test: SeccompWordTest
                    var swapped = false
                    switch (state.a, right) {
                    case (.constant(let a), .constant(let k)):
                        state.pc = jumpTest.holds(a, k) ? truePC : falsePC
                        continue walk
                    case (.word(let offset, let mask, let flip, let addend), .constant(let k)):
                        test = SeccompWordTest(offset: offset, mask: mask, flip: flip, addend: addend, test: jumpTest, value: k)
                    case (.constant(let k), .word(let offset, let mask, let flip, let addend)):
                        // k > w is !(w >= k); k >= w is !(w > k); == and jset are symmetric.
                        let turned: JumpTest = switch jumpTest {
                        case .greaterThan: .greaterOrEqual
                        case .greaterOrEqual: .greaterThan
                        default: jumpTest
                        }
                        swapped = jumpTest == .greaterThan || jumpTest == .greaterOrEqual
                        test = SeccompWordTest(offset: offset, mask: mask, flip: flip, addend: addend, test: turned, value: k)
                    case (.computed(let origin, let reason), _), (_, .computed(let origin, let reason)):
                        finish(state, gap(origin, reason + ", and a jump at instruction \(pc) tests it"), at: slot)
                        break walk
                    case (.word, .word):
                        finish(state, gap(pc, "compares two words of seccomp_data with each other"), at: slot)
                        break walk
                    }
                    let (holdsPC, failsPC) = swapped ? (falsePC, truePC) : (truePC, falsePC)
                    let whenHolds: PathState?
                    let whenFails: PathState?
                    switch split(state, test) {
                    case .branches(let holding, let failing):
                        (whenHolds, whenFails) = (holding, failing)
                    case .unfollowed(let reason):
                        finish(state, gap(pc, reason), at: slot)
                        break walk
                    }
                    switch (whenHolds, whenFails) {
                    case (var holding?, var failing?):
                        let node = add(.test(test, ifTrue: -1, ifFalse: -1), at: slot)
                        holding.pc = holdsPC
                        failing.pc = failsPC
                        stack.append((failing, .ifFalse(node)))
                        state = holding
                        slot = .ifTrue(node)
                        continue walk
                    case (var holding?, nil):
                        holding.pc = holdsPC
                        state = holding
                        continue walk
                    case (nil, var failing?):
                        failing.pc = failsPC
                        state = failing
                        continue walk
                    case (nil, nil):
                        // Only an undecided solver could say neither; the path is impossible.
                        finish(state, gap(pc, "no input reaches either branch"), at: slot)
                        break walk
                    }
                default:
                    // The seccomp verifier admits nothing else.
                    finish(state, gap(pc, "an instruction seccomp does not allow"), at: slot)
                    break walk
                }
                state.pc = pc + 1
            }
        }
    }

    private func set(_ state: inout PathState, _ register: Register, _ value: SymbolicValue) {
        if register == .a { state.a = value } else { state.x = value }
    }

    private func gap(_ instruction: Int, _ reason: String) -> SeccompDecisionOutcome {
        .undetermined(SeccompAnalysisGap(instruction: instruction, reason: reason))
    }

    private enum Split {
        /// The states after the test holds and after it fails, each `nil` when no input takes
        /// that branch.
        case branches(PathState?, PathState?)
        /// The test cannot be followed; the path ends in a gap.
        case unfollowed(String)
    }

    private mutating func split(_ state: PathState, _ test: SeccompWordTest) -> Split {
        if test.offset == 0 || test.offset == 4 {
            let set = test.offset == 0 ? state.numbers : state.architectures
            guard let holding = test.shape(holds: true).restrict(set, limit: Self.rangeLimit) else {
                let what = test.offset == 0 ? "system-call number" : "architecture"
                let reason = test.shape(holds: true) == .unmodelled
                    ? "tests the \(what) in a way the analysis does not model (\(test))"
                    : "a mask test (\(test)) splits the \(what) into more than \(Self.rangeLimit) ranges"
                return .unfollowed(reason)
            }
            let failing = set.subtracting(holding)
            func with(_ values: NumberSet) -> PathState? {
                if values.isEmpty { return nil }
                var next = state
                if test.offset == 0 { next.numbers = values } else { next.architectures = values }
                return next
            }
            return .branches(with(holding), with(failing))
        }
        let index = Int(test.offset / 4)
        func with(_ holds: Bool) -> PathState? {
            var next = state
            guard next.words[index].add(SeccompWordLiteral(test: test, holds: holds)) else { return nil }
            var budget = Self.solverBudget
            switch next.words[index].witness(budget: &budget) {
            case .none: return nil
            case .value: return next
            case .unknown:
                undecidedBranches += 1
                return next
            }
        }
        return .branches(with(true), with(false))
    }
}
