#if canImport(Glibc)
    import Glibc
#endif

/// Code on a POSIX thread of its own rather than a Swift concurrency thread: a test can signal
/// it with `pthread_kill`, and a seccomp filter it installs without TSYNC stays with it.
package final class PosixThread<Value: Sendable>: @unchecked Sendable {
    // Written by the thread before it ends, read after pthread_join, which orders the two.
    private var value: Value?
    /// The thread, for `pthread_kill`.
    package private(set) var handle = pthread_t()

    /// Starts a thread that runs `body`.
    package init(_ body: @escaping @Sendable () -> Value) {
        let start = ThreadStart { self.value = body() }
        let status = pthread_create(&handle, nil, runThreadStart, Unmanaged.passRetained(start).toOpaque())
        precondition(status == 0, "pthread_create failed: \(String(cString: strerror(status)))")
    }

    /// Waits for the thread to end and returns what `body` returned.
    package func join() -> Value {
        pthread_join(handle, nil)
        return value!
    }
}

private final class ThreadStart {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

private func runThreadStart(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue().run()
    return nil
}
