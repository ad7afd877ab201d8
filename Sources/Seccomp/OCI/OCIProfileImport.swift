import CBPF

/// How ``OCISeccompProfile/policy(options:)`` turns a profile into a policy: for which
/// architecture, capabilities and kernel, and what the JSON format does not say.
public struct OCIProfileImportOptions: Sendable, Hashable {
    /// What to do when an entry with conditions names a call that an architecture of the
    /// policy reaches through `socketcall` or `ipc` (`socket` on x86, s390x and ppc64le).
    ///
    /// libseccomp adds such a rule to the call's own number with its conditions, and to the
    /// multiplexer with `arg0 == subcall` in place of any condition on argument 0 (conditions on
    /// the others stay, and test the multiplexer's own arguments), so Docker's `socket` entries
    /// let every `socketcall(SYS_SOCKET, ...)` through. A ``SeccompPolicy`` means the same (see
    /// its "Multiplexed calls"), but refuses conditions on arguments other than 0 of such calls.
    public enum MultiplexedCallConditions: Sendable, Hashable {
        /// Import such entries as libseccomp does, with a warning
        /// (``OCIProfileWarning/conditionsUncheckedOnMultiplexer(_:syscalls:multiplexer:)``).
        /// An architecture where that cannot be done (conditions on arguments other than 0, or
        /// entries that would contradict each other on the multiplexer) is left out as with
        /// ``omitArchitecture``. The default: Docker's profile keeps x86, s390 and ppc.
        case checkDirectCallOnly
        /// Leave such architectures out of the policy, with a warning: their calls then get the
        /// foreign-architecture action. When the target architecture itself is one, the import
        /// fails.
        case omitArchitecture
        /// Fail, naming the entry and the architecture.
        case refuse
    }

    /// The architecture the profile is loaded for, which picks the `archMap` entry and is
    /// matched against `includes.arches` and `excludes.arches` (Docker uses the machine's own).
    public var architecture: SeccompArchitecture
    /// Whether the policy also covers the `subArchitectures` of the `archMap` entry for
    /// ``architecture`` (x86_64 with x86 and x32), as Docker does.
    public var includesSubArchitectures: Bool
    /// The container's bounding capabilities, matched against `includes.caps` and
    /// `excludes.caps`. Names may leave out the `CAP_` prefix and are compared in upper case.
    public var capabilities: Set<String>
    /// The kernel `minKernel` is compared with; `nil` for the running kernel.
    public var kernelVersion: OCISeccompProfile.KernelVersion?
    /// What a call in an architecture the policy does not cover gets. The format does not say;
    /// runc and crun leave libseccomp's default, `KILL_THREAD` (`SCMP_ACT_KILL`).
    public var foreignArchitectureAction: SeccompAction
    /// The policy's ``SeccompPolicy/unknownSyscallsFailWithENOSYS``, which the format does not
    /// carry. (runc patches its filters to fail calls newer than the profile with `ENOSYS`, a
    /// similar idea keyed on the profile's highest number rather than libseccomp's table.)
    public var unknownSyscallsFailWithENOSYS: Bool
    /// What to do about conditions on calls that an architecture multiplexes.
    public var multiplexedCallConditions: MultiplexedCallConditions

    /// Docker's default capability set for containers.
    public static let dockerDefaultCapabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The architectures the policy covers, when ``cover(exactly:)`` chose them: the target and
    /// those of the others the profile lists for it. `nil` covers all that it lists.
    public private(set) var exactArchitectures: [SeccompArchitecture]? = nil

    /// Covers exactly `architectures`, in this order: the first is the target, and the profile
    /// must list each of the others for it (in its `architectures`, or the `subArchitectures`
    /// of the target's `archMap` entry), or the import fails naming the one it lacks.
    public mutating func cover(exactly architectures: [SeccompArchitecture]) {
        guard let target = architectures.first else { return }
        architecture = target
        includesSubArchitectures = architectures.count > 1
        exactArchitectures = architectures
    }

