import CBPF

/// The kernel's seccomp action cache (Linux 5.11 and later), emulated: which system calls a
/// filter lets through without running.
///
/// When a filter is attached, the kernel (`seccomp_cache_prepare` in `kernel/seccomp.c`) runs
/// `seccomp_is_const_allow` on it for every number `0 ..< NR_syscalls` of the native
/// architecture (and of the compat one: x86 on x86_64, arm on aarch64), knowing only `nr` and
/// `arch`. The numbers for which that emulation reaches `ret #SECCOMP_RET_ALLOW` are allowed
/// from then on without running the filter, as long as every earlier filter of the task allows
/// them too. The emulation follows only:
///
/// - `ld [0]` and `ld [4]`, the word loads of `nr` and `arch`;
/// - `ja`, and `jeq`, `jge`, `jgt`, `jset` with a constant;
/// - `and` with a constant;
/// - `ret` with a constant.
///
/// Anything else on the path (a load of an argument or of `instruction_pointer`, an `X` operand,
/// a scratch slot, `ret a`) means the filter must run, even if it would allow every call.
/// Newer kernels also let `uretprobe` and `uprobe` bypass filtering; that exception belongs to
/// the kernel, not to the filter, and is not part of this emulation.
public struct SeccompActionCache: Sendable {
    /// The filter.
    public let program: Program

    /// Verifies `program` for `AttachTarget.seccomp` (the kernel emulates only filters it
    /// accepted) and prepares to emulate it.
    public init(_ program: Program) throws(VerificationError) {
        try self.init(VerifiedProgram(program, for: .seccomp))
    }

    /// Prepares to emulate it: a program verified for seccomp is not checked again.
    public init(_ program: VerifiedProgram) throws(VerificationError) {
        self.program = try program.verified(for: .seccomp).program
    }

    /// Whether `seccomp_is_const_allow` proves that the filter returns `SECCOMP_RET_ALLOW` for
    /// `number` on `architecture`, whatever the arguments.
    ///
    /// This is the kernel's rule for any number; the kernel itself asks it only for the numbers
    /// of ``allowedSyscalls(on:numbers:)``.
    public func isConstantAllow(number: Int32, architecture: AuditArchitecture) -> Bool {
        let instructions = program.instructions
        var value: UInt32 = 0
        var pc = 0
        while pc < instructions.count {
            switch instructions[pc] {
            case .loadAbsolute(.word, 0):
                value = UInt32(bitPattern: number)
            case .loadAbsolute(.word, 4):
                value = architecture.rawValue
            case .returnConstant(let k):
                return k == SeccompAction.allowValue
            case .jump(let offset):
                pc += Int(offset)
            case .conditionalJump(let test, .constant(let k), let ifTrue, let ifFalse):
                pc += Int(test.holds(value, k) ? ifTrue : ifFalse)
            case .arithmetic(.and, .constant(let k)):
                value &= k
            default:
                return false  // not a constant: the filter has to run
            }
            pc += 1
        }
        return false  // ran off the end (a verified filter cannot)
    }

    /// The system-call numbers the kernel's cache allows on `architecture` without running the
    /// filter: those of `numbers` from 0 up for which ``isConstantAllow(number:architecture:)``
    /// holds (the kernel never caches a negative number).
    ///
    /// - Parameters:
    ///   - architecture: the calling convention, as `seccomp_data.arch` gives it.
    ///   - numbers: the numbers the kernel emulates, `0 ..< NR_syscalls` of the running
    ///     kernel for that architecture (about 460 on x86_64). `nil`, the default, takes 460 or one
    ///     past the highest number libseccomp knows for the architecture, whichever is more (x32's
    ///     numbers, with bit 30, and ARM's private ones lie beyond `NR_syscalls` and are never
    ///     cached).
    public func allowedSyscalls(on architecture: AuditArchitecture, numbers: Range<Int32>? = nil) -> Set<Int32> {
        let numbers = numbers ?? Self.defaultNumbers(of: architecture)
        var allowed = Set<Int32>()
        for number in numbers where number >= 0 && isConstantAllow(number: number, architecture: architecture) {
            allowed.insert(number)
        }
        return allowed
    }

    /// `0 ..< max(460, highest known number + 1)` over the conventions of `architecture` that
    /// do not set the x32 bit, counted from 0 (MIPS numbers start at 4000, 5000 or 6000).
    static func defaultNumbers(of architecture: AuditArchitecture) -> Range<Int32> {
        var end: Int32 = 460
        for convention in SeccompArchitecture.all
        where convention.auditArchitecture == architecture && !convention.usesX32SyscallBit {
            let base = convention.numberBase
            let known = (try? convention.knownSyscallNumbers()) ?? []
            if let highest = known.last(where: { $0 >= base && $0 - base < 1024 }) { end = max(end, highest + 1) }
        }
        return 0 ..< end
    }
}
