import CBPF
import CSeccomp
import Glibc
import Synchronization

/// The version of the libseccomp this process runs with (`seccomp_version`).
public struct LibseccompVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `SCMP_VER_MAJOR` of the loaded library.
    public var major: UInt32
    /// `SCMP_VER_MINOR` of the loaded library.
    public var minor: UInt32
    /// `SCMP_VER_MICRO` of the loaded library.
    public var micro: UInt32

    /// A version from its three parts.
    public init(major: UInt32, minor: UInt32, micro: UInt32) {
        self.major = major
        self.minor = minor
        self.micro = micro
    }

    /// The libseccomp loaded at run time, which may differ from the headers built against.
    public static var current: LibseccompVersion {
        guard let version = seccomp_version() else { return LibseccompVersion(major: 0, minor: 0, micro: 0) }
        return LibseccompVersion(
            major: version.pointee.major, minor: version.pointee.minor, micro: version.pointee.micro
        )
    }

    /// Orders versions by major, then minor, then micro number.
    public static func < (lhs: LibseccompVersion, rhs: LibseccompVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.micro) < (rhs.major, rhs.minor, rhs.micro)
    }

    /// `2.5.4`.
    public var description: String { "\(major).\(minor).\(micro)" }
}

/// What a system-call name means on one architecture.
public enum SyscallResolution: Hashable, Sendable {
    /// The call has this number. x32 numbers include bit 30.
    case number(Int32)
    /// The call is reached through a multiplexer (`socketcall` or `ipc`), and perhaps also has a
    /// number of its own (x86 has had `socket` as 359 besides `socketcall` since Linux 4.3).
    case multiplexed(MultiplexedSyscall)
    /// libseccomp knows the name, but this architecture has no such call (`open` on aarch64).
    case unavailable

    /// The numbers a filter has to look at for this call: the direct number and the
    /// multiplexer's number, or nothing.
    public var numbers: [Int32] {
        switch self {
        case .number(let number): [number]
        case .multiplexed(let call): (call.directNumber.map { [$0] } ?? []) + [call.multiplexerNumber]
        case .unavailable: []
        }
    }
}

/// A call reached through `socketcall(call, args)` or `ipc(call, ...)`, as on x86, s390, ppc
/// and MIPS o32.
///
/// A rule for it applies as libseccomp 2.5.4's `abi_rule_add` applies it: to the direct number,
/// where the architecture has one, with the rule's conditions, and to the multiplexer's number
/// with `arg0 == subcall` in place of the conditions on argument 0, since the call's own
/// arguments are in user memory there. libseccomp keeps conditions on the other arguments on the
/// multiplexer, where they test its own arguments; a policy refuses them
/// (``SeccompPolicyError/conditionsOnMultiplexedSyscall(rule:index:syscall:multiplexer:architecture:)``).
public struct MultiplexedSyscall: Hashable, Sendable {
    /// The multiplexing system call.
    public enum Multiplexer: String, Hashable, Sendable {
        /// `socketcall`: `SYS_SOCKET` (1) to `SYS_SENDMMSG` (20), libseccomp's `__PNR_socket`
        /// (-101) to `__PNR_sendmmsg` (-120).
        case socketcall
        /// `ipc`: `SEMOP` (1) to `SHMCTL` (24), libseccomp's `__PNR_semop` (-201) to
        /// `__PNR_shmctl` (-224).
        case ipc
    }

    /// Which multiplexer reaches the call.
    public var multiplexer: Multiplexer
    /// The multiplexer's number on the architecture (x86: `socketcall` 102, `ipc` 117).
    public var multiplexerNumber: Int32
    /// The value of the multiplexer's first argument that selects this call (`SYS_SOCKET` = 1).
    public var subcall: UInt32
    /// The call's own number, when the architecture also has one.
    public var directNumber: Int32?

    /// A multiplexed call with its multiplexer, subcall and direct number.
    public init(multiplexer: Multiplexer, multiplexerNumber: Int32, subcall: UInt32, directNumber: Int32?) {
        self.multiplexer = multiplexer
        self.multiplexerNumber = multiplexerNumber
        self.subcall = subcall
        self.directNumber = directNumber
    }
}

/// A system call or architecture that the installed libseccomp cannot resolve.
public enum SyscallResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libseccomp does not know this name on any architecture.
    case unknownSyscall(name: String, architecture: SeccompArchitecture, libseccomp: LibseccompVersion)
    /// The installed libseccomp does not support this architecture.
    case unsupportedArchitecture(SeccompArchitecture, libseccomp: LibseccompVersion)
    /// A raw system-call number below zero.
    case invalidSyscallNumber(Int32)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .unknownSyscall(let name, let architecture, let version):
            return "unknown system call \(quotedExcerpt(name)) for \(architecture) (libseccomp \(version))"
        case .unsupportedArchitecture(let architecture, let version):
            var text = "libseccomp \(version) does not support the \(architecture) architecture"
            if architecture == .loongarch64 { text += " (it needs libseccomp 2.6.0 or later)" }
            return text
        case .invalidSyscallNumber(let number):
            return "invalid system call number \(number): numbers are 0 or more"
        }
    }
}

