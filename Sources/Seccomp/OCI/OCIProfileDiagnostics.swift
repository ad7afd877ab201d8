/// A profile that cannot be read or turned into a policy: where, what and why.
///
/// ```
/// 12:18: syscalls[3].args[0].op: unknown operator "SCMP_CMP_EQQ": expected one of SCMP_CMP_NE, ...
/// ```
public struct OCIProfileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The JSON path of the offending value (`syscalls[3].args[0].op`), or `""` for the document.
    public var path: String
    /// The line of the value in the document, from 1, when the profile was read from text.
    public var line: Int?
    /// The column of the value, from 1, counted in Unicode scalars.
    public var column: Int?
    /// What is wrong.
    public var what: String
    /// Why it is wrong, or what to do about it.
    public var why: String

    /// An error at `path` (and `line`:`column` when known).
    public init(path: String, line: Int? = nil, column: Int? = nil, what: String, why: String) {
        self.path = path
        self.line = line
        self.column = column
        self.what = what
        self.why = why
    }

    /// `line:column: path: what: why`, leaving out what is not known.
    public var description: String {
        var text = ""
        if let line, let column { text += "\(line):\(column): " }
        if !path.isEmpty { text += path + ": " }
        return text + what + ": " + why
    }
}

/// Something about a profile that the import handled the way Docker and runc would, but that
/// the caller may want to know: names libseccomp does not know, rules runc ignores, places where
/// libseccomp's handling of a rule differs from reading the entries in order.
public enum OCIProfileWarning: Hashable, Sendable, CustomStringConvertible {
    /// Names the installed libseccomp does not know, skipped as runc skips them (runc logs each
    /// at debug level). `paths` gives, for each name, the entries that list it.
    case unknownSyscalls(names: [String], paths: [[String]], libseccomp: LibseccompVersion)
    /// Names libseccomp knows but no architecture of the policy has (`open` on aarch64), which
    /// libseccomp skips as well.
    case unavailableSyscalls(names: [String], architectures: [SeccompArchitecture])
    /// Members this reader does not know, ignored as Go's decoder ignores them; often a typo
    /// (`errnoret` for `errnoRet`).
    case unknownMembers(paths: [String])
    /// An entry whose action is the default action, which runc skips (libseccomp refuses such
    /// rules), so it cannot hold off a later entry.
    case entryWithDefaultActionIgnored(path: String, names: [String])
    /// An entry for `syscall` whose action differs from that of the first entry (`by`) that
    /// applies to the call unconditionally: libseccomp keeps only that rule, whatever comes before
    /// or after it, and drops the others without a word, so this entry never decides.
    case entryOverridden(path: String, syscall: String, by: String)
    /// Two entries with conditions and different actions that both hold for some arguments
    /// (`witness`, arguments 0 to 5). The import tries them in file order; libseccomp decides
    /// by the layout of its decision tree, which need not agree, or refuses the second rule
    /// (`EEXIST`, and runc fails) when it holds wherever the first does.
    case overlappingEntries(syscall: String, first: String, second: String, witness: [UInt64])
    /// Pairs of entries with conditions and different actions for `syscall` that were not
    /// checked for overlap, `pairCount` of them: a profile can have millions of pairs, so the
    /// check stops after 32,768 pairs in all, and for one call after 16 overlaps.
    case overlapsUnchecked(syscall: String, pairCount: Int)
    /// `errnoRet` on an action that takes none; runc ignores it, the runtime spec asks runtimes
    /// to refuse it.
    case errnoRetIgnored(path: String, action: OCISeccompProfile.Action)
    /// `valueTwo` on an operator other than `SCMP_CMP_MASKED_EQ`, which ignore it.
    case valueTwoIgnored(path: String)
    /// `SCMP_CMP_MASKED_EQ` with a `valueTwo` that has bits outside the mask (`value`). Such a
    /// test can never hold as written, but libseccomp compares with `valueTwo & value`, and so
    /// does the imported policy.
    case maskedValueOutsideMask(path: String, mask: UInt64, value: UInt64)
    /// A condition that no argument meets (`SCMP_CMP_LT` 0): its rule never decides, and
    /// libseccomp may refuse it (`EEXIST`, and runc fails) after another rule on the argument.
    case conditionNeverHolds(path: String)
    /// An architecture left out of the policy because it reaches `syscall` through a
    /// multiplexer (`socketcall` or `ipc`), where the policy cannot check the entry's
    /// conditions (see ``OCIProfileImportOptions/MultiplexedCallConditions``).
    case architectureOmitted(SeccompArchitecture, syscalls: [String], multiplexer: String)
    /// Entries with conditions on calls that an architecture also reaches through a multiplexer
    /// (`socket` through `socketcall` on x86): as libseccomp does, the conditions are checked on
    /// the direct call, and every multiplexed call for them takes the entry's action.
    case conditionsUncheckedOnMultiplexer(SeccompArchitecture, syscalls: [String], multiplexer: String)

