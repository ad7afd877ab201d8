#include "CLinuxShims.h"

__attribute__((noinline))
long cbpf_syscall6(long number, unsigned long a0, unsigned long a1, unsigned long a2,
                   unsigned long a3, unsigned long a4, unsigned long a5) {
    return syscall(number, a0, a1, a2, a3, a4, a5);
}
