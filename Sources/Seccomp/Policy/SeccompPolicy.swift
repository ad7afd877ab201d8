import CBPF

/// A rule: what to do with a system call, or every call of a group, when its argument
/// conditions all hold.
public struct SeccompRule: Hashable, Sendable, CustomStringConvertible {
    /// The system call or group the rule applies to.
    public var target: SyscallTarget
    /// What the filter returns when the rule decides.
    public var action: SeccompAction
    /// Conditions that must all hold; none means the rule always holds.
    public var conditions: [ArgumentCondition]

    /// A rule that takes `action` on `target` when all `conditions` hold.
    public init(_ action: SeccompAction, _ target: SyscallTarget, conditions: [ArgumentCondition] = []) {
        self.action = action
        self.target = target
        self.conditions = conditions
    }

    /// The rule as a line of the text format: `allow socket arg0 == 1`.
    public var description: String {
        var text = SeccompPolicyFormat.format(action) + " " + target.description
        if !conditions.isEmpty {
            text += " " + conditions.map(\.description).joined(separator: " && ")
        }
        return text
    }
}

/// A seccomp policy: which system calls a process may make, and what happens to the others.
///
/// A policy has a ``defaultAction``, the ``architectures`` (calling conventions) it covers, what
/// to do with a call in any other convention (``foreignArchitectureAction``, `KILL_PROCESS` unless
/// set), an option to fail calls the resolver does not know with `ENOSYS`
/// (``unknownSyscallsFailWithENOSYS``), and ``rules``.
///
/// ## How rules decide
///
/// For a call in a covered architecture, the rules that apply to its number are tried **in the
/// order of ``rules``**, and the first one whose conditions all hold decides. A rule without
/// conditions always holds, so later rules for the same call after it never decide. When no rule
/// decides, the ``defaultAction`` does; with ``unknownSyscallsFailWithENOSYS``, a number libseccomp
/// does not know for that architecture fails with `ENOSYS` instead (so that, for instance,
/// glibc falls back from `clone3` to `clone`).
///
/// Put specific rules before general ones:
/// ```
/// errno(EAFNOSUPPORT) socket arg0 == 10
/// allow socket
/// ```
///
/// ## Contradictions
///
/// ``resolve()`` rejects a policy that contradicts itself: a rule that names a system call itself
/// (not through a group) is refused when an earlier rule for the same call, whose conditions are
/// among its own (the same conditions, or fewer), has a different action, because that rule
/// would always decide first. The error names both rules
/// (``SeccompPolicyError/contradiction(first:firstIndex:second:secondIndex:syscall:architecture:)``).
/// A group member may be overridden by an earlier rule silently, so a policy can carve calls out
/// of a group: `errno(EPERM) @privileged` before `allow @system-service`. Rules that can never
/// decide but agree with the rule that does are dropped from the resolved policy.
///
/// ## Names and architectures
///
/// Names are resolved for each architecture through libseccomp. A name libseccomp does not know
/// is an error naming the name, the architecture and the libseccomp version; a known name that
/// an architecture lacks (`open` on aarch64) is skipped there, and is an error only when no
/// covered architecture has it. Group members unknown to libseccomp or absent on an architecture
/// are skipped, as systemd does.
///
/// ## Multiplexed calls
///
/// Where an architecture reaches a call through `socketcall` or `ipc` (`socket` on x86, s390x,
/// ppc64le), a rule applies as libseccomp 2.5.4 applies it (see ``MultiplexedSyscall``): with
/// its conditions to the call's own number, if the architecture has one, and to the
/// multiplexer as `arg0 == subcall` alone, since the call's arguments are in memory there. So
/// `allow socket arg0 == 1` on x86 allows `socket(1, ...)` and every `socketcall(SYS_SOCKET, ...)`.
/// Conditions on arguments other than 0 are refused (libseccomp would test the multiplexer's
/// own arguments with them), and so are rules with conditions whose multiplexer part
/// contradicts an earlier rule.
public struct SeccompPolicy: Hashable, Sendable {
    /// What happens to a call in a covered architecture that no rule decides.
    public var defaultAction: SeccompAction
    /// The calling conventions the policy covers; there must be at least one.
    public var architectures: [SeccompArchitecture]
    /// What happens to a call in any other convention. `KILL_PROCESS` unless set.
    public var foreignArchitectureAction: SeccompAction
    /// Whether a call whose number libseccomp does not know for its architecture, and that no
    /// rule decides, fails with `ENOSYS` (in that architecture's numbering) instead of taking the
    /// default action.
    public var unknownSyscallsFailWithENOSYS: Bool
    /// The rules, in the order they are tried.
    public var rules: [SeccompRule]

