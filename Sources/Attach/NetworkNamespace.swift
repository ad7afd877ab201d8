import CLinuxShims
import Glibc
import SystemPackage

/// Runs code in another network namespace, so that the sockets it opens (and the filters
/// attached to them) live there: a namespace made by `ip netns add NAME` is the file
/// `/run/netns/NAME`, a process's is `/proc/PID/ns/net`.
public enum NetworkNamespace {
    /// Calls `body` with the calling thread in the network namespace at `path`, then moves the
    /// thread back to the namespace it was in. Sockets opened in `body` stay in that namespace.
    /// Only the calling thread moves, and `body` cannot suspend, so no other code runs there.
    /// Needs `CAP_SYS_ADMIN`.
    ///
    /// If the thread cannot go back (which needs the capability it just used), this throws and
    /// the thread stays in the other namespace.
    ///
    /// The corresponding C calls are `open` of `/proc/thread-self/ns/net` and of `path`, and
    /// `setns(fd, CLONE_NEWNET)`.
    public static func run<Result>(at path: String, _ body: () throws -> Result) throws -> Result {
        let home = try open("/proc/thread-self/ns/net")
        defer { close(home) }
        let target = try open(path)
        defer { close(target) }
        guard cbpf_enter_network_namespace(target) == 0 else {
            throw SystemCallError("setns(\(path))", Errno(rawValue: errno))
        }
        let result = Swift.Result { try body() }
        guard cbpf_enter_network_namespace(home) == 0 else {
            throw SystemCallError("setns(/proc/thread-self/ns/net)", Errno(rawValue: errno))
        }
        return try result.get()
    }

    private static func open(_ path: String) throws(SystemCallError) -> Int32 {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemCallError("open(\(path))", Errno(rawValue: errno)) }
        return descriptor
    }
}