    /// Options for `architecture` (this machine's by default), Docker's default capabilities,
    /// the running kernel, and runc's choices for what the format leaves out.
    public init(
        architecture: SeccompArchitecture = .native,
        includesSubArchitectures: Bool = true,
        capabilities: Set<String> = dockerDefaultCapabilities,
        kernelVersion: OCISeccompProfile.KernelVersion? = nil,
        foreignArchitectureAction: SeccompAction = .killThread,
        unknownSyscallsFailWithENOSYS: Bool = false,
        multiplexedCallConditions: MultiplexedCallConditions = .checkDirectCallOnly
    ) {
        self.architecture = architecture
        self.includesSubArchitectures = includesSubArchitectures
        self.capabilities = capabilities
        self.kernelVersion = kernelVersion
        self.foreignArchitectureAction = foreignArchitectureAction
        self.unknownSyscallsFailWithENOSYS = unknownSyscallsFailWithENOSYS
        self.multiplexedCallConditions = multiplexedCallConditions
    }

    /// ``capabilities`` in the form profiles write them: `CAP_SYS_ADMIN`.
    var normalizedCapabilities: Set<String> {
        Set(capabilities.map { name in
            let upper = name.uppercased()
            return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        })
    }
}

/// A policy imported from a profile, with what the import had to tell.
public struct OCIProfileImport: Sendable, Hashable {
    /// The policy: the default action, the architectures, and one rule for each name and
    /// condition group of each entry that applies, in file order.
    public var policy: SeccompPolicy
    /// For each rule of ``policy``, the index in ``OCISeccompProfile/syscalls`` of its entry.
    public var entryIndices: [Int]
    /// What the caller may want to know; see ``OCIProfileWarning``.
    public var warnings: [OCIProfileWarning]

    /// An import result with these parts.
    public init(policy: SeccompPolicy, entryIndices: [Int], warnings: [OCIProfileWarning]) {
        self.policy = policy
        self.entryIndices = entryIndices
        self.warnings = warnings
    }
}

extension SeccompArchitecture {
    /// The name moby gives this architecture when it is the native one (`goToNative` in
    /// moby's `profiles/seccomp`), which `includes.arches` and `excludes.arches` are compared
    /// with: `amd64`, `arm64`, `x86`, `mipsel64`, and `mips3l64n32` (sic) for little-endian n32.
    /// x32 and MIPS o32 big-endian are never native to Go; they answer to `x32` and `mips`.
    public var mobyName: String {
        switch self {
        case .x86_64: "amd64"
        case .aarch64: "arm64"
        case .mipsel64n32: "mips3l64n32"
        default: name
        }
    }

    /// The runtime-spec name, `SCMP_ARCH_X86_64`.
    public var ociName: String { "SCMP_ARCH_" + name.uppercased() }

    /// Looks up a runtime-spec name (`SCMP_ARCH_AARCH64`).
    public init?(ociName: String) {
        guard ociName.hasPrefix("SCMP_ARCH_"), ociName != "SCMP_ARCH_NATIVE",
            let architecture = SeccompArchitecture(name: String(ociName.dropFirst("SCMP_ARCH_".count)))
        else { return nil }
        self = architecture
    }

    /// Whether a name in `includes.arches` or `excludes.arches` means this architecture.
    func matchesMobyName(_ name: String) -> Bool {
        name == mobyName || (self == .mipsel64n32 && name == "mipsel64n32")
    }
}

extension OCISeccompProfile {
    /// How many pairs of entries for the same call the overlap check looks at in the whole
    /// profile before it reports the rest as ``OCIProfileWarning/overlapsUnchecked(syscall:pairCount:)``:
    /// their number grows with the square of the entries.
    static let overlapPairLimit = 1 << 15
    /// How many overlapping pairs are reported for one call before the rest go unchecked.
    static let overlapReportLimit = 16