    /// A policy from an array of rules, tried in order.
    ///
    /// Use the initializer that takes a result builder to write the rules with the DSL.
    public init(
        defaultAction: SeccompAction,
        architectures: [SeccompArchitecture] = [.native],
        foreignArchitectureAction: SeccompAction = .killProcess,
        unknownSyscallsFailWithENOSYS: Bool = false,
        rules: [SeccompRule] = []
    ) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.foreignArchitectureAction = foreignArchitectureAction
        self.unknownSyscallsFailWithENOSYS = unknownSyscallsFailWithENOSYS
        self.rules = rules
    }

    /// A policy whose rules are written with the DSL:
    /// ```swift
    /// SeccompPolicy(defaultAction: .errno(1)) {
    ///     Allow(.read, .write, .exit_group)
    ///     Allow(.socket) { $0.arg(0) == AF_UNIX }
    ///     Fail(.EPERM, .ptrace)
    ///     Allow(.group(.basicIO))
    /// }
    /// ```
    public init(
        defaultAction: SeccompAction,
        architectures: [SeccompArchitecture] = [.native],
        foreignArchitectureAction: SeccompAction = .killProcess,
        unknownSyscallsFailWithENOSYS: Bool = false,
        @SeccompRulesBuilder rules: () -> [SeccompRule]
    ) {
        self.init(
            defaultAction: defaultAction, architectures: architectures,
            foreignArchitectureAction: foreignArchitectureAction,
            unknownSyscallsFailWithENOSYS: unknownSyscallsFailWithENOSYS, rules: rules()
        )
    }

    /// Checks the policy: everything ``resolve()`` checks.
    public func validate() throws(SeccompPolicyError) {
        _ = try resolve()
    }
}

