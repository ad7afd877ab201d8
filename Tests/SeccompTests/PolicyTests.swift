import CBPF
import Glibc
import Seccomp
import SystemPackage
import Testing

@Suite("SeccompPolicy")
struct SeccompPolicyTests {
    // MARK: libseccomp resolution

    @Test func libseccompVersionIsReported() {
        let version = LibseccompVersion.current
        #expect(version >= LibseccompVersion(major: 2, minor: 5, micro: 0))
        #expect(version.description == "\(version.major).\(version.minor).\(version.micro)")
    }

    @Test(arguments: [
        (SeccompArchitecture.x86_64, "read", Int32(0)),
        (.x86_64, "openat", 257),
        (.x86, "read", 3),
        (.x86, "openat", 295),
        (.aarch64, "openat", 56),
        (.aarch64, "read", 63),
        (.arm, "openat", 322),
        (.riscv64, "openat", 56),
        (.s390x, "read", 3),
        (.ppc64le, "openat", 286),
        (.mips64, "read", 5000),
        (.mips, "read", 4003),
        (.x32, "read", 0x4000_0000),
        (.x32, "openat", 0x4000_0101),
    ])
    func resolvesKnownNames(architecture: SeccompArchitecture, name: String, number: Int32) throws {
        #expect(try architecture.resolve(name) == .number(number))
        #expect(architecture.syscallName(forNumber: number) == name)
    }