    /// The policy Docker and runc would install for this profile, with ``OCIProfileImportOptions``
    /// standing in for the machine, the container and what the format leaves out.
    ///
    /// What the import does, following moby's `setupSeccomp` and runc's `InitSeccomp`:
    /// - The architectures are ``OCIProfileImportOptions/architecture`` followed by the
    ///   `subArchitectures` of its `archMap` entry (or the `architectures` list).
    /// - An entry is dropped when `excludes` names the architecture (as moby spells it: `amd64`),
    ///   names a capability the container has, or has a `minKernel` the kernel reaches; it is
    ///   dropped unless `includes` names the architecture, names only capabilities the container
    ///   has, and has a `minKernel` the kernel reaches.
    /// - Actions: `SCMP_ACT_KILL` is `KILL_THREAD`, `SCMP_ACT_ERRNO` fails with `errnoRet` (or
    ///   `defaultErrnoRet` for the default, `EPERM` without), `SCMP_ACT_TRACE` passes `errnoRet`
    ///   (`EPERM` without), `SCMP_ACT_TRAP` has data 0. Entries with the default action are
    ///   skipped, as runc skips them.
    /// - Each name becomes a rule with the entry's `args` as conditions, all of which must hold,
    ///   unless two test the same argument: then, as runc does, each condition is a rule of its
    ///   own and any one suffices. `SCMP_CMP_MASKED_EQ` tests `(arg & value) == valueTwo`.
    /// - Names libseccomp does not know are skipped with one warning listing them, as runc skips
    ///   them; names no covered architecture has are skipped as libseccomp skips them.
    /// - Where a call has an entry without conditions, libseccomp keeps only the first such rule;
    ///   the others for the call are dropped (with a warning when their action differs).
    /// - Entries with conditions on a call an architecture multiplexes (`socket` on x86) are
    ///   handled as ``OCIProfileImportOptions/multiplexedCallConditions`` says: by default as
    ///   libseccomp reads them, with a warning.
    ///
    /// - Throws: ``OCIProfileError`` naming the entry, for an architecture libseccomp does not
    ///   support, `architectures` together with `archMap`, a kernel version that cannot be
    ///   read, an errno above 4095, conditions on a multiplexed call
    ///   that ``OCIProfileImportOptions/multiplexedCallConditions`` refuses (or, on the target
    ///   architecture, cannot import), or a contradiction the policy refuses.
    public func policy(options: OCIProfileImportOptions = OCIProfileImportOptions()) throws(OCIProfileError)
        -> OCIProfileImport
    {
        var warnings = [OCIProfileWarning]()
        if !unknownMembers.isEmpty { warnings.append(.unknownMembers(paths: unknownMembers)) }
        let target = options.architecture
        var architectures = try policyArchitectures(options: options)

        let defaultAction = try seccompAction(
            self.defaultAction, errnoRet: defaultErrnoRet, path: "defaultErrnoRet", warnings: &warnings)

        // Entries that apply, as (entry index, action, condition groups).
        let capabilities = options.normalizedCapabilities
        var kernel: KernelVersion?
        func runningKernel(_ path: String) throws(OCIProfileError) -> KernelVersion {
            if let kernel { return kernel }
            guard let version = options.kernelVersion ?? .running else {
                throw error(
                    at: path, "cannot read the running kernel's version (release \"\(runningKernelRelease())\")",
                    "minKernel compares with it; pass kernelVersion in the options")
            }
            kernel = version
            return version
        }

        struct Candidate {
            var entry: Int
            var name: String
            var action: SeccompAction
            var conditions: [ArgumentCondition]
        }
        var candidates = [Candidate]()
        var unknownNames = [String]()
        var unknownPaths = [String: [String]]()
        for (index, entry) in syscalls.enumerated() {
            let path = "syscalls[\(index)]"
            if let excludes = entry.excludes {
                if excludes.arches.contains(where: target.matchesMobyName) { continue }
                if excludes.caps.contains(where: capabilities.contains) { continue }
                if let minimum = excludes.minKernel, try runningKernel(path + ".excludes.minKernel") >= minimum {
                    continue
                }
            }
            if let includes = entry.includes {
                if !includes.arches.isEmpty, !includes.arches.contains(where: target.matchesMobyName) { continue }
                if !includes.caps.allSatisfy(capabilities.contains) { continue }
                if let minimum = includes.minKernel, try runningKernel(path + ".includes.minKernel") < minimum {
                    continue
                }
            }
            let action = try seccompAction(
                entry.action, errnoRet: entry.errnoRet, path: path + ".errnoRet", warnings: &warnings)
            if action == defaultAction {
                if !entry.names.isEmpty { warnings.append(.entryWithDefaultActionIgnored(path: path, names: entry.names)) }
                continue
            }
            var conditions = [ArgumentCondition]()
            for (argumentIndex, argument) in entry.args.enumerated() {
                let argumentPath = "\(path).args[\(argumentIndex)]"
                conditions.append(condition(argument, path: argumentPath, warnings: &warnings))
                if conditions.last?.constantTruth == false { warnings.append(.conditionNeverHolds(path: argumentPath)) }
            }
            // runc: when two conditions test the same argument, each becomes a rule of its own.
            let indices = entry.args.map(\.index)
            let groups = Set(indices).count == indices.count ? [conditions] : conditions.map { [$0] }
            for name in entry.names {
                do {
                    _ = try target.resolve(name)
                } catch {
                    if case .unknownSyscall = error {
                        if unknownPaths[name] == nil { unknownNames.append(name) }
                        unknownPaths[name, default: []].append(path)
                        continue
                    }
                    throw self.error(at: path, "cannot resolve \(quotedExcerpt(name))", error.description)
                }
                for group in groups {
                    candidates.append(Candidate(entry: index, name: name, action: action, conditions: group))
                }
            }
        }
        if !unknownNames.isEmpty {
            warnings.append(
                .unknownSyscalls(names: unknownNames, paths: unknownNames.map { unknownPaths[$0] ?? [] },
                                 libseccomp: .current))
        }

        // libseccomp keeps only the first unconditional rule of a call that has one, whatever comes
        // before or after it (it drops the others without a word).
        var keep = Array(repeating: true, count: candidates.count)
        var byName = [String: [Int]]()
        var nameOrder = [String]()
        for (index, candidate) in candidates.enumerated() {
            if byName[candidate.name] == nil { nameOrder.append(candidate.name) }
            byName[candidate.name, default: []].append(index)
        }
        var overriddenWarnings = Set<OCIProfileWarning>()
        // Pairs of entries the overlap check may still look at; a call can have thousands of entries.
        var pairsLeft = Self.overlapPairLimit
        for name in nameOrder {
            let indices = byName[name] ?? []
            if let first = indices.first(where: { candidates[$0].conditions.isEmpty }) {
                let winner = candidates[first]
                for other in indices where other != first {
                    let candidate = candidates[other]
                    keep[other] = false
                    if candidate.action == winner.action { continue }
                    let warning = OCIProfileWarning.entryOverridden(
                        path: "syscalls[\(candidate.entry)]", syscall: name, by: "syscalls[\(winner.entry)]")
                    if overriddenWarnings.insert(warning).inserted { warnings.append(warning) }
                }
            } else {
                var actionCounts = [SeccompAction: Int]()
                for index in indices { actionCounts[candidates[index].action, default: 0] += 1 }
                let differingPairs = (indices.count * indices.count - actionCounts.values.reduce(0) { $0 + $1 * $1 }) / 2
                guard differingPairs > 0 else { continue }
                var checkedPairs = 0
                var reported = 0
                scan: for (offset, a) in indices.enumerated() {
                    for b in indices[(offset + 1)...] {
                        guard pairsLeft > 0, reported < Self.overlapReportLimit else { break scan }
                        pairsLeft -= 1
                        guard candidates[a].action != candidates[b].action else { continue }
                        checkedPairs += 1
                        guard let witness = commonArguments(candidates[a].conditions, candidates[b].conditions) else {
                            continue
                        }
                        warnings.append(
                            .overlappingEntries(
                                syscall: name, first: "syscalls[\(candidates[a].entry)]",
                                second: "syscalls[\(candidates[b].entry)]", witness: witness))
                        reported += 1
                    }
                }
                if checkedPairs < differingPairs {
                    warnings.append(.overlapsUnchecked(syscall: name, pairCount: differingPairs - checkedPairs))
                }
            }
        }
        var rules = [SeccompRule]()
        var entryIndices = [Int]()
        for (index, candidate) in candidates.enumerated() where keep[index] {
            rules.append(SeccompRule(candidate.action, .syscall(Syscall(candidate.name)), conditions: candidate.conditions))
            entryIndices.append(candidate.entry)
        }

        // Names no covered architecture has are skipped, as libseccomp skips them.
        var unavailable = [String]()
        func dropUnavailable() {
            var availability = [String: Bool]()
            var kept = [Int]()
            for (index, rule) in rules.enumerated() {
                guard case .syscall(let syscall) = rule.target, let name = syscall.name else {
                    kept.append(index)
                    continue
                }
                let available = availability[name] ?? architectures.contains { architecture in
                    (try? architecture.resolve(name)).map { $0 != .unavailable } ?? true
                }
                availability[name] = available
                if available {
                    kept.append(index)
                } else if !unavailable.contains(name) {
                    unavailable.append(name)
                }
            }
            rules = kept.map { rules[$0] }
            entryIndices = kept.map { entryIndices[$0] }
        }
        dropUnavailable()

        // Entries with conditions on a call an architecture multiplexes, unless imported as
        // libseccomp reads them.
        if options.multiplexedCallConditions != .checkDirectCallOnly {
            for architecture in architectures {
                let affected = multiplexedCallsWithConditions(rules, on: architecture)
                guard let first = affected.first else { continue }
                if options.multiplexedCallConditions == .refuse || architecture == target {
                    throw self.error(
                        at: "syscalls[\(entryIndices[first.rule])]",
                        "\(architecture) reaches \(first.name) through \(first.multiplexer), where the entry's "
                            + "conditions cannot be checked",
                        (options.multiplexedCallConditions == .refuse
                            ? "the options refuse such entries"
                            : "\(architecture) is the target architecture, so it cannot be left out")
                            + "; libseccomp checks them on the direct call only and lets every \(first.multiplexer) "
                            + "for \(first.name) through, which checkDirectCallOnly imports")
                }
                architectures.removeAll { $0 == architecture }
                warnings.append(omission(of: architecture, affected))
            }
            dropUnavailable()
        }

        while true {
            let policy = SeccompPolicy(
                defaultAction: defaultAction, architectures: architectures,
                foreignArchitectureAction: options.foreignArchitectureAction,
                unknownSyscallsFailWithENOSYS: options.unknownSyscallsFailWithENOSYS, rules: rules)
            do {
                try policy.validate()
                if !unavailable.isEmpty {
                    warnings.append(.unavailableSyscalls(names: unavailable, architectures: architectures))
                }
                for architecture in architectures {
                    let affected = multiplexedCallsWithConditions(rules, on: architecture)
                    for multiplexer in unique(affected.map(\.multiplexer)) {
                        let names = unique(affected.filter { $0.multiplexer == multiplexer }.map(\.name))
                        warnings.append(.conditionsUncheckedOnMultiplexer(architecture, syscalls: names, multiplexer: multiplexer))
                    }
                }
                return OCIProfileImport(policy: policy, entryIndices: entryIndices, warnings: warnings)
            } catch {
                switch error {
                case .conditionsOnMultiplexedSyscall(_, let index, let syscall, let multiplexer, let architecture):
                    // Only with checkDirectCallOnly: the other options have left such architectures out.
                    if architecture == target {
                        throw self.error(
                            at: "syscalls[\(entryIndices[index])]",
                            "\(architecture) reaches \(syscall) through \(multiplexer), where the entry's conditions "
                                + "cannot all be checked",
                            "\(architecture) is the target architecture, so it cannot be left out; "
                                + SeccompPolicyError.multiplexedConditionsReason(
                                    syscall: syscall, multiplexer: multiplexer, architecture: architecture))
                    }
                    architectures.removeAll { $0 == architecture }
                    warnings.append(omission(of: architecture, multiplexedCallsWithConditions(rules, on: architecture)))
                    dropUnavailable()
                case .multiplexedContradiction(_, let firstIndex, _, let secondIndex, let syscall, let multiplexer,
                                               let architecture):
                    let first = "syscalls[\(entryIndices[firstIndex])]"
                    let second = "syscalls[\(entryIndices[secondIndex])]"
                    if architecture == target {
                        throw self.error(
                            at: second, "\(second) contradicts \(first) for \(syscall) on \(architecture)",
                            "\(architecture) is the target architecture, so it cannot be left out; "
                                + SeccompPolicyError.multiplexedContradictionReason(
                                    first: first, second: second, syscall: syscall, multiplexer: multiplexer,
                                    architecture: architecture))
                    }
                    architectures.removeAll { $0 == architecture }
                    warnings.append(omission(of: architecture, multiplexedCallsWithConditions(rules, on: architecture)))
                    dropUnavailable()
                case .unavailableSyscall:
                    let before = rules.count
                    dropUnavailable()
                    if rules.count == before { throw mapped(error, entryIndices: entryIndices) }
                default:
                    throw mapped(error, entryIndices: entryIndices)
                }
            }
        }
    }

