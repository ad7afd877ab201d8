/// A system call, by name (`Syscall("openat")`, `.openat`) or by raw number
/// (`Syscall(number: 451)`) for a call the installed libseccomp does not know.
///
/// A name means the call of that name on every architecture of a policy, each with its own
/// number. A raw number is used as it is on every architecture (on x32, bit 30 is added when
/// missing), so it mostly makes sense in a policy for one architecture.
public struct Syscall: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral,
    ExpressibleBySyscallName
{
    enum Storage: Hashable, Sendable {
        case name(String)
        case number(Int32)
    }

    let storage: Storage

    /// The system call called `name`: `Syscall("openat")`.
    public init(_ name: String) {
        storage = .name(name)
    }

    /// The system call called `name`.
    public init(syscallName name: String) {
        storage = .name(name)
    }

    /// The system call called `name`, written as a string literal: `"frobnicate"`.
    public init(stringLiteral name: String) {
        storage = .name(name)
    }

    /// The system call with this number on every architecture of a policy.
    public init(number: Int32) {
        storage = .number(number)
    }

    /// The name, or `nil` for a raw number.
    public var name: String? {
        if case .name(let name) = storage { name } else { nil }
    }

    /// The raw number, or `nil` for a name.
    public var number: Int32? {
        if case .number(let number) = storage { number } else { nil }
    }

    /// The name, or the number in decimal.
    public var description: String {
        switch storage {
        case .name(let name): name
        case .number(let number): String(number)
        }
    }
}

/// What a rule applies to: one system call, or every member of a group.
///
/// In the DSL a target is written like a system call (`.read`, `"frobnicate"`) or as
/// `.group(.basicIO)`; in the text format as `read`, `451` or `@basic-io`.
public enum SyscallTarget: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral,
    ExpressibleBySyscallName
{
    /// One system call, by name or number.
    case syscall(Syscall)
    /// Every call of a group: `.group(.basicIO)`.
    case group(SyscallGroup)

    /// The system call called `name`.
    public init(syscallName name: String) {
        self = .syscall(Syscall(name))
    }

    /// The target naming one system call, written as a string literal: `"frobnicate"`.
    public init(stringLiteral name: String) {
        self = .syscall(Syscall(name))
    }

    /// The system call with this raw number.
    public static func number(_ number: Int32) -> SyscallTarget {
        .syscall(Syscall(number: number))
    }

    /// `read`, `451` or `@basic-io`.
    public var description: String {
        switch self {
        case .syscall(let syscall): syscall.description
        case .group(let group): group.description
        }
    }
}
