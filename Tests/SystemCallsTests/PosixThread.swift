import Glibc

/// A thread of its own, so that a test can send it a signal with `pthread_kill`.
final class PosixThread<Value: Sendable>: @unchecked Sendable {
    // Written by the thread before it ends, read after pthread_join, which orders the two.
    private var value: Value?
    private(set) var handle = pthread_t()

    init(_ body: @escaping @Sendable () -> Value) {
        let start = ThreadStart { self.value = body() }
        let status = pthread_create(&handle, nil, runThreadStart, Unmanaged.passRetained(start).toOpaque())
        precondition(status == 0, "pthread_create failed with \(status)")
    }

    func join() -> Value {
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
