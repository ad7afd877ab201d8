/// A named set of system calls, modelled on systemd's `SystemCallFilter=` sets (`@basic-io`,
/// `@file-system`, `@system-service`, ...).
///
/// Membership is taken from systemd **v256** (`src/shared/seccomp-util.c`, tag `v256`,
/// commit `5c79cdec10a5`); `@known` is systemd's `src/basic/syscall-list.txt` of that release
/// plus `@obsolete`. A group may contain other groups (`@system-service` contains `@basic-io`);
/// ``syscallNames`` expands them.
///
/// Groups list names for every architecture, and some names are unknown to the installed
/// libseccomp or absent on an architecture (`open` on aarch64, `vm86` outside x86). When a
/// policy is resolved for an architecture, such members are skipped, as systemd does. A name
/// written in a rule by itself instead must be known to libseccomp.
public struct SyscallGroup: Hashable, Sendable, CustomStringConvertible {
    /// The name without `@`: `basic-io`.
    public let name: String
    /// systemd's one-line description.
    public let summary: String
    /// The members as systemd lists them: system-call names, and nested groups as `@name`.
    public let members: [String]

    init(builtIn name: String, summary: String, members: [String]) {
        self.name = name
        self.summary = summary
        self.members = members
    }

    /// Looks up a built-in group by name, with or without the leading `@`.
    public init?(named name: String) {
        let bare = name.hasPrefix("@") ? String(name.dropFirst()) : name
        guard let group = SyscallGroup.all.first(where: { $0.name == bare }) else { return nil }
        self = group
    }

    /// `@basic-io`.
    public var description: String { "@" + name }

    /// The groups this one names directly.
    public var nestedGroups: [SyscallGroup] {
        members.compactMap { $0.hasPrefix("@") ? SyscallGroup(named: $0) : nil }
    }

    /// Every system-call name in the group, nested groups expanded, each once, in the order of
    /// first appearance.
    public var syscallNames: [String] {
        var seen = Set<String>()
        var visitedGroups = Set<String>()
        var result = [String]()
        func visit(_ group: SyscallGroup) {
            guard visitedGroups.insert(group.name).inserted else { return }
            for member in group.members {
                if member.hasPrefix("@") {
                    if let nested = SyscallGroup(named: member) { visit(nested) }
                } else if seen.insert(member).inserted {
                    result.append(member)
                }
            }
        }
        visit(self)
        return result
    }

    /// Whether `name` is a member, directly or through a nested group.
    public func contains(_ name: String) -> Bool {
        syscallNames.contains(name)
    }
}