extension SeccompArchitecture {
    /// Resolves a system-call name through libseccomp (`seccomp_syscall_resolve_name_arch`).
    ///
    /// libseccomp answers with a number, with `__NR_SCMP_ERROR` (-1) for a name it does not
    /// know at all, which is thrown as ``SyscallResolutionError/unknownSyscall(name:architecture:libseccomp:)``,
    /// or with a negative pseudo number (`__PNR_*`) for a name it knows that this architecture
    /// lacks. Pseudo numbers -101 to -120 (socket calls) and -201 to -224 (SysV IPC) become
    /// ``SyscallResolution/multiplexed(_:)`` where the architecture has `socketcall` or `ipc`;
    /// any other pseudo number is ``SyscallResolution/unavailable``. A name with a NUL is
    /// unknown: libseccomp would read only the part before it (`read` for `"read\0x"`).
    public func resolve(_ name: String) throws(SyscallResolutionError) -> SyscallResolution {
        guard isSupportedByLibseccomp else {
            throw .unsupportedArchitecture(self, libseccomp: .current)
        }
        guard !name.utf8.contains(0) else {
            throw .unknownSyscall(name: name, architecture: self, libseccomp: .current)
        }
        let number = seccomp_syscall_resolve_name_arch(token, name)
        if number == __NR_SCMP_ERROR {
            throw .unknownSyscall(name: name, architecture: self, libseccomp: .current)
        }
        if number >= 0 { return .number(number) }
        let multiplexer: MultiplexedSyscall.Multiplexer
        let subcall: Int32
        switch number {
        case -120 ... -101:
            multiplexer = .socketcall
            subcall = -number - 100
        case -224 ... -201:
            multiplexer = .ipc
            subcall = -number - 200
        default:
            return .unavailable
        }
        let direct = SyscallTable.table(for: self).numbersByName[name]
        let multiplexerNumber = seccomp_syscall_resolve_name_arch(token, multiplexer.rawValue)
        guard multiplexerNumber >= 0 else {
            return direct.map { .number($0) } ?? .unavailable
        }
        return .multiplexed(
            MultiplexedSyscall(
                multiplexer: multiplexer, multiplexerNumber: multiplexerNumber, subcall: UInt32(subcall),
                directNumber: direct
            )
        )
    }

    /// Resolves a ``Syscall``: a name through libseccomp, a raw number as it is, with bit 30
    /// added on x32 when it is missing.
    public func resolve(_ syscall: Syscall) throws(SyscallResolutionError) -> SyscallResolution {
        switch syscall.storage {
        case .name(let name):
            return try resolve(name)
        case .number(let number):
            guard isSupportedByLibseccomp else {
                throw .unsupportedArchitecture(self, libseccomp: .current)
            }
            guard number >= 0 else { throw .invalidSyscallNumber(number) }
            if usesX32SyscallBit {
                return .number(Int32(bitPattern: UInt32(bitPattern: number) | Self.x32SyscallBit))
            }
            return .number(number)
        }
    }

    /// The name libseccomp gives this number on this architecture, or `nil` when it knows none
    /// (or does not support the architecture). x32 numbers are given with bit 30.
    public func syscallName(forNumber number: Int32) -> String? {
        guard isSupportedByLibseccomp else { return nil }
        return SyscallTable.table(for: self).namesByNumber[number]
    }

    /// Every system-call number libseccomp knows on this architecture, ascending.
    ///
    /// Found by asking `seccomp_syscall_resolve_num_arch` about every number of the
    /// architecture's range (`base ..< base + 1024`, and ARM's private calls at `0x0f0000`).
    public func knownSyscallNumbers() throws(SyscallResolutionError) -> [Int32] {
        guard isSupportedByLibseccomp else {
            throw .unsupportedArchitecture(self, libseccomp: .current)
        }
        return SyscallTable.table(for: self).sortedNumbers
    }

    /// ``knownSyscallNumbers()`` as the fewest ascending closed ranges.
    public func knownSyscallRanges() throws(SyscallResolutionError) -> [ClosedRange<Int32>] {
        var ranges = [ClosedRange<Int32>]()
        for number in try knownSyscallNumbers() {
            if let last = ranges.last, last.upperBound &+ 1 == number {
                ranges[ranges.count - 1] = last.lowerBound ... number
            } else {
                ranges.append(number ... number)
            }
        }
        return ranges
    }
}

/// libseccomp's number table for one architecture, read once and cached.
struct SyscallTable: Sendable {
    var namesByNumber: [Int32: String] = [:]
    var numbersByName: [String: Int32] = [:]
    var sortedNumbers: [Int32] = []

    private static let cache = Mutex<[UInt32: SyscallTable]>([:])

    static func table(for architecture: SeccompArchitecture) -> SyscallTable {
        if let table = cache.withLock({ $0[architecture.token] }) { return table }
        var table = SyscallTable()
        let ranges = [architecture.numberBase ..< architecture.numberBase + 1024] + architecture.extraNumberRanges
        for range in ranges {
            for number in range {
                guard let pointer = seccomp_syscall_resolve_num_arch(architecture.token, number) else { continue }
                let name = String(cString: pointer)
                free(pointer)
                table.namesByNumber[number] = name
                if table.numbersByName[name] == nil { table.numbersByName[name] = number }
                table.sortedNumbers.append(number)
            }
        }
        let built = table
        cache.withLock { $0[architecture.token] = built }
        return table
    }
}
