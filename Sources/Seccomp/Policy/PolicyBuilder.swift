import CBPF

/// Something that stands for rules in a ``SeccompRulesBuilder`` block: ``Allow``, ``Fail``,
/// ``Kill``, ``Log``, ``Trap``, ``Notify``, `Return`.
public protocol SeccompRuleComponent: Sendable {
    /// The rules, one for each target, in order.
    var rules: [SeccompRule] { get }
}

/// Builds a policy's rules from components, in the order they are written:
/// ```swift
/// SeccompPolicy(defaultAction: .killProcess) {
///     Allow(.read, .write, .group(.basicIO))
///     Allow(.socket) { $0.arg(0) == AF_UNIX }
///     Fail(.EPERM, .ptrace)
///     if allowNetwork { Allow(.group(.networkIO)) }
/// }
/// ```
@resultBuilder
public enum SeccompRulesBuilder {
    /// A component's rules: `Allow(.read)`.
    public static func buildExpression(_ component: some SeccompRuleComponent) -> [SeccompRule] {
        component.rules
    }

    /// A rule made without the DSL.
    public static func buildExpression(_ rule: SeccompRule) -> [SeccompRule] {
        [rule]
    }

    /// Rules made without the DSL.
    public static func buildExpression(_ rules: [SeccompRule]) -> [SeccompRule] {
        rules
    }

    /// The rules of a block, in order.
    public static func buildBlock(_ parts: [SeccompRule]...) -> [SeccompRule] {
        parts.flatMap { $0 }
    }

    /// An `if` without `else`: its rules, or none.
    public static func buildOptional(_ part: [SeccompRule]?) -> [SeccompRule] {
        part ?? []
    }

    /// The `if` branch of an `if`/`else`.
    public static func buildEither(first part: [SeccompRule]) -> [SeccompRule] {
        part
    }

    /// The `else` branch of an `if`/`else`.
    public static func buildEither(second part: [SeccompRule]) -> [SeccompRule] {
        part
    }

    /// The rules of a `for` loop, in order.
    public static func buildArray(_ parts: [[SeccompRule]]) -> [SeccompRule] {
        parts.flatMap { $0 }
    }

    /// A branch of `if #available`.
    public static func buildLimitedAvailability(_ part: [SeccompRule]) -> [SeccompRule] {
        part
    }
}

/// Builds a rule's conditions; they must all hold:
/// ```swift
/// Allow(.mmap) {
///     $0.arg(2) & PROT_EXEC == 0
///     $0.arg(3).low32 != MAP_SHARED
/// }
/// ```
@resultBuilder
public enum ArgumentConditionsBuilder {
    /// One condition: `$0.arg(0) == 1`.
    public static func buildExpression(_ condition: ArgumentCondition) -> [ArgumentCondition] {
        [condition]
    }

    /// Several conditions.
    public static func buildExpression(_ conditions: [ArgumentCondition]) -> [ArgumentCondition] {
        conditions
    }

    /// The conditions of a block, which must all hold.
    public static func buildBlock(_ parts: [ArgumentCondition]...) -> [ArgumentCondition] {
        parts.flatMap { $0 }
    }

    /// An `if` without `else`: its conditions, or none.
    public static func buildOptional(_ part: [ArgumentCondition]?) -> [ArgumentCondition] {
        part ?? []
    }

    /// The `if` branch of an `if`/`else`.
    public static func buildEither(first part: [ArgumentCondition]) -> [ArgumentCondition] {
        part
    }

    /// The `else` branch of an `if`/`else`.
    public static func buildEither(second part: [ArgumentCondition]) -> [ArgumentCondition] {
        part
    }

    /// The conditions of a `for` loop.
    public static func buildArray(_ parts: [[ArgumentCondition]]) -> [ArgumentCondition] {
        parts.flatMap { $0 }
    }
}

/// The arguments of a system call, as a condition closure sees them: `$0.arg(0)`.
public struct SyscallArguments: Sendable {
    /// The six arguments of the call being decided.
    public init() {}

