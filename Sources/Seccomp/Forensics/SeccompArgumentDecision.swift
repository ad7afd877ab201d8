import CBPF

/// What a seccomp filter does with the calls of one architecture and one range of numbers, as
/// a decision graph over the other words of `seccomp_data` (arguments, instruction pointer):
/// a single outcome when the filter does not look at them.
///
/// Nodes come children first, so the root is the last; equal graphs have equal node lists,
/// so two decisions compare equal exactly when the filter tests the same words the same way
/// and reaches the same outcomes.
public struct SeccompArgumentDecision: Hashable, Sendable {
    /// A test with the indices of its two successors, or an outcome.
    public enum Node: Hashable, Sendable {
        /// The filter decides.
        case outcome(SeccompDecisionOutcome)
        /// The filter tests a word; `ifTrue` and `ifFalse` index ``SeccompArgumentDecision/nodes``.
        case test(SeccompWordTest, ifTrue: Int, ifFalse: Int)
    }

    /// The nodes, children before parents; the root is the last.
    public let nodes: [Node]

    /// A decision from its nodes, children before parents (the root last).
    public init(nodes: [Node]) {
        precondition(!nodes.isEmpty, "a decision has at least one node")
        self.nodes = nodes
    }

    /// A decision that does not depend on the arguments.
    public init(_ outcome: SeccompDecisionOutcome) {
        nodes = [.outcome(outcome)]
    }

    /// The index of the root.
    public var root: Int { nodes.count - 1 }

    /// The outcome, when it does not depend on the arguments or instruction pointer.
    public var outcome: SeccompDecisionOutcome? {
        if nodes.count == 1, case .outcome(let outcome) = nodes[0] { outcome } else { nil }
    }

    /// Every outcome the decision can reach, in the order of the nodes.
    public var outcomes: [SeccompDecisionOutcome] {
        var seen = Set<SeccompDecisionOutcome>()
        var list = [SeccompDecisionOutcome]()
        for case .outcome(let outcome) in nodes where seen.insert(outcome).inserted { list.append(outcome) }
        return list
    }

    /// Whether the decision tests the words of `seccomp_data` beyond the number and architecture.
    public var testsArguments: Bool { nodes.count > 1 }

    /// The outcome for a call whose word at each offset is `word(offset)`.
    public func outcome(word: (UInt32) -> UInt32) -> SeccompDecisionOutcome {
        var index = root
        while true {
            switch nodes[index] {
            case .outcome(let outcome): return outcome
            case .test(let test, let ifTrue, let ifFalse):
                index = test.holds(forWord: word(test.offset)) ? ifTrue : ifFalse
            }
        }
    }

    /// The outcome for `data`, read as the filter reads it (in this machine's byte order).
    public func outcome(for data: SeccompData) -> SeccompDecisionOutcome {
        let bytes = data.bytes
        return outcome { offset in
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self) }
        }
    }
}
