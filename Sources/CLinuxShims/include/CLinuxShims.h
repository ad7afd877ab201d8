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
#include <fcntl.h>

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

/// Bounds how long a receive waits. The corresponding C call is
/// `setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){...}, ...)`.
static inline int cbpf_set_receive_timeout(int fd, long microseconds) {
    struct timeval timeout = { .tv_sec = microseconds / 1000000, .tv_usec = microseconds % 1000000 };
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

/// A pipe whose two ends are close-on-exec from the start, with no window in which another
/// thread's `fork`/`exec` could inherit them. The corresponding C call is
/// `pipe2(ends, O_CLOEXEC)`, made through `syscall(SYS_pipe2, ...)`: Glibc's Swift module does not
/// export `pipe2`, which needs `_GNU_SOURCE`.
static inline int cbpf_pipe_close_on_exec(int ends[2]) {
    return (int)syscall(SYS_pipe2, ends, O_CLOEXEC);
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

// Processes and CPUs for the differential oracles, the seccomp benchmark and the launcher.
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

/// Waits for a child process. Returns 0 and sets `signal` to the signal that ended it (or 0)
/// and `status` to its exit status (or -1), or returns -1 with errno (`EINTR` too: Swift
/// callers retry through SystemCalls' `valueOrErrno`). The corresponding C call is
/// `waitpid(pid, &status, 0)` with `WIFSIGNALED`, `WTERMSIG` and `WEXITSTATUS`.
static inline int cbpf_wait_child(pid_t pid, int *signal, int *status) {
    int raw = 0;
    if (waitpid(pid, &raw, 0) < 0) return -1;
    *signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return 0;
}


// Socket filters: locking, reading back, reuseport groups and packet fanout (Attach, SocketFilter).
#include <linux/sched.h>

/// The corresponding C call is `setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &value, sizeof value)`.
static inline int cbpf_lock_socket_filter(int fd, int value) {
    return setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &value, sizeof value);
}

/// Copies the socket's classic filter, as it was attached, into `filter` (room for `*count`
/// instructions) and sets `*count` to its length; with `*count` 0 it only sets the length (0
/// without a filter). The corresponding C call is
/// `getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, filter, count)`: the length counts instructions.
static inline int cbpf_get_socket_filter(int fd, struct sock_filter *filter, unsigned int *count) {
    socklen_t length = *count;
    int result = getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, filter, &length);
    if (result == 0) *count = length;
    return result;
}

/// Selects the member of the socket's `SO_REUSEPORT` group that gets each packet. The
/// corresponding C call is `setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, ...)`.
static inline int cbpf_attach_reuseport_filter(int fd, struct sock_filter *filter, unsigned short count) {
    struct sock_fprog prog = { .len = count, .filter = filter };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog);
}

/// The corresponding C call is `setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, 0, 0)`.
static inline int cbpf_detach_reuseport_filter(int fd) {
    int unused = 0;
    return setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &unused, sizeof unused);
}

/// The corresponding C call is `setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &1, sizeof(int))`.
static inline int cbpf_set_reuse_port(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
}

/// `PACKET_FANOUT_CBPF`, the fanout mode whose classic program picks the socket.
static const unsigned short cbpf_packet_fanout_cbpf = PACKET_FANOUT_CBPF;
static const unsigned short cbpf_packet_fanout_flag_rollover = PACKET_FANOUT_FLAG_ROLLOVER;
static const unsigned short cbpf_packet_fanout_flag_defrag = PACKET_FANOUT_FLAG_DEFRAG;

/// Joins the packet socket to fanout group `group` in `mode` with `flags`. The corresponding C
/// call is `setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &(group | (mode | flags) << 16), ...)`.
static inline int cbpf_join_packet_fanout(int fd, unsigned short group, unsigned short mode, unsigned short flags) {
    int argument = (int)group | ((int)(mode | flags) << 16);
    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &argument, sizeof argument);
}

/// Sets the program of the socket's `PACKET_FANOUT_CBPF` group. The corresponding C call is
/// `setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog)`.
static inline int cbpf_set_packet_fanout_filter(int fd, struct sock_filter *filter, unsigned short count) {
    struct sock_fprog prog = { .len = count, .filter = filter };
    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog);
}


// tc cls_bpf over rtnetlink (Attach: TrafficControl). Constants come from the kernel's UAPI
// headers; the wrappers cover sockaddr_nl, setsockopt flags and setns, which Swift cannot reach.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/pkt_cls.h>
#include <linux/gen_stats.h>
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000 /* <sched.h> defines it only with _GNU_SOURCE */
#endif

