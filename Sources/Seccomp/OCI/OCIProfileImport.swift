import CBPF

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

extension OCISeccompProfile {
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
        var importer = try OCIProfileImporter(profile: self, options: options)
        let candidates = try importer.candidates()
        importer.chooseRules(among: candidates)
        importer.dropUnavailableSyscalls()
        try importer.omitArchitecturesMultiplexingConditions()
        return try importer.validatedImport()
    }
}
