// Placeholder: the in-kernel timing benchmark of seccomp filters lands here.
print("SeccompBenchmark: not implemented yet")