    /// The rules with conditions on a call that `architecture` reaches through a multiplexer.
    private func multiplexedCallsWithConditions(_ rules: [SeccompRule], on architecture: SeccompArchitecture)
        -> [(rule: Int, name: String, multiplexer: String)]
    {
        rules.enumerated().compactMap { index, rule in
            guard !rule.conditions.isEmpty, case .syscall(let call) = rule.target, let name = call.name,
                case .multiplexed(let multiplexed)? = try? architecture.resolve(name)
            else { return nil }
            return (index, name, multiplexed.multiplexer.rawValue)
        }
    }

    /// The warning for leaving `architecture` out because of `affected` rules.
    private func omission(of architecture: SeccompArchitecture, _ affected: [(rule: Int, name: String, multiplexer: String)])
        -> OCIProfileWarning
    {
        .architectureOmitted(
            architecture, syscalls: unique(affected.map(\.name)),
            multiplexer: unique(affected.map(\.multiplexer)).joined(separator: " and "))
    }

    /// The architectures of the policy: the target, then its `archMap` sub-architectures or the
    /// `architectures` list.
    private func policyArchitectures(options: OCIProfileImportOptions) throws(OCIProfileError) -> [SeccompArchitecture] {
        let target = options.architecture
        if !architectures.isEmpty && !archMap.isEmpty {
            throw error(
                at: "architectures", "the profile has both architectures and archMap",
                "use one: moby refuses profiles with both")
        }
        var names = [(name: String, path: String)]()
        if !architectures.isEmpty {
            names = architectures.enumerated().map { ($1, "architectures[\($0)]") }
        } else if options.includesSubArchitectures,
            let index = archMap.firstIndex(where: { SeccompArchitecture(ociName: $0.architecture) == target })
        {
            names = archMap[index].subArchitectures.enumerated().map { ($1, "archMap[\(index)].subArchitectures[\($0)]") }
        }
        var result = [target]
        for (name, path) in names {
            guard let architecture = SeccompArchitecture(ociName: name) else {
                throw error(
                    at: path, "unknown architecture \(quotedExcerpt(name))",
                    "expected an SCMP_ARCH_* name: "
                        + SeccompArchitecture.all.map(\.ociName).joined(separator: ", "))
            }
            if !result.contains(architecture) { result.append(architecture) }
        }
        if let exact = options.exactArchitectures {
            for architecture in exact where !result.contains(architecture) {
                throw error(
                    at: archMap.isEmpty ? "architectures" : "archMap",
                    "the profile does not cover \(architecture.name) for the target \(target.name)",
                    "it covers \(result.map(\.name).joined(separator: ", ")): the target and the "
                        + (archMap.isEmpty ? "profile's architectures" : "subArchitectures of its archMap entry"))
            }
            result = exact
        }
        for architecture in result where !architecture.isSupportedByLibseccomp {
            let path = names.first(where: { SeccompArchitecture(ociName: $0.name) == architecture })?.path ?? ""
            throw error(
                at: path, "libseccomp \(LibseccompVersion.current) does not support \(architecture)",
                path.isEmpty
                    ? "choose another architecture in the options"
                    : "the profile covers it for \(target); import without sub-architectures, or update libseccomp")
        }
        return result
    }