/// Why a policy cannot be resolved. Rule indices count from 0; descriptions count from 1.
public enum SeccompPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The policy covers no architecture.
    case noArchitectures
    /// An architecture is listed twice.
    case duplicateArchitecture(SeccompArchitecture)
    /// The installed libseccomp does not support an architecture of the policy.
    case unsupportedArchitecture(SeccompArchitecture, libseccomp: LibseccompVersion)
    /// An action the kernel would not return as written (an errno above 4095). `index` is the
    /// rule's, or `nil` for the default or foreign-architecture action.
    case invalidAction(SeccompAction, index: Int?, reason: String)
    /// A rule names a system call libseccomp does not know, or a negative raw number.
    case unknownSyscall(rule: SeccompRule, index: Int, SyscallResolutionError)
    /// A rule names a system call that none of the policy's architectures has.
    case unavailableSyscall(rule: SeccompRule, index: Int, syscall: String, architectures: [SeccompArchitecture])
    /// A condition that cannot be checked: an argument outside 0...5, or a value or mask that
    /// does not fit a 32-bit comparison.
    case invalidCondition(rule: SeccompRule, index: Int, ArgumentCondition, reason: String)
    /// A rule with conditions on arguments other than 0 of a call that an architecture
    /// multiplexes through `socketcall` or `ipc`, where they would test the multiplexer's own
    /// arguments.
    case conditionsOnMultiplexedSyscall(
        rule: SeccompRule, index: Int, syscall: String, multiplexer: String, architecture: SeccompArchitecture
    )
    /// Rule `second` (or `first`) has conditions on `syscall`, which `architecture` also reaches
    /// through `multiplexer`, where only `arg0 == subcall` is checked: there rule `first` holds
    /// whenever `second` does and decides first with another action.
    case multiplexedContradiction(
        first: SeccompRule, firstIndex: Int, second: SeccompRule, secondIndex: Int, syscall: String,
        multiplexer: String, architecture: SeccompArchitecture
    )
    /// Rule `second` names `syscall` itself, but rule `first` comes earlier, holds whenever it
    /// does, and has a different action, so `second` could never decide.
    case contradiction(
        first: SeccompRule, firstIndex: Int, second: SeccompRule, secondIndex: Int, syscall: String,
        architecture: SeccompArchitecture
    )

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .noArchitectures:
            return "the policy covers no architecture"
        case .duplicateArchitecture(let architecture):
            return "the architecture \(architecture) is listed twice"
        case .unsupportedArchitecture(let architecture, let version):
            return SyscallResolutionError.unsupportedArchitecture(architecture, libseccomp: version).description
        case .invalidAction(let action, let index, let reason):
            let place = index.map { "rule \($0 + 1)" } ?? "action"
            return "\(place): invalid action \(SeccompPolicyFormat.format(action)): \(reason)"
        case .unknownSyscall(let rule, let index, let error):
            return "rule \(index + 1) \"\(rule)\": \(error)"
        case .unavailableSyscall(let rule, let index, let syscall, let architectures):
            let list = architectures.map(\.name).joined(separator: ", ")
            return "rule \(index + 1) \"\(rule)\": the system call \"\(syscall)\" does not exist on \(list)"
        case .invalidCondition(let rule, let index, let condition, let reason):
            return "rule \(index + 1) \"\(rule)\": invalid condition \"\(condition)\": \(reason)"
        case .conditionsOnMultiplexedSyscall(let rule, let index, let syscall, let multiplexer, let architecture):
            return "rule \(index + 1) \"\(rule)\": " + Self.multiplexedConditionsReason(
                syscall: syscall, multiplexer: multiplexer, architecture: architecture)
        case .multiplexedContradiction(
            let first, let firstIndex, let second, let secondIndex, let syscall, let multiplexer, let architecture
        ):
            return "rule \(secondIndex + 1) \"\(second)\" contradicts rule \(firstIndex + 1) \"\(first)\" on "
                + "\(architecture): " + Self.multiplexedContradictionReason(
                    first: "rule \(firstIndex + 1)", second: "rule \(secondIndex + 1)", syscall: syscall,
                    multiplexer: multiplexer, architecture: architecture)
        case .contradiction(let first, let firstIndex, let second, let secondIndex, let syscall, let architecture):
            return "rule \(secondIndex + 1) \"\(second)\" contradicts rule \(firstIndex + 1) \"\(first)\": "
                + Self.contradictionReason(firstIndex: firstIndex, secondIndex: secondIndex, syscall: syscall,
                                           architecture: architecture)
        }
    }

    static func multiplexedConditionsReason(syscall: String, multiplexer: String,
                                            architecture: SeccompArchitecture) -> String {
        "\(architecture) reaches \(syscall) through \(multiplexer), whose argument 0 selects the call and whose "
            + "other arguments are not \(syscall)'s (libseccomp would compare them), so only conditions on "
            + "argument 0 can be kept (checked on the direct call); drop the others, leave \(architecture) out, "
            + "or write a rule for \(multiplexer) itself"
    }

    static func multiplexedContradictionReason(first: String, second: String, syscall: String,
                                               multiplexer: String, architecture: SeccompArchitecture) -> String {
        "\(architecture) also reaches \(syscall) through \(multiplexer), where conditions on \(syscall)'s "
            + "arguments cannot be checked, so \(first) decides every such call first with a different action "
            + "and \(second) never does (libseccomp refuses this too: EEXIST); give the rules one action, or "
            + "leave \(architecture) out"
    }

    static func contradictionReason(firstIndex: Int, secondIndex: Int, syscall: String,
                                    architecture: SeccompArchitecture) -> String {
        "for \(syscall) on \(architecture), rule \(firstIndex + 1) holds whenever rule \(secondIndex + 1) does "
            + "and decides first with a different action, so rule \(secondIndex + 1) could never apply; "
            + "remove one, or put the more specific rule first"
    }
}
