import CBPF

/// What a policy does with one system-call number on one architecture, reduced to what can
/// still make a difference: the rules that may decide, in order, and the action when none does.
///
/// Two numbers whose decisions are equal get the same code, and a decision without rules is a
/// constant: a `ret` reached from the number dispatch alone, which the kernel's action cache
/// can evaluate.
struct SyscallDecision: Hashable, Sendable {
    /// A rule that may decide: it has at least one condition, none of them always true and none
    /// that can never hold.
    struct Rule: Hashable, Sendable {
        var conditions: [ArgumentCondition]
        var action: SeccompAction
    }

    /// The rules in the order they are tried.
    var rules: [Rule]
    /// What the call gets when no rule decides.
    var otherwise: SeccompAction

    /// The decision of `rules` tried in order, falling back to `otherwise`, as
    /// ``ArchitecturePolicy/action(forSyscall:arguments:)`` makes it.
    ///
    /// Conditions that always hold are dropped; rules with a condition that never holds are
    /// dropped; the first rule left without conditions decides for everything after it; and
    /// trailing rules whose action is the fallback change nothing, so they go too.
    init(rules resolved: [ResolvedRule], otherwise fallback: SeccompAction) {
        var rules = [Rule]()
        var seenConditions = Set<[ArgumentCondition]>()
        var otherwise = fallback
        ruleLoop: for rule in resolved {
            var conditions = [ArgumentCondition]()
            for condition in rule.conditions {
                switch condition.constantTruth {
                case true?: continue
                case false?: continue ruleLoop
                case nil: if !conditions.contains(condition) { conditions.append(condition) }
                }
            }
            if conditions.isEmpty {
                otherwise = rule.action
                break
            }
            // A rule with the same conditions as an earlier one never gets to decide.
            if !seenConditions.insert(conditions).inserted { continue }
            rules.append(Rule(conditions: conditions, action: rule.action))
        }
        while let last = rules.last, last.action == otherwise {
            rules.removeLast()
        }
        self.rules = rules
        self.otherwise = otherwise
    }

    /// The action, when it does not depend on the arguments.
    var constantAction: SeccompAction? {
        rules.isEmpty ? otherwise : nil
    }
}

extension ArgumentCondition {
    /// `true` or `false` when the condition holds for every argument value or for none,
    /// `nil` when it depends on the argument.
    var constantTruth: Bool? {
        let bits: UInt64 = width == .low32 ? 0xffff_ffff : .max
        let value = value & bits
        switch comparison {
        case .equal, .notEqual: return nil
        case .less: return value == 0 ? false : nil
        case .lessOrEqual: return value == bits ? true : nil
        case .greater: return value == bits ? false : nil
        case .greaterOrEqual: return value == 0 ? true : nil
        case .maskedEqual(let mask):
            let mask = mask & bits
            if value & ~mask != 0 { return false }
            return mask == 0 ? true : nil
        }
    }
}