    /// The action an entry's `action` and `errnoRet` give, as runc's `getAction` does.
    private func seccompAction(
        _ action: Action, errnoRet: UInt16?, path: String, warnings: inout [OCIProfileWarning]
    ) throws(OCIProfileError) -> SeccompAction {
        if errnoRet != nil && !action.takesErrnoRet {
            warnings.append(.errnoRetIgnored(path: path, action: action))
        }
        switch action {
        case .kill, .killThread: return .killThread
        case .killProcess: return .killProcess
        case .trap: return .trap(0)
        case .errno:
            let value = errnoRet ?? 1
            if value > 4095 {
                throw error(
                    at: path, "errnoRet \(value) is above 4095", "the kernel caps errno values at 4095 (MAX_ERRNO)")
            }
            return .errno(value)
        case .trace: return .trace(errnoRet ?? 1)
        case .allow: return .allow
        case .log: return .log
        case .notify: return .userNotification
        }
    }

    /// The condition an `args` element tests, as libseccomp tests it.
    private func condition(_ argument: Argument, path: String, warnings: inout [OCIProfileWarning]) -> ArgumentCondition {
        let comparison: ArgumentCondition.Comparison
        var value = argument.value
        switch argument.op {
        case .notEqual: comparison = .notEqual
        case .less: comparison = .less
        case .lessOrEqual: comparison = .lessOrEqual
        case .equal: comparison = .equal
        case .greaterOrEqual: comparison = .greaterOrEqual
        case .greater: comparison = .greater
        case .maskedEqual:
            comparison = .maskedEqual(mask: argument.value)
            value = argument.valueTwo
            if value & ~argument.value != 0 {
                warnings.append(.maskedValueOutsideMask(path: path, mask: argument.value, value: value))
                value &= argument.value
            }
        }
        if argument.op != .maskedEqual && argument.valueTwo != 0 {
            warnings.append(.valueTwoIgnored(path: path + ".valueTwo"))
        }
        return ArgumentCondition(argument: argument.index, comparison, value)
    }

