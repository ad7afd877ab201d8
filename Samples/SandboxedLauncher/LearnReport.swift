import Seccomp

/// What learn mode prints on standard error when the command has ended: the number of
/// distinct calls per architecture, and the calls by systemd group.
///
/// A call that is in several groups is listed under the most specific: the group with the
/// fewest members (nested groups expanded), `@known` left out, and of equal ones the first in
/// systemd's order. Calls in no group but `@known`, and numbers libseccomp has no name for, are
/// listed under `other`.
struct LearnReport {
    let learned: LearnedCalls

    /// The groups to sort calls into, most specific first.
    static let groupsBySize: [(group: SyscallGroup, members: Set<String>)] = SyscallGroup.all
        .filter { $0 != .known }
        .map { ($0, Set($0.syscallNames)) }
        .enumerated()
        .sorted { ($0.element.1.count, $0.offset) < ($1.element.1.count, $1.offset) }
        .map(\.element)

    /// The group a call is listed under, or `nil` for `other`.
    static func group(of name: String) -> SyscallGroup? {
        groupsBySize.first { $0.members.contains(name) }?.group
    }

    /// `recorded 41 distinct system calls (x86_64 40, x86 1) in 1234 notifications`, then a
    /// line per group: `  @basic-io (6): close read ...`.
    var lines: [String] {
        let counts = learned.countsByArchitecture.filter { $0.1 > 0 }
            .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        var lines = [
            "recorded \(learned.calls.count) distinct system calls (\(counts.isEmpty ? "none" : counts)) "
                + "in \(learned.notifications) notifications"
        ]
        var byGroup = [String: Set<String>]()
        for call in learned.calls {
            let shown = call.name ?? "\(call.number)"
            let label = call.architecture == learned.native ? shown : "\(shown) (\(call.architecture))"
            let group = call.name.flatMap(Self.group(of:))?.description ?? "other"
            byGroup[group, default: []].insert(label)
        }
        let order = Self.groupsBySize.map(\.group.description).sorted() + ["other"]
        for group in order {
            guard let names = byGroup[group] else { continue }
            lines.append("  \(group) (\(names.count)): " + names.sorted().joined(separator: " "))
        }
        if learned.recordsArguments {
            lines.append("arguments (--args):")
            if learned.values.isEmpty { lines.append("  none of the calls with argument rules was made") }
            for (name, recorded) in learned.values.sorted(by: { $0.key < $1.key }) {
                let argument = "arg\(recorded.argument.argument)"
                let tested = recorded.argument.mask.map { "\(argument) & \(Self.hex($0))" } ?? argument
                if recorded.overflowed {
                    lines.append(
                        "  \(name): more than \(LearnedCalls.maximumValuesPerArgument) values of \(tested) "
                            + "(\(recorded.argument.meaning)); allowed whatever the value")
                } else {
                    let values = recorded.values.sorted().map(Self.hex).joined(separator: ", ")
                    lines.append("  \(name): \(tested) (\(recorded.argument.meaning)) in {\(values)}")
                }
            }
            if learned.calls.contains(where: { $0.name == "clone3" }) {
                lines.append(
                    "  clone3: allowed whatever its flags: they are in a structure behind a pointer, which a "
                        + "filter cannot read")
            }
        }
        if learned.droppedCalls > 0 {
            lines.append(
                "more than \(LearnedCalls.maximumCalls) distinct calls: \(learned.droppedCalls) notifications "
                    + "of further calls were answered but not recorded")
        }
        for (architecture, count) in learned.unknownArchitectures.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "\(count) calls with the audit architecture \(Self.hex(UInt64(architecture))), which libseccomp "
                    + "does not know, were answered but cannot be written in a policy")
        }
        return lines
    }

    static func hex(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16)
    }
}