/// A NETLINK_ROUTE socket bound to a port the kernel picks, with extended acks (the kernel's
/// error text) and capped acks (errors do not echo the whole request) turned on. Returns the
/// descriptor, or -1 with errno. The corresponding C calls are
/// `socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)`,
/// `setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK / NETLINK_CAP_ACK, &one, ...)` and `bind`.
static inline int cbpf_route_netlink_socket(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    int one = 1;
    struct sockaddr_nl local = { 0 };
    local.nl_family = AF_NETLINK;
    if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one) != 0
        || setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) != 0
        || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/// Sends one netlink message to the kernel (port 0). The corresponding C call is
/// `sendto(fd, message, length, 0, &(struct sockaddr_nl){ AF_NETLINK }, ...)`.
static inline long cbpf_netlink_send(int fd, const void *message, unsigned long length) {
    struct sockaddr_nl kernel = { 0 };
    kernel.nl_family = AF_NETLINK;
    return sendto(fd, message, length, 0, (struct sockaddr *)&kernel, sizeof kernel);
}

/// Receives one datagram and the port it came from (0 for the kernel). With `peek` the
/// datagram stays queued and the return value is its full length (MSG_PEEK | MSG_TRUNC).
/// The corresponding C call is `recvfrom(fd, buffer, capacity, flags, &(struct sockaddr_nl){...}, ...)`.
static inline long cbpf_netlink_receive(int fd, void *buffer, unsigned long capacity, int peek, unsigned int *port) {
    struct sockaddr_nl from = { 0 };
    socklen_t length = sizeof from;
    long received = recvfrom(fd, buffer, capacity, peek ? (MSG_PEEK | MSG_TRUNC) : 0,
                             (struct sockaddr *)&from, &length);
    if (received >= 0) *port = from.nl_pid;
    return received;
}

/// Moves the calling thread into the network namespace that `fd` refers to (a file such as
/// `/run/netns/NAME` or `/proc/self/ns/net`). The corresponding C call is
/// `setns(fd, CLONE_NEWNET)`.
static inline int cbpf_enter_network_namespace(int fd) {
    return (int)syscall(SYS_setns, fd, CLONE_NEWNET);
}

// Live capture on a TPACKET_V3 memory-mapped receive ring (Attach's PacketCaptureSocket).
#include <sys/mman.h>
#include <poll.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>

/// Selects TPACKET_V3 frames for the socket's ring. The corresponding C call is
/// `setsockopt(fd, SOL_PACKET, PACKET_VERSION, &(int){TPACKET_V3}, sizeof(int))`.
static inline int cbpf_packet_set_version3(int fd) {
    int version = TPACKET_V3;
    return setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version);
}

/// Creates the receive ring: `block_count` blocks of `block_size` bytes, which the kernel hands
/// over when full or after `retire_milliseconds`. The corresponding C call is
/// `setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &(struct tpacket_req3){...}, ...)`.
static inline int cbpf_packet_set_receive_ring3(int fd, unsigned block_size, unsigned block_count,
                                                unsigned frame_size, unsigned retire_milliseconds) {
    struct tpacket_req3 request = { 0 };
    request.tp_block_size = block_size;
    request.tp_block_nr = block_count;
    request.tp_frame_size = frame_size;
    request.tp_frame_nr = (block_size / frame_size) * block_count;
    request.tp_retire_blk_tov = retire_milliseconds;
    return setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request);
}

/// Maps the ring shared with the kernel, or returns NULL with errno. The corresponding C call is
/// `mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)`.
static inline void *cbpf_map_ring(int fd, unsigned long length) {
    void *ring = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return ring == MAP_FAILED ? NULL : ring;
}