    /// An error at a JSON path, with the line and column it was read from when known.
    func error(at path: String, _ what: String, _ why: String) -> OCIProfileError {
        var position = sourcePositions[path]
        var prefix = path
        while position == nil, !prefix.isEmpty {
            // Fall back to the enclosing value: syscalls[3].errnoRet -> syscalls[3].
            if let dot = prefix.lastIndex(where: { $0 == "." || $0 == "[" }) {
                prefix = String(prefix[..<dot])
            } else {
                prefix = ""
            }
            position = sourcePositions[prefix]
        }
        return OCIProfileError(path: path, line: position?.line, column: position?.column, what: what, why: why)
    }

    /// A policy error, told at the entry its rule came from.
    private func mapped(_ policyError: SeccompPolicyError, entryIndices: [Int]) -> OCIProfileError {
        switch policyError {
        case .invalidAction(let action, let index?, let reason):
            return error(
                at: "syscalls[\(entryIndices[index])].errnoRet", "invalid action \(SeccompPolicyFormat.format(action))",
                reason)
        case .invalidAction(let action, nil, let reason):
            return error(at: "defaultErrnoRet", "invalid action \(SeccompPolicyFormat.format(action))", reason)
        case .unknownSyscall(_, let index, let resolution):
            return error(at: "syscalls[\(entryIndices[index])]", "cannot resolve a name", resolution.description)
        case .unavailableSyscall(_, let index, let syscall, let architectures):
            return error(
                at: "syscalls[\(entryIndices[index])]", "\(syscall) does not exist on the policy's architectures",
                architectures.map(\.name).joined(separator: ", ") + " lack it")
        case .invalidCondition(_, let index, let condition, let reason):
            return error(at: "syscalls[\(entryIndices[index])].args", "invalid condition \"\(condition)\"", reason)
        case .contradiction(_, let firstIndex, _, let secondIndex, let syscall, let architecture):
            let first = "syscalls[\(entryIndices[firstIndex])]"
            let second = "syscalls[\(entryIndices[secondIndex])]"
            return error(
                at: second, "\(second) contradicts \(first) for \(syscall) on \(architecture)",
                "\(first) holds whenever \(second) does and has another action, so one of them never decides; "
                    + "libseccomp would refuse or drop one of them too")
        default:
            return error(at: "", "the profile does not make a valid policy", policyError.description)
        }
    }
}

