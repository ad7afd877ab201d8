import CLinuxShims
import Glibc

/// Runs the compiler's recursive passes where the stack has room for them, as clang's
/// `runWithSufficientStackSpace` does: on the calling thread when it has room, otherwise on a
/// thread of its own with a stack that fits, which the caller waits for.
///
/// The parser, the code generator and the layout recurse about once per level of an
/// expression, and a debug build takes up to 10.3 KB of stack per level (measured on 512 KB to
/// 4 MB threads for each nesting shape; parentheses cost the most). At
/// ``FilterExpression/maximumDepth`` that is more than a Swift test thread or a Dispatch thread
/// has (512 KB), and more than a main thread's 8 MB.
enum StackSpace {
    /// The stack to have per level, with room to spare over the 10.3 KB measured.
    static let bytesPerLevel = 16 * 1024
    /// The stack the passes need outside any nesting: name lookups, the optimizer, the verifier.
    static let baseBytes = 256 * 1024

    /// Runs `body`, which recurses at most `levels` deep, where the stack has room for it.
    static func run<T>(levels: Int, _ body: () throws(FilterSyntaxError) -> T) throws(FilterSyntaxError) -> T {
        let needed = baseBytes + max(0, levels) * bytesPerLevel
        if let remaining = remainingOnCurrentThread(), remaining >= needed {
            return try body()
        }
        return try onNewThread(stackSize: needed, body)
    }

    /// The bytes of stack left below this call, or nil when the thread's stack is not known.
    static func remainingOnCurrentThread() -> Int? {
        guard let low = currentStackLowAddress() else { return nil }
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return here > low ? Int(here - low) : 0
    }

    /// The current thread's lowest stack address, kept per thread: for the main thread glibc
    /// reads `/proc/self/maps` to answer.
    private static func currentStackLowAddress() -> UInt? {
        if let cached = pthread_getspecific(stackLowKey) { return UInt(bitPattern: cached) }
        guard let low = cbpf_thread_stack_low() else { return nil }
        pthread_setspecific(stackLowKey, low)
        return UInt(bitPattern: low)
    }

    private static let stackLowKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// What a thread started by ``onNewThread(stackSize:_:)`` runs.
    private final class Work {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private static func onNewThread<T>(
        stackSize: Int, _ body: () throws(FilterSyntaxError) -> T
    ) throws(FilterSyntaxError) -> T {
        var result: Result<T, FilterSyntaxError>?
        let status = withoutActuallyEscaping(body) { body -> Int32 in
            let work = Work {
                do throws(FilterSyntaxError) {
                    result = .success(try body())
                } catch {
                    result = .failure(error)
                }
            }
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
            pthread_attr_setstacksize(&attributes, (stackSize + pageSize - 1) / pageSize * pageSize)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(work).toOpaque()
            let status = pthread_create(&thread, &attributes, { context in
                let work = Unmanaged<Work>.fromOpaque(context!).takeRetainedValue()
                work.run()
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<Work>.fromOpaque(context).release()
                return status
            }
            pthread_join(thread, nil)
            return 0
        }
        guard status == 0, let result else {
            throw FilterSyntaxError(
                "cannot start a thread with \(stackSize / 1024) KB of stack for this expression: \(String(cString: strerror(status)))")
        }
        return try result.get()
    }
}
