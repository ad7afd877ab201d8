// For pthread_getattr_np.
#define _GNU_SOURCE
#include "CLinuxShims.h"
#include <pthread.h>
#include <signal.h>

void *cbpf_thread_stack_low(void) {
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return NULL;
    void *address = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&attributes, &address, &size) != 0) address = NULL;
    pthread_attr_destroy(&attributes);
    return address;
}

__attribute__((noinline))
long cbpf_syscall6(long number, unsigned long a0, unsigned long a1, unsigned long a2,
                   unsigned long a3, unsigned long a4, unsigned long a5) {
    return syscall(number, a0, a1, a2, a3, a4, a5);
}

pid_t cbpf_fork_idle_child(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent) _exit(0);  /* the parent died before the line above */
        for (;;) pause();
    }
    return pid;
}
