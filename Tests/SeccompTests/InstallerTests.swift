import CBPF
import CLinuxShims
import Glibc
import Seccomp
import Synchronization
import SystemPackage
import TestSupport
import Testing

/// Kernel tests of ``SeccompInstaller`` and ``SeccompNotificationListener``.
///
/// A filter cannot be removed, so every filter is installed in a child: each
/// `#expect(processExitsWith:)` body runs in a fresh copy of the test binary, and expectations
/// that fail there are reported here. The filters are written by hand with ``Instruction``.
@Suite(.enabled(
    if: Kernel.has(action: .allow), "skipped: this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER, Linux 4.14)"))
struct InstallerTests {
    // MARK: Actions

    /// ERRNO's data is the errno, capped by the kernel at 4095 (`MAX_ERRNO`); ERRNO(0) makes
    /// the call return 0 without running it.
    @Test(arguments: [(1, 1), (13, 13), (4095, 4095), (4096, 4095), (0xffff, 4095), (0, 0)] as [(UInt16, Int32)])
    func errnoReturnsTheExactErrno(data: UInt16, expectedErrno: Int32) async {
        // The decoder caps the data as the kernel does.
        let decoded = SeccompAction(returnValue: SeccompAction.errno(data).returnValue)
        #expect(decoded == .errno(UInt16(expectedErrno)), "the return value of ERRNO(\(data)) decodes as \(decoded)")
        await #expect(processExitsWith: .success) { [data, expectedErrno] in
            try SeccompInstaller().install(filter([(Call.unused, .errno(data))]))
            let expected: Result<Int, Errno> =
                expectedErrno == 0 ? .success(0) : .failure(Errno(rawValue: expectedErrno))
            let observed = systemCall(Call.unused)
            #expect(observed == expected, "ERRNO(\(data)) gave \(observed), expected \(expected)")
        }
    }

    @Test(.enabled(
        if: Kernel.has(action: .killProcess), "skipped: this kernel has no SECCOMP_RET_KILL_PROCESS (Linux 4.14)"))
    func killProcessEndsTheProcessWithSIGSYS() async {
        await #expect(processExitsWith: .signal(SIGSYS)) {
            disableCoreDumps()
            try SeccompInstaller().install(filter([(Call.getppid, .killProcess)]))
            _ = systemCall(Call.getppid)
        }
    }

    /// The handler sees `SYS_SECCOMP` with the call's number in `si_syscall`, the filter's data
    /// in `si_errno` and the architecture in `si_arch`; the process goes on.
    @Test(.enabled(if: Kernel.has(action: .trap(0)), "skipped: this kernel has no SECCOMP_RET_TRAP"))
    func trapDeliversSIGSYSWithTheCallAndTheData() async {
        await #expect(processExitsWith: .success) {
            Trap.installHandler()
            try SeccompInstaller().install(filter([(Call.unused, .trap(0x4242))]))
            _ = systemCall(Call.unused, 1, 2)
            let (signal, code, number, data, architecture) = Trap.recorded
            #expect(signal == SIGSYS, "signal \(signal) was handled, not SIGSYS")
            #expect(code == 1, "si_code \(code) is not SYS_SECCOMP")
            #expect(number == Int32(Call.unused), "si_syscall \(number)")
            #expect(data == 0x4242, "si_errno 0x\(String(data, radix: 16)) is not the filter's data")
            #expect(architecture == native.rawValue, "si_arch 0x\(String(architecture, radix: 16))")
        }
    }

    /// Both let the call run: a real call returns its real result, and the unused number
    /// reaches the kernel's own ENOSYS.
    @Test(
        .enabled(if: Kernel.has(action: .log), "skipped: this kernel has no SECCOMP_RET_LOG (Linux 4.14)"),
        arguments: ["ALLOW", "LOG"])
    func allowAndLogLetTheCallRun(actionName: String) async {
        await #expect(processExitsWith: .success) { [actionName] in
            let action: SeccompAction = actionName == "LOG" ? .log : .allow
            let parent = Int(getppid())
            try SeccompInstaller().install(filter([(Call.getppid, action), (Call.unused, action)]))
            let real = systemCall(Call.getppid)
            #expect(real == .success(parent), "\(action): getppid gave \(real), the parent is \(parent)")
            let unused = systemCall(Call.unused)
            #expect(unused == .failure(.noFunction), "\(action): the unused number gave \(unused)")
        }
    }

    // MARK: Arguments

    /// 64-bit arguments are two 32-bit words in `seccomp_data`. The filter below compares
    /// arg0's words for equality and tests arg1's sign bit; each case states the decision that
    /// the filter, read as written, makes. The kernel and ``Interpreter`` must both make it.
    @Test func argumentWordsDecideAsWritten() async throws {
        let interpreter = try Interpreter(argumentFilter, for: .seccomp)
        for (arguments, expected) in argumentCases {
            let data = SeccompData(number: Int32(Call.unused), architecture: native, arguments: arguments)
            let decision = SeccompAction(returnValue: interpreter.run(seccomp: data))
            #expect(decision == expected, "interpreter: \(hex(arguments))")
        }
        await #expect(processExitsWith: .success) {
            try SeccompInstaller().install(argumentFilter)
            for (arguments, expected) in argumentCases {
                let observed: SeccompAction =
                    switch systemCall(Call.unused, arguments[0], arguments[1]) {
                    case .failure(.noFunction): .allow  // the unused number ran into the kernel
                    case .failure(let errno): .errno(UInt16(errno.rawValue))
                    case .success(let value): .errno(UInt16(truncatingIfNeeded: value))  // as ERRNO(0) would
                    }
                #expect(observed == expected, "kernel: \(hex(arguments)) gave \(observed), expected \(expected)")
            }
        }
    }

    /// The builder's named `seccomp_data` fields and seccomp returns, read by the kernel: arg1's
    /// high and low words are where the names say on this machine.
    @Test func builderNamedFieldsReadWhatTheKernelPasses() async throws {
        let interpreter = try Interpreter(namedFieldFilter(), for: .seccomp)
        for (argument, errno) in namedFieldCases {
            let data = SeccompData(number: Int32(Call.unused), architecture: native, arguments: [0, argument])
            #expect(interpreter.run(seccomp: data) == SeccompAction.errno(errno).returnValue)
        }
        await #expect(processExitsWith: .success) {
            try SeccompInstaller().install(namedFieldFilter())
            for (argument, errno) in namedFieldCases {
                let result = systemCall(Call.unused, 0, argument)
                #expect(result == .failure(Errno(rawValue: Int32(errno))), "arg1 \(hex([argument])) gave \(result)")
            }
        }
    }

    // MARK: No new privileges and verification

    @Test(.enabled(if: !SeccompInstaller.noNewPrivilegesIsSet, "skipped: the test runner already has no_new_privs"))
    func setsNoNewPrivilegesByDefault() async {
        await #expect(processExitsWith: .success) {
            #expect(!SeccompInstaller.noNewPrivilegesIsSet, "no_new_privs was set before installing")
            try SeccompInstaller().install(filter([(Call.unused, .errno(1))]))
            #expect(SeccompInstaller.noNewPrivilegesIsSet, "PR_SET_NO_NEW_PRIVS was not set")
        }
    }

    @Test(
        .enabled(if: !SeccompInstaller.noNewPrivilegesIsSet, "skipped: the test runner already has no_new_privs"),
        .enabled(if: Kernel.underCI || hasCapSysAdmin(), "skipped: needs CAP_SYS_ADMIN (run as root)"))
    func optOutWithCapSysAdminLeavesNoNewPrivilegesUnset() async {
        await #expect(processExitsWith: .success) {
            try SeccompInstaller(noNewPrivileges: .leaveUnchanged).install(filter([(Call.unused, .errno(1))]))
            #expect(!SeccompInstaller.noNewPrivilegesIsSet, "the opt-out set PR_SET_NO_NEW_PRIVS")
            let result = systemCall(Call.unused)
            #expect(result == .failure(.notPermitted), "the filter is not installed: \(result)")
        }
    }

    /// Without no-new-privileges and without CAP_SYS_ADMIN the kernel refuses with EACCES. As
    /// root, the child first becomes `nobody`, which drops every capability.
    @Test(.enabled(if: !SeccompInstaller.noNewPrivilegesIsSet, "skipped: the test runner already has no_new_privs"))
    func optOutWithoutCapSysAdminIsRefused() async {
        await #expect(processExitsWith: .success) {
            if geteuid() == 0 {
                try #require(setgid(65534) == 0 && setuid(65534) == 0, "could not become nobody")
            }
            try #require(!hasCapSysAdmin(), "could not drop CAP_SYS_ADMIN")
            let error = installError {
                try SeccompInstaller(noNewPrivileges: .leaveUnchanged).install(filter([(Call.unused, .errno(1))]))
            }
            #expect(error == .seccomp(.permissionDenied), "got \(describe(error))")
        }
    }

    /// Our verifier refuses before anything changes; `install(raw:)` lets the kernel refuse.
    @Test func refusedProgramsChangeNothing() async {
        await #expect(processExitsWith: .success) {
            let noNewPrivilegesBefore = SeccompInstaller.noNewPrivilegesIsSet
            // `ld [64]` is past the end of seccomp_data.
            let outOfBounds = Program([.loadAbsolute(.word, offset: 64), .returnA])
            let verificationError = installError { try SeccompInstaller().install(outOfBounds) }
            if case .verification(let error) = verificationError {
                #expect(error.rule == .seccompLoadOutOfBounds(offset: 64) && error.index == 0, "got \(error)")
            } else {
                Issue.record("expected a verification error, got \(describe(verificationError))")
            }
            #expect(
                SeccompInstaller.noNewPrivilegesIsSet == noNewPrivilegesBefore, "a refused program set no_new_privs")
            let kernelError = installError { try SeccompInstaller().install(raw: outOfBounds.raw) }
            #expect(kernelError == .seccomp(.invalidArgument), "the kernel: got \(describe(kernelError))")
            let result = systemCall(Call.unused)
            #expect(result == .failure(.noFunction), "a refused program was installed: \(result)")
        }
    }

    // MARK: Flags

    @Test(arguments: [
        [.log], [.allowSpeculation], [.synchronizeThreads], [.newListener], [.newListener, .waitKillableAfterReceive],
        [.synchronizeThreads, .synchronizationFailsWithESRCH, .newListener],
    ] as [SeccompFilterFlags])
    func installsWithFlags(_ flags: SeccompFilterFlags) async throws {
        try Kernel.require(flags)
        await #expect(processExitsWith: .success) { [rawFlags = flags.rawValue as UInt32] in
            let flags = SeccompFilterFlags(rawValue: rawFlags)
            let listener = try SeccompInstaller(flags: flags).install(filter([(Call.unused, .errno(7))]))
            let returned = listener != nil
            #expect(returned == flags.contains(.newListener), "\(flags): a listener returned: \(returned)")
            let result = systemCall(Call.unused)
            #expect(result == .failure(Errno(rawValue: 7)), "\(flags): the filtered call gave \(result)")
        }
    }

    @Test func refusesFlagsThatDoNotGoTogether() async throws {
        try Kernel.require([.newListener, .waitKillableAfterReceive])
        await #expect(processExitsWith: .success) {
            let program = filter([(Call.unused, .userNotification)])
            // TSYNC's failure and NEW_LISTENER's success would both be positive results.
            let ambiguous = installError {
                try SeccompInstaller(flags: [.synchronizeThreads, .newListener]).install(program)
            }
            #expect(ambiguous == .seccomp(.invalidArgument), "TSYNC|NEW_LISTENER: got \(describe(ambiguous))")
            let alone = installError { try SeccompInstaller(flags: .waitKillableAfterReceive).install(program) }
            #expect(alone == .seccomp(.invalidArgument), "WAIT_KILLABLE_RECV alone: got \(describe(alone))")
            guard let listener = try SeccompInstaller(flags: .newListener).install(program) else {
                Issue.record("no listener")
                return
            }
            let second = installError { try SeccompInstaller(flags: .newListener).install(program) }
            #expect(second == .seccomp(.resourceBusy), "a second listener in one chain: got \(describe(second))")
            try listener.close()
        }
    }

    // MARK: Thread synchronization

    /// A thread started before the filter is filtered only when the filter is installed with
    /// TSYNC.
    @Test(
        .enabled(if: Kernel.has(flags: .synchronizeThreads), "skipped: this kernel has no SECCOMP_FILTER_FLAG_TSYNC"),
        arguments: [false, true])
    func synchronizeThreadsCoversAnotherThread(synchronize: Bool) async {
        await #expect(processExitsWith: .success) { [synchronize] in
            let go = Pipe()
            let other = PosixThread {
                _ = go.receive()
                return systemCall(Call.unused)
            }
            let flags: SeccompFilterFlags = synchronize ? .synchronizeThreads : []
            try SeccompInstaller(flags: flags).install(filter([(Call.unused, .errno(18))]))
            go.send(0)
            let expected: Result<Int, Errno> = synchronize ? .failure(Errno(rawValue: 18)) : .failure(.noFunction)
            let otherResult = other.join()
            #expect(otherResult == expected, "flags \(flags): the other thread's call gave \(otherResult)")
            let ownResult = systemCall(Call.unused)
            #expect(ownResult == .failure(Errno(rawValue: 18)), "the installing thread's call gave \(ownResult)")
        }
    }

    /// Another thread has its own filter, which is not an ancestor of ours: TSYNC fails with its
    /// thread id (or ESRCH with TSYNC_ESRCH) and installs nothing.
    @Test(.enabled(if: Kernel.has(flags: .synchronizeThreads), "skipped: this kernel has no SECCOMP_FILTER_FLAG_TSYNC"))
    func failedSynchronizationNamesTheBlockingThread() async {
        let testESRCH = Kernel.has(flags: .synchronizationFailsWithESRCH)
        if !testESRCH { print("InstallerTests: no SECCOMP_FILTER_FLAG_TSYNC_ESRCH (Linux 5.7); that part is skipped") }
        await #expect(processExitsWith: .success) { [testESRCH = testESRCH as Bool] in
            let ready = Pipe()
            let done = Pipe()
            let other = PosixThread {
                let installed = Result { () throws(SeccompInstallError) in
                    _ = try SeccompInstaller().install(filter([(Call.getppid, .errno(1))]))
                }
                ready.send(Int32(cbpf_gettid()))
                _ = done.receive()  // stay alive while the main thread tries
                return installed
            }
            let blockingThread = ready.receive()
            let program = filter([(Call.unused, .errno(18))])
            let error = installError { try SeccompInstaller(flags: .synchronizeThreads).install(program) }
            #expect(
                error == .threadSynchronization(blockingThread: blockingThread),
                "thread \(blockingThread) blocks TSYNC: got \(describe(error))")
            if testESRCH {
                let esrch = installError {
                    try SeccompInstaller(flags: [.synchronizeThreads, .synchronizationFailsWithESRCH]).install(program)
                }
                #expect(esrch == .threadSynchronization(blockingThread: nil), "TSYNC_ESRCH: got \(describe(esrch))")
            }
            let result = systemCall(Call.unused)
            #expect(result == .failure(.noFunction), "a failed TSYNC installed the filter: \(result)")
            done.send(0)
            let otherInstalled = other.join()
            #expect((try? otherInstalled.get()) != nil, "the other thread's own filter: \(otherInstalled)")
        }
    }

    // MARK: User notifications

    @Test func notificationSizesCoverOurStructures() throws {
        let sizes = try SeccompNotificationSizes.current()
        #expect(sizes.notification >= MemoryLayout<seccomp_notif>.size)
        #expect(sizes.response >= MemoryLayout<seccomp_notif_resp>.size)
        #expect(sizes.data >= 64)
    }

    /// A worker thread installs a filter with a listener; this thread supervises it: it receives
    /// each call, checks that the id is valid, answers with a value, an errno and CONTINUE, and
    /// sees the id become invalid once answered.
    @Test(
        .enabled(if: Kernel.has(action: .userNotification), "skipped: no SECCOMP_RET_USER_NOTIF (Linux 5.0)"),
        .enabled(if: Kernel.has(flags: .newListener), "skipped: no SECCOMP_FILTER_FLAG_NEW_LISTENER (Linux 5.0)"),
        .enabled(if: Kernel.isAtLeast(5, 5), "skipped: SECCOMP_USER_NOTIF_FLAG_CONTINUE needs Linux 5.5"))
    func supervisorAnswersNotifications() async {
        await #expect(processExitsWith: .success) {
            let parent = Int(getppid())
            let handOver = Pipe()
            let worker = PosixThread { () -> [Result<Int, Errno>] in
                let program = filter([(Call.unused, .userNotification), (Call.getppid, .userNotification)])
                guard let listener = try? SeccompInstaller(flags: .newListener).install(program) else {
                    handOver.send(-1)
                    return []
                }
                handOver.send(Int32(cbpf_gettid()))
                handOver.send(listener.release().rawValue)  // the supervisor owns it from here
                return [
                    systemCall(Call.unused, 1, 0xffff_ffff_0000_0001), systemCall(Call.unused, 2),
                    systemCall(Call.getppid),
                ]
            }
            let workerThread = handOver.receive()
            try #require(workerThread > 0, "the worker could not install its filter")
            let listenerDescriptor = OwnedFileDescriptor(owning: FileDescriptor(rawValue: handOver.receive()))
            let listener = SeccompNotificationListener(listenerDescriptor.descriptor)

            let answers: [SeccompNotificationResponse] = [.value(42), .error(.permissionDenied), .continueCall]
            let expectedCalls: [(number: Int, arguments: [UInt64])] = [
                (Call.unused, [1, 0xffff_ffff_0000_0001]), (Call.unused, [2, 0]), (Call.getppid, [0, 0]),
            ]
            for (answer, call) in zip(answers, expectedCalls) {
                try #require(waitForNotification(listener), "no notification within 10 seconds")
                let notification = try listener.receive()
                #expect(notification.pid == workerThread, "pid \(notification.pid), the worker is \(workerThread)")
                #expect(notification.data.number == Int32(call.number), "number \(notification.data.number)")
                #expect(
                    notification.data.architecture == native, "architecture \(notification.data.architecture)")
                #expect(
                    Array(notification.data.arguments.prefix(2)) == call.arguments,
                    "arguments \(hex(notification.data.arguments))")
                #expect(try listener.isValid(notification.id), "the id of a waiting call is valid")
                try listener.respond(to: notification.id, with: answer)
                #expect(try !listener.isValid(notification.id), "an answered id is no longer valid")
            }
            let results = worker.join()
            #expect(
                results == [.success(42), .failure(.permissionDenied), .success(parent)],
                "the worker's calls, answered with a value, an errno and CONTINUE, returned \(results)")
        }
    }
}

