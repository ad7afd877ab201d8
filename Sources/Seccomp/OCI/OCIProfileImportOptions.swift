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