    @Test func x86MultiplexesSocketCallsLikeLibseccomp() throws {
        // socket is __PNR_socket (-101) on x86: socketcall(102) with SYS_SOCKET (1), and 359 since Linux 4.3.
        let socket = try SeccompArchitecture.x86.resolve("socket")
        #expect(socket == .multiplexed(MultiplexedSyscall(
            multiplexer: .socketcall, multiplexerNumber: 102, subcall: 1, directNumber: 359)))
        #expect(socket.numbers == [359, 102])
        // recv has no number of its own on x86.
        #expect(try SeccompArchitecture.x86.resolve("recv") == .multiplexed(MultiplexedSyscall(
            multiplexer: .socketcall, multiplexerNumber: 102, subcall: 10, directNumber: nil)))
        // SysV IPC goes through ipc(117): SHMGET is 23.
        #expect(try SeccompArchitecture.x86.resolve("shmget") == .multiplexed(MultiplexedSyscall(
            multiplexer: .ipc, multiplexerNumber: 117, subcall: 23, directNumber: 395)))
        #expect(try SeccompArchitecture.s390x.resolve("connect") == .multiplexed(MultiplexedSyscall(
            multiplexer: .socketcall, multiplexerNumber: 102, subcall: 3, directNumber: 362)))
        // x86_64 has direct calls and no socketcall.
        #expect(try SeccompArchitecture.x86_64.resolve("socket") == .number(41))
        #expect(try SeccompArchitecture.x86_64.resolve("socketcall") == .unavailable)
        #expect(try SeccompArchitecture.x86_64.resolve("recv") == .unavailable)
        #expect(try SeccompArchitecture.x86.resolve("socketcall") == .number(102))
    }

    @Test func namesMissingOnAnArchitectureAreUnavailable() throws {
        #expect(try SeccompArchitecture.aarch64.resolve("open") == .unavailable)
        #expect(try SeccompArchitecture.x86_64.resolve("arch_prctl") == .number(158))
        #expect(try SeccompArchitecture.aarch64.resolve("arch_prctl") == .unavailable)
    }

    @Test func unknownNameNamesNameArchitectureAndVersion() {
        #expect {
            try SeccompArchitecture.x86_64.resolve("frobnicate")
        } throws: { error in
            (error as? SyscallResolutionError)?.description
                == "unknown system call \"frobnicate\" for x86_64 (libseccomp \(LibseccompVersion.current))"
        }
    }

    /// libseccomp reads a C string, which would end at the NUL and resolve `read`.
    @Test func aNameWithANulIsUnknownNotTruncated() {
        #expect(throws: SyscallResolutionError.unknownSyscall(
            name: "read\u{0}garbage", architecture: .x86_64, libseccomp: .current)
        ) {
            try SeccompArchitecture.x86_64.resolve("read\u{0}garbage")
        }
        let policy = SeccompPolicy(defaultAction: .errno(1), architectures: [.x86_64]) { Allow("read\u{0}garbage") }
        #expect(throws: SeccompPolicyError.self) { try policy.resolve() }
        // The message shows the NUL escaped, so a terminal prints all of the name.
        let error = SyscallResolutionError.unknownSyscall(name: "read\u{0}garbage", architecture: .x86_64, libseccomp: .current)
        #expect(error.description.hasPrefix(#"unknown system call "read\0garbage" for x86_64"#))
    }

    @Test func rawNumbersGetTheX32Bit() throws {
        #expect(try SeccompArchitecture.x86_64.resolve(Syscall(number: 451)) == .number(451))
        #expect(try SeccompArchitecture.x32.resolve(Syscall(number: 451)) == .number(0x4000_01c3))
        #expect(throws: SyscallResolutionError.invalidSyscallNumber(-5)) {
            try SeccompArchitecture.x86_64.resolve(Syscall(number: -5))
        }
    }

    @Test func architectures() throws {
        #expect(SeccompArchitecture.x32.auditArchitecture == .x86_64)
        #expect(SeccompArchitecture.x32.token == 0x4000_003e)
        #expect(SeccompArchitecture.x32.usesX32SyscallBit)
        #expect(!SeccompArchitecture.x86_64.usesX32SyscallBit)
        #expect(SeccompArchitecture(name: "amd64") == .x86_64)
        #expect(SeccompArchitecture(name: "arm64") == .aarch64)
        #expect(SeccompArchitecture(name: "mips64el") == .mipsel64)
        #expect(SeccompArchitecture(name: "i386") == .x86)
        #expect(SeccompArchitecture(name: "vax") == nil)
        #expect(SeccompArchitecture.mips.enosys == 89)
        #expect(SeccompArchitecture.x86_64.enosys == 38)
        #if arch(x86_64)
            #expect(SeccompArchitecture.native == .x86_64)
        #elseif arch(arm64)
            #expect(SeccompArchitecture.native == .aarch64)
        #endif
        for architecture in SeccompArchitecture.all where architecture.isSupportedByLibseccomp {
            #expect(SeccompArchitecture(token: architecture.token) == architecture)
            if !architecture.usesX32SyscallBit {
                #expect(architecture.token == architecture.auditArchitecture.rawValue)
            }
        }
        let required: [SeccompArchitecture] = [
            .x86_64, .x86, .x32, .aarch64, .arm, .riscv64, .s390x, .ppc64le, .mips64,
        ]
        for architecture in required {
            #expect(architecture.isSupportedByLibseccomp, "\(architecture)")
        }
    }

    @Test func unsupportedArchitectureIsAClearError() throws {
        let loongarch = SeccompArchitecture.loongarch64
        if loongarch.isSupportedByLibseccomp {
            #expect(try loongarch.resolve("read") == .number(63))
        } else {
            #expect(throws: SyscallResolutionError.unsupportedArchitecture(loongarch, libseccomp: .current)) {
                try loongarch.resolve("read")
            }
            let error = SyscallResolutionError.unsupportedArchitecture(loongarch, libseccomp: .current)
            #expect(error.description.contains("loongarch64"))
            #expect(error.description.contains("2.6.0"))
        }
    }

    @Test func knownNumbers() throws {
        let x86_64 = try SeccompArchitecture.x86_64.knownSyscallNumbers()
        #expect(x86_64.first == 0)
        #expect(x86_64 == x86_64.sorted())
        #expect(x86_64.contains(257))
        #expect(!x86_64.contains(0x4000_0000))
        let x32 = try SeccompArchitecture.x32.knownSyscallNumbers()
        #expect(x32.allSatisfy { UInt32($0) & SeccompArchitecture.x32SyscallBit != 0 })
        // ARM's private calls: cacheflush is __ARM_NR_cacheflush, 0x0f0002.
        #expect(try SeccompArchitecture.arm.knownSyscallNumbers().contains(0x0f_0002))
        #expect(try SeccompArchitecture.mips.knownSyscallNumbers().first == 4000)
        let ranges = try SeccompArchitecture.x86_64.knownSyscallRanges()
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.reduce(0) { $0 + $1.count } == x86_64.count)
    }

    // MARK: Groups

    @Test func groupsFollowSystemd() throws {
        #expect(SyscallGroup.all.count == 30)
        #expect(SyscallGroup(named: "@basic-io") == .basicIO)
        #expect(SyscallGroup(named: "network-io") == .networkIO)
        #expect(SyscallGroup(named: "@nonsense") == nil)
        #expect(SyscallGroup.basicIO.description == "@basic-io")
        #expect(SyscallGroup.basicIO.contains("read"))
        for group in SyscallGroup.all {
            for member in group.members where member.hasPrefix("@") {
                #expect(SyscallGroup(named: member) != nil, "\(group) names \(member)")
            }
        }
        let names = SyscallGroup.all.map(\.description)
        for expected in [
            "@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug", "@default", "@file-system",
            "@io-event", "@ipc", "@keyring", "@known", "@memlock", "@module", "@mount", "@network-io",
            "@obsolete", "@pkey", "@privileged", "@process", "@raw-io", "@reboot", "@resources", "@sandbox",
            "@setuid", "@signal", "@swap", "@sync", "@system-service", "@timer",
        ] {
            #expect(names.contains(expected), "\(expected)")
        }
    }

    @Test func nestedGroupsExpand() {
        let service = SyscallGroup.systemService.syscallNames
        #expect(service.contains("read"))  // @basic-io
        #expect(service.contains("openat"))  // @file-system
        #expect(service.contains("execve"))  // @default
        #expect(service.contains("ioctl"))  // its own
        #expect(Set(service).count == service.count)
        #expect(SyscallGroup.systemService.nestedGroups.contains(.basicIO))
        let privileged = SyscallGroup.privileged.syscallNames
        #expect(privileged.contains("chown"))  // @chown
        #expect(privileged.contains("reboot"))  // @reboot
        #expect(SyscallGroup.known.syscallNames.contains("_sysctl"))  // @obsolete
        #expect(SyscallGroup.known.syscallNames.count > 450)
    }

    @Test func groupMembersUnknownOnAnArchitectureAreSkipped() throws {
        // @file-system lists open, which aarch64 lacks; @default lists names libseccomp may not know.
        let policy = SeccompPolicy(defaultAction: .killProcess, architectures: [.aarch64, .x86_64]) {
            Allow(.group(.fileSystem), .group(.default), .group(.known))
        }
        let resolved = try policy.resolve()
        let aarch64 = try #require(resolved.architectures.first)
        #expect(aarch64.syscall(number: 56)?.rules.first?.action == .allow)  // openat
        let x86_64 = resolved.architectures[1]
        #expect(x86_64.syscall(number: 2)?.rules.first?.action == .allow)  // open
    }

    // MARK: DSL

    @Test func dslBuildsTheExpectedPolicy() {
        let includeDebug = false
        let policy = SeccompPolicy(defaultAction: .errno(1), architectures: [.x86_64, .aarch64]) {
            Allow(.read, .write, "exit_group")
            Allow(.socket) { $0.arg(0) == AF_UNIX }
            Allow(.mmap) {
                $0.arg(2) & 0x4 == 0
                $0.arg(3).low32 != -1
            }
            Fail(.EPERM, .ptrace)
            Allow(.group(.basicIO))
            Kill(.number(451))
            Log(.openat)
            Respond(.trace(7), .execve)
            if includeDebug { Allow(.group(.debug)) }
        }
        let expected = SeccompPolicy(
            defaultAction: .errno(1), architectures: [.x86_64, .aarch64],
            rules: [
                SeccompRule(.allow, .syscall(Syscall("read"))),
                SeccompRule(.allow, .syscall(Syscall("write"))),
                SeccompRule(.allow, .syscall(Syscall("exit_group"))),
                SeccompRule(.allow, .syscall("socket"), conditions: [ArgumentCondition(argument: 0, .equal, 1)]),
                SeccompRule(.allow, .syscall("mmap"), conditions: [
                    ArgumentCondition(argument: 2, .maskedEqual(mask: 4), 0),
                    ArgumentCondition(argument: 3, .notEqual, 0xffff_ffff_ffff_ffff, width: .low32),
                ]),
                SeccompRule(.errno(1), .syscall("ptrace")),
                SeccompRule(.allow, .group(.basicIO)),
                SeccompRule(.killProcess, .syscall(Syscall(number: 451))),
                SeccompRule(.log, .syscall("openat")),
                SeccompRule(.trace(7), .syscall("execve")),
            ]
        )
        #expect(policy == expected)
        #expect(policy.foreignArchitectureAction == .killProcess)
        #expect(!policy.unknownSyscallsFailWithENOSYS)
    }

    @Test func errnoCodes() {
        #expect(ErrnoCode.EPERM.rawValue == 1)
        #expect(ErrnoCode.ENOSYS.rawValue == 38)
        #expect(ErrnoCode(Errno.notPermitted) == .EPERM)
        #expect(ErrnoCode(name: "ewouldblock") == .EAGAIN)
        #expect(ErrnoCode(rawValue: 13).description == "EACCES")
        #expect(ErrnoCode(rawValue: 4000).description == "4000")
    }

    // MARK: Resolution and meaning

    @Test func firstMatchingRuleDecides() throws {
        let policy = SeccompPolicy(
            defaultAction: .errno(1), architectures: [.x86_64], unknownSyscallsFailWithENOSYS: true
        ) {
            Fail(.EAFNOSUPPORT, .socket) { $0.arg(0) == 10 }
            Allow(.socket)
            Allow(.read)
            Allow(.number(1000))
        }
        let resolved = try policy.resolve()
        let audit = AuditArchitecture.x86_64.rawValue
        func action(_ number: Int32, _ arguments: [UInt64] = []) -> SeccompAction {
            resolved.action(for: SeccompData(number: number, architecture: audit, arguments: arguments))
        }
        #expect(action(41, [10]) == .errno(97))
        #expect(action(41, [2]) == .allow)
        #expect(action(0) == .allow)
        #expect(action(1) == .errno(1))  // known, no rule: default
        #expect(action(999) == .errno(38))  // unknown: ENOSYS
        #expect(action(1000) == .allow)  // unknown but allowed by number
        // An x32 call to an x86_64-only policy is foreign.
        #expect(action(0x4000_0000) == .killProcess)
        // Another architecture is foreign.
        #expect(resolved.action(for: SeccompData(number: 0, architecture: AuditArchitecture.aarch64.rawValue))
            == .killProcess)
        let socket = try #require(resolved.architectures[0].syscall(number: 41))
        #expect(socket.name == "socket")
        #expect(socket.rules.map(\.ruleIndex) == [0, 1])
    }

    @Test func x32AndX86_64AreToldApartByBit30() throws {
        let policy = SeccompPolicy(defaultAction: .errno(1), architectures: [.x86_64, .x32]) {
            Allow(.read)
            Fail(.EPERM, .write)
        }
        let resolved = try policy.resolve()
        let audit = AuditArchitecture.x86_64.rawValue
        #expect(resolved.action(for: SeccompData(number: 0, architecture: audit)) == .allow)
        #expect(resolved.action(for: SeccompData(number: 0x4000_0000, architecture: audit)) == .allow)
        #expect(resolved.action(for: SeccompData(number: 0x4000_0001, architecture: audit)) == .errno(1))
        #expect(resolved.architectures[1].syscalls.map(\.number) == [0x4000_0000, 0x4000_0001])
    }

    @Test func multiplexedCallsResolveAsLibseccompDoes() throws {
        let policy = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86]) {
            Allow(.socket)
        }
        let x86 = try #require(try policy.resolve().architectures.first)
        #expect(x86.syscall(number: 359)?.rules == [ResolvedRule(action: .allow, conditions: [], ruleIndex: 0)])
        #expect(x86.syscall(number: 102)?.rules == [
            ResolvedRule(
                action: .allow, conditions: [ArgumentCondition(argument: 0, .equal, 1, width: .low32)], ruleIndex: 0)
        ])
        let audit = AuditArchitecture.x86.rawValue
        let resolved = try policy.resolve()
        #expect(resolved.action(for: SeccompData(number: 102, architecture: audit, arguments: [1])) == .allow)
        #expect(resolved.action(for: SeccompData(number: 102, architecture: audit, arguments: [3])) == .killProcess)
    }

    /// As libseccomp 2.5.4: conditions on argument 0 are checked on the direct number, and the
    /// multiplexer checks only the subcall; conditions on other arguments are refused.
    @Test func conditionsOnMultiplexedCallsApplyToTheDirectNumber() throws {
        let policy = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64, .x86]) {
            Allow(.socket) { $0.arg(0) == AF_UNIX }
        }
        let x86 = try policy.resolve().architectures[1]
        let family = ArgumentCondition(argument: 0, .equal, 1, width: .low32)
        #expect(x86.syscall(number: 359)?.rules == [ResolvedRule(action: .allow, conditions: [family], ruleIndex: 0)])
        #expect(x86.syscall(number: 102)?.rules == [ResolvedRule(action: .allow, conditions: [family], ruleIndex: 0)])
        #expect(x86.action(forSyscall: 359, arguments: [2]) == .killProcess)
        #expect(x86.action(forSyscall: 102, arguments: [1, 0xbf00_0000]) == .allow)

        let onArgument1 = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64, .x86]) {
            Allow(.socket) { $0.arg(1) == 1 }
        }
        #expect {
            try onArgument1.resolve()
        } throws: { error in
            guard case .conditionsOnMultiplexedSyscall(_, 0, "socket", "socketcall", .x86)? =
                error as? SeccompPolicyError
            else { return false }
            return "\(error)".contains("only conditions on argument 0 can be kept")
        }
        // Only x86_64: fine.
        var single = onArgument1
        single.architectures = [.x86_64]
        #expect(throws: Never.self) { try single.validate() }

        // Rules that differ only in conditions the multiplexer cannot check, with other actions.
        let clash = SeccompPolicy(defaultAction: .killProcess, architectures: [.s390x]) {
            Allow(.socket) { $0.arg(0) == 1 }
            Fail(.EAFNOSUPPORT, .socket) { $0.arg(0) == 40 }
        }
        #expect {
            try clash.resolve()
        } throws: { error in
            guard case .multiplexedContradiction(_, 0, _, 1, "socket", "socketcall", .s390x)? = error as? SeccompPolicyError
            else { return false }
            return "\(error)".contains("s390x also reaches socket through socketcall")
        }
    }

    @Test func thirtyTwoBitArchitecturesCompareLow32Bits() throws {
        let policy = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64, .x86]) {
            Allow(.read) { $0.arg(0) == -1 }
        }
        let resolved = try policy.resolve()
        #expect(resolved.architectures[0].syscall(number: 0)?.rules.first?.conditions
            == [ArgumentCondition(argument: 0, .equal, 0xffff_ffff_ffff_ffff)])
        #expect(resolved.architectures[1].syscall(number: 3)?.rules.first?.conditions
            == [ArgumentCondition(argument: 0, .equal, 0xffff_ffff, width: .low32)])

        let tooWide = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86]) {
            Allow(.read) { $0.arg(0) == 0x1_0000_0000 }
        }
        #expect {
            try tooWide.resolve()
        } throws: { error in
            if case .invalidCondition(_, 0, _, _)? = error as? SeccompPolicyError { return true }
            return false
        }
    }

    @Test func contradictionsAreRejectedNamingBothRules() {
        let policy = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64]) {
            Allow(.read)
            Allow(.write)
            Fail(.EPERM, .write)
        }
        #expect {
            try policy.validate()
        } throws: { error in
            guard let error = error as? SeccompPolicyError,
                case .contradiction(_, 1, _, 2, "write", .x86_64) = error
            else { return false }
            return error.description.contains("rule 3 \"errno(EPERM) write\" contradicts rule 2 \"allow write\"")
        }

        // A conditional rule after an unconditional one for the same call can never apply.
        let shadowed = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64]) {
            Allow(.socket)
            Fail(.EAFNOSUPPORT, .socket) { $0.arg(0) == 10 }
        }
        #expect(throws: SeccompPolicyError.self) { try shadowed.validate() }

        // An explicit rule after a group that already decides it.
        let afterGroup = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64]) {
            Allow(.group(.basicIO))
            Fail(.EPERM, .write)
        }
        #expect(throws: SeccompPolicyError.self) { try afterGroup.validate() }
    }

    @Test func agreeingOrCarvedOutRulesAreAccepted() throws {
        // Carving calls out of a group: the earlier rule wins for group members.
        let carved = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64]) {
            Fail(.EPERM, .group(.privileged))
            Allow(.group(.systemService))
        }
        let resolved = try carved.resolve()
        let chown = try #require(resolved.architectures[0].syscall(number: 92))
        #expect(chown.rules.map(\.action) == [.errno(1)])
        // The same rule twice, and different conditions, are fine; the duplicate is dropped.
        let duplicate = SeccompPolicy(defaultAction: .killProcess, architectures: [.x86_64]) {
            Allow(.read)
            Allow(.read)
            Fail(.EPERM, .write) { $0.arg(0) == 1 }
            Allow(.write) { $0.arg(0) == 2 }
        }
        let x86_64 = try duplicate.resolve().architectures[0]
        #expect(x86_64.syscall(number: 0)?.rules.count == 1)
        #expect(x86_64.syscall(number: 1)?.rules.count == 2)
    }

    /// A foreign-architecture action that lets calls run opens the conventions the policy leaves
    /// out; the policy is valid, and says so in its warnings.
    @Test func foreignArchAllowIsAWarning() throws {
        let open = try SeccompPolicy(parsing: "default errno(EPERM)\narch x86_64\nforeign-arch allow\nallow read\n")
        #expect(open.warnings == [.foreignArchitecturesAllowed(action: .allow, opened: [.x86, .x32])])
        #expect(open.warnings.first?.description.hasPrefix(
            "foreign-arch allow opens the entry points of x86, x32, which a process can reach on the same kernel "
                + "(x86 through int 0x80, x32 with bit 30 in the number)") == true, "\(open.warnings)")
        let logged = try SeccompPolicy(parsing: "default errno(EPERM)\narch x86_64 x86\nforeign-arch log\n")
        #expect(logged.warnings == [.foreignArchitecturesAllowed(action: .log, opened: [.x32])])
        let arm = try SeccompPolicy(parsing: "default errno(EPERM)\narch aarch64\nforeign-arch allow\n")
        #expect(arm.warnings == [.foreignArchitecturesAllowed(action: .allow, opened: [.arm])])
        for closed in ["kill-process", "kill-thread", "errno(EPERM)", "trap"] {
            #expect(try SeccompPolicy(parsing: "default allow\nforeign-arch \(closed)\n").warnings.isEmpty, "\(closed)")
        }
    }

    @Test func otherPolicyErrors() {
        #expect(throws: SeccompPolicyError.noArchitectures) {
            try SeccompPolicy(defaultAction: .allow, architectures: []).validate()
        }
        #expect(throws: SeccompPolicyError.duplicateArchitecture(.x86)) {
            try SeccompPolicy(defaultAction: .allow, architectures: [.x86, .x86]).validate()
        }
        let unknown = SeccompPolicy(defaultAction: .allow, architectures: [.x86_64]) { Allow("frobnicate") }
        #expect {
            try unknown.validate()
        } throws: { error in
            (error as? SeccompPolicyError)?.description
                == "rule 1 \"allow frobnicate\": unknown system call \"frobnicate\" for x86_64 (libseccomp \(LibseccompVersion.current))"
        }
        let nowhere = SeccompPolicy(defaultAction: .allow, architectures: [.aarch64, .riscv64]) { Allow(.open) }
        #expect {
            try nowhere.validate()
        } throws: { error in
            if case .unavailableSyscall(_, 0, "open", _)? = error as? SeccompPolicyError { return true }
            return false
        }
        let badArgument = SeccompPolicy(defaultAction: .allow, architectures: [.x86_64]) {
            Allow(.read) { $0.arg(6) == 0 }
        }
        #expect(throws: SeccompPolicyError.self) { try badArgument.validate() }
        let bigErrno = SeccompPolicy(defaultAction: .errno(5000), architectures: [.x86_64])
        #expect(throws: SeccompPolicyError.self) { try bigErrno.validate() }
    }

    // MARK: Text format

    static let sample = """
        # A small service.
        default errno(EPERM)
        arch x86_64 aarch64
        foreign-arch KILL_THREAD
        unknown-syscalls enosys

        errno(EAFNOSUPPORT) socket arg0 == 10   # no IPv6
        allow socket
        allow @basic-io @io-event
        allow mmap arg2 & 0x4 == 0 && arg3.lo32 != -1
        allow ioctl arg1.lo32 == 0x5401
        allow 451
        trap(5) ptrace
        kill execve
        """

    @Test func parsesTheTextFormat() throws {
        let policy = try SeccompPolicyFormat.parse(Self.sample)
        let expected = SeccompPolicy(
            defaultAction: .errno(1), architectures: [.x86_64, .aarch64], foreignArchitectureAction: .killThread,
            unknownSyscallsFailWithENOSYS: true
        ) {
            Fail(.EAFNOSUPPORT, .socket) { $0.arg(0) == 10 }
            Allow(.socket)
            Allow(.group(.basicIO), .group(.ioEvent))
            Allow(.mmap) {
                $0.arg(2) & 0x4 == 0
                $0.arg(3).low32 != -1
            }
            Allow(.ioctl) { $0.arg(1).low32 == 0x5401 }
            Allow(.number(451))
            Seccomp.Trap(.ptrace, data: 5)  // qualified: InstallerTests has an enum Trap
            Kill(.execve)
        }
        #expect(policy == expected)
    }

    @Test func printParsePrintIsStable() throws {
        let policy = try SeccompPolicyFormat.parse(Self.sample)
        let printed = SeccompPolicyFormat.format(policy)
        let reparsed = try SeccompPolicyFormat.parse(printed)
        #expect(reparsed == policy)
        #expect(SeccompPolicyFormat.format(reparsed) == printed)
        #expect(printed.hasPrefix("default errno(EPERM)\narch x86_64 aarch64\nforeign-arch kill-thread\n"))
        #expect(printed.contains("\nallow mmap arg2 & 0x4 == 0 && arg3.lo32 != 0xffffffffffffffff\n"))
        #expect(printed.contains("\nallow @basic-io\nallow @io-event\n"))
        #expect(printed.contains("\ntrap(5) ptrace\nkill-process execve\n"))

        let dsl = SeccompPolicy(defaultAction: .log, architectures: [.x86, .x32]) {
            Allow(.read) { $0.arg(0) >= 3 }
            Respond(.userNotification, .openat)
            Respond(.errno(4000), .number(7))
        }
        #expect(try SeccompPolicy(parsing: dsl.text) == dsl)
    }

    @Test func nativeIsTheDefaultArchitecture() throws {
        let policy = try SeccompPolicyFormat.parse("default allow\n")
        #expect(policy.architectures == [.native])
        #expect(policy.foreignArchitectureAction == .killProcess)
        #expect(policy.rules.isEmpty)
        #expect(try SeccompPolicyFormat.parse("default allow\narch native").architectures == [.native])
    }

    static let syntaxErrors: [(text: String, line: Int, column: Int, what: String)] = [
        ("default allow\nalow read", 2, 1, "unknown action \"alow\""),
        // C reads 010 as 8, so the format takes neither meaning.
        ("default allow\nallow read arg0 == 010", 2, 20, "invalid value \"010\""),
        ("default allow\nallow @nonsense", 2, 7, "unknown group \"@nonsense\""),
        ("default allow\nallow read arg6 == 1", 2, 12, "invalid argument \"arg6\""),
        ("default allow\nallow read arg0 & 4 != 1", 2, 21, "!= after a mask"),
        ("default allow\nallow read arg0 = 1", 2, 17, "unexpected \"=\""),
        ("default allow\nallow read arg0 ==", 2, 19, "missing value"),
        ("default allow\nallow read arg0.lo32 == 0x100000000", 2, 25, "value 0x100000000 does not fit in 32 bits"),
        ("default allow\nallow read arg0 == 1 arg1 == 2", 2, 22, "unexpected \"arg1\""),
        ("default allow\nallow read arg0 == 1 &&", 2, 24, "missing condition"),
        ("default allow\nallow read arg0", 2, 16, "missing comparison"),
        ("default", 1, 8, "missing action"),
        ("default allow\narch", 2, 5, "missing architecture"),
        ("default allow\ntrap(x) read", 2, 6, "invalid trap data \"x\""),
        ("default allow\nallow re-ad", 2, 7, "invalid system call name \"re-ad\""),
        ("default allow\n== read", 2, 1, "unexpected \"==\""),
        ("default allow\nallow", 2, 6, "missing system call"),
        ("default allow\nerrno(EFOO) read", 2, 7, "unknown errno \"EFOO\""),
        ("default allow\nerrno read", 2, 6, "missing errno"),
        ("allow read", 1, 1, "missing default action"),
        ("default allow\ndefault log", 2, 1, "second default action"),
        ("default allow\narch x86_64 vax", 2, 13, "unknown architecture \"vax\""),
        ("default allow\narch x86_64\narch x86_64", 3, 6, "architecture x86_64 listed twice"),
        ("default allow\nunknown-syscalls maybe", 2, 18, "unexpected \"maybe\""),
        ("default allow\nallow read; write", 2, 11, "unexpected character \";\""),
        ("default allow\nallow 99999999999", 2, 7, "invalid system call number \"99999999999\""),
    ]

    @Test(arguments: syntaxErrors)
    func syntaxErrorsHaveLineColumnWhatAndWhy(text: String, line: Int, column: Int, what: String) {
        #expect {
            try SeccompPolicyFormat.parse(text)
        } throws: { error in
            guard let error = error as? PolicyFormatError else { return false }
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.what == what, "\(error)")
            #expect(!error.why.isEmpty)
            #expect(error.description == "\(line):\(column): \(what): \(error.why)")
            return true
        }
    }

    @Test func validationErrorsPointAtTheRule() {
        #expect {
            try SeccompPolicyFormat.parse("default allow\narch x86_64\n\nallow read frobnicate")
        } throws: { error in
            guard let error = error as? PolicyFormatError else { return false }
            return error.line == 4 && error.column == 12
                && error.what == "unknown system call \"frobnicate\" for x86_64 (libseccomp \(LibseccompVersion.current))"
        }
        #expect {
            try SeccompPolicyFormat.parse("default kill\narch x86_64\nallow write\n# later\nerrno(EPERM) write\n")
        } throws: { error in
            guard let error = error as? PolicyFormatError else { return false }
            return error.line == 5 && error.what == "rule contradicts line 3 \"allow write\""
                && error.why.contains("put the more specific rule first")
        }
        #expect {
            try SeccompPolicyFormat.parse("default kill\narch x86 x86_64\nallow socket arg2 == 1\n")
        } throws: { error in
            guard let error = error as? PolicyFormatError else { return false }
            return error.line == 3 && error.column == 7 && error.what == "conditions on socket cannot be checked on x86"
        }
        #expect {
            try SeccompPolicyFormat.parse("default kill\narch x86\nallow socket arg0 == 1\nerrno(1) socket arg0 == 2\n")
        } throws: { error in
            guard let error = error as? PolicyFormatError else { return false }
            return error.line == 4 && error.what == "rule contradicts line 3 \"allow socket arg0 == 1\" on x86"
                && error.why.contains("line 3 decides every such call first")
        }
        // Without validation, names are not looked up.
        #expect(throws: Never.self) {
            try SeccompPolicyFormat.parse("default allow\nallow frobnicate", validate: false)
        }
    }
}