/// Arguments 0 to 5 for which all conditions of `a` and of `b` hold, if the search finds any.
///
/// Each argument is independent, so each is searched on its own, among the values where some
/// condition changes its answer: every constant, its neighbours, the extremes, and values built
/// from masks. That finds a common value whenever one exists for comparisons and for masks
/// alone; combinations of masks with ranges may be missed.
func commonArguments(_ a: [ArgumentCondition], _ b: [ArgumentCondition]) -> [UInt64]? {
    let all = a + b
    var witness = [UInt64](repeating: 0, count: 6)
    for argument in 0 ..< 6 {
        let conditions = all.filter { $0.argument == argument }
        if conditions.isEmpty { continue }
        var candidates: [UInt64] = [0, 1, .max, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 1 << 63]
        var fixedMask: UInt64 = 0
        var fixedValue: UInt64 = 0
        for condition in conditions {
            let value = condition.value
            candidates += [value, value &- 1, value &+ 1]
            if case .maskedEqual(let mask) = condition.comparison {
                fixedMask |= mask
                fixedValue |= value & mask
                candidates += [value, value | ~mask]
            }
        }
        if fixedMask != 0 {
            let ranged = candidates
            candidates += [fixedValue, fixedValue | ~fixedMask]
            candidates += ranged.map { $0 & ~fixedMask | fixedValue }
        }
        guard let value = candidates.first(where: { candidate in conditions.allSatisfy { $0.holds(for: candidate) } })
        else { return nil }
        witness[argument] = value
    }
    return witness
}

/// The elements in the order of their first occurrence.
private func unique(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}
