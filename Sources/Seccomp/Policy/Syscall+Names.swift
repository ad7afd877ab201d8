/// A type that names a system call, which gives it static members for common system calls:
/// `.read`, `.openat`, `.exit_group`.
///
/// The members keep the kernel's spelling (`exit_group`, `rt_sigaction`, `_llseek`) rather than
/// camel case, so that they read exactly as strace, man pages and systemd show them. Any other
/// name is written `Syscall("name")`.
public protocol ExpressibleBySyscallName {
    /// A value naming the system call `name`.
    init(syscallName name: String)
}

extension ExpressibleBySyscallName {
    /// The `read` system call.
    public static var read: Self { Self(syscallName: "read") }
    /// The `write` system call.
    public static var write: Self { Self(syscallName: "write") }
    /// The `open` system call.
    public static var `open`: Self { Self(syscallName: "open") }
    /// The `close` system call.
    public static var close: Self { Self(syscallName: "close") }
    /// The `stat` system call.
    public static var stat: Self { Self(syscallName: "stat") }
    /// The `fstat` system call.
    public static var fstat: Self { Self(syscallName: "fstat") }
    /// The `lstat` system call.
    public static var lstat: Self { Self(syscallName: "lstat") }
    /// The `poll` system call.
    public static var poll: Self { Self(syscallName: "poll") }
    /// The `lseek` system call.
    public static var lseek: Self { Self(syscallName: "lseek") }
    /// The `mmap` system call.
    public static var mmap: Self { Self(syscallName: "mmap") }
    /// The `mprotect` system call.
    public static var mprotect: Self { Self(syscallName: "mprotect") }
    /// The `munmap` system call.
    public static var munmap: Self { Self(syscallName: "munmap") }
    /// The `brk` system call.
    public static var brk: Self { Self(syscallName: "brk") }
    /// The `rt_sigaction` system call.
    public static var rt_sigaction: Self { Self(syscallName: "rt_sigaction") }
    /// The `rt_sigprocmask` system call.
    public static var rt_sigprocmask: Self { Self(syscallName: "rt_sigprocmask") }
    /// The `rt_sigreturn` system call.
    public static var rt_sigreturn: Self { Self(syscallName: "rt_sigreturn") }
    /// The `ioctl` system call.
    public static var ioctl: Self { Self(syscallName: "ioctl") }
    /// The `pread64` system call.
    public static var pread64: Self { Self(syscallName: "pread64") }
    /// The `pwrite64` system call.
    public static var pwrite64: Self { Self(syscallName: "pwrite64") }
    /// The `readv` system call.
    public static var readv: Self { Self(syscallName: "readv") }
    /// The `writev` system call.
    public static var writev: Self { Self(syscallName: "writev") }
    /// The `access` system call.
    public static var access: Self { Self(syscallName: "access") }
    /// The `pipe` system call.
    public static var pipe: Self { Self(syscallName: "pipe") }
    /// The `select` system call.
    public static var `select`: Self { Self(syscallName: "select") }
    /// The `sched_yield` system call.
    public static var sched_yield: Self { Self(syscallName: "sched_yield") }
    /// The `mremap` system call.
    public static var mremap: Self { Self(syscallName: "mremap") }
    /// The `msync` system call.
    public static var msync: Self { Self(syscallName: "msync") }
    /// The `mincore` system call.
    public static var mincore: Self { Self(syscallName: "mincore") }
    /// The `madvise` system call.
    public static var madvise: Self { Self(syscallName: "madvise") }
    /// The `shmget` system call.
    public static var shmget: Self { Self(syscallName: "shmget") }
    /// The `shmat` system call.
    public static var shmat: Self { Self(syscallName: "shmat") }
    /// The `shmctl` system call.
    public static var shmctl: Self { Self(syscallName: "shmctl") }
    /// The `dup` system call.
    public static var dup: Self { Self(syscallName: "dup") }
    /// The `dup2` system call.
    public static var dup2: Self { Self(syscallName: "dup2") }
    /// The `pause` system call.
    public static var pause: Self { Self(syscallName: "pause") }
    /// The `nanosleep` system call.
    public static var nanosleep: Self { Self(syscallName: "nanosleep") }
    /// The `getitimer` system call.
    public static var getitimer: Self { Self(syscallName: "getitimer") }
    /// The `alarm` system call.
    public static var alarm: Self { Self(syscallName: "alarm") }
    /// The `setitimer` system call.
    public static var setitimer: Self { Self(syscallName: "setitimer") }
    /// The `getpid` system call.
    public static var getpid: Self { Self(syscallName: "getpid") }
    /// The `sendfile` system call.
    public static var sendfile: Self { Self(syscallName: "sendfile") }
    /// The `socket` system call.
    public static var socket: Self { Self(syscallName: "socket") }
    /// The `connect` system call.
    public static var connect: Self { Self(syscallName: "connect") }
    /// The `accept` system call.
    public static var accept: Self { Self(syscallName: "accept") }
    /// The `sendto` system call.
    public static var sendto: Self { Self(syscallName: "sendto") }
    /// The `recvfrom` system call.
    public static var recvfrom: Self { Self(syscallName: "recvfrom") }
    /// The `sendmsg` system call.
    public static var sendmsg: Self { Self(syscallName: "sendmsg") }
    /// The `recvmsg` system call.
    public static var recvmsg: Self { Self(syscallName: "recvmsg") }
    /// The `shutdown` system call.
    public static var shutdown: Self { Self(syscallName: "shutdown") }
    /// The `bind` system call.
    public static var bind: Self { Self(syscallName: "bind") }
    /// The `listen` system call.
    public static var listen: Self { Self(syscallName: "listen") }
    /// The `getsockname` system call.
    public static var getsockname: Self { Self(syscallName: "getsockname") }
    /// The `getpeername` system call.
    public static var getpeername: Self { Self(syscallName: "getpeername") }
    /// The `socketpair` system call.
    public static var socketpair: Self { Self(syscallName: "socketpair") }
    /// The `setsockopt` system call.
    public static var setsockopt: Self { Self(syscallName: "setsockopt") }
    /// The `getsockopt` system call.
    public static var getsockopt: Self { Self(syscallName: "getsockopt") }
    /// The `clone` system call.
    public static var clone: Self { Self(syscallName: "clone") }
    /// The `fork` system call.
    public static var fork: Self { Self(syscallName: "fork") }
    /// The `vfork` system call.
    public static var vfork: Self { Self(syscallName: "vfork") }
    /// The `execve` system call.
    public static var execve: Self { Self(syscallName: "execve") }
    /// The `exit` system call.
    public static var `exit`: Self { Self(syscallName: "exit") }
    /// The `wait4` system call.
    public static var wait4: Self { Self(syscallName: "wait4") }
    /// The `kill` system call.
    public static var kill: Self { Self(syscallName: "kill") }
    /// The `uname` system call.
    public static var uname: Self { Self(syscallName: "uname") }
    /// The `semget` system call.
    public static var semget: Self { Self(syscallName: "semget") }
    /// The `semop` system call.
    public static var semop: Self { Self(syscallName: "semop") }
    /// The `semctl` system call.
    public static var semctl: Self { Self(syscallName: "semctl") }
    /// The `shmdt` system call.
    public static var shmdt: Self { Self(syscallName: "shmdt") }
    /// The `msgget` system call.
    public static var msgget: Self { Self(syscallName: "msgget") }
    /// The `msgsnd` system call.
    public static var msgsnd: Self { Self(syscallName: "msgsnd") }
    /// The `msgrcv` system call.
    public static var msgrcv: Self { Self(syscallName: "msgrcv") }
    /// The `msgctl` system call.
    public static var msgctl: Self { Self(syscallName: "msgctl") }
    /// The `fcntl` system call.
    public static var fcntl: Self { Self(syscallName: "fcntl") }
    /// The `flock` system call.
    public static var flock: Self { Self(syscallName: "flock") }
    /// The `fsync` system call.
    public static var fsync: Self { Self(syscallName: "fsync") }
    /// The `fdatasync` system call.
    public static var fdatasync: Self { Self(syscallName: "fdatasync") }
    /// The `truncate` system call.
    public static var truncate: Self { Self(syscallName: "truncate") }
    /// The `ftruncate` system call.
    public static var ftruncate: Self { Self(syscallName: "ftruncate") }
    /// The `getdents` system call.
    public static var getdents: Self { Self(syscallName: "getdents") }
    /// The `getcwd` system call.
    public static var getcwd: Self { Self(syscallName: "getcwd") }
    /// The `chdir` system call.
    public static var chdir: Self { Self(syscallName: "chdir") }
    /// The `fchdir` system call.
    public static var fchdir: Self { Self(syscallName: "fchdir") }
    /// The `rename` system call.
    public static var rename: Self { Self(syscallName: "rename") }
    /// The `mkdir` system call.
    public static var mkdir: Self { Self(syscallName: "mkdir") }
    /// The `rmdir` system call.
    public static var rmdir: Self { Self(syscallName: "rmdir") }
    /// The `creat` system call.
    public static var creat: Self { Self(syscallName: "creat") }
    /// The `link` system call.
    public static var link: Self { Self(syscallName: "link") }
    /// The `unlink` system call.
    public static var unlink: Self { Self(syscallName: "unlink") }
    /// The `symlink` system call.
    public static var symlink: Self { Self(syscallName: "symlink") }
    /// The `readlink` system call.
    public static var readlink: Self { Self(syscallName: "readlink") }
    /// The `chmod` system call.
    public static var chmod: Self { Self(syscallName: "chmod") }
    /// The `fchmod` system call.
    public static var fchmod: Self { Self(syscallName: "fchmod") }
    /// The `chown` system call.
    public static var chown: Self { Self(syscallName: "chown") }
    /// The `fchown` system call.
    public static var fchown: Self { Self(syscallName: "fchown") }
    /// The `lchown` system call.
    public static var lchown: Self { Self(syscallName: "lchown") }
    /// The `umask` system call.
    public static var umask: Self { Self(syscallName: "umask") }
    /// The `gettimeofday` system call.
    public static var gettimeofday: Self { Self(syscallName: "gettimeofday") }
    /// The `getrlimit` system call.
    public static var getrlimit: Self { Self(syscallName: "getrlimit") }
    /// The `getrusage` system call.
    public static var getrusage: Self { Self(syscallName: "getrusage") }
    /// The `sysinfo` system call.
    public static var sysinfo: Self { Self(syscallName: "sysinfo") }
    /// The `times` system call.
    public static var times: Self { Self(syscallName: "times") }
    /// The `ptrace` system call.
    public static var ptrace: Self { Self(syscallName: "ptrace") }
    /// The `getuid` system call.
    public static var getuid: Self { Self(syscallName: "getuid") }
    /// The `syslog` system call.
    public static var syslog: Self { Self(syscallName: "syslog") }
    /// The `getgid` system call.
    public static var getgid: Self { Self(syscallName: "getgid") }
    /// The `setuid` system call.
    public static var setuid: Self { Self(syscallName: "setuid") }
    /// The `setgid` system call.
    public static var setgid: Self { Self(syscallName: "setgid") }
    /// The `geteuid` system call.
    public static var geteuid: Self { Self(syscallName: "geteuid") }
    /// The `getegid` system call.
    public static var getegid: Self { Self(syscallName: "getegid") }
    /// The `setpgid` system call.
    public static var setpgid: Self { Self(syscallName: "setpgid") }
    /// The `getppid` system call.
    public static var getppid: Self { Self(syscallName: "getppid") }
    /// The `getpgrp` system call.
    public static var getpgrp: Self { Self(syscallName: "getpgrp") }
    /// The `setsid` system call.
    public static var setsid: Self { Self(syscallName: "setsid") }
    /// The `setreuid` system call.
    public static var setreuid: Self { Self(syscallName: "setreuid") }
    /// The `setregid` system call.
    public static var setregid: Self { Self(syscallName: "setregid") }
    /// The `getgroups` system call.
    public static var getgroups: Self { Self(syscallName: "getgroups") }
    /// The `setgroups` system call.
    public static var setgroups: Self { Self(syscallName: "setgroups") }
    /// The `setresuid` system call.
    public static var setresuid: Self { Self(syscallName: "setresuid") }
    /// The `getresuid` system call.
    public static var getresuid: Self { Self(syscallName: "getresuid") }
    /// The `setresgid` system call.
    public static var setresgid: Self { Self(syscallName: "setresgid") }
    /// The `getresgid` system call.
    public static var getresgid: Self { Self(syscallName: "getresgid") }
    /// The `getpgid` system call.
    public static var getpgid: Self { Self(syscallName: "getpgid") }
    /// The `setfsuid` system call.
    public static var setfsuid: Self { Self(syscallName: "setfsuid") }
    /// The `setfsgid` system call.
    public static var setfsgid: Self { Self(syscallName: "setfsgid") }
    /// The `getsid` system call.
    public static var getsid: Self { Self(syscallName: "getsid") }
    /// The `capget` system call.
    public static var capget: Self { Self(syscallName: "capget") }
    /// The `capset` system call.
    public static var capset: Self { Self(syscallName: "capset") }
    /// The `rt_sigpending` system call.
    public static var rt_sigpending: Self { Self(syscallName: "rt_sigpending") }
    /// The `rt_sigtimedwait` system call.
    public static var rt_sigtimedwait: Self { Self(syscallName: "rt_sigtimedwait") }
    /// The `rt_sigqueueinfo` system call.
    public static var rt_sigqueueinfo: Self { Self(syscallName: "rt_sigqueueinfo") }
    /// The `rt_sigsuspend` system call.
    public static var rt_sigsuspend: Self { Self(syscallName: "rt_sigsuspend") }
    /// The `sigaltstack` system call.
    public static var sigaltstack: Self { Self(syscallName: "sigaltstack") }
    /// The `utime` system call.
    public static var utime: Self { Self(syscallName: "utime") }
    /// The `mknod` system call.
    public static var mknod: Self { Self(syscallName: "mknod") }
    /// The `personality` system call.
    public static var personality: Self { Self(syscallName: "personality") }
    /// The `statfs` system call.
    public static var statfs: Self { Self(syscallName: "statfs") }
    /// The `fstatfs` system call.
    public static var fstatfs: Self { Self(syscallName: "fstatfs") }
    /// The `getpriority` system call.
    public static var getpriority: Self { Self(syscallName: "getpriority") }
    /// The `setpriority` system call.
    public static var setpriority: Self { Self(syscallName: "setpriority") }
    /// The `sched_setparam` system call.
    public static var sched_setparam: Self { Self(syscallName: "sched_setparam") }
    /// The `sched_getparam` system call.
    public static var sched_getparam: Self { Self(syscallName: "sched_getparam") }
    /// The `sched_setscheduler` system call.
    public static var sched_setscheduler: Self { Self(syscallName: "sched_setscheduler") }
    /// The `sched_getscheduler` system call.
    public static var sched_getscheduler: Self { Self(syscallName: "sched_getscheduler") }
    /// The `mlock` system call.
    public static var mlock: Self { Self(syscallName: "mlock") }
    /// The `munlock` system call.
    public static var munlock: Self { Self(syscallName: "munlock") }
    /// The `mlockall` system call.
    public static var mlockall: Self { Self(syscallName: "mlockall") }
    /// The `munlockall` system call.
    public static var munlockall: Self { Self(syscallName: "munlockall") }
    /// The `vhangup` system call.
    public static var vhangup: Self { Self(syscallName: "vhangup") }
    /// The `pivot_root` system call.
    public static var pivot_root: Self { Self(syscallName: "pivot_root") }
    /// The `prctl` system call.
    public static var prctl: Self { Self(syscallName: "prctl") }
    /// The `arch_prctl` system call.
    public static var arch_prctl: Self { Self(syscallName: "arch_prctl") }
    /// The `adjtimex` system call.
    public static var adjtimex: Self { Self(syscallName: "adjtimex") }
    /// The `setrlimit` system call.
    public static var setrlimit: Self { Self(syscallName: "setrlimit") }
    /// The `chroot` system call.
    public static var chroot: Self { Self(syscallName: "chroot") }
    /// The `sync` system call.
    public static var sync: Self { Self(syscallName: "sync") }
    /// The `acct` system call.
    public static var acct: Self { Self(syscallName: "acct") }
    /// The `settimeofday` system call.
    public static var settimeofday: Self { Self(syscallName: "settimeofday") }
    /// The `mount` system call.
    public static var mount: Self { Self(syscallName: "mount") }
    /// The `umount2` system call.
    public static var umount2: Self { Self(syscallName: "umount2") }
    /// The `swapon` system call.
    public static var swapon: Self { Self(syscallName: "swapon") }
    /// The `swapoff` system call.
    public static var swapoff: Self { Self(syscallName: "swapoff") }
    /// The `reboot` system call.
    public static var reboot: Self { Self(syscallName: "reboot") }
    /// The `sethostname` system call.
    public static var sethostname: Self { Self(syscallName: "sethostname") }
    /// The `setdomainname` system call.
    public static var setdomainname: Self { Self(syscallName: "setdomainname") }
    /// The `iopl` system call.
    public static var iopl: Self { Self(syscallName: "iopl") }
    /// The `ioperm` system call.
    public static var ioperm: Self { Self(syscallName: "ioperm") }
    /// The `init_module` system call.
    public static var init_module: Self { Self(syscallName: "init_module") }
    /// The `delete_module` system call.
    public static var delete_module: Self { Self(syscallName: "delete_module") }
    /// The `quotactl` system call.
    public static var quotactl: Self { Self(syscallName: "quotactl") }
    /// The `gettid` system call.
    public static var gettid: Self { Self(syscallName: "gettid") }
    /// The `readahead` system call.
    public static var readahead: Self { Self(syscallName: "readahead") }
    /// The `setxattr` system call.
    public static var setxattr: Self { Self(syscallName: "setxattr") }
    /// The `getxattr` system call.
    public static var getxattr: Self { Self(syscallName: "getxattr") }
    /// The `listxattr` system call.
    public static var listxattr: Self { Self(syscallName: "listxattr") }
    /// The `removexattr` system call.
    public static var removexattr: Self { Self(syscallName: "removexattr") }
    /// The `fsetxattr` system call.
    public static var fsetxattr: Self { Self(syscallName: "fsetxattr") }
    /// The `fgetxattr` system call.
    public static var fgetxattr: Self { Self(syscallName: "fgetxattr") }
    /// The `tkill` system call.
    public static var tkill: Self { Self(syscallName: "tkill") }
    /// The `time` system call.
    public static var time: Self { Self(syscallName: "time") }
    /// The `futex` system call.
    public static var futex: Self { Self(syscallName: "futex") }
    /// The `sched_setaffinity` system call.
    public static var sched_setaffinity: Self { Self(syscallName: "sched_setaffinity") }
    /// The `sched_getaffinity` system call.
    public static var sched_getaffinity: Self { Self(syscallName: "sched_getaffinity") }
    /// The `io_setup` system call.
    public static var io_setup: Self { Self(syscallName: "io_setup") }
    /// The `io_destroy` system call.
    public static var io_destroy: Self { Self(syscallName: "io_destroy") }
    /// The `io_getevents` system call.
    public static var io_getevents: Self { Self(syscallName: "io_getevents") }
    /// The `io_submit` system call.
    public static var io_submit: Self { Self(syscallName: "io_submit") }
    /// The `io_cancel` system call.
    public static var io_cancel: Self { Self(syscallName: "io_cancel") }
    /// The `lookup_dcookie` system call.
    public static var lookup_dcookie: Self { Self(syscallName: "lookup_dcookie") }
    /// The `epoll_create` system call.
    public static var epoll_create: Self { Self(syscallName: "epoll_create") }
    /// The `getdents64` system call.
    public static var getdents64: Self { Self(syscallName: "getdents64") }
    /// The `set_tid_address` system call.
    public static var set_tid_address: Self { Self(syscallName: "set_tid_address") }
    /// The `restart_syscall` system call.
    public static var restart_syscall: Self { Self(syscallName: "restart_syscall") }
    /// The `fadvise64` system call.
    public static var fadvise64: Self { Self(syscallName: "fadvise64") }
    /// The `timer_create` system call.
    public static var timer_create: Self { Self(syscallName: "timer_create") }
    /// The `timer_settime` system call.
    public static var timer_settime: Self { Self(syscallName: "timer_settime") }
    /// The `timer_gettime` system call.
    public static var timer_gettime: Self { Self(syscallName: "timer_gettime") }
    /// The `timer_getoverrun` system call.
    public static var timer_getoverrun: Self { Self(syscallName: "timer_getoverrun") }
    /// The `timer_delete` system call.
    public static var timer_delete: Self { Self(syscallName: "timer_delete") }
    /// The `clock_settime` system call.
    public static var clock_settime: Self { Self(syscallName: "clock_settime") }
    /// The `clock_gettime` system call.
    public static var clock_gettime: Self { Self(syscallName: "clock_gettime") }
    /// The `clock_getres` system call.
    public static var clock_getres: Self { Self(syscallName: "clock_getres") }
    /// The `clock_nanosleep` system call.
    public static var clock_nanosleep: Self { Self(syscallName: "clock_nanosleep") }
    /// The `exit_group` system call.
    public static var exit_group: Self { Self(syscallName: "exit_group") }
    /// The `epoll_wait` system call.
    public static var epoll_wait: Self { Self(syscallName: "epoll_wait") }
    /// The `epoll_ctl` system call.
    public static var epoll_ctl: Self { Self(syscallName: "epoll_ctl") }
    /// The `tgkill` system call.
    public static var tgkill: Self { Self(syscallName: "tgkill") }
    /// The `utimes` system call.
    public static var utimes: Self { Self(syscallName: "utimes") }
    /// The `mbind` system call.
    public static var mbind: Self { Self(syscallName: "mbind") }
    /// The `set_mempolicy` system call.
    public static var set_mempolicy: Self { Self(syscallName: "set_mempolicy") }
    /// The `get_mempolicy` system call.
    public static var get_mempolicy: Self { Self(syscallName: "get_mempolicy") }
    /// The `mq_open` system call.
    public static var mq_open: Self { Self(syscallName: "mq_open") }
    /// The `mq_unlink` system call.
    public static var mq_unlink: Self { Self(syscallName: "mq_unlink") }
    /// The `kexec_load` system call.
    public static var kexec_load: Self { Self(syscallName: "kexec_load") }
    /// The `waitid` system call.
    public static var waitid: Self { Self(syscallName: "waitid") }
    /// The `add_key` system call.
    public static var add_key: Self { Self(syscallName: "add_key") }
    /// The `request_key` system call.
    public static var request_key: Self { Self(syscallName: "request_key") }
    /// The `keyctl` system call.
    public static var keyctl: Self { Self(syscallName: "keyctl") }
    /// The `ioprio_set` system call.
    public static var ioprio_set: Self { Self(syscallName: "ioprio_set") }
    /// The `ioprio_get` system call.
    public static var ioprio_get: Self { Self(syscallName: "ioprio_get") }
    /// The `inotify_init` system call.
    public static var inotify_init: Self { Self(syscallName: "inotify_init") }
    /// The `inotify_add_watch` system call.
    public static var inotify_add_watch: Self { Self(syscallName: "inotify_add_watch") }
    /// The `inotify_rm_watch` system call.
    public static var inotify_rm_watch: Self { Self(syscallName: "inotify_rm_watch") }
    /// The `openat` system call.
    public static var openat: Self { Self(syscallName: "openat") }
    /// The `mkdirat` system call.
    public static var mkdirat: Self { Self(syscallName: "mkdirat") }
    /// The `mknodat` system call.
    public static var mknodat: Self { Self(syscallName: "mknodat") }
    /// The `fchownat` system call.
    public static var fchownat: Self { Self(syscallName: "fchownat") }
    /// The `newfstatat` system call.
    public static var newfstatat: Self { Self(syscallName: "newfstatat") }
    /// The `unlinkat` system call.
    public static var unlinkat: Self { Self(syscallName: "unlinkat") }
    /// The `renameat` system call.
    public static var renameat: Self { Self(syscallName: "renameat") }
    /// The `linkat` system call.
    public static var linkat: Self { Self(syscallName: "linkat") }
    /// The `symlinkat` system call.
    public static var symlinkat: Self { Self(syscallName: "symlinkat") }
    /// The `readlinkat` system call.
    public static var readlinkat: Self { Self(syscallName: "readlinkat") }
    /// The `fchmodat` system call.
    public static var fchmodat: Self { Self(syscallName: "fchmodat") }
    /// The `faccessat` system call.
    public static var faccessat: Self { Self(syscallName: "faccessat") }
    /// The `pselect6` system call.
    public static var pselect6: Self { Self(syscallName: "pselect6") }
    /// The `ppoll` system call.
    public static var ppoll: Self { Self(syscallName: "ppoll") }
    /// The `unshare` system call.
    public static var unshare: Self { Self(syscallName: "unshare") }
    /// The `set_robust_list` system call.
    public static var set_robust_list: Self { Self(syscallName: "set_robust_list") }
    /// The `get_robust_list` system call.
    public static var get_robust_list: Self { Self(syscallName: "get_robust_list") }
    /// The `splice` system call.
    public static var splice: Self { Self(syscallName: "splice") }
    /// The `tee` system call.
    public static var tee: Self { Self(syscallName: "tee") }
    /// The `sync_file_range` system call.
    public static var sync_file_range: Self { Self(syscallName: "sync_file_range") }
    /// The `vmsplice` system call.
    public static var vmsplice: Self { Self(syscallName: "vmsplice") }
    /// The `move_pages` system call.
    public static var move_pages: Self { Self(syscallName: "move_pages") }
    /// The `utimensat` system call.
    public static var utimensat: Self { Self(syscallName: "utimensat") }
    /// The `epoll_pwait` system call.
    public static var epoll_pwait: Self { Self(syscallName: "epoll_pwait") }
    /// The `signalfd` system call.
    public static var signalfd: Self { Self(syscallName: "signalfd") }
    /// The `timerfd_create` system call.
    public static var timerfd_create: Self { Self(syscallName: "timerfd_create") }
    /// The `eventfd` system call.
    public static var eventfd: Self { Self(syscallName: "eventfd") }
    /// The `fallocate` system call.
    public static var fallocate: Self { Self(syscallName: "fallocate") }
    /// The `timerfd_settime` system call.
    public static var timerfd_settime: Self { Self(syscallName: "timerfd_settime") }
    /// The `timerfd_gettime` system call.
    public static var timerfd_gettime: Self { Self(syscallName: "timerfd_gettime") }
    /// The `accept4` system call.
    public static var accept4: Self { Self(syscallName: "accept4") }
    /// The `signalfd4` system call.
    public static var signalfd4: Self { Self(syscallName: "signalfd4") }
    /// The `eventfd2` system call.
    public static var eventfd2: Self { Self(syscallName: "eventfd2") }
    /// The `epoll_create1` system call.
    public static var epoll_create1: Self { Self(syscallName: "epoll_create1") }
    /// The `dup3` system call.
    public static var dup3: Self { Self(syscallName: "dup3") }
    /// The `pipe2` system call.
    public static var pipe2: Self { Self(syscallName: "pipe2") }
    /// The `inotify_init1` system call.
    public static var inotify_init1: Self { Self(syscallName: "inotify_init1") }
    /// The `preadv` system call.
    public static var preadv: Self { Self(syscallName: "preadv") }
    /// The `pwritev` system call.
    public static var pwritev: Self { Self(syscallName: "pwritev") }
    /// The `rt_tgsigqueueinfo` system call.
    public static var rt_tgsigqueueinfo: Self { Self(syscallName: "rt_tgsigqueueinfo") }
    /// The `perf_event_open` system call.
    public static var perf_event_open: Self { Self(syscallName: "perf_event_open") }
    /// The `recvmmsg` system call.
    public static var recvmmsg: Self { Self(syscallName: "recvmmsg") }
    /// The `fanotify_init` system call.
    public static var fanotify_init: Self { Self(syscallName: "fanotify_init") }
    /// The `fanotify_mark` system call.
    public static var fanotify_mark: Self { Self(syscallName: "fanotify_mark") }
    /// The `prlimit64` system call.
    public static var prlimit64: Self { Self(syscallName: "prlimit64") }
    /// The `name_to_handle_at` system call.
    public static var name_to_handle_at: Self { Self(syscallName: "name_to_handle_at") }
    /// The `open_by_handle_at` system call.
    public static var open_by_handle_at: Self { Self(syscallName: "open_by_handle_at") }
    /// The `syncfs` system call.
    public static var syncfs: Self { Self(syscallName: "syncfs") }
    /// The `sendmmsg` system call.
    public static var sendmmsg: Self { Self(syscallName: "sendmmsg") }
    /// The `setns` system call.
    public static var setns: Self { Self(syscallName: "setns") }
    /// The `getcpu` system call.
    public static var getcpu: Self { Self(syscallName: "getcpu") }
    /// The `process_vm_readv` system call.
    public static var process_vm_readv: Self { Self(syscallName: "process_vm_readv") }
    /// The `process_vm_writev` system call.
    public static var process_vm_writev: Self { Self(syscallName: "process_vm_writev") }
    /// The `kcmp` system call.
    public static var kcmp: Self { Self(syscallName: "kcmp") }
    /// The `finit_module` system call.
    public static var finit_module: Self { Self(syscallName: "finit_module") }
    /// The `sched_setattr` system call.
    public static var sched_setattr: Self { Self(syscallName: "sched_setattr") }
    /// The `sched_getattr` system call.
    public static var sched_getattr: Self { Self(syscallName: "sched_getattr") }
    /// The `renameat2` system call.
    public static var renameat2: Self { Self(syscallName: "renameat2") }
    /// The `seccomp` system call.
    public static var seccomp: Self { Self(syscallName: "seccomp") }
    /// The `getrandom` system call.
    public static var getrandom: Self { Self(syscallName: "getrandom") }
    /// The `memfd_create` system call.
    public static var memfd_create: Self { Self(syscallName: "memfd_create") }
    /// The `bpf` system call.
    public static var bpf: Self { Self(syscallName: "bpf") }
    /// The `execveat` system call.
    public static var execveat: Self { Self(syscallName: "execveat") }
    /// The `userfaultfd` system call.
    public static var userfaultfd: Self { Self(syscallName: "userfaultfd") }
    /// The `membarrier` system call.
    public static var membarrier: Self { Self(syscallName: "membarrier") }
    /// The `mlock2` system call.
    public static var mlock2: Self { Self(syscallName: "mlock2") }
    /// The `copy_file_range` system call.
    public static var copy_file_range: Self { Self(syscallName: "copy_file_range") }
    /// The `preadv2` system call.
    public static var preadv2: Self { Self(syscallName: "preadv2") }
    /// The `pwritev2` system call.
    public static var pwritev2: Self { Self(syscallName: "pwritev2") }
    /// The `pkey_mprotect` system call.
    public static var pkey_mprotect: Self { Self(syscallName: "pkey_mprotect") }
    /// The `pkey_alloc` system call.
    public static var pkey_alloc: Self { Self(syscallName: "pkey_alloc") }
    /// The `pkey_free` system call.
    public static var pkey_free: Self { Self(syscallName: "pkey_free") }
    /// The `statx` system call.
    public static var statx: Self { Self(syscallName: "statx") }
    /// The `rseq` system call.
    public static var rseq: Self { Self(syscallName: "rseq") }
    /// The `pidfd_send_signal` system call.
    public static var pidfd_send_signal: Self { Self(syscallName: "pidfd_send_signal") }
    /// The `io_uring_setup` system call.
    public static var io_uring_setup: Self { Self(syscallName: "io_uring_setup") }
    /// The `io_uring_enter` system call.
    public static var io_uring_enter: Self { Self(syscallName: "io_uring_enter") }
    /// The `io_uring_register` system call.
    public static var io_uring_register: Self { Self(syscallName: "io_uring_register") }
    /// The `open_tree` system call.
    public static var open_tree: Self { Self(syscallName: "open_tree") }
    /// The `move_mount` system call.
    public static var move_mount: Self { Self(syscallName: "move_mount") }
    /// The `fsopen` system call.
    public static var fsopen: Self { Self(syscallName: "fsopen") }
    /// The `fsconfig` system call.
    public static var fsconfig: Self { Self(syscallName: "fsconfig") }
    /// The `fsmount` system call.
    public static var fsmount: Self { Self(syscallName: "fsmount") }
    /// The `fspick` system call.
    public static var fspick: Self { Self(syscallName: "fspick") }
    /// The `pidfd_open` system call.
    public static var pidfd_open: Self { Self(syscallName: "pidfd_open") }
    /// The `clone3` system call.
    public static var clone3: Self { Self(syscallName: "clone3") }
    /// The `close_range` system call.
    public static var close_range: Self { Self(syscallName: "close_range") }
    /// The `openat2` system call.
    public static var openat2: Self { Self(syscallName: "openat2") }
    /// The `pidfd_getfd` system call.
    public static var pidfd_getfd: Self { Self(syscallName: "pidfd_getfd") }
    /// The `faccessat2` system call.
    public static var faccessat2: Self { Self(syscallName: "faccessat2") }
    /// The `epoll_pwait2` system call.
    public static var epoll_pwait2: Self { Self(syscallName: "epoll_pwait2") }
    /// The `mount_setattr` system call.
    public static var mount_setattr: Self { Self(syscallName: "mount_setattr") }
    /// The `landlock_create_ruleset` system call.
    public static var landlock_create_ruleset: Self { Self(syscallName: "landlock_create_ruleset") }
    /// The `landlock_add_rule` system call.
    public static var landlock_add_rule: Self { Self(syscallName: "landlock_add_rule") }
    /// The `landlock_restrict_self` system call.
    public static var landlock_restrict_self: Self { Self(syscallName: "landlock_restrict_self") }
    /// The `memfd_secret` system call.
    public static var memfd_secret: Self { Self(syscallName: "memfd_secret") }
    /// The `futex_waitv` system call.
    public static var futex_waitv: Self { Self(syscallName: "futex_waitv") }
    /// The `socketcall` system call.
    public static var socketcall: Self { Self(syscallName: "socketcall") }
    /// The `ipc` system call.
    public static var ipc: Self { Self(syscallName: "ipc") }
    /// The `mmap2` system call.
    public static var mmap2: Self { Self(syscallName: "mmap2") }
    /// The `fcntl64` system call.
    public static var fcntl64: Self { Self(syscallName: "fcntl64") }
    /// The `fstat64` system call.
    public static var fstat64: Self { Self(syscallName: "fstat64") }
    /// The `stat64` system call.
    public static var stat64: Self { Self(syscallName: "stat64") }
    /// The `lstat64` system call.
    public static var lstat64: Self { Self(syscallName: "lstat64") }
    /// The `_llseek` system call.
    public static var _llseek: Self { Self(syscallName: "_llseek") }
    /// The `_newselect` system call.
    public static var _newselect: Self { Self(syscallName: "_newselect") }
    /// The `sigreturn` system call.
    public static var sigreturn: Self { Self(syscallName: "sigreturn") }
    /// The `waitpid` system call.
    public static var waitpid: Self { Self(syscallName: "waitpid") }
}
