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

/// Makes a system call with six arguments. Not inline, so that every call
/// comes from one instruction address (seccomp_data.instruction_pointer).
long cbpf_syscall6(long number, unsigned long a0, unsigned long a1, unsigned long a2,
                   unsigned long a3, unsigned long a4, unsigned long a5);

#endif