// MARK: - Filters

#if arch(x86_64)
/// The architecture of this build's system calls, which every filter checks first.
private let native = AuditArchitecture.x86_64
#elseif arch(arm64)
private let native = AuditArchitecture.aarch64
#else
#error("InstallerTests: add this architecture's AUDIT_ARCH value")
#endif

/// The system calls the filters decide on.
private enum Call {
    /// No kernel has this number, so with ALLOW it fails with ENOSYS: any other result is the
    /// filter's doing, and the call has no side effect either way.
    static let unused = 1_000
    static let getppid = Int(SYS_getppid)
}

/// `ld [4]; jeq #native, 1, 0; ret #KILL_PROCESS; ld [0]`, then `jeq #nr, 0, 1; ret #action`
/// for each rule, then `ret #ALLOW`.
private func filter(_ rules: [(number: Int, action: SeccompAction)]) -> Program {
    var instructions: [Instruction] = [
        .loadAbsolute(.word, offset: 4),  // seccomp_data.arch
        .conditionalJump(.equal, .constant(native.rawValue), ifTrue: 1, ifFalse: 0),
        .returnConstant(SeccompAction.killProcess.returnValue),
        .loadAbsolute(.word, offset: 0),  // seccomp_data.nr
    ]
    for (number, action) in rules {
        instructions += [
            .conditionalJump(.equal, .constant(UInt32(number)), ifTrue: 0, ifFalse: 1),
            .returnConstant(action.returnValue),
        ]
    }
    instructions.append(.returnConstant(SeccompAction.allow.returnValue))
    return Program(instructions)
}

