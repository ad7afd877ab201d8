#ifndef CBPF_CSECCOMP_SHIM_H
#define CBPF_CSECCOMP_SHIM_H

// libseccomp, used by the Seccomp module to resolve system-call names and numbers
// for each architecture it supports.
#include <seccomp.h>

#endif
