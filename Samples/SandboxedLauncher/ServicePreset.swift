import CBPF
import Seccomp

/// The built-in policies, written with the Swift DSL so that the launcher needs no file.
enum Preset: String, CaseIterable, Sendable {
    /// What systemd gives a service with `SystemCallFilter=@system-service`,
    /// `RestrictNamespaces=yes` and `LockPersonality=yes`.
    case service

    /// The policy, with `deny` for every call it does not allow.
    func policy(deny: SeccompAction, architectures: [SeccompArchitecture]) -> SeccompPolicy {
        switch self {
        case .service: Self.service(deny: deny, architectures: architectures)
        }
    }

    /// The namespace flags of `clone(2)` (`CLONE_NEWNS` ... `CLONE_NEWNET`), which systemd's
    /// `RestrictNamespaces=yes` refuses. `CLONE_NEWTIME` shares its bit with the exit signal
    /// there, and only `clone3` and `unshare` take it.
    static let cloneNamespaceFlags: UInt64 = 0x7e02_0000

    /// `personality(0xffffffff)` asks for the current persona without changing it.
    static let personalityQuery: UInt64 = 0xffff_ffff

    static func service(deny: SeccompAction, architectures: [SeccompArchitecture]) -> SeccompPolicy {
        // Unknown (newer) calls fail with ENOSYS so that libc falls back instead of failing.
        SeccompPolicy(defaultAction: deny, architectures: architectures, unknownSyscallsFailWithENOSYS: true) {
            // RestrictNamespaces=yes: no new namespaces, whichever call asks for one. clone3
            // passes its flags in memory, where a filter cannot look, so it fails with ENOSYS
            // and glibc falls back to clone, whose flags the filter checks.
            Respond(deny, .unshare, .setns)
            Fail(.ENOSYS, "clone3")
            Allow(.clone) { $0.arg(0) & cloneNamespaceFlags == 0 }
            Respond(deny, .clone)
            // LockPersonality=yes: the persona may be read or kept (PER_LINUX), not changed.
            Allow(.personality) { $0.arg(0).low32 == 0 }
            Allow(.personality) { $0.arg(0).low32 == personalityQuery }
            Respond(deny, .personality)
            // Everything a typical service needs; @mount, @debug (ptrace), @reboot (kexec_load),
            // @module, @swap, @raw-io, @clock and @cpu-emulation are left out.
            Allow(.group(.systemService))
        }
    }
}
