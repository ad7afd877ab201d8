// The seccomp helper process of CBPFFuzz's oracles (SeccompVerdictOracle, SeccompActionOracle).
//
// Runs only in a forked child, and only C: the child of a multithreaded Swift process must not
// run Swift code. Filters are installed in the child's threads, never in the parent.

#define _GNU_SOURCE
#include "CBPFFuzzShims.h"
#include "CLinuxShims.h"  // cbpf_syscall6: every probed call comes from its one address
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

// SIGSYS details of the last SECCOMP_RET_TRAP (one probe runs at a time).
static volatile sig_atomic_t cbpf_fuzz_trapped;
static volatile int32_t cbpf_fuzz_trap_errno;
static volatile int32_t cbpf_fuzz_trap_syscall;
static volatile uint32_t cbpf_fuzz_trap_arch;
static volatile uint64_t cbpf_fuzz_trap_address;

static void cbpf_fuzz_on_sigsys(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    cbpf_fuzz_trap_errno = info->si_errno;
    cbpf_fuzz_trap_syscall = info->_sifields._sigsys._syscall;
    cbpf_fuzz_trap_arch = info->_sifields._sigsys._arch;
    cbpf_fuzz_trap_address = (uint64_t)(uintptr_t)info->_sifields._sigsys._call_addr;
    cbpf_fuzz_trapped = 1;
}

static int cbpf_fuzz_read_all(int fd, void *buffer, size_t size) {
    char *cursor = buffer;
    while (size > 0) {
        ssize_t count = read(fd, cursor, size);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return -1;
        cursor += count;
        size -= (size_t)count;
    }
    return 0;
}

static int cbpf_fuzz_write_all(int fd, const void *buffer, size_t size) {
    const char *cursor = buffer;
    while (size > 0) {
        ssize_t count = send(fd, cursor, size, MSG_NOSIGNAL);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return -1;
        cursor += count;
        size -= (size_t)count;
    }
    return 0;
}

struct cbpf_fuzz_probe {
    struct sock_fprog program;
    const struct cbpf_fuzz_request *request;
    struct cbpf_fuzz_reply *reply;
    int finished;
};

static long cbpf_fuzz_call(const struct cbpf_fuzz_request *request) {
    return cbpf_syscall6((long)request->number, request->arguments[0], request->arguments[1],
                         request->arguments[2], request->arguments[3], request->arguments[4],
                         request->arguments[5]);
}

// A probe thread: the filter applies to this thread alone (no TSYNC). The parent wraps the
// program so that every system call but the probed one is allowed, which lets this thread
// return from the signal handler and exit.
static void *cbpf_fuzz_probe_thread(void *argument) {
    struct cbpf_fuzz_probe *probe = argument;
    struct cbpf_fuzz_reply *reply = probe->reply;
    long result = cbpf_fuzz_call(probe->request);
    reply->baseline_result = result;
    reply->baseline_error = result == -1 ? errno : 0;
    // One filter, or a stack installed oldest first.
    struct sock_filter *next = probe->program.filter;
    for (int index = 0; index < CBPF_FUZZ_MAXIMUM_STACK; index++) {
        unsigned length = probe->request->kind == CBPF_FUZZ_PROBE_STACK
            ? probe->request->stack[index] : (index == 0 ? probe->program.len : 0);
        if (length == 0) break;
        struct sock_fprog program = { .len = (unsigned short)length, .filter = next };
        next += length;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
            reply->outcome = CBPF_FUZZ_INSTALL_FAILED;
            reply->error = errno;
            __atomic_store_n(&probe->finished, 1, __ATOMIC_SEQ_CST);
            return NULL;
        }
    }
    cbpf_fuzz_trapped = 0;
    result = cbpf_fuzz_call(probe->request);
    reply->result = result;
    reply->error = result == -1 ? errno : 0;
    reply->outcome = cbpf_fuzz_trapped ? CBPF_FUZZ_TRAPPED : CBPF_FUZZ_RETURNED;
    __atomic_store_n(&probe->finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

// Holds an allow-all filter for CBPF_FUZZ_CHECK_FILTER and then sleeps forever.
static void *cbpf_fuzz_allow_all_thread(void *argument) {
    int fd = *(int *)argument;
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog program = { .len = 1, .filter = &allow };
    long result[2] = { syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program), 0 };
    result[1] = result[0] == 0 ? 0 : errno;
    if (write(fd, result, sizeof result) != (ssize_t)sizeof result) _exit(6);
    for (;;) pause();
    return NULL;
}