/// For the unused call: arg0 == 0x1_0000_0000 → ERRNO(10); arg0 == 0xffff_ffff → ERRNO(20);
/// arg0 == 0 → ERRNO(30); otherwise arg1's bit 63 set → ERRNO(40); otherwise ALLOW.
/// Little-endian: an argument's low word is at 16 + 8i, its high word at 20 + 8i.
/// ERRNO(11) when arg1 is 0x1_0000_0002, else ERRNO(12), for the unused number; written with
/// the builder's named fields.
private func namedFieldFilter() throws -> Program {
    try Program {
        Load.seccomp(.arch)
        Jump(if: .equal, native.rawValue, else: "kill")
        Load.seccomp(.nr)
        Jump(if: .equal, UInt32(Call.unused), else: "allow")
        Load.seccomp(.arg(1, .high))
        Jump(if: .equal, 1, else: "other")
        Load.seccomp(.arg(1, .low))
        Jump(if: .equal, 2, else: "other")
        Return(.errno(11))
        Label("other")
        Return(.errno(12))
        Label("allow")
        Return(.allow)
        Label("kill")
        Return(.killProcess)
    }
}

/// arg1 and the errno it gets from ``namedFieldFilter()``.
private let namedFieldCases: [(UInt64, UInt16)] = [(0x1_0000_0002, 11), (0x2_0000_0001, 12), (2, 12), (0x1_0000_0000, 12)]