    /// Argument `index` (0 to 5), compared in full 64 bits.
    public func arg(_ index: Int) -> ArgumentReference {
        ArgumentReference(index: index, width: .full)
    }
}

/// One argument in a condition: `$0.arg(1)`, `$0.arg(1).low32`. Compare it with `==`, `!=`,
/// `<`, `<=`, `>`, `>=`, or mask it with `&` and compare the result with `==`.
///
/// Integers are converted as C converts them to `scmp_datum_t`: negative ones are sign-extended.
public struct ArgumentReference: Sendable {
    /// The argument's position, 0 to 5.
    public var index: Int
    /// Whether it is compared in full 64 bits or on its low 32 bits.
    public var width: ArgumentCondition.Width

    /// The same argument, compared on its low 32 bits only.
    public var low32: ArgumentReference {
        ArgumentReference(index: index, width: .low32)
    }

    func condition(_ comparison: ArgumentCondition.Comparison, _ value: some BinaryInteger) -> ArgumentCondition {
        ArgumentCondition(argument: index, comparison, UInt64(truncatingIfNeeded: value), width: width)
    }

    /// The argument equals `rhs` (unsigned).
    public static func == (lhs: ArgumentReference, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.condition(.equal, rhs)
    }

    /// The argument differs from `rhs` (unsigned).
    public static func != (lhs: ArgumentReference, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.condition(.notEqual, rhs)
    }

    /// The argument is below `rhs` (unsigned).
    public static func < (lhs: ArgumentReference, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.condition(.less, rhs)
    }

    /// The argument is at most `rhs` (unsigned).
    public static func <= (lhs: ArgumentReference, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.condition(.lessOrEqual, rhs)
    }

    /// The argument is above `rhs` (unsigned).
    public static func > (lhs: ArgumentReference, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.condition(.greater, rhs)
    }

    /// The argument is at least `rhs` (unsigned).
    public static func >= (lhs: ArgumentReference, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.condition(.greaterOrEqual, rhs)
    }

    /// The argument under a mask, to compare with `==`: `$0.arg(2) & PROT_EXEC == 0`.
    public static func & (lhs: ArgumentReference, mask: some BinaryInteger) -> MaskedArgument {
        MaskedArgument(argument: lhs, mask: UInt64(truncatingIfNeeded: mask))
    }
}

/// An argument under a mask: `$0.arg(2) & 0x4`. Only `==` applies (seccomp's masked equality).
public struct MaskedArgument: Sendable {
    /// The argument.
    public var argument: ArgumentReference
    /// The mask applied before the comparison.
    public var mask: UInt64

    /// `(argument & mask) == rhs`.
    public static func == (lhs: MaskedArgument, rhs: some BinaryInteger) -> ArgumentCondition {
        lhs.argument.condition(.maskedEqual(mask: lhs.mask), rhs)
    }
}

/// Rules with one action for several targets, with optional conditions that apply to each.
struct RuleList: Sendable {
    var rules: [SeccompRule]

    init(_ action: SeccompAction, _ targets: [SyscallTarget], _ conditions: [ArgumentCondition]) {
        rules = targets.map { SeccompRule(action, $0, conditions: conditions) }
    }
}

/// Allows system calls: `Allow(.read, .write)`, `Allow(.group(.basicIO))`,
/// `Allow(.socket) { $0.arg(0) == AF_UNIX }`.
public struct Allow: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Allows these calls whatever their arguments.
    public init(_ targets: SyscallTarget...) {
        rules = RuleList(.allow, targets, []).rules
    }

    /// Allows these calls whatever their arguments.
    public init(_ targets: [SyscallTarget]) {
        rules = RuleList(.allow, targets, []).rules
    }

    /// Allows these calls when all the conditions hold: `Allow(.socket) { $0.arg(0) == AF_UNIX }`.
    public init(
        _ targets: SyscallTarget...,
        @ArgumentConditionsBuilder conditions: (SyscallArguments) -> [ArgumentCondition]
    ) {
        rules = RuleList(.allow, targets, conditions(SyscallArguments())).rules
    }
}

