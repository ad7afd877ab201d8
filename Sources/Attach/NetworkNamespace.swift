import CLinuxShims
import Glibc
import SystemCalls
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
    /// What `body` throws comes back as ``SystemCallOrBodyError/body(_:)``, after the thread is
    /// back. If the thread cannot go back (which needs the capability it just used), this
    /// throws ``SystemCallOrBodyError/systemCall(_:)`` and the thread stays in the other
    /// namespace.
    ///
    /// The corresponding C calls are `open` of `/proc/thread-self/ns/net` and of `path`, and
    /// `setns(fd, CLONE_NEWNET)`.
    public static func run<Value, BodyError: Error>(
        at path: String, _ body: () throws(BodyError) -> Value
    ) throws(SystemCallOrBodyError<BodyError>) -> Value {
        let result: Result<Value, BodyError>
        do {
            let home = try OwnedFileDescriptor.open("/proc/thread-self/ns/net")
            let target = try OwnedFileDescriptor.open(path)
            _ = try systemCall("setns(\(path))") { cbpf_enter_network_namespace(target.descriptor.rawValue) }
            result = Result { () throws(BodyError) in try body() }
            _ = try systemCall("setns(/proc/thread-self/ns/net)") { cbpf_enter_network_namespace(home.descriptor.rawValue) }
        } catch {
            throw .systemCall(error)
        }
        do {
            return try result.get()
        } catch {
            throw .body(error)
        }
    }
}
