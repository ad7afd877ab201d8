#ifndef CBPF_LINUX_SHIMS_H
#define CBPF_LINUX_SHIMS_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <sys/time.h>
#include <netinet/ether.h>

/// Attaches a classic BPF program to a socket. The corresponding C call is
/// `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog)`.
static inline int cbpf_attach_socket_filter(int fd, struct sock_filter *filter, unsigned short count) {
    struct sock_fprog prog = { .len = count, .filter = filter };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/// The corresponding C call is `setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, 0, 0)`.
static inline int cbpf_detach_socket_filter(int fd) {
    int unused = 0;
    return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused);
}

/// An AF_PACKET socket that receives no frames until it is bound. The corresponding C call is
/// `socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)`.
static inline int cbpf_packet_socket(void) {
    return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
}

/// Binds an AF_PACKET socket to every protocol of one interface. The corresponding C call is
/// `bind(fd, &(struct sockaddr_ll){ AF_PACKET, htons(ETH_P_ALL), interface_index }, ...)`.
static inline int cbpf_bind_packet_socket(int fd, int interface_index) {
    struct sockaddr_ll address = { 0 };
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = interface_index;
    return bind(fd, (struct sockaddr *)&address, sizeof address);
}

/// Receives one frame and its packet type (`PACKET_HOST`, `PACKET_OUTGOING`, ...). The
/// corresponding C call is `recvfrom(fd, buffer, capacity, 0, &(struct sockaddr_ll){...}, ...)`.
static inline long cbpf_receive_frame(int fd, void *buffer, unsigned long capacity, unsigned char *packet_type) {
    struct sockaddr_ll address = { 0 };
    socklen_t length = sizeof address;
    long received = recvfrom(fd, buffer, capacity, 0, (struct sockaddr *)&address, &length);
    if (received >= 0) *packet_type = address.sll_pkttype;
    return received;
}

