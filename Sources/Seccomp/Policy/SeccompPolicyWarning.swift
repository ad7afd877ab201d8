import CBPF

/// Something a policy allows that is valid but weakens the filter, so that tools can say so
/// (`cbpf` and `sandbox-launch` print each on standard error as `warning: ...`).
public enum SeccompPolicyWarning: Hashable, Sendable, CustomStringConvertible {
    /// The foreign-architecture action lets calls run (`allow` or `log`): any call made through
    /// a convention the policy does not cover bypasses every rule. `opened` lists the
    /// conventions a process of a covered architecture can reach on the same kernel (on x86_64,
    /// the 32-bit `int 0x80` entry point and x32), which is how filters are escaped.
    case foreignArchitecturesAllowed(action: SeccompAction, opened: [SeccompArchitecture])

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .foreignArchitecturesAllowed(let action, let opened):
            let directive = "foreign-arch \(SeccompPolicyFormat.format(action))"
            let reach = opened.isEmpty
                ? "every call of an architecture the policy does not cover"
                : "the entry points of \(opened.map(\.name).joined(separator: ", ")), which a process can reach "
                    + "on the same kernel (\(Self.howReached(opened)))"
            return "\(directive) opens \(reach): their calls run unfiltered, whatever the rules say; "
                + "use foreign-arch kill-process, or cover them with arch"
        }
    }

    /// How a 64-bit process reaches the other conventions, for the x86 family.
    private static func howReached(_ opened: [SeccompArchitecture]) -> String {
        opened.map { architecture in
            switch architecture {
            case .x86: "x86 through int 0x80"
            case .x32: "x32 with bit 30 in the number"
            case .x86_64: "x86_64 through syscall"
            default: "\(architecture.name) in compat mode"
            }
        }.joined(separator: ", ")
    }

    /// The conventions the kernel of each 64-bit architecture also runs (`CONFIG_COMPAT`, x32).
    static let companions: [SeccompArchitecture: [SeccompArchitecture]] = [
        .x86_64: [.x86, .x32], .x32: [.x86_64, .x86], .x86: [.x86_64, .x32],
        .aarch64: [.arm], .s390x: [.s390], .ppc64: [.ppc],
        .mips64: [.mips, .mips64n32], .mipsel64: [.mipsel, .mipsel64n32], .parisc64: [.parisc],
    ]
}

extension SeccompPolicy {
    /// What the policy allows that weakens the filter; empty for most policies.
    public var warnings: [SeccompPolicyWarning] {
        var warnings = [SeccompPolicyWarning]()
        switch foreignArchitectureAction {
        case .allow, .log:
            var opened = [SeccompArchitecture]()
            for architecture in architectures {
                for companion in SeccompPolicyWarning.companions[architecture] ?? []
                where !architectures.contains(companion) && !opened.contains(companion) {
                    opened.append(companion)
                }
            }
            warnings.append(.foreignArchitecturesAllowed(action: foreignArchitectureAction, opened: opened))
        default:
            break
        }
        return warnings
    }
}
