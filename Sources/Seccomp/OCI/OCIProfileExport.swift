import CBPF

/// A policy that the profile format cannot carry as it is.
public struct OCIProfileExportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One thing the format cannot say.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        /// The index of the rule in ``SeccompPolicy/rules``, or `nil` for the policy as a whole.
        public var ruleIndex: Int?
        /// What cannot be written.
        public var what: String
        /// Why, and what to do about it.
        public var why: String

        /// A problem with rule `ruleIndex`, or with the policy as a whole when it is `nil`.
        public init(ruleIndex: Int?, what: String, why: String) {
            self.ruleIndex = ruleIndex
            self.what = what
            self.why = why
        }

        /// `rule 3: what: why` (rules counted from 1).
        public var description: String {
            (ruleIndex.map { "rule \($0 + 1): " } ?? "") + what + ": " + why
        }
    }

    /// Every problem found, in rule order.
    public var problems: [Problem]

    /// An error listing `problems`.
    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}

extension OCISeccompProfile {
    /// Writes a policy as a profile, so that importing it back, with
    /// ``OCIProfileImportOptions/architecture`` set to the policy's first architecture and the
    /// policy's ``SeccompPolicy/foreignArchitectureAction`` and
    /// ``SeccompPolicy/unknownSyscallsFailWithENOSYS`` in the options (the format carries
    /// neither), gives the same policy.
    ///
    /// The profile lists the architectures in `architectures` and has no `includes` or
    /// `excludes`. Consecutive rules with the same action and conditions share an entry.
    ///
    /// - Throws: ``OCIProfileExportError`` listing everything the format cannot carry: group
    ///   targets and raw numbers (the format names calls), 32-bit (`.lo32`) conditions (the
    ///   format compares 64 bits), two conditions on one argument in a rule (runc would accept
    ///   either), a masked value with bits outside its mask, `TRAP` with data, rules with the
    ///   default action (runc skips them), and rules that libseccomp would not try in order: a
    ///   rule with conditions for a call that another rule takes unconditionally with another
    ///   action, and rules with different actions whose conditions overlap.
    public init(exporting policy: SeccompPolicy) throws(OCIProfileExportError) {
        var problems = [OCIProfileExportError.Problem]()
        func action(_ action: SeccompAction, rule: Int?) -> (Action, UInt16?)? {
            switch action {
            case .allow: return (.allow, nil)
            case .log: return (.log, nil)
            case .killProcess: return (.killProcess, nil)
            case .killThread: return (.killThread, nil)
            case .userNotification: return (.notify, nil)
            case .errno(let value): return (.errno, value)
            case .trace(let value): return (.trace, value)
            case .trap(0): return (.trap, nil)
            case .trap(let data):
                problems.append(
                    .init(
                        ruleIndex: rule, what: "TRAP(\(data)) has data",
                        why: "SCMP_ACT_TRAP carries none (runc ignores errnoRet for it); use TRAP(0)"))
                return nil
            }
        }

        if policy.architectures.isEmpty {
            problems.append(.init(ruleIndex: nil, what: "the policy covers no architecture", why: "a profile needs one"))
        }
        let (defaultAction, defaultErrnoRet) = action(policy.defaultAction, rule: nil) ?? (.errno, 1)
        var entries = [SyscallEntry]()
        var previous: (action: SeccompAction, conditions: [ArgumentCondition])?
        for (index, rule) in policy.rules.enumerated() {
            let name: String
            switch rule.target {
            case .group(let group):
                problems.append(
                    .init(
                        ruleIndex: index, what: "the rule is for the group \(group)",
                        why: "the format lists system calls by name; write the members as rules of their own"))
                continue
            case .syscall(let syscall):
                guard let known = syscall.name else {
                    problems.append(
                        .init(
                            ruleIndex: index, what: "the rule is for the raw number \(syscall)",
                            why: "the format names system calls, and runc skips names libseccomp cannot resolve"))
                    continue
                }
                name = known
            }
            if rule.action == policy.defaultAction {
                problems.append(
                    .init(
                        ruleIndex: index, what: "the rule's action is the default action",
                        why: "runc skips such entries, so it would not hold off later rules; remove it"))
                continue
            }
            var args = [Argument]()
            var ok = true
            for condition in rule.conditions {
                if condition.width == .low32 {
                    problems.append(
                        .init(
                            ruleIndex: index, what: "the condition \"\(condition)\" compares 32 bits",
                            why: "the format compares all 64 bits of an argument on 64-bit architectures"))
                    ok = false
                }
                if !(0 ... 5).contains(condition.argument) {
                    problems.append(
                        .init(ruleIndex: index, what: "the condition \"\(condition)\" tests argument \(condition.argument)",
                              why: "system calls have arguments 0 to 5"))
                    ok = false
                    continue
                }
                if rule.conditions.filter({ $0.argument == condition.argument }).count > 1,
                    args.allSatisfy({ $0.index != condition.argument })
                {
                    problems.append(
                        .init(
                            ruleIndex: index, what: "the rule tests arg\(condition.argument) more than once",
                            why: "runc turns such an entry into one rule for each condition, any of which suffices"))
                    ok = false
                }
                switch condition.comparison {
                case .maskedEqual(let mask):
                    if condition.value & ~mask != 0 {
                        problems.append(
                            .init(
                                ruleIndex: index,
                                what: "the condition \"\(condition)\" compares with bits outside its mask",
                                why: "it never holds, but libseccomp would compare with the value masked"))
                        ok = false
                    }
                    args.append(Argument(index: condition.argument, value: mask, valueTwo: condition.value, op: .maskedEqual))
                case .equal: args.append(Argument(index: condition.argument, value: condition.value, op: .equal))
                case .notEqual: args.append(Argument(index: condition.argument, value: condition.value, op: .notEqual))
                case .less: args.append(Argument(index: condition.argument, value: condition.value, op: .less))
                case .lessOrEqual:
                    args.append(Argument(index: condition.argument, value: condition.value, op: .lessOrEqual))
                case .greater: args.append(Argument(index: condition.argument, value: condition.value, op: .greater))
                case .greaterOrEqual:
                    args.append(Argument(index: condition.argument, value: condition.value, op: .greaterOrEqual))
                }
            }
            guard ok, let (entryAction, errnoRet) = action(rule.action, rule: index) else { continue }
            if let previous, previous.action == rule.action, previous.conditions == rule.conditions,
                !entries.isEmpty
            {
                entries[entries.count - 1].names.append(name)
            } else {
                entries.append(SyscallEntry(names: [name], action: entryAction, errnoRet: errnoRet, args: args))
            }
            previous = (rule.action, rule.conditions)
        }
        self.init(
            defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
            architectures: policy.architectures.map(\.ociName), syscalls: entries)
        guard problems.isEmpty, let target = policy.architectures.first else {
            throw OCIProfileExportError(problems: problems)
        }

        // Read it back as runc would, and say where that differs.
        let options = OCIProfileImportOptions(
            architecture: target, includesSubArchitectures: false, capabilities: [],
            kernelVersion: KernelVersion(kernel: 1, major: 0),
            foreignArchitectureAction: policy.foreignArchitectureAction,
            unknownSyscallsFailWithENOSYS: policy.unknownSyscallsFailWithENOSYS, multiplexedCallConditions: .checkDirectCallOnly)
        // The first rule of each entry, to tell problems by rule.
        var firstRule = [Int]()
        var ruleIndex = 0
        for entry in entries {
            firstRule.append(ruleIndex)
            ruleIndex += entry.names.count
        }
        func rule(ofPath path: String) -> Int? {
            guard path.hasPrefix("syscalls["), let close = path.firstIndex(of: "]"),
                let entry = Int(path[path.index(path.startIndex, offsetBy: 9) ..< close]), entry < firstRule.count
            else { return nil }
            return firstRule[entry]
        }
        let imported: OCIProfileImport
        do {
            imported = try self.policy(options: options)
        } catch {
            throw OCIProfileExportError(problems: [.init(ruleIndex: rule(ofPath: error.path), what: error.what, why: error.why)])
        }
        for warning in imported.warnings {
            switch warning {
            case .entryOverridden(let path, let syscall, let by):
                problems.append(
                    .init(
                        ruleIndex: rule(ofPath: path), what: "the rule for \(syscall) would never decide",
                        why: "rule \((rule(ofPath: by) ?? 0) + 1) takes \(syscall) unconditionally with another action, "
                            + "and libseccomp keeps only that rule whatever the order"))
            case .overlappingEntries(let syscall, let first, let second, let witness):
                problems.append(
                    .init(
                        ruleIndex: rule(ofPath: second),
                        what: "the rule overlaps rule \((rule(ofPath: first) ?? 0) + 1) for \(syscall) with another action",
                        why: "both hold for arguments \(witness.map { String($0) }.joined(separator: ", ")); the format "
                            + "has no order, and libseccomp decides by the layout of its tree"))
            case .overlapsUnchecked(let syscall, let pairCount):
                problems.append(
                    .init(
                        ruleIndex: nil, what: "\(pairCount) pairs of rules for \(syscall) with other actions were not checked",
                        why: "there are too many to check whether they overlap; the format has no order"))
            case .unknownSyscalls(let names, _, let version):
                problems.append(
                    .init(
                        ruleIndex: nil, what: "libseccomp \(version) does not know \(names.joined(separator: ", "))",
                        why: "runc would skip them"))
            case .unavailableSyscalls(let names, let architectures):
                problems.append(
                    .init(
                        ruleIndex: nil,
                        what: "\(architectures.map(\.name).joined(separator: ", ")) lack \(names.joined(separator: ", "))",
                        why: "libseccomp would skip them"))
            default:
                break
            }
        }
        if problems.isEmpty && imported.policy != policy {
            problems.append(
                .init(
                    ruleIndex: nil, what: "reading the profile back gives another policy",
                    why: "the format cannot carry this policy exactly"))
        }
        if !problems.isEmpty { throw OCIProfileExportError(problems: problems) }
    }

