import CBPF

/// One import of a profile (``OCISeccompProfile/policy(options:)``): what its phases hand on,
/// from the entries that apply to the policy that validates.
struct OCIProfileImporter {
    /// A rule that an entry asks for: one name and one condition group of the entry.
    struct Candidate {
        /// The index of the entry in the profile's `syscalls`.
        var entry: Int
        /// The system call's name.
        var name: String
        /// The entry's action.
        var action: SeccompAction
        /// Conditions that must all hold.
        var conditions: [ArgumentCondition]
    }

    /// The profile being imported.
    let profile: OCISeccompProfile
    /// What stands in for the machine, the container and what the format leaves out.
    let options: OCIProfileImportOptions
    /// The policy's default action, from `defaultAction` and `defaultErrnoRet`.
    let defaultAction: SeccompAction
    /// The architectures the policy covers: the target first. Later phases may leave some out.
    var architectures: [SeccompArchitecture]
    /// The rules chosen so far.
    var rules = [SeccompRule]()
    /// For each of ``rules``, the index of its entry in the profile's `syscalls`.
    var entryIndices = [Int]()
    /// Names skipped because no covered architecture has them, in the order found.
    var unavailable = [String]()
    /// What the import has to tell, in the order it found it.
    var warnings: [OCIProfileWarning]
    /// The kernel `minKernel` is compared with, once it has been needed.
    var kernel: OCISeccompProfile.KernelVersion?

    /// Starts an import: checks the architectures and reads the default action.
    init(profile: OCISeccompProfile, options: OCIProfileImportOptions) throws(OCIProfileError) {
        self.profile = profile
        self.options = options
        var warnings = [OCIProfileWarning]()
        if !profile.unknownMembers.isEmpty { warnings.append(.unknownMembers(paths: profile.unknownMembers)) }
        architectures = try profile.policyArchitectures(options: options)
        defaultAction = try profile.seccompAction(
            profile.defaultAction, errnoRet: profile.defaultErrnoRet, path: "defaultErrnoRet", warnings: &warnings)
        self.warnings = warnings
    }

    /// The target architecture.
    var target: SeccompArchitecture { options.architecture }
}