private let argumentFilter = Program([
    /* 0 */ .loadAbsolute(.word, offset: 4),
    /* 1 */ .conditionalJump(.equal, .constant(native.rawValue), ifTrue: 1, ifFalse: 0),
    /* 2 */ .returnConstant(SeccompAction.killProcess.returnValue),
    /* 3 */ .loadAbsolute(.word, offset: 0),
    /* 4 */ .conditionalJump(.equal, .constant(UInt32(Call.unused)), ifTrue: 1, ifFalse: 0),
    /* 5 */ .returnConstant(SeccompAction.allow.returnValue),
    /* 6 */ .loadAbsolute(.word, offset: 20),  // arg0 high
    /* 7 */ .conditionalJump(.equal, .constant(1), ifTrue: 0, ifFalse: 3),  // → 8, 11
    /* 8 */ .loadAbsolute(.word, offset: 16),  // arg0 low
    /* 9 */ .conditionalJump(.equal, .constant(0), ifTrue: 0, ifFalse: 7),  // → 10, 17
    /* 10 */ .returnConstant(SeccompAction.errno(10).returnValue),
    /* 11 */ .conditionalJump(.equal, .constant(0), ifTrue: 0, ifFalse: 5),  // high == 0 → 12, 17
    /* 12 */ .loadAbsolute(.word, offset: 16),  // arg0 low
    /* 13 */ .conditionalJump(.equal, .constant(0xffff_ffff), ifTrue: 0, ifFalse: 1),  // → 14, 15
    /* 14 */ .returnConstant(SeccompAction.errno(20).returnValue),
    /* 15 */ .conditionalJump(.equal, .constant(0), ifTrue: 0, ifFalse: 1),  // → 16, 17
    /* 16 */ .returnConstant(SeccompAction.errno(30).returnValue),
    /* 17 */ .loadAbsolute(.word, offset: 28),  // arg1 high
    /* 18 */ .conditionalJump(.bitsSet, .constant(0x8000_0000), ifTrue: 0, ifFalse: 1),  // → 19, 20
    /* 19 */ .returnConstant(SeccompAction.errno(40).returnValue),
    /* 20 */ .returnConstant(SeccompAction.allow.returnValue),
])