/// Fails system calls with an errno: `Fail(.EPERM, .ptrace)` (`SECCOMP_RET_ERRNO`).
///
/// Called `Fail` rather than `Errno` so as not to shadow swift-system's `Errno`.
public struct Fail: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Fails these calls with `errno` whatever their arguments.
    public init(_ errno: ErrnoCode, _ targets: SyscallTarget...) {
        rules = RuleList(.errno(errno.rawValue), targets, []).rules
    }

    /// Fails these calls with `errno` whatever their arguments.
    public init(_ errno: ErrnoCode, _ targets: [SyscallTarget]) {
        rules = RuleList(.errno(errno.rawValue), targets, []).rules
    }

    /// Fails these calls with `errno` when all the conditions hold.
    public init(
        _ errno: ErrnoCode, _ targets: SyscallTarget...,
        @ArgumentConditionsBuilder conditions: (SyscallArguments) -> [ArgumentCondition]
    ) {
        rules = RuleList(.errno(errno.rawValue), targets, conditions(SyscallArguments())).rules
    }
}

/// Kills the process on these system calls (`SECCOMP_RET_KILL_PROCESS`).
public struct Kill: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Kills the process on these calls whatever their arguments.
    public init(_ targets: SyscallTarget...) {
        rules = RuleList(.killProcess, targets, []).rules
    }

    /// Kills the process on these calls when all the conditions hold.
    public init(
        _ targets: SyscallTarget...,
        @ArgumentConditionsBuilder conditions: (SyscallArguments) -> [ArgumentCondition]
    ) {
        rules = RuleList(.killProcess, targets, conditions(SyscallArguments())).rules
    }
}

/// Allows and logs these system calls (`SECCOMP_RET_LOG`).
public struct Log: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Allows and logs these calls whatever their arguments.
    public init(_ targets: SyscallTarget...) {
        rules = RuleList(.log, targets, []).rules
    }

    /// Allows and logs these calls when all the conditions hold.
    public init(
        _ targets: SyscallTarget...,
        @ArgumentConditionsBuilder conditions: (SyscallArguments) -> [ArgumentCondition]
    ) {
        rules = RuleList(.log, targets, conditions(SyscallArguments())).rules
    }
}

/// Sends SIGSYS on these system calls (`SECCOMP_RET_TRAP`), with `data` in `si_errno`.
public struct Trap: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Sends SIGSYS on these calls, with `data` in `si_errno`.
    public init(_ targets: SyscallTarget..., data: UInt16 = 0) {
        rules = RuleList(.trap(data), targets, []).rules
    }
}

/// Asks a user-space supervisor about these system calls (`SECCOMP_RET_USER_NOTIF`).
public struct Notify: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Asks the supervisor about these calls whatever their arguments.
    public init(_ targets: SyscallTarget...) {
        rules = RuleList(.userNotification, targets, []).rules
    }

    /// Asks the supervisor about these calls when all the conditions hold.
    public init(
        _ targets: SyscallTarget...,
        @ArgumentConditionsBuilder conditions: (SyscallArguments) -> [ArgumentCondition]
    ) {
        rules = RuleList(.userNotification, targets, conditions(SyscallArguments())).rules
    }
}

/// Any action for these system calls: `Respond(.trace(7), .ptrace)`. (Named so as not to clash
/// with the core builder's `Return` instruction.)
public struct Respond: SeccompRuleComponent {
    /// The rules this component adds: one per target, in the order written.
    public let rules: [SeccompRule]

    /// Takes `action` on these calls whatever their arguments.
    public init(_ action: SeccompAction, _ targets: SyscallTarget...) {
        rules = RuleList(action, targets, []).rules
    }

    /// Takes `action` on these calls when all the conditions hold.
    public init(
        _ action: SeccompAction, _ targets: SyscallTarget...,
        @ArgumentConditionsBuilder conditions: (SyscallArguments) -> [ArgumentCondition]
    ) {
        rules = RuleList(action, targets, conditions(SyscallArguments())).rules
    }
}