    /// The warning as a sentence, naming the entries it is about.
    public var description: String {
        switch self {
        case .unknownSyscalls(let names, let paths, let version):
            let listed = zip(names, paths).map { "\($0) (\($1.joined(separator: ", ")))" }.joined(separator: ", ")
            return "skipped \(names.count) system call name\(names.count == 1 ? "" : "s") that libseccomp \(version) "
                + "does not know, as runc does: \(listed)"
        case .unavailableSyscalls(let names, let architectures):
            return "skipped \(names.count) name\(names.count == 1 ? "" : "s") that "
                + "\(architectures.map(\.name).joined(separator: ", ")) lack\(architectures.count == 1 ? "s" : ""): "
                + names.joined(separator: ", ")
        case .unknownMembers(let paths):
            return "ignored unknown member\(paths.count == 1 ? "" : "s") \(paths.joined(separator: ", ")) "
                + "(Docker ignores them too; check the spelling)"
        case .entryWithDefaultActionIgnored(let path, let names):
            return "\(path): ignored the entry for \(names.joined(separator: ", ")): its action is the default "
                + "action, and runc skips such entries"
        case .entryOverridden(let path, let syscall, let by):
            return "\(path): never decides for \(syscall): \(by) applies to \(syscall) unconditionally with another "
                + "action, and libseccomp keeps only that rule"
        case .overlappingEntries(let syscall, let first, let second, let witness):
            let arguments = witness.enumerated().map { "arg\($0.offset)=\($0.element)" }.joined(separator: " ")
            return "\(first) and \(second) both hold for \(syscall)(\(arguments)) with different actions: the policy "
                + "tries \(first) first; libseccomp decides by the layout of its tree, or refuses \(second)"
        case .overlapsUnchecked(let syscall, let pairCount):
            return "\(pairCount) more pair\(pairCount == 1 ? "" : "s") of entries for \(syscall) with conditions and different "
                + "actions not checked for overlap (too many): libseccomp may decide the ones that overlap otherwise "
                + "than in file order"
        case .errnoRetIgnored(let path, let action):
            return "\(path): ignored errnoRet: \(action.rawValue) takes none (runc ignores it; the runtime spec "
                + "says to refuse it)"
        case .valueTwoIgnored(let path):
            return "\(path): ignored valueTwo: only SCMP_CMP_MASKED_EQ uses it"
        case .maskedValueOutsideMask(let path, let mask, let value):
            return "\(path): valueTwo 0x\(String(value, radix: 16)) has bits outside the mask 0x\(String(mask, radix: 16)); "
                + "compared as 0x\(String(value & mask, radix: 16)), as libseccomp does"
        case .conditionNeverHolds(let path):
            return "\(path): no argument meets the condition, so the entry never decides; libseccomp may refuse it "
                + "(EEXIST) when another entry for the call tests the same argument"
        case .architectureOmitted(let architecture, let syscalls, let multiplexer):
            return "left out \(architecture): it reaches \(syscalls.joined(separator: ", ")) through \(multiplexer), "
                + "where the conditions of the entries cannot be checked"
        case .conditionsUncheckedOnMultiplexer(let architecture, let syscalls, let multiplexer):
            let names = syscalls.joined(separator: ", ")
            return "\(architecture) also reaches \(names) through \(multiplexer), where the entries' conditions cannot "
                + "be checked: as libseccomp does, they are checked on the direct call, and every \(multiplexer) "
                + "for \(names) takes the entry's action whatever its arguments"
        }
    }
}

extension OCISeccompProfile {
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
}