/// (arg0, arg1) and the decision of ``argumentFilter`` as written.
private let argumentCases: [(arguments: [UInt64], expected: SeccompAction)] = [
    ([0x1_0000_0000, 0], .errno(10)),
    ([0xffff_ffff, 0], .errno(20)),
    ([0, 0], .errno(30)),
    ([0, 0xffff_ffff_ffff_ffff], .errno(30)),  // arg0's rules come first
    ([0x1_0000_0001, 0], .allow),  // high word matches, low does not
    ([0x1_ffff_ffff, 0], .allow),  // low word of 0xffff_ffff, high word 1
    ([0xffff_ffff_0000_0000, 0], .allow),  // low word 0, high word not 0
    ([1, 0], .allow),
    ([UInt64(UInt32(bitPattern: -1)), 0], .errno(20)),  // a 32-bit -1, zero-extended
    ([UInt64(bitPattern: Int64(Int32(-1))), 0], .allow),  // a 32-bit -1, sign-extended: not 0xffff_ffff
    ([5, 0x8000_0000_0000_0000], .errno(40)),
    ([5, UInt64(bitPattern: -1)], .errno(40)),
    ([5, 0x7fff_ffff_ffff_ffff], .allow),
    ([5, 0x8000_0000], .allow),  // bit 31 is in the low word
]

