// sandbox-launch: runs a command under a seccomp policy compiled and installed by this
// package (SeccompCompiler, SeccompInstaller), then execs it, as minijail0 does.
SandboxLaunch.main()