// Starts the allow-all thread; returns 0 or an errno value.
static int cbpf_fuzz_start_allow_all_thread(void) {
    int fds[2];
    if (pipe(fds) != 0) return errno;
    pthread_t thread;
    int error = pthread_create(&thread, NULL, cbpf_fuzz_allow_all_thread, &fds[1]);
    if (error == 0) {
        long result[2];
        error = cbpf_fuzz_read_all(fds[0], result, sizeof result) == 0 ? (int)result[1] : EIO;
        if (error == 0 && result[0] != 0) error = EIO;
    }
    close(fds[0]);
    close(fds[1]);
    return error;
}

__attribute__((noreturn))
static void cbpf_fuzz_serve(int fd) {
    // Keep only stdin, stdout, stderr and the request stream.
    if (fd > 3) syscall(SYS_close_range, 3U, (unsigned)fd - 1, 0U);
    syscall(SYS_close_range, (unsigned)fd + 1, ~0U, 0U);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = cbpf_fuzz_on_sigsys;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSYS, &action, NULL) != 0) _exit(2);

    const size_t capacity = 65536 * sizeof(struct sock_filter);
    struct sock_filter *filter = mmap(NULL, capacity, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (filter == MAP_FAILED) _exit(3);
    int allow_all_started = 0;

    for (;;) {
        struct cbpf_fuzz_request request;
        if (cbpf_fuzz_read_all(fd, &request, sizeof request) != 0) _exit(0);
        if (request.count > 65535) _exit(4);
        if (cbpf_fuzz_read_all(fd, filter, request.count * sizeof *filter) != 0) _exit(0);
        struct cbpf_fuzz_reply reply;
        memset(&reply, 0, sizeof reply);
        struct sock_fprog program = { .len = (unsigned short)request.count, .filter = filter };
        int attached_here = 0;

        if (request.kind == CBPF_FUZZ_CHECK_FILTER) {
            int error = allow_all_started ? 0 : cbpf_fuzz_start_allow_all_thread();
            if (error != 0) {
                reply.outcome = CBPF_FUZZ_SETUP_FAILED;
                reply.error = error;
            } else {
                allow_all_started = 1;
                long result = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                      SECCOMP_FILTER_FLAG_TSYNC, &program);
                reply.result = result;
                reply.error = result == -1 ? errno : 0;
                reply.outcome = CBPF_FUZZ_RETURNED;
                attached_here = result == 0;  // cannot happen while the other thread exists
            }
        } else if (request.kind == CBPF_FUZZ_PROBE || request.kind == CBPF_FUZZ_PROBE_STACK) {
            if (request.kind == CBPF_FUZZ_PROBE_STACK) {
                uint32_t total = 0;
                for (int index = 0; index < CBPF_FUZZ_MAXIMUM_STACK; index++) {
                    if (request.stack[index] > 65535) _exit(4);
                    total += request.stack[index];
                }
                if (total != request.count) _exit(4);
            }
            struct cbpf_fuzz_probe probe = { program, &request, &reply, 0 };
            pthread_t thread;
            int error = pthread_create(&thread, NULL, cbpf_fuzz_probe_thread, &probe);
            if (error != 0) {
                reply.outcome = CBPF_FUZZ_SETUP_FAILED;
                reply.error = error;
            } else {
                pthread_join(thread, NULL);
                if (!__atomic_load_n(&probe.finished, __ATOMIC_SEQ_CST)) {
                    reply.outcome = CBPF_FUZZ_THREAD_KILLED;
                } else if (reply.outcome == CBPF_FUZZ_TRAPPED) {
                    reply.signal_errno = cbpf_fuzz_trap_errno;
                    reply.signal_syscall = cbpf_fuzz_trap_syscall;
                    reply.signal_arch = cbpf_fuzz_trap_arch;
                    reply.signal_call_address = cbpf_fuzz_trap_address;
                }
            }
        } else {
            _exit(4);
        }
        if (cbpf_fuzz_write_all(fd, &reply, sizeof reply) != 0) _exit(0);
        if (attached_here) _exit(5);  // this thread is filtered now: let the parent start anew
    }
}

pid_t cbpf_fuzz_helper_spawn(int *descriptor) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(pair[0]);
        close(pair[1]);
        errno = error;
        return -1;
    }
    if (pid == 0) cbpf_fuzz_serve(pair[1]);
    close(pair[1]);
    *descriptor = pair[0];
    return pid;
}
