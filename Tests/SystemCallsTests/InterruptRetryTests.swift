import Glibc
import Synchronization
import SystemCalls
import SystemPackage
import TestSupport
import Testing

/// The package's one EINTR loop, against the kernel: a read blocked on an empty pipe is
/// interrupted by a signal whose handler was installed without `SA_RESTART`, so the kernel
/// answers `EINTR`.
@Suite struct InterruptRetryTests {
    /// `valueOrErrno` makes the interrupted call again, and the read then returns the byte.
    @Test func anInterruptedCallIsMadeAgain() throws {
        let outcome = try readInterrupted(retryOnInterrupt: true)
        #expect(outcome.calls >= 2, "the kernel never interrupted the read")
        #expect(try outcome.result.get() == 1)
    }

    /// With `retryOnInterrupt: false` the interruption is thrown, for a caller that must look
    /// at what its signal handler set (`cbpf capture`'s SIGINT).
    @Test func withoutRetryTheInterruptionIsThrown() throws {
        let outcome = try readInterrupted(retryOnInterrupt: false)
        #expect(outcome.calls == 1)
        #expect(throws: Errno.interrupted) { try outcome.result.get() }
    }

    /// `systemCall` names the call in its error, as messages print it.
    @Test func aFailureNamesTheCall() {
        #expect(throws: SystemCallError("close(-1)", .badFileDescriptor)) {
            try systemCall("close(-1)") { close(-1) }
        }
        #expect("\(SystemCallError("close(-1)", .badFileDescriptor))" == "close(-1): Bad file descriptor")
    }

    /// Reads one byte from an empty pipe on a thread of its own, signalling that thread until
    /// the kernel interrupted the read (or until the read ended), then writes the byte.
    private func readInterrupted(retryOnInterrupt: Bool) throws -> (result: Result<Int, Errno>, calls: Int) {
        installQuietSignalHandler()
        let pipe = try OwnedFileDescriptor.pipe()
        let (readEnd, writeEnd) = (pipe.readEnd.descriptor.rawValue, pipe.writeEnd.descriptor.rawValue)
        let progress = ReadProgress()
        let reader = PosixThread { () -> Result<Int, Errno> in
            // The thread inherits the test's pool thread's mask, which blocks most signals.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGUSR1)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            let result = Result { () throws(Errno) in
                var byte: UInt8 = 0
                return try valueOrErrno(retryOnInterrupt: retryOnInterrupt) {
                    progress.calls.add(1, ordering: .relaxed)
                    return read(readEnd, &byte, 1)
                }
            }
            progress.finished.store(true, ordering: .releasing)
            return result
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while progress.calls.load(ordering: .relaxed) < 2, !progress.finished.load(ordering: .acquiring),
              ContinuousClock.now < deadline {
            pthread_kill(reader.handle, SIGUSR1)
            usleep(10_000)
        }
        var byte: UInt8 = 0x2a
        #expect(write(writeEnd, &byte, 1) == 1)
        let result = reader.join()
        return (result, progress.calls.load(ordering: .relaxed))
    }
}

private final class ReadProgress: Sendable {
    let calls = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)
}

/// SIGUSR1 with a handler that does nothing and without `SA_RESTART`, so that it interrupts a
/// blocking call instead of ending the process or restarting the call.
private func installQuietSignalHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGUSR1, &action, nil)
}