private func hex(_ arguments: [UInt64]) -> String {
    arguments.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
}

// MARK: - Kernel features

/// What the tests need of the kernel. Under CI (`CI` set) nothing is skipped, so that a
/// missing feature fails there instead of passing silently.
private enum Kernel {
    static var underCI: Bool { getenv("CI") != nil }

    static func has(action: SeccompAction) -> Bool {
        underCI || SeccompInstaller.isAvailable(action)
    }

    static func has(flags: SeccompFilterFlags) -> Bool {
        underCI || SeccompInstaller.supportedFlags().isSuperset(of: flags)
    }

    /// Skips the current test case when the kernel does not know the flags. The console shows
    /// no reason for a cancelled test case, so the reason is also printed.
    static func require(_ flags: SeccompFilterFlags) throws {
        if !has(flags: flags) {
            let missing = flags.subtracting(SeccompInstaller.supportedFlags())
            let reason = "skipped: this kernel does not know SECCOMP_FILTER_FLAG_\(missing)"
            print("\(Test.current?.name ?? "InstallerTests") \(flags): \(reason)")
            try Test.cancel(Comment(rawValue: reason))
        }
    }

    /// Compares the running kernel's release (`uname -r`) with `major.minor`.
    static func isAtLeast(_ major: Int, _ minor: Int) -> Bool {
        if underCI { return true }
        var names = utsname()
        guard uname(&names) == 0 else { return false }
        let release = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (major, minor)
    }
}

