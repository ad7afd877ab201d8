import CBPF
import Seccomp

/// A learned policy: `default errno(EPERM)` and only `allow` rules, each for one system call,
/// with or without conditions. It is what learn mode writes and what `--merge` can read back,
/// so that two of them unite call by call.
struct LearnedPolicy: Sendable {
    /// What every call that no rule allows gets: `errno(EPERM)` (`SCMP_ACT_ERRNO` with errnoRet
    /// 1 in a profile).
    static let defaultAction = SeccompAction.errno(ErrnoCode.EPERM.rawValue)

    /// When a call is allowed.
    enum Allowance: Sendable, Equatable {
        /// Whatever its arguments.
        case always
        /// When all conditions of any one list hold, in the order first seen.
        case when([[ArgumentCondition]])
    }

    /// The architectures covered, this machine's first (a profile's target).
    var architectures: [SeccompArchitecture]
    var allowances: [Syscall: Allowance] = [:]

    init(architectures: [SeccompArchitecture]) {
        self.architectures = architectures
    }

    /// Allows `syscall` when `conditions` hold (always, when there are none).
    mutating func allow(_ syscall: Syscall, when conditions: [ArgumentCondition] = []) {
        if conditions.isEmpty {
            allowances[syscall] = .always
            return
        }
        switch allowances[syscall] {
        case .always: return
        case .when(let lists):
            if !lists.contains(conditions) { allowances[syscall] = .when(lists + [conditions]) }
        case nil: allowances[syscall] = .when([conditions])
        }
    }

    /// Adds every architecture and rule of `other`.
    mutating func formUnion(_ other: LearnedPolicy) {
        for architecture in other.architectures where !architectures.contains(architecture) {
            architectures.append(architecture)
        }
        for (syscall, allowance) in other.allowances {
            switch allowance {
            case .always: allow(syscall)
            case .when(let lists): for conditions in lists { allow(syscall, when: conditions) }
            }
        }
    }

    /// The calls `learned` recorded, with argument rules for what `--args` recorded, and the
    /// calls the launcher itself makes at `execve` (``LauncherSyscalls``), so that
    /// `sandbox-launch --policy` can always start the command under it.
    init(_ learned: LearnedCalls) {
        self.init(architectures: learned.architectures)
        // A negative number (-1, which tracers set to skip a call) cannot be allowed by number.
        for call in learned.calls where call.name != nil || call.number >= 0 {
            let syscall = call.syscall
            if let name = call.name, let recorded = learned.values[name], !recorded.overflowed,
                call.architecture == learned.native
            {
                for value in recorded.values.sorted() {
                    let condition = recorded.argument.mask.map {
                        ArgumentCondition(argument: recorded.argument.argument, .maskedEqual(mask: $0), value)
                    } ?? ArgumentCondition(argument: recorded.argument.argument, .equal, value)
                    allow(syscall, when: [condition])
                }
            } else {
                allow(syscall)
            }
        }
        for need in LauncherSyscalls.needs { allow(Syscall(need.name)) }
    }

    /// Reads back a learned policy (or any policy of the same shape) to merge with.
    ///
    /// - Throws: `cannot merge NAME: ...` when the policy has another default action, another
    ///   foreign-architecture action (a policy's; a profile has none of its own), or a rule
    ///   that is not `allow` for one system call.
    init(merging policy: SeccompPolicy, name: String, isProfile: Bool) throws(LaunchError) {
        func refuse(_ why: String) -> LaunchError {
            LaunchError("cannot merge \(name): \(why); --merge takes a policy or profile that learn wrote", exitCode: 1)
        }
        guard policy.defaultAction == Self.defaultAction else {
            throw refuse(
                "its default action is \(SeccompPolicyFormat.format(policy.defaultAction)), and a learned policy's is "
                    + SeccompPolicyFormat.format(Self.defaultAction))
        }
        // A profile does not carry it: its import gives runc's, kill-thread.
        guard isProfile || policy.foreignArchitectureAction == .killProcess else {
            throw refuse(
                "its foreign-arch action is \(SeccompPolicyFormat.format(policy.foreignArchitectureAction)), and a "
                    + "learned policy's is kill-process")
        }
        self.init(architectures: policy.architectures)
        for (index, rule) in policy.rules.enumerated() {
            guard rule.action == .allow, case .syscall(let syscall) = rule.target else {
                throw refuse("rule \(index + 1) \"\(rule)\" is not an allow rule for one system call")
            }
            allow(syscall, when: rule.conditions)
        }
    }

    /// The policy: one rule a line, names in alphabetical order, then raw numbers; conditions
    /// in the order first seen.
    var policy: SeccompPolicy {
        let ordered = allowances.keys.sorted { lhs, rhs in
            switch (lhs.name, rhs.name) {
            case (let left?, let right?): left < right
            case (_?, nil): true
            case (nil, _?): false
            case (nil, nil): (lhs.number ?? 0) < (rhs.number ?? 0)
            }
        }
        var rules = [SeccompRule]()
        for syscall in ordered {
            switch allowances[syscall] {
            case .always, nil: rules.append(SeccompRule(.allow, .syscall(syscall)))
            case .when(let lists):
                rules += lists.map { SeccompRule(.allow, .syscall(syscall), conditions: $0) }
            }
        }
        return SeccompPolicy(defaultAction: Self.defaultAction, architectures: architectures, rules: rules)
    }

    /// The calls allowed by number only: a profile cannot name them.
    var rawNumbers: [Int32] {
        allowances.keys.compactMap(\.number).sorted()
    }
}
