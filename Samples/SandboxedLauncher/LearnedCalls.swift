import CBPF
import Seccomp

/// One system call as learn mode records it: the calling convention and the number in it.
struct LearnedCall: Hashable, Sendable, Comparable {
    var architecture: SeccompArchitecture
    /// The number as the filter saw it (x32 numbers with bit 30).
    var number: Int32

    /// `read`, or the number when libseccomp knows no name for it.
    var name: String? { architecture.syscallName(forNumber: number) }

    /// The call as a policy names it: by name, else by its raw number (x32's without bit 30,
    /// which the policy adds back).
    var syscall: Syscall {
        if let name { return Syscall(name) }
        let raw = architecture.usesX32SyscallBit ? number & ~Int32(SeccompArchitecture.x32SyscallBit) : number
        return Syscall(number: raw)
    }

    static func < (lhs: LearnedCall, rhs: LearnedCall) -> Bool {
        (lhs.architecture.name, lhs.number) < (rhs.architecture.name, rhs.number)
    }
}

/// An argument that `--args` records for a call, as the usual argument rules test it.
struct RecordedArgument: Sendable {
    var syscall: String
    var argument: Int
    /// When set, only these bits are recorded and compared (clone's namespace bits).
    var mask: UInt64?
    /// What the argument is: `family`, `request`.
    var meaning: String

    /// `CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET`, Docker's mask.
    /// `CLONE_NEWTIME` (0x80) is left out: in clone's flags that bit belongs to the exit signal.
    static let cloneNamespaceFlags: UInt64 = 0x7e02_0000

    /// The calls and arguments of `--args`, for calls in `architecture`'s convention (s390
    /// passes clone's flags second).
    static func table(for architecture: SeccompArchitecture) -> [RecordedArgument] {
        let cloneFlags = architecture == .s390 || architecture == .s390x ? 1 : 0
        return [
            RecordedArgument(syscall: "personality", argument: 0, meaning: "persona"),
            RecordedArgument(syscall: "socket", argument: 0, meaning: "family"),
            RecordedArgument(
                syscall: "clone", argument: cloneFlags, mask: cloneNamespaceFlags, meaning: "namespace flags"),
            RecordedArgument(syscall: "ioctl", argument: 1, meaning: "request"),
            RecordedArgument(syscall: "prctl", argument: 0, meaning: "option"),
            RecordedArgument(syscall: "fcntl", argument: 1, meaning: "command"),
            RecordedArgument(syscall: "fcntl64", argument: 1, meaning: "command"),
        ]
    }
}

/// The values seen for one recorded argument, up to ``LearnedCalls/maximumValuesPerArgument``.
struct RecordedValues: Sendable {
    var argument: RecordedArgument
    var values: Set<UInt64> = []
    /// More distinct values came than the bound: the call is then allowed whatever the value.
    var overflowed = false
}

/// What a learn run recorded, bounded so that no command can make it grow without limit.
struct LearnedCalls: Sendable {
    /// More distinct (architecture, number) pairs than any program makes (x86_64 has about
    /// 460 calls): a command past it is making up numbers, and no policy is written.
    static let maximumCalls = 4096
    /// Distinct values kept per recorded argument; past it the call is allowed unchecked.
    static let maximumValuesPerArgument = 64

    /// Whether argument values are recorded (`--args`).
    let recordsArguments: Bool
    let native = SeccompArchitecture.native
    private let recordedArguments: [Int32: RecordedArgument]

    private(set) var calls: Set<LearnedCall> = []
    /// By system-call name; native calls only, whose argument layout the table describes.
    private(set) var values: [String: RecordedValues] = [:]
    /// Calls not recorded because ``maximumCalls`` was reached.
    private(set) var droppedCalls = 0
    /// `AUDIT_ARCH_*` values that no architecture known to libseccomp has, with a count.
    private(set) var unknownArchitectures: [UInt32: Int] = [:]
    /// Notifications received in all.
    private(set) var notifications = 0

    init(recordsArguments: Bool) {
        self.recordsArguments = recordsArguments
        var byNumber = [Int32: RecordedArgument]()
        for entry in RecordedArgument.table(for: native) {
            if case .number(let number) = try? native.resolve(entry.syscall) { byNumber[number] = entry }
        }
        recordedArguments = byNumber
    }

    /// Records one notified call.
    mutating func record(_ data: SeccompData) {
        notifications += 1
        guard let architecture = Self.architecture(of: data) else {
            unknownArchitectures[data.architecture.rawValue, default: 0] += 1
            return
        }
        let call = LearnedCall(architecture: architecture, number: data.number)
        if !calls.contains(call) {
            guard calls.count < Self.maximumCalls else {
                droppedCalls += 1
                return
            }
            calls.insert(call)
        }
        guard recordsArguments, architecture == native, let entry = recordedArguments[data.number],
            entry.argument < data.arguments.count
        else { return }
        var seen = values[entry.syscall] ?? RecordedValues(argument: entry)
        guard !seen.overflowed else { return }
        let value = data.arguments[entry.argument] & (entry.mask ?? ~0)
        if !seen.values.contains(value) {
            if seen.values.count >= Self.maximumValuesPerArgument {
                seen.overflowed = true
                seen.values = []
            } else {
                seen.values.insert(value)
            }
        }
        values[entry.syscall] = seen
    }

    /// The convention of a notified call: the architecture whose audit value it carries; on
    /// `AUDIT_ARCH_X86_64`, x32 for numbers with bit 30 (the kernel's own test).
    static func architecture(of data: SeccompData) -> SeccompArchitecture? {
        let candidates = SeccompArchitecture.all.filter { $0.auditArchitecture == data.architecture }
        if candidates.contains(where: \.usesX32SyscallBit) {
            let isX32 = SeccompArchitecture.isX32Number(UInt32(bitPattern: data.number), coversX86_64: true)
            return candidates.first { $0.usesX32SyscallBit == isX32 }
        }
        return candidates.first
    }

    /// The architectures with calls, this machine's first.
    var architectures: [SeccompArchitecture] {
        let seen = Set(calls.map(\.architecture))
        return [native] + SeccompArchitecture.all.filter { $0 != native && seen.contains($0) }
    }

    /// The number of distinct calls in each architecture, in ``architectures`` order.
    var countsByArchitecture: [(SeccompArchitecture, Int)] {
        architectures.map { architecture in (architecture, calls.filter { $0.architecture == architecture }.count) }
    }
}