/// Bounds how long a receive waits. The corresponding C call is
/// `setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){...}, ...)`.
static inline int cbpf_set_receive_timeout(int fd, long microseconds) {
    struct timeval timeout = { .tv_sec = microseconds / 1000000, .tv_usec = microseconds % 1000000 };
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

/// The Ethernet address of a host name in the ethers database (`/etc/ethers`, as
/// `/etc/nsswitch.conf` says), into `address`'s 6 bytes; 0 when found. The corresponding C call
/// is `ether_hostton(name, (struct ether_addr *)address)`.
static inline int cbpf_ether_hostton(const char *name, unsigned char *address) {
    return ether_hostton(name, (struct ether_addr *)address);
}

/// The corresponding C call is `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)`.
static inline int cbpf_set_no_new_privs(void) {
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/// The corresponding C call is `syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog)`.
static inline long cbpf_seccomp_set_mode_filter(unsigned int flags, struct sock_filter *filter, unsigned short count) {
    struct sock_fprog prog = { .len = count, .filter = filter };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/// The corresponding C call is `syscall(SYS_gettid)`.
static inline long cbpf_gettid(void) {
    return syscall(SYS_gettid);
}

/// The lowest address of the calling thread's stack, from `pthread_getattr_np` (which needs
/// `_GNU_SOURCE`), or NULL. For the main thread glibc reads `/proc/self/maps` to answer.
void *cbpf_thread_stack_low(void);

/// Makes a system call with six arguments. Not inline, so that every call
/// comes from one instruction address (seccomp_data.instruction_pointer).
long cbpf_syscall6(long number, unsigned long a0, unsigned long a1, unsigned long a2,
                   unsigned long a3, unsigned long a4, unsigned long a5);

// seccomp(2) queries and user-notification ioctls (Seccomp module).
#include <sys/ioctl.h>

/// The corresponding C call is `prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)`.
static inline int cbpf_get_no_new_privs(void) {
    return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

/// Asks whether the kernel accepts these filter flags without installing anything. The
/// corresponding C call is `syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL)`: the
/// kernel checks the flags (EINVAL) before it reads the program (EFAULT).
static inline long cbpf_seccomp_probe_filter_flags(unsigned int flags) {
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
}

/// The corresponding C call is `syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action)`.
static inline long cbpf_seccomp_get_action_avail(unsigned int action) {
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
}

/// The corresponding C call is `syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes)`.
static inline long cbpf_seccomp_get_notif_sizes(struct seccomp_notif_sizes *sizes) {
    return syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes);
}

/// The corresponding C call is `ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notification)`. The buffer
/// must be zeroed and hold the kernel's `struct seccomp_notif` (SECCOMP_GET_NOTIF_SIZES).
static inline int cbpf_seccomp_notif_recv(int fd, void *notification) {
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notification);
}

/// The corresponding C call is `ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, response)`. The buffer
/// must hold the kernel's `struct seccomp_notif_resp` (SECCOMP_GET_NOTIF_SIZES).
static inline int cbpf_seccomp_notif_send(int fd, void *response) {
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, response);
}

/// The corresponding C call is `ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id)`.
static inline int cbpf_seccomp_notif_id_valid(int fd, __u64 id) {
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
}

// Differential testing against the kernel (CBPFFuzz).
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>

/// A set of CPUs for `sched_setaffinity(2)`, large enough for 1024 CPUs.
struct cbpf_cpu_mask {
    unsigned long bits[1024 / (8 * sizeof(unsigned long))];
};

/// Pins the calling thread to one CPU and stores its previous affinity in `saved`. Returns 0,
/// or -1 with errno. The corresponding C calls are `sched_getaffinity(0, ...)` and
/// `sched_setaffinity(0, ...)`.
static inline int cbpf_pin_thread_to_cpu(int cpu, struct cbpf_cpu_mask *saved) {
    struct cbpf_cpu_mask one = {{0}};
    if (cpu < 0 || cpu >= 1024) { errno = EINVAL; return -1; }
    if (syscall(SYS_sched_getaffinity, 0, sizeof *saved, saved) < 0) return -1;
    one.bits[cpu / (8 * sizeof(unsigned long))] = 1UL << (cpu % (8 * sizeof(unsigned long)));
    return (int)syscall(SYS_sched_setaffinity, 0, sizeof one, &one);
}

/// Restores an affinity saved by `cbpf_pin_thread_to_cpu`.
static inline int cbpf_restore_thread_affinity(const struct cbpf_cpu_mask *saved) {
    return (int)syscall(SYS_sched_setaffinity, 0, sizeof *saved, saved);
}

/// The CPU the calling thread runs on, or -1. The corresponding C call is `getcpu(&cpu, NULL)`.
static inline int cbpf_current_cpu(void) {
    unsigned cpu = 0;
    if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0) return -1;
    return (int)cpu;
}

/// Waits for a child process. Returns 0 and sets `signal` to the signal that ended it (or 0)
/// and `status` to its exit status (or -1), or returns -1 with errno. The corresponding C
/// call is `waitpid(pid, &status, 0)` with `WIFSIGNALED`, `WTERMSIG` and `WEXITSTATUS`.
static inline int cbpf_wait_child(pid_t pid, int *signal, int *status) {
    int raw = 0;
    pid_t result;
    do { result = waitpid(pid, &raw, 0); } while (result < 0 && errno == EINTR);
    if (result < 0) return -1;
    *signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return 0;
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
};

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

// ---- iptables xt_bpf (branch attach-xt): tests that open sockets in a network namespace ----

/// Moves the calling thread into the network namespace that `fd` refers to (such as an open
/// `/run/netns/NAME`); sockets it opens there stay there. The corresponding C call is
/// `setns(fd, CLONE_NEWNET)`, which Swift does not import without `_GNU_SOURCE`.
static inline int cbpf_enter_network_namespace(int fd) {
    return (int)syscall(SYS_setns, fd, 0x40000000 /* CLONE_NEWNET */);
}

#endif
