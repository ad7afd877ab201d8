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
    public static func run<Value: ~Copyable, BodyError: Error>(
        at path: String, _ body: () throws(BodyError) -> Value
    ) throws(SystemCallOrBodyError<BodyError>) -> Value {
        let home = try enter(path, BodyError.self)
        let value: Value
        do {
            value = try body()
        } catch {
            try returnHome(home, BodyError.self)
            throw .body(error)
        }
        try returnHome(home, BodyError.self)
        return value
    }

    /// Moves the calling thread into the namespace at `path` and returns the namespace it was in.
    private static func enter<BodyError>(_ path: String, _: BodyError.Type)
        throws(SystemCallOrBodyError<BodyError>) -> OwnedFileDescriptor
    {
        do {
            let home = try OwnedFileDescriptor.open("/proc/thread-self/ns/net")
            let target = try OwnedFileDescriptor.open(path)
            _ = try systemCall("setns(\(path))") { cbpf_enter_network_namespace(target.descriptor.rawValue) }
            return home
        } catch {
            throw .systemCall(error)
        }
    }

    /// Moves the calling thread back to the namespace `home` opened.
    private static func returnHome<BodyError>(_ home: borrowing OwnedFileDescriptor, _: BodyError.Type)
        throws(SystemCallOrBodyError<BodyError>)
    {
        do {
            _ = try systemCall("setns(/proc/thread-self/ns/net)") { cbpf_enter_network_namespace(home.descriptor.rawValue) }
        } catch {
            throw .systemCall(error)
        }
    }
}