    /// The profile as JSON text, two spaces an indent, members in the order Docker writes them.
    /// Empty members are left out; numbers are decimal.
    public var json: String {
        typealias Value = JSONWriter.Value
        var root = [(String, Value)]()
        root.append(("defaultAction", .string(defaultAction.rawValue)))
        if let defaultErrnoRet { root.append(("defaultErrnoRet", .unsigned(UInt64(defaultErrnoRet)))) }
        if !architectures.isEmpty { root.append(("architectures", .inlineArray(architectures.map { .string($0) }))) }
        if !archMap.isEmpty {
            root.append(
                (
                    "archMap",
                    .array(
                        archMap.map { mapping in
                            .object([
                                ("architecture", .string(mapping.architecture)),
                                ("subArchitectures", .inlineArray(mapping.subArchitectures.map { .string($0) })),
                            ])
                        })
                ))
        }
        func filter(_ filter: Filter) -> Value {
            var members = [(String, Value)]()
            if !filter.caps.isEmpty { members.append(("caps", .inlineArray(filter.caps.map { .string($0) }))) }
            if !filter.arches.isEmpty { members.append(("arches", .inlineArray(filter.arches.map { .string($0) }))) }
            if let minKernel = filter.minKernel { members.append(("minKernel", .string(minKernel.description))) }
            return .object(members)
        }
        let entries: [Value] = syscalls.map { entry in
            var members = [(String, Value)]()
            members.append(("names", .inlineArray(entry.names.map { .string($0) })))
            members.append(("action", .string(entry.action.rawValue)))
            if let errnoRet = entry.errnoRet { members.append(("errnoRet", .unsigned(UInt64(errnoRet)))) }
            if !entry.args.isEmpty {
                members.append(
                    (
                        "args",
                        .array(
                            entry.args.map { argument in
                                .object([
                                    ("index", .unsigned(UInt64(argument.index))),
                                    ("value", .unsigned(argument.value)),
                                    ("valueTwo", .unsigned(argument.valueTwo)),
                                    ("op", .string(argument.op.rawValue)),
                                ])
                            })
                    ))
            }
            if let comment = entry.comment { members.append(("comment", .string(comment))) }
            if let includes = entry.includes { members.append(("includes", filter(includes))) }
            if let excludes = entry.excludes { members.append(("excludes", filter(excludes))) }
            return .object(members)
        }
        root.append(("syscalls", .array(entries)))
        if !flags.isEmpty { root.append(("flags", .inlineArray(flags.map { .string($0) }))) }
        if let listenerPath { root.append(("listenerPath", .string(listenerPath))) }
        if let listenerMetadata { root.append(("listenerMetadata", .string(listenerMetadata))) }
        return JSONWriter.write(.object(root))
    }
}

extension SeccompPolicy {
    /// Reads a Docker or OCI seccomp profile and imports it; see
    /// ``OCISeccompProfile/policy(options:)``. Warnings are dropped: use ``OCISeccompProfile``
    /// to see them.
    public init(ociProfile json: String, options: OCIProfileImportOptions = OCIProfileImportOptions())
        throws(OCIProfileError)
    {
        self = try OCISeccompProfile(json: json).policy(options: options).policy
    }

    /// The policy as Docker/OCI profile JSON; see ``OCISeccompProfile/init(exporting:)``.
    public func ociProfileJSON() throws(OCIProfileExportError) -> String {
        try OCISeccompProfile(exporting: self).json
    }
}