/// Whether the kernel has handed the block to user space (`TP_STATUS_USER`), read with acquire
/// ordering so that the block's frames are visible.
static inline int cbpf_ring_block_is_ready(const void *block) {
    const struct tpacket_block_desc *descriptor = block;
    return (__atomic_load_n(&descriptor->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
}

/// Gives the block back to the kernel (`TP_STATUS_KERNEL`), with release ordering so that the
/// kernel sees it only after we are done reading.
static inline void cbpf_ring_block_release(void *block) {
    struct tpacket_block_desc *descriptor = block;
    __atomic_store_n(&descriptor->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/// The number of frames in a ready block.
static inline unsigned cbpf_ring_block_frame_count(const void *block) {
    return ((const struct tpacket_block_desc *)block)->hdr.bh1.num_pkts;
}

/// The offset of a ready block's first frame from the start of the block.
static inline unsigned cbpf_ring_block_first_frame(const void *block) {
    return ((const struct tpacket_block_desc *)block)->hdr.bh1.offset_to_first_pkt;
}

/// One frame's header in a TPACKET_V3 block, with its link-layer address.
struct cbpf_ring_frame {
    unsigned next_offset;      /* from this frame to the next in the block; 0 for the last */
    unsigned seconds;
    unsigned nanoseconds;
    unsigned captured_length;  /* tp_snaplen */
    unsigned original_length;  /* tp_len */
    unsigned status;           /* TP_STATUS_* */
    unsigned data_offset;      /* tp_mac: from the frame header to the link-layer header */
    unsigned short vlan_tci;
    unsigned short vlan_tpid;
    int interface_index;       /* sockaddr_ll.sll_ifindex */
    unsigned short protocol;   /* sockaddr_ll.sll_protocol, host byte order */
    unsigned short hardware_type; /* sockaddr_ll.sll_hatype, ARPHRD_* */
    unsigned char packet_type; /* sockaddr_ll.sll_pkttype, PACKET_* */
};

/// Decodes the frame header at `frame` (a `struct tpacket3_hdr`, followed at
/// `TPACKET_ALIGN(sizeof(struct tpacket3_hdr))` by a `struct sockaddr_ll`).
static inline void cbpf_ring_frame_read(const void *frame, struct cbpf_ring_frame *out) {
    const struct tpacket3_hdr *header = frame;
    const struct sockaddr_ll *address =
        (const struct sockaddr_ll *)((const char *)frame + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    out->next_offset = header->tp_next_offset;
    out->seconds = header->tp_sec;
    out->nanoseconds = header->tp_nsec;
    out->captured_length = header->tp_snaplen;
    out->original_length = header->tp_len;
    out->status = header->tp_status;
    out->data_offset = header->tp_mac;
    out->vlan_tci = (unsigned short)header->hv1.tp_vlan_tci;
    out->vlan_tpid = (unsigned short)header->hv1.tp_vlan_tpid;
    out->interface_index = address->sll_ifindex;
    out->protocol = ntohs(address->sll_protocol);
    out->hardware_type = address->sll_hatype;
    out->packet_type = address->sll_pkttype;
}

/// The kernel's counters since the last call, which resets them. `packets` counts every frame
/// the filter accepted, dropped ones included. The corresponding C call is
/// `getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &(struct tpacket_stats_v3){...}, ...)`.
static inline int cbpf_packet_statistics3(int fd, unsigned *packets, unsigned *drops, unsigned *freezes) {
    struct tpacket_stats_v3 statistics = { 0 };
    socklen_t length = sizeof statistics;
    int result = getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &statistics, &length);
    if (result == 0) {
        *packets = statistics.tp_packets;
        *drops = statistics.tp_drops;
        *freezes = statistics.tp_freeze_q_cnt;
    }
    return result;
}

/// The interface's hardware type (`ARPHRD_ETHER`, `ARPHRD_LOOPBACK`, ...), or -1 with errno.
/// The corresponding C call is `ioctl(fd, SIOCGIFHWADDR, &(struct ifreq){ .ifr_name = name })`.
static inline int cbpf_interface_hardware_type(int fd, const char *name) {
    struct ifreq request = { 0 };
    if (strlen(name) >= IFNAMSIZ) { errno = ENODEV; return -1; }
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &request) != 0) return -1;
    return request.ifr_hwaddr.sa_family;
}

/// Waits until `fd` is readable or `milliseconds` pass. The corresponding C call is
/// `poll(&(struct pollfd){ fd, POLLIN }, 1, milliseconds)`; returns its result, with
/// `*revents` set.
static inline int cbpf_poll_readable(int fd, int milliseconds, short *revents) {
    struct pollfd entry = { .fd = fd, .events = POLLIN, .revents = 0 };
    int result = poll(&entry, 1, milliseconds);
    *revents = entry.revents;
    return result;
}


// Reading the seccomp filters of another process (Seccomp's SeccompFilterReader). The raw
// system call is used, so that neither <sys/ptrace.h> nor <linux/ptrace.h> is needed.
#define CBPF_PTRACE_DETACH 17
#define CBPF_PTRACE_SEIZE 0x4206
#define CBPF_PTRACE_INTERRUPT 0x4207
#define CBPF_PTRACE_SECCOMP_GET_FILTER 0x420c

/// Attaches to a thread without stopping it or sending a signal. The corresponding C call is
/// `ptrace(PTRACE_SEIZE, pid, 0, 0)`.
static inline long cbpf_ptrace_seize(pid_t pid) {
    return syscall(SYS_ptrace, CBPF_PTRACE_SEIZE, pid, 0, 0);
}

/// Stops a seized thread (a `PTRACE_EVENT_STOP`, reported by `waitpid`). The corresponding C
/// call is `ptrace(PTRACE_INTERRUPT, pid, 0, 0)`.
static inline long cbpf_ptrace_interrupt(pid_t pid) {
    return syscall(SYS_ptrace, CBPF_PTRACE_INTERRUPT, pid, 0, 0);
}

/// Detaches from a traced thread and lets it run on. The corresponding C call is
/// `ptrace(PTRACE_DETACH, pid, 0, 0)`.
static inline long cbpf_ptrace_detach(pid_t pid) {
    return syscall(SYS_ptrace, CBPF_PTRACE_DETACH, pid, 0, 0);
}

/// Copies the stopped tracee's seccomp filter number `index` (0 the first installed, the
/// oldest: the kernel counts back from the newest by the number of filters less `index`)
/// into `filter` and returns its length; with `filter` NULL returns the length only. The
/// corresponding C call is `ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, filter)`.
static inline long cbpf_ptrace_seccomp_get_filter(pid_t pid, unsigned long index, struct sock_filter *filter) {
    return syscall(SYS_ptrace, CBPF_PTRACE_SECCOMP_GET_FILTER, pid, index, filter);
}

/// Waits for a traced or child thread to change state; returns its pid, or -1 with errno.
/// `*stopped` is 1 when it stopped, `*ended` 1 when it exited or was killed. The corresponding
/// C call is `waitpid(pid, &status, __WALL)` with `WIFSTOPPED`, `WIFEXITED` and `WIFSIGNALED`.
static inline int cbpf_wait_traced(pid_t pid, int *stopped, int *ended) {
    int status = 0;
    pid_t result;
    result = waitpid(pid, &status, __WALL);
    if (result < 0) return -1;
    *stopped = WIFSTOPPED(status) ? 1 : 0;
    *ended = (WIFEXITED(status) || WIFSIGNALED(status)) ? 1 : 0;
    return result;
}

/// Forks a child that does nothing until it is killed (it also dies with its parent), so that
/// the parent can read the seccomp filters it inherited. Returns the child's pid, or -1 with
/// errno. The child runs no code but `pause` in a loop.
pid_t cbpf_fork_idle_child(void);

// Signals for the launcher's learn mode, which supervises a child: Glibc's module does not
// export <sys/signalfd.h>.
#include <signal.h>
#include <sys/signalfd.h>

/// Blocks `signals` (`count` of them) on the calling thread and returns a close-on-exec
/// descriptor that reads them instead, or -1 with errno. The corresponding C calls are
/// `pthread_sigmask(SIG_BLOCK, &mask, NULL)` and `signalfd(-1, &mask, SFD_CLOEXEC)`.
static inline int cbpf_block_signals_into_descriptor(const int *signals, int count) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int index = 0; index < count; index++) sigaddset(&mask, signals[index]);
    int error = pthread_sigmask(SIG_BLOCK, &mask, NULL);
    if (error != 0) { errno = error; return -1; }
    return signalfd(-1, &mask, SFD_CLOEXEC);
}

/// Reads one pending signal from a signalfd: its number and its `si_code` (`SI_USER` for
/// `kill`, `SI_KERNEL` for a terminal's). Returns 0, or -1 with errno. The corresponding C call
/// is `read(fd, &info, sizeof(struct signalfd_siginfo))`.
static inline int cbpf_read_signal(int fd, int *signal, int *code) {
    struct signalfd_siginfo info;
    ssize_t count = read(fd, &info, sizeof info);
    if (count < 0) return -1;
    if (count != (ssize_t)sizeof info) { errno = EIO; return -1; }
    *signal = (int)info.ssi_signo;
    *code = info.ssi_code;
    return 0;
}

/// Waits for a child without blocking. Returns its pid when it ended (with `signal` and
/// `status` as `cbpf_wait_child` sets them), 0 when it still runs, or -1 with errno. The
/// corresponding C call is `waitpid(pid, &status, WNOHANG)`.
static inline int cbpf_poll_child(pid_t pid, int *signal, int *status) {
    int raw = 0;
    pid_t result = waitpid(pid, &raw, WNOHANG);
    if (result <= 0) return result;
    *signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return result;
}

#endif
