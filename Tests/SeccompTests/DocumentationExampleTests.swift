import CBPF
import CLinuxShims
import Glibc
import Seccomp
import Testing

// The code samples of Sources/Seccomp/Seccomp.docc and the seccomp samples of
// Sources/CBPF/CBPF.docc, exactly as the articles show them (CBPFTests'
// `articleSamplesAreTested` checks that), and the tests that check what they say: with the
// interpreter, and in the kernel, in a child process (a filter cannot be removed).

// MARK: - Seccomp.docc/HardeningAService.md

/// What the service may do once it has set up: systemd's `@system-service` set, without
/// opening sockets or connecting anywhere, and never tracing or running another program.
func servicePolicy() -> SeccompPolicy {
    SeccompPolicy(defaultAction: .errno(1), unknownSyscallsFailWithENOSYS: true) {
        Fail(.EACCES, .socket, .connect)       // decides first: no new sockets, no connecting out
        Kill(.ptrace, .execve, .execveat)      // stated, so that no later rule can allow them
        Allow(.group(.systemService))          // what a system service needs
    }
}

/// What the policy decides for a call on this machine, and what its compiled filter returns.
func decision(for name: String, arguments: [UInt64] = []) throws -> (policy: SeccompAction, filter: SeccompAction) {
    let policy = servicePolicy()
    let number = try SeccompArchitecture.native.resolve(name).numbers[0]
    let call = SeccompData(emulating: .native, number: number, arguments: arguments)
    let program = try SeccompCompiler().compile(policy)
    let returned = try Interpreter(program, for: .seccomp).run(seccomp: call)
    return (try policy.resolve().action(for: call), SeccompAction(returnValue: returned))
}

/// Installs the policy: from here on this thread, and every thread and process it creates,
/// is filtered.
func lockDown() throws {
    let program = try SeccompCompiler().compile(servicePolicy())
    try SeccompInstaller().install(program)
}

// MARK: - CBPF.docc/BuildingProgramsWithTheDSL.md

/// On x86_64, `ptrace(PTRACE_TRACEME)` fails with `EPERM` and everything else is allowed; a
/// call through another convention (x32's numbers, 32-bit x86) kills the process.
func denyTraceMe() throws -> Program {
    try Program {
        Load.seccomp(.arch)
        Jump(if: .equal, AuditArchitecture.x86_64.rawValue, else: "kill")
        Load.seccomp(.nr)
        Jump(if: .greaterOrEqual, 0x4000_0000, then: "kill")   // x32 numbers
        Jump(if: .equal, 101, else: "allow")                   // ptrace
        Load.seccomp(.arg(0, .low))
        Jump(if: .equal, 0, else: "allow")                     // PTRACE_TRACEME
        Return(.errno(1))
        Label("allow")
        Return(.allow)
        Label("kill")
        Return(.killProcess)
    }
}

/// What the filter returns for a call, from the interpreter.
func action(of filter: Program, number: Int32, arguments: [UInt64] = []) throws -> SeccompAction {
    let call = SeccompData(number: number, architecture: .x86_64, arguments: arguments)
    return SeccompAction(returnValue: try Interpreter(filter, for: .seccomp).run(seccomp: call))
}

// MARK: - Tests

@Suite(.enabled(
    if: documentationKernelHasSeccomp, "skipped: this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)"))
struct DocumentationExampleTests {
    /// The tutorial's table: what the policy decides, and that the filter agrees.
    @Test func servicePolicyDecidesAsTheTutorialSays() throws {
        let cases: [(String, [UInt64], SeccompAction)] = [
            ("socket", [2, 1, 0], .errno(13)), ("connect", [3], .errno(13)), ("read", [0], .allow),
            ("umount2", [0, 0], .errno(1)), ("ptrace", [0], .killProcess), ("execve", [], .killProcess),
            ("getppid", [], .allow),
        ]
        for (name, arguments, expected) in cases {
            let (policy, filter) = try decision(for: name, arguments: arguments)
            #expect(policy == expected, "\(name): the policy says \(policy), the tutorial \(expected)")
            #expect(filter == policy, "\(name): the filter returns \(filter), the policy says \(policy)")
        }
        #expect(!SyscallGroup.systemService.contains("umount2"))
        // `arch native` is printed as this machine's architecture.
        #expect(servicePolicy().text == """
            default errno(EPERM)
            arch \(SeccompArchitecture.native.name)
            foreign-arch kill-process
            unknown-syscalls enosys
            errno(EACCES) socket
            errno(EACCES) connect
            kill-process ptrace
            kill-process execve
            kill-process execveat
            allow @system-service

            """)
    }

    /// The tutorial's last step, in a child: after `lockDown()` a new socket fails with
    /// `EACCES`, `umount2` (not in `@system-service`) with `EPERM`, and ordinary calls work.
    @Test func lockDownInTheKernel() async {
        await #expect(processExitsWith: .success) {
            try lockDown()
            let parent = getppid()
            #expect(parent > 1)
            let socketResult = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let socketErrno = errno
            #expect(socketResult == -1 && socketErrno == EACCES, "socket: \(socketResult), errno \(socketErrno)")
            let unmount = umount2("/nonexistent-cbpf-tutorial", 0)
            let unmountErrno = errno
            #expect(unmount == -1 && unmountErrno == EPERM, "umount2: \(unmount), errno \(unmountErrno)")
            var pipeEnds: [Int32] = [0, 0]
            #expect(pipe(&pipeEnds) == 0)
            #expect(write(pipeEnds[1], "ok", 2) == 2)
        }
    }

    /// A killed call ends the process with SIGSYS.
    @Test func lockDownKillsPtrace() async {
        await #expect(processExitsWith: .signal(SIGSYS)) {
            var none = rlimit(rlim_cur: 0, rlim_max: 0)
            setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
            try lockDown()
            _ = cbpf_syscall6(Int(SYS_ptrace), 0x4206, 0, 0, 0, 0, 0)  // PTRACE_SEIZE
        }
    }

    #if arch(x86_64)
        /// The builder article's seccomp filter, with the interpreter.
        @Test func denyTraceMeThroughTheInterpreter() throws {
            let filter = try denyTraceMe()
            #expect(try action(of: filter, number: 101, arguments: [0]) == .errno(1))
            #expect(try action(of: filter, number: 101, arguments: [16]) == .allow)  // PTRACE_ATTACH
            #expect(try action(of: filter, number: 39) == .allow)  // getpid
            #expect(try action(of: filter, number: 0x4000_0027) == .killProcess)  // x32 getpid
            let x86 = SeccompData(number: 20, architecture: .x86)
            #expect(SeccompAction(returnValue: try Interpreter(filter, for: .seccomp).run(seccomp: x86)) == .killProcess)
        }

        /// The same filter in the kernel, in a child.
        @Test func denyTraceMeInTheKernel() async {
            await #expect(processExitsWith: .success) {
                try SeccompInstaller().install(try denyTraceMe())
                let traceMe = cbpf_syscall6(Int(SYS_ptrace), 0, 0, 0, 0, 0, 0)
                let traceMeErrno = errno
                #expect(traceMe == -1 && traceMeErrno == EPERM, "ptrace(PTRACE_TRACEME): \(traceMe), errno \(traceMeErrno)")
                #expect(getppid() > 1)
            }
        }
    #endif
}

/// Whether seccomp filters can be installed here; under CI (`CI` set) nothing is skipped, as
/// in InstallerTests.
private let documentationKernelHasSeccomp = getenv("CI") != nil || SeccompInstaller.isAvailable(.allow)