/// Whether the calling thread has CAP_SYS_ADMIN in its effective set (`CapEff` bit 21).
/// Capabilities are per thread, and `/proc/self` shows the main thread, which in a Swift
/// process with an async entry point may have exited long ago (with the credentials it had).
private func hasCapSysAdmin() -> Bool {
    guard let status = try? FileDescriptor.open("/proc/thread-self/status", .readOnly) else { return false }
    defer { try? status.close() }
    var bytes = [UInt8](repeating: 0, count: 8192)
    let count = (try? bytes.withUnsafeMutableBytes { try status.read(into: $0) }) ?? 0
    let text = String(decoding: bytes.prefix(count), as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
          let mask = UInt64(line.dropFirst("CapEff:".count).trimmingPrefix(while: \.isWhitespace), radix: 16)
    else { return false }
    return mask & (1 << 21) != 0
}

// MARK: - Processes, threads and signals

/// What `body` throws. Expectations compare it and print it in their comment, because a child
/// process reports only a failed expectation's comment, not its values.
private func installError(_ body: () throws -> OwnedFileDescriptor?) -> SeccompInstallError? {
    do {
        _ = try body()
        return nil
    } catch let error as SeccompInstallError {
        return error
    } catch {
        preconditionFailure("install throws only SeccompInstallError, not \(error)")
    }
}

private func describe(_ error: SeccompInstallError?) -> String {
    error.map { "\($0)" } ?? "no error"
}

/// Makes a system call through `syscall(2)` and returns its result or errno.
private func systemCall(_ number: Int, _ arguments: UInt64...) -> Result<Int, Errno> {
    let a = arguments + Array(repeating: 0, count: 6 - arguments.count)
    let result = cbpf_syscall6(number, UInt(a[0]), UInt(a[1]), UInt(a[2]), UInt(a[3]), UInt(a[4]), UInt(a[5]))
    return result == -1 ? .failure(Errno(rawValue: errno)) : .success(result)
}

/// A process killed by a filter would otherwise dump core.
private func disableCoreDumps() {
    var none = rlimit(rlim_cur: 0, rlim_max: 0)
    setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
}

/// Waits up to 10 seconds for the listener to have a notification.
private func waitForNotification(_ listener: SeccompNotificationListener) -> Bool {
    var entry = pollfd(fd: listener.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, 10_000) == 1 && entry.revents & Int16(POLLIN) != 0
}

/// Int32 values from one thread to another, on a pipe.
private struct Pipe: Sendable {
    private let readEnd: FileDescriptor
    private let writeEnd: FileDescriptor

    init() {
        (readEnd, writeEnd) = try! FileDescriptor.pipe()
    }

    func send(_ value: Int32) {
        _ = try! withUnsafeBytes(of: value) { try writeEnd.writeAll($0) }
    }

    /// Blocks until a value arrives.
    func receive() -> Int32 {
        var value: Int32 = 0
        _ = try! withUnsafeMutableBytes(of: &value) { try readEnd.read(into: $0) }
        return value
    }
}

/// What the SIGSYS handler saw; atomics, because a signal handler writes them.
private enum Trap {
    static let signal = Atomic<Int32>(0)
    static let code = Atomic<Int32>(0)
    static let systemCall = Atomic<Int32>(0)
    static let data = Atomic<Int32>(0)
    static let architecture = Atomic<UInt32>(0)

    static var recorded: (signal: Int32, code: Int32, systemCall: Int32, data: Int32, architecture: UInt32) {
        (
            signal.load(ordering: .relaxed), code.load(ordering: .relaxed), systemCall.load(ordering: .relaxed),
            data.load(ordering: .relaxed), architecture.load(ordering: .relaxed)
        )
    }

    static func installHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = recordTrap
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        sigaction(SIGSYS, &action, nil)
    }
}

private func recordTrap(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _: UnsafeMutableRawPointer?) {
    guard let info = info?.pointee else { return }
    Trap.code.store(info.si_code, ordering: .relaxed)
    Trap.systemCall.store(info._sifields._sigsys._syscall, ordering: .relaxed)
    Trap.data.store(info.si_errno, ordering: .relaxed)
    Trap.architecture.store(info._sifields._sigsys._arch, ordering: .relaxed)
    Trap.signal.store(signal, ordering: .relaxed)
}
