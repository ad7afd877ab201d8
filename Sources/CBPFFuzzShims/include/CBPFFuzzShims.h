#ifndef CBPF_FUZZ_SHIMS_H
#define CBPF_FUZZ_SHIMS_H

// The C side of CBPFFuzz's kernel oracles: the seccomp helper process and the CPU query that
// pins socket sends. Only CBPFFuzz depends on this target; no product links it.

#include <stdint.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <unistd.h>

/// The CPU the calling thread runs on, or -1. The corresponding C call is `getcpu(&cpu, NULL)`.
static inline int cbpf_current_cpu(void) {
    unsigned cpu = 0;
    if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0) return -1;
    return (int)cpu;
}

/// Requests served by a fuzz helper process (`cbpf_fuzz_helper_spawn`).
enum {
    /// Check a filter with `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ...)`
    /// while another thread of the helper has a filter: the kernel runs its checker (EINVAL
    /// if it rejects the program), then fails the TSYNC check, returning that thread's id,
    /// and attaches nothing.
    CBPF_FUZZ_CHECK_FILTER = 1,
    /// In a new thread: make the system call once without a filter, install the filter on the
    /// thread alone, make the call again, and report what happened.
    CBPF_FUZZ_PROBE = 2,
    /// As `CBPF_FUZZ_PROBE`, with up to `CBPF_FUZZ_MAXIMUM_STACK` filters installed one after
    /// the other on the thread (`cbpf_fuzz_request.stack` gives their lengths, in order of
    /// installation), so that the kernel runs them all on the call.
    CBPF_FUZZ_PROBE_STACK = 3,
};

/// The most filters a `CBPF_FUZZ_PROBE_STACK` request installs.
#define CBPF_FUZZ_MAXIMUM_STACK 4

/// What a helper observed (`cbpf_fuzz_reply.outcome`).
enum {
    /// The call returned: `result` and `error`.
    CBPF_FUZZ_RETURNED = 0,
    /// SIGSYS arrived during the call (SECCOMP_RET_TRAP): the `signal_*` fields.
    CBPF_FUZZ_TRAPPED = 1,
    /// The thread ended inside the call (SECCOMP_RET_KILL_THREAD).
    CBPF_FUZZ_THREAD_KILLED = 2,
    /// The probe's filter could not be installed: `error`.
    CBPF_FUZZ_INSTALL_FAILED = 3,
    /// The helper could not set up the request (thread creation, the allow-all thread): `error`.
    CBPF_FUZZ_SETUP_FAILED = 4,
};

/// A request to a helper, followed on the stream by `count` `struct sock_filter`s.
struct cbpf_fuzz_request {
    uint32_t kind;
    uint32_t count;
    int64_t number;
    uint64_t arguments[6];
    /// For `CBPF_FUZZ_PROBE_STACK`: the length of each filter, 0 after the last; they add up
    /// to `count`.
    uint32_t stack[CBPF_FUZZ_MAXIMUM_STACK];
};

/// A helper's reply to one request.
struct cbpf_fuzz_reply {
    int64_t result;
    int64_t baseline_result;
    int32_t error;
    int32_t baseline_error;
    int32_t outcome;
    int32_t signal_errno;
    int32_t signal_syscall;
    uint32_t signal_arch;
    uint64_t signal_call_address;
};

/// Forks a helper process for seccomp experiments that never runs in this process: filters
/// are installed only in the helper's threads. The helper reads `cbpf_fuzz_request`s from
/// `*descriptor` and answers each with a `cbpf_fuzz_reply`; it exits when the descriptor is
/// closed, and dies with SIGSYS when a probed filter returns SECCOMP_RET_KILL_PROCESS. It
/// sets PR_SET_NO_NEW_PRIVS and PR_SET_DUMPABLE 0 (no core dumps) on itself and runs only C
/// code. Returns the helper's pid, or -1 with errno.
pid_t cbpf_fuzz_helper_spawn(int *descriptor);

#endif
