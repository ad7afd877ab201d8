import CBPF

// The architectures of an import: those the profile lists for the target, and those left out
// because the policy cannot check conditions on the calls they multiplex.

extension OCISeccompProfile {
    /// The architectures of the policy: the target, then its `archMap` sub-architectures or the
    /// `architectures` list.
    func policyArchitectures(options: OCIProfileImportOptions) throws(OCIProfileError) -> [SeccompArchitecture] {
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
}

extension OCIProfileImporter {
    /// Drops the rules for names that no covered architecture has, as libseccomp skips them,
    /// adding the names to ``unavailable``.
    mutating func dropUnavailableSyscalls() {
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

    /// Unless the options import them as libseccomp reads them (`checkDirectCallOnly`), leaves
    /// out the architectures that reach a call with conditions through a multiplexer, or fails
    /// when the options refuse them or the architecture is the target.
    mutating func omitArchitecturesMultiplexingConditions() throws(OCIProfileError) {
        guard options.multiplexedCallConditions != .checkDirectCallOnly else { return }
        for architecture in architectures {
            guard let first = multiplexedCallsWithConditions(on: architecture).first else { continue }
            if options.multiplexedCallConditions == .refuse || architecture == target {
                throw profile.error(
                    at: "syscalls[\(entryIndices[first.rule])]",
                    "\(architecture) reaches \(first.name) through \(first.multiplexer), where the entry's "
                        + "conditions cannot be checked",
                    (options.multiplexedCallConditions == .refuse
                        ? "the options refuse such entries"
                        : "\(architecture) is the target architecture, so it cannot be left out")
                        + "; libseccomp checks them on the direct call only and lets every \(first.multiplexer) "
                        + "for \(first.name) through, which checkDirectCallOnly imports")
            }
            leaveOut(architecture)
        }
        dropUnavailableSyscalls()
    }

    /// Leaves `architecture` out of the policy, with a warning naming the calls it multiplexes.
    mutating func leaveOut(_ architecture: SeccompArchitecture) {
        let affected = multiplexedCallsWithConditions(on: architecture)
        architectures.removeAll { $0 == architecture }
        warnings.append(
            .architectureOmitted(
                architecture, syscalls: uniqued(affected.map(\.name)),
                multiplexer: uniqued(affected.map(\.multiplexer)).joined(separator: " and ")))
    }

    /// The rules with conditions on a call that `architecture` reaches through a multiplexer.
    func multiplexedCallsWithConditions(on architecture: SeccompArchitecture)
        -> [(rule: Int, name: String, multiplexer: String)]
    {
        rules.enumerated().compactMap { index, rule in
            guard !rule.conditions.isEmpty, case .syscall(let call) = rule.target, let name = call.name,
                case .multiplexed(let multiplexed)? = try? architecture.resolve(name)
            else { return nil }
            return (index, name, multiplexed.multiplexer.rawValue)
        }
    }
}

/// The elements in the order of their first occurrence.
func uniqued(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}
