import Seccomp

/// A policy in the text format, written by hand to exercise the compiler and to compare the
/// reference with libseccomp.
struct HandwrittenPolicy: Sendable, CustomStringConvertible {
    /// What libseccomp makes of the policy.
    enum Libseccomp: Sendable {
        /// libseccomp can build it with the same meaning: its filters must agree with the reference.
        case agrees
        /// libseccomp cannot: ``LibseccompOracle/exclusionReasons(_:)`` gives a reason containing this.
        case excluded(String)
    }

    var name: String
    var libseccomp: Libseccomp
    var text: String

    init(_ name: String, _ libseccomp: Libseccomp, _ text: String) {
        self.name = name
        self.libseccomp = libseccomp
        self.text = text
    }

    var policy: SeccompPolicy {
        get throws { try SeccompPolicy(parsing: text) }
    }

    var description: String { name }
}

/// Policies that together use every operator at the 32-bit boundaries, on both widths, every
/// action (as a rule, a default and a foreign-architecture action), and every architecture
/// libseccomp 2.5.4 supports, alone and in the combinations Docker uses; some of them
/// libseccomp cannot build with the same meaning.
let handwrittenPolicies: [HandwrittenPolicy] = [
    // MARK: libseccomp builds them with the same meaning

    HandwrittenPolicy("x86_64 allow-list", .agrees, """
        default kill-process
        arch x86_64
        allow read write close exit_group rt_sigreturn
        errno(EACCES) openat arg2 & 0x3 == 0x1
        allow openat arg2 & 0x3 == 0
        allow mmap arg2 & 0x4 == 0
        """),
    HandwrittenPolicy("x86_64 comparisons on 64 bits", .agrees, """
        default allow
        arch x86_64
        errno(1) getpid arg0 == 0x100000000
        errno(2) getppid arg0 != 5
        errno(3) gettid arg0 < 0x100000000
        errno(4) getuid arg0 <= 0xffffffff
        errno(5) getgid arg0 > 0xffffffff
        errno(6) geteuid arg0 >= 0x8000000000000000
        errno(7) getegid arg1 & 0xffff0000ffff0000 == 0x1234000056780000
        errno(8) getpgrp arg5 == 0xffffffffffffffff
        errno(9) getsid arg0 > 0xfffffffe && arg1 < 0x100000001 && arg2 >= 0xffffffff00000000
        errno(10) setsid arg3 <= 0x7fffffff && arg4 != 0xffffffff
        """),
    HandwrittenPolicy("x86_64, x86 and x32", .agrees, """
        default errno(EPERM)
        arch x86_64 x86 x32
        foreign-arch kill-thread
        allow read write close exit_group
        allow socket connect
        allow ioctl arg1 == 0x5401 && arg0 <= 2
        trace(9) kill arg1 == 9
        log kill arg1 == 15
        allow mmap arg2 & 0x4 == 0
        """),
    HandwrittenPolicy("x86_64 and x32", .agrees, """
        default errno(1)
        arch x86_64 x32
        foreign-arch log
        allow read write
        kill-thread ptrace
        user-notif openat arg1 & 0x40 == 0x40
        allow openat arg1 & 0x40 == 0
        """),
    HandwrittenPolicy("x86_64 alone, trap default", .agrees, """
        default trap
        arch x86_64
        foreign-arch errno(13)
        allow exit_group
        errno(22) mmap arg3 & 0x20 == 0x20 && arg2 > 3
        """),
    HandwrittenPolicy("x32 alone", .agrees, """
        default errno(1)
        arch x32
        foreign-arch kill-process
        allow read write exit_group
        allow ioctl arg1 == 0x5401
        errno(2) close arg0 < 3
        """),
    HandwrittenPolicy("x86 alone, multiplexed calls", .agrees, """
        default kill-process
        arch x86
        allow read write
        allow socket connect recv
        allow socketcall arg0 == 17
        errno(5) ipc arg0 == 1
        allow shmget
        """),
    HandwrittenPolicy("aarch64 and arm", .agrees, """
        default errno(EPERM)
        arch aarch64 arm
        foreign-arch trap
        allow @basic-io
        allow mmap arg2 & 0x4 == 0
        kill-thread ptrace
        trace(5) openat arg1 & 0x3 == 0x1
        log openat arg1 & 0x3 == 0x2
        """),
    HandwrittenPolicy("aarch64 alone", .agrees, """
        default kill-thread
        arch aarch64
        allow read write exit_group
        errno(2) openat arg0 == 0xffffff9c && arg2 >= 0x100000000
        """),
    HandwrittenPolicy("arm alone", .agrees, """
        default allow
        arch arm
        foreign-arch kill-process
        errno(1) getpid arg0 != 0
        kill-thread ptrace
        errno(3) write arg2 > 0x1000 && arg0 < 3
        """),
    HandwrittenPolicy("riscv64", .agrees, """
        default kill-process
        arch riscv64
        allow read write exit_group riscv_flush_icache
        log openat
        trace(7) execve arg0 == 0
        errno(13) kill arg1 >= 32 && arg2 <= 64
        """),
    HandwrittenPolicy("s390x, big-endian", .agrees, """
        default errno(1)
        arch s390x
        allow read write exit_group
        errno(2) getpid arg0 == 0x100000002
        errno(3) getppid arg1 > 0xffffffff
        allow mmap arg2 & 0x4 == 0
        """),
    HandwrittenPolicy("s390x and s390", .agrees, """
        default allow
        arch s390x s390
        kill-process ptrace
        errno(5) dup arg0 == 0xffffffff
        errno(6) dup2 arg1 >= 100
        """),
    HandwrittenPolicy("ppc64le", .agrees, """
        default errno(EPERM)
        arch ppc64le
        allow read write
        allow ioctl arg1 == 0x40087468
        allow mmap arg3 & 0x20 == 0x20 && arg2 <= 3
        """),
    HandwrittenPolicy("ppc64 and ppc, big-endian", .agrees, """
        default allow
        arch ppc64 ppc
        errno(9) getpid arg0 != 5
        errno(10) read arg2 > 4096
        """),
    HandwrittenPolicy("ppc alone", .agrees, """
        default kill-thread
        arch ppc
        allow read write exit
        allow socket
        """),
    HandwrittenPolicy("mips64", .agrees, """
        default errno(1)
        arch mips64
        allow read write exit_group
        errno(3) close arg0 < 3
        allow mmap arg2 & 0x4 == 0
        """),
    HandwrittenPolicy("mips64, mips and mips64n32", .agrees, """
        default kill-process
        arch mips64 mips mips64n32
        allow read write exit_group
        user-notif openat arg2 & 0x100 == 0x100
        """),
    HandwrittenPolicy("mipsel64, mipsel and mipsel64n32", .agrees, """
        default errno(1)
        arch mipsel64 mipsel mipsel64n32
        allow read
        errno(3) write arg0 > 2 && arg2 >= 0x1000
        allow write arg0 <= 2
        """),
    HandwrittenPolicy("mips o32 alone", .agrees, """
        default allow
        arch mips
        foreign-arch errno(1)
        errno(5) getpid arg0 == 7
        """),
    HandwrittenPolicy("parisc", .agrees, """
        default allow
        arch parisc
        errno(1) getpid arg0 == 1
        """),
    HandwrittenPolicy("parisc64", .agrees, """
        default errno(1)
        arch parisc64
        allow read write
        """),
    HandwrittenPolicy("every action on one call", .agrees, """
        default errno(1)
        arch x86_64
        allow fcntl arg1 == 1
        log fcntl arg1 == 2
        trace(3) fcntl arg1 == 3
        kill-thread fcntl arg1 == 4
        kill-process fcntl arg1 == 5
        user-notif fcntl arg1 == 6
        trap fcntl arg1 == 7
        errno(4094) fcntl arg1 == 8
        errno(0) fcntl arg1 == 9
        """),
    HandwrittenPolicy("disjoint orderings on one argument", .agrees, """
        default errno(1)
        arch x86_64
        allow prctl arg0 < 16
        log prctl arg0 == 0x80000000
        errno(5) madvise arg0 >= 0x100000000
        errno(6) mremap arg1 > 0x7fffffff
        allow mremap arg1 < 5
        """),
    HandwrittenPolicy("groups carved out", .agrees, """
        default log
        arch x86_64 x32
        foreign-arch kill-thread
        errno(EPERM) @privileged
        allow @system-service
        """),
    HandwrittenPolicy("no rules", .agrees, """
        default errno(38)
        arch x86_64 x86
        """),
    HandwrittenPolicy("user-notif default", .agrees, """
        default user-notif
        arch x86_64
        allow read write exit_group
        """),
    HandwrittenPolicy("trace default on s390x", .agrees, """
        default trace(3)
        arch s390x
        allow read arg0 >= 0x100000000
        """),
    HandwrittenPolicy("conditions on multiplexed calls: x86_64, x86 and x32", .agrees, """
        default errno(EPERM)
        arch x86_64 x86 x32
        allow socket arg0 < 38
        allow socket arg0 == 39
        allow socket arg0 > 40
        allow bind arg0 <= 2
        allow recv arg0 == 3
        errno(5) shmget arg0 == 7
        """),
    HandwrittenPolicy("conditions on multiplexed calls: s390x and s390", .agrees, """
        default kill-process
        arch s390x s390
        allow socket arg0 == 1
        allow connect arg0 >= 3
        log semop arg0 != 0
        """),
    HandwrittenPolicy("conditions on multiplexed calls: ppc64le", .agrees, """
        default errno(1)
        arch ppc64le
        allow socket arg0 < 38
        trace(2) sendmsg arg0 == 4
        """),
    HandwrittenPolicy("conditions on multiplexed calls: mipsel o32 and n64", .agrees, """
        default errno(1)
        arch mipsel64 mipsel
        allow socket arg0 == 2
        user-notif accept4 arg0 > 2
        """),
    HandwrittenPolicy("x86 with multiplexed calls", .agrees, """
        default errno(1)
        arch x86
        allow socket connect recv
        allow socketcall arg0 == 17
        errno(2) ipc arg0 == 1
        allow shmget
        """),
    HandwrittenPolicy("user notification by default", .agrees, """
        default user-notif
        arch x86_64
        allow read write close fstat exit_group
        errno(1) openat arg2 & 0x3 == 0x3
        """),
    HandwrittenPolicy("default only", .agrees, """
        default allow
        arch x86_64
        """),
    HandwrittenPolicy("foreign architectures allowed", .agrees, """
        default errno(1)
        arch x86_64
        foreign-arch allow
        allow read
        """),
    HandwrittenPolicy("arm's private calls", .agrees, """
        default errno(1)
        arch arm
        allow cacheflush set_tls read
        errno(2) breakpoint arg0 == 3
        """),

    // MARK: libseccomp cannot (the compiler must still agree with the reference)

    HandwrittenPolicy("x86_64 allow list", .excluded("32-bit comparison on a 64-bit architecture"), """
        default kill-process
        arch x86_64
        allow read write exit_group rt_sigreturn
        allow mmap arg2 & 0x4 == 0
        errno(EPERM) openat arg2 & 0x40 == 0x40
        allow openat
        allow ioctl arg1.lo32 == 0x5401
        """),
    HandwrittenPolicy("64-bit equality", .excluded("does not try them in order"), """
        default allow
        arch x86_64
        errno(1) getpid arg0 == 0xffffffff
        errno(2) getpid arg0 == 0x100000000
        errno(3) getpid arg0 == 0xffffffff00000000
        errno(4) getpid arg1 != 0
        errno(5) getppid arg0 != 0x8000000000000000 && arg1 == 7
        errno(6) gettid arg2 == 0 && arg3 == 0xffffffffffffffff
        """),
    HandwrittenPolicy("64-bit orderings at the word edges", .excluded("two comparisons of one argument"), """
        default allow
        arch x86_64
        errno(1) getpid arg0 < 0x100000000 && arg1 >= 0xffffffff
        errno(2) getpid arg0 <= 0xffffffff && arg1 > 0x100000000
        errno(3) getppid arg0 > 0xffffffff
        errno(4) getppid arg0 >= 0x8000000000000000
        errno(5) getuid arg0 < 1
        errno(6) getuid arg1 <= 0
        errno(7) getgid arg0 > 0xfffffffffffffffe
        errno(8) getgid arg1 >= 0xffffffff00000001
        errno(9) geteuid arg0 <= 0xfffffffeffffffff
        errno(10) geteuid arg0 < 0x7fffffff80000000
        errno(11) getegid arg3 > 0 && arg3 < 0x200000000
        errno(12) getegid arg4 >= 0x100000000 && arg4 <= 0x1ffffffff
        """),
    HandwrittenPolicy("masked equality", .excluded("bits outside the mask"), """
        default log
        arch x86_64
        errno(1) getpid arg0 & 0xffffffff00000000 == 0x100000000
        errno(2) getpid arg1 & 0x1 == 1
        errno(3) getppid arg2 & 0xff == 0
        errno(4) getppid arg3 & 0x8000000000000000 == 0x8000000000000000
        errno(5) gettid arg4 & 0xffffffffffffffff == 5
        errno(6) gettid arg5 & 0xf0f0f0f0f0f0f0f0 == 0x1010101010101010
        errno(7) getuid arg0 & 0 == 0
        errno(8) getgid arg0 & 0xf0 == 0xf
        allow getgid
        """),
    HandwrittenPolicy("32-bit comparisons on a 64-bit architecture", .excluded("32-bit comparison on a 64-bit architecture"), """
        default allow
        arch x86_64
        errno(1) getpid arg0.lo32 == 5
        errno(2) getpid arg1.lo32 != 0xffffffff && arg2.lo32 < 0x80000000
        errno(3) getppid arg0.lo32 <= 0
        errno(4) getppid arg0.lo32 > 0xfffffffe
        errno(5) gettid arg0.lo32 >= 1 && arg1.lo32 & 0xff00 == 0x1200
        errno(6) getuid arg0.lo32 & 0x80000000 == 0x80000000
        errno(7) getgid arg0.lo32 < 0x10 && arg0 > 0x100000000
        """),
    HandwrittenPolicy("x86_64, x86 and x32, 32-bit and overlapping rules", .excluded("TRAP with data"), """
        default errno(EPERM)
        arch x86_64 x86 x32
        foreign-arch kill-thread
        allow read write close exit_group
        allow socket
        allow ioctl arg1 == 0x5401 && arg0 <= 2
        errno(ENOTTY) ioctl arg1.lo32 == 0x5402
        allow mmap arg2 & 0x4 == 0
        trap(3) kill arg1 == 9
        allow kill arg1 != 0
        """),
    HandwrittenPolicy("aarch64 and arm, carved out", .excluded("TRAP with data"), """
        default errno(EPERM)
        arch aarch64 arm
        foreign-arch trap(9)
        allow @basic-io
        allow mmap arg2 & 0x4 == 0
        allow mprotect arg2.lo32 != 7
        kill-thread ptrace
        trace(5) openat arg1 & 0x3 == 0x1
        allow openat
        """),
    HandwrittenPolicy("riscv64, specific rules first", .excluded("libseccomp keeps only the unconditional rule"), """
        default kill-process
        arch riscv64
        allow read write exit_group riscv_flush_icache
        log openat
        trace(7) execve arg0 == 0
        allow execve
        errno(13) kill arg1 >= 32 && arg1 <= 64
        allow kill
        """),
    HandwrittenPolicy("s390x, specific rules first", .excluded("32-bit comparison on a 64-bit architecture"), """
        default errno(1)
        arch s390x
        allow read write exit_group socket
        allow mmap arg2 & 0x4 == 0
        errno(2) getpid arg0 == 0x100000002
        errno(3) getpid arg1 > 0xffffffff
        errno(4) getpid arg2.lo32 < 7
        allow getpid
        """),
    HandwrittenPolicy("s390x and s390, a 32-bit comparison", .excluded("32-bit comparison on a 64-bit architecture"), """
        default allow
        arch s390x s390
        kill-process ptrace
        errno(5) dup arg0 == 0xffffffff
        errno(6) dup2 arg1.lo32 >= 100
        """),
    HandwrittenPolicy("mips64 and mipsel, both byte orders", .excluded("both byte orders"), """
        default errno(1)
        arch mips64 mipsel
        errno(3) write arg0 > 2 && arg2 >= 0x1000
        allow read write
        allow mmap arg2 & 0x4 == 0
        """),
    HandwrittenPolicy("ENOSYS with raw numbers", .excluded("ENOSYS"), """
        default kill-thread
        arch x86_64
        unknown-syscalls enosys
        allow read write exit_group
        allow 451 452
        errno(1) 1000 arg0 == 1
        """),
    HandwrittenPolicy("three architectures with ENOSYS", .excluded("ENOSYS"), """
        default errno(EPERM)
        arch x86_64 x86 x32
        unknown-syscalls enosys
        allow @system-service
        """),
    HandwrittenPolicy("first match across arguments", .excluded("TRAP with data"), """
        default allow
        arch x86_64 aarch64
        errno(1) write arg0 == 1 && arg2 > 100
        errno(2) write arg0 == 2
        log write arg1 != 0
        trap(4) read arg0.lo32 == 0 && arg1 & 0xfff == 0 && arg2 < 0x10000
        kill-thread read arg0 == 0xffffffffffffffff
        """),
    HandwrittenPolicy("allowed whatever the arguments", .excluded("libseccomp keeps only the unconditional rule"), """
        default errno(1)
        arch x86_64
        errno(5) read arg0 == 3
        allow read
        allow close arg0 > 2
        allow close
        allow fstat arg1 >= 0
        allow getpid arg0 & 0 == 0
        """),
    HandwrittenPolicy("deny list", .excluded("TRAP with data"), """
        default allow
        arch x86_64 x86
        kill-process ptrace
        errno(EPERM) mount umount2 reboot
        trap(1) personality arg0 != 0
        """),
    HandwrittenPolicy("contradictory conditions", .excluded("two comparisons of one argument"), """
        default allow
        arch x86_64
        errno(1) read arg0 == 1 && arg0 == 2
        errno(2) write arg0 > 5 && arg0 < 3
        errno(3) close arg0 == 1 && arg0 != 1
        """),
    HandwrittenPolicy("MIPS n32 and n64", .excluded("both byte orders"), """
        default allow
        arch mips64n32 mipsel64
        errno(1) read arg0 == 3
        errno(2) write arg1.lo32 > 9
        """),
    HandwrittenPolicy("x86_64 and x32, a specific rule first", .excluded("libseccomp keeps only the unconditional rule"), """
        default errno(EPERM)
        arch x86_64 x32
        errno(3) write arg0 == 5
        allow read write
        """),
    HandwrittenPolicy("ENOSYS for unknown numbers", .excluded("ENOSYS"), """
        default errno(1)
        arch x86_64 x86
        unknown-syscalls enosys
        allow read
        """),
    HandwrittenPolicy("32-bit comparison on x86_64", .excluded("32-bit comparison on a 64-bit architecture"), """
        default errno(1)
        arch x86_64
        allow ioctl arg1.lo32 == 0x5401
        """),
    HandwrittenPolicy("range on one argument", .excluded("two comparisons of one argument"), """
        default errno(1)
        arch x86_64
        allow read arg0 > 1 && arg0 < 9
        """),
    HandwrittenPolicy("TRAP with data", .excluded("TRAP with data"), """
        default allow
        arch x86_64
        trap(5) ptrace
        """),
    HandwrittenPolicy("raw number on two architectures", .excluded("raw number"), """
        default errno(1)
        arch x86_64 x86
        allow 451
        """),
    HandwrittenPolicy("specific rule before an unconditional one", .excluded("libseccomp keeps only the unconditional rule"), """
        default errno(1)
        arch x86_64
        errno(EAFNOSUPPORT) socket arg0 == 10
        allow socket
        """),
    HandwrittenPolicy("overlapping conditional rules", .excluded("does not try them in order"), """
        default errno(1)
        arch x86_64
        errno(5) write arg0 == 3
        allow write arg1 == 4
        """),
    HandwrittenPolicy("ERRNO(4095)", .excluded("up to 4094"), """
        default allow
        arch x86_64
        errno(4095) ptrace
        """),
    HandwrittenPolicy("architectures of both byte orders", .excluded("both byte orders"), """
        default errno(1)
        arch x86_64 s390x
        allow read
        """),
    HandwrittenPolicy("masked value outside its mask", .excluded("bits outside the mask"), """
        default errno(1)
        arch x86_64
        allow dup2 arg0 & 0xf0 == 0x13
        """),
]
