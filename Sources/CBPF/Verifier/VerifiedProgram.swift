/// A program together with the attach point that ``Verifier`` accepted it for: the proof that
/// the kernel's checker will take it there.
///
/// Attach points, the interpreter and the installers take a `VerifiedProgram` without checking
/// again; given a plain ``Program`` they verify it first. Make one with
/// ``init(_:for:)`` or from a front end's compiler.
public struct VerifiedProgram: Hashable, Sendable {
    /// The program, as verified.
    public let program: Program
    /// The attach point it was verified for.
    public let target: AttachTarget

    /// Verifies `program` for `target`.
    public init(_ program: Program, for target: AttachTarget) throws(VerificationError) {
        try Verifier.verify(program, for: target)
        self.init(unchecked: program, for: target)
    }

    /// For this module's own proofs, made where the checks have just run.
    init(unchecked program: Program, for target: AttachTarget) {
        self.program = program
        self.target = target
    }

    /// The instructions as the kernel takes them.
    public var raw: [RawInstruction] { program.raw }

    /// The number of instructions.
    public var count: Int { program.count }

    /// The proof for another attach point. No check runs where `other`'s rules follow from the
    /// ones this program met: socket and cls_bpf have the same rules, and xt_bpf adds only its
    /// 64-instruction bound. Otherwise the program is verified for `other`.
    public func verified(for other: AttachTarget) throws(VerificationError) -> VerifiedProgram {
        if other == target || Self.socketRules.contains(other) && Self.socketRules.union([.iptables]).contains(target)
            && program.count <= other.maximumInstructions {
            return VerifiedProgram(unchecked: program, for: other)
        }
        return try VerifiedProgram(program, for: other)
    }

    /// The attach points whose checks are the socket filter's (`sk_chk_filter`) alone.
    private static let socketRules: Set<AttachTarget> = [.socket, .trafficControl]
}
