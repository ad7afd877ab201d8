import CBPF

// The last phase of an import: the policy validates, or an architecture that it refuses is left
// out and it is tried again.

extension OCIProfileImporter {
    /// The import, once the policy of ``rules`` and ``architectures`` validates. Where the policy
    /// refuses conditions on a call that an architecture other than the target multiplexes, or
    /// entries that contradict each other there, that architecture is left out and the policy
    /// tried again; so are rules for names that no remaining architecture has.
    mutating func validatedImport() throws(OCIProfileError) -> OCIProfileImport {
        while true {
            let policy = SeccompPolicy(
                defaultAction: defaultAction, architectures: architectures,
                foreignArchitectureAction: options.foreignArchitectureAction,
                unknownSyscallsFailWithENOSYS: options.unknownSyscallsFailWithENOSYS, rules: rules)
            do {
                try policy.validate()
                return finished(policy)
            } catch {
                try recover(from: error)
            }
        }
    }

    /// The import of a policy that validates, with the warnings that only the final
    /// architectures decide: unavailable names, and conditions left unchecked on multiplexers.
    private mutating func finished(_ policy: SeccompPolicy) -> OCIProfileImport {
        if !unavailable.isEmpty {
            warnings.append(.unavailableSyscalls(names: unavailable, architectures: architectures))
        }
        for architecture in architectures {
            let affected = multiplexedCallsWithConditions(on: architecture)
            for multiplexer in uniqued(affected.map(\.multiplexer)) {
                let names = uniqued(affected.filter { $0.multiplexer == multiplexer }.map(\.name))
                warnings.append(.conditionsUncheckedOnMultiplexer(architecture, syscalls: names, multiplexer: multiplexer))
            }
        }
        return OCIProfileImport(policy: policy, entryIndices: entryIndices, warnings: warnings)
    }

    /// Answers the policy's refusal by leaving out the architecture it names (or dropping the
    /// rules for unavailable names), or fails, told at the entry.
    private mutating func recover(from error: SeccompPolicyError) throws(OCIProfileError) {
        switch error {
        case .conditionsOnMultiplexedSyscall(_, let index, let syscall, let multiplexer, let architecture):
            // Only with checkDirectCallOnly: the other options have left such architectures out.
            if architecture == target {
                throw profile.error(
                    at: "syscalls[\(entryIndices[index])]",
                    "\(architecture) reaches \(syscall) through \(multiplexer), where the entry's conditions "
                        + "cannot all be checked",
                    "\(architecture) is the target architecture, so it cannot be left out; "
                        + SeccompPolicyError.multiplexedConditionsReason(
                            syscall: syscall, multiplexer: multiplexer, architecture: architecture))
            }
            leaveOut(architecture)
            dropUnavailableSyscalls()
        case .multiplexedContradiction(_, let firstIndex, _, let secondIndex, let syscall, let multiplexer,
                                       let architecture):
            let first = "syscalls[\(entryIndices[firstIndex])]"
            let second = "syscalls[\(entryIndices[secondIndex])]"
            if architecture == target {
                throw profile.error(
                    at: second, "\(second) contradicts \(first) for \(syscall) on \(architecture)",
                    "\(architecture) is the target architecture, so it cannot be left out; "
                        + SeccompPolicyError.multiplexedContradictionReason(
                            first: first, second: second, syscall: syscall, multiplexer: multiplexer,
                            architecture: architecture))
            }
            leaveOut(architecture)
            dropUnavailableSyscalls()
        case .unavailableSyscall:
            let before = rules.count
            dropUnavailableSyscalls()
            if rules.count == before { throw profile.mapped(error, entryIndices: entryIndices) }
        default:
            throw profile.mapped(error, entryIndices: entryIndices)
        }
    }
}

extension OCISeccompProfile {
    /// A policy error, told at the entry its rule came from.
    fileprivate func mapped(_ policyError: SeccompPolicyError, entryIndices: [Int]) -> OCIProfileError {
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
