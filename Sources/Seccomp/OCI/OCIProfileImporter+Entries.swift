import CBPF

// The first phase of an import: which entries apply, and the rules they ask for.

extension OCIProfileImporter {
    /// The rules the entries ask for, in file order: for each entry that applies and whose
    /// action is not the default, one for each name and condition group. Names libseccomp does
    /// not know are left out, with one warning listing them, as runc leaves them out.
    mutating func candidates() throws(OCIProfileError) -> [Candidate] {
        let capabilities = options.normalizedCapabilities
        let target = self.target
        var candidates = [Candidate]()
        var unknownNames = [String]()
        var unknownPaths = [String: [String]]()
        for (index, entry) in profile.syscalls.enumerated() {
            let path = "syscalls[\(index)]"
            guard try applies(entry, at: path, capabilities: capabilities) else { continue }
            let action = try profile.seccompAction(
                entry.action, errnoRet: entry.errnoRet, path: path + ".errnoRet", warnings: &warnings)
            if action == defaultAction {
                if !entry.names.isEmpty { warnings.append(.entryWithDefaultActionIgnored(path: path, names: entry.names)) }
                continue
            }
            let groups = conditionGroups(of: entry, at: path)
            for name in entry.names {
                do {
                    _ = try target.resolve(name)
                } catch {
                    if case .unknownSyscall = error {
                        if unknownPaths[name] == nil { unknownNames.append(name) }
                        unknownPaths[name, default: []].append(path)
                        continue
                    }
                    throw profile.error(at: path, "cannot resolve \(quotedExcerpt(name))", error.description)
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
        return candidates
    }

    /// Whether an entry applies: `excludes` names neither the target (as moby spells it), nor
    /// a capability the container has, nor a `minKernel` the kernel reaches; and `includes`, if
    /// any, names the target, only capabilities the container has, and a kernel it reaches.
    private mutating func applies(
        _ entry: OCISeccompProfile.SyscallEntry, at path: String, capabilities: Set<String>
    ) throws(OCIProfileError) -> Bool {
        let target = self.target
        if let excludes = entry.excludes {
            if excludes.arches.contains(where: target.matchesMobyName) { return false }
            if excludes.caps.contains(where: capabilities.contains) { return false }
            if let minimum = excludes.minKernel, try kernelVersion(at: path + ".excludes.minKernel") >= minimum {
                return false
            }
        }
        if let includes = entry.includes {
            if !includes.arches.isEmpty, !includes.arches.contains(where: target.matchesMobyName) { return false }
            if !includes.caps.allSatisfy(capabilities.contains) { return false }
            if let minimum = includes.minKernel, try kernelVersion(at: path + ".includes.minKernel") < minimum {
                return false
            }
        }
        return true
    }

    /// The kernel `minKernel` is compared with: the options', or the running one, read once.
    private mutating func kernelVersion(at path: String) throws(OCIProfileError) -> OCISeccompProfile.KernelVersion {
        if let kernel { return kernel }
        guard let version = options.kernelVersion ?? .running else {
            throw profile.error(
                at: path, "cannot read the running kernel's version (release \"\(runningKernelRelease())\")",
                "minKernel compares with it; pass kernelVersion in the options")
        }
        kernel = version
        return version
    }

    /// An entry's conditions as groups that each make a rule: all of its `args` in one group,
    /// unless two test the same argument; then, as runc does, each is a rule of its own.
    private mutating func conditionGroups(
        of entry: OCISeccompProfile.SyscallEntry, at path: String
    ) -> [[ArgumentCondition]] {
        var conditions = [ArgumentCondition]()
        for (argumentIndex, argument) in entry.args.enumerated() {
            let argumentPath = "\(path).args[\(argumentIndex)]"
            conditions.append(profile.condition(argument, path: argumentPath, warnings: &warnings))
            if conditions.last?.constantTruth == false { warnings.append(.conditionNeverHolds(path: argumentPath)) }
        }
        let indices = entry.args.map(\.index)
        return Set(indices).count == indices.count ? [conditions] : conditions.map { [$0] }
    }
}

extension OCISeccompProfile {
    /// The action an entry's `action` and `errnoRet` give, as runc's `getAction` does.
    func seccompAction(
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
    func condition(_ argument: Argument, path: String, warnings: inout [OCIProfileWarning]) -> ArgumentCondition {
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
}
