import Glibc
import SystemCalls
import SystemPackage
import Testing

/// The package's one descriptor-ownership rule: the owner closes, once; `release()` hands the
/// descriptor over without closing it.
@Suite struct OwnedFileDescriptorTests {
    /// The descriptor is open while its owner lives and closed when the owner goes away.
    @Test func theOwnerClosesItsDescriptor() throws {
        let raw: Int32
        do {
            let file = try highDescriptor()
            raw = file.descriptor.rawValue
            #expect(isOpen(raw))
        }
        #expect(!isOpen(raw))
    }

    /// After `release()` the descriptor stays open, and is the caller's to close.
    @Test func releaseHandsTheDescriptorOver() throws {
        let file = try highDescriptor()
        let released = file.release()
        #expect(isOpen(released.rawValue))
        try released.close()
        #expect(!isOpen(released.rawValue))
    }

    /// `close()` closes at once and reports what the kernel said.
    @Test func closeReportsTheKernelsAnswer() throws {
        let file = try highDescriptor()
        let raw = file.descriptor.rawValue
        try file.close()
        #expect(!isOpen(raw))
        #expect(throws: Errno.badFileDescriptor) { try OwnedFileDescriptor(owning: FileDescriptor(rawValue: -1)).close() }
    }

    /// Descriptors the layer opens are close-on-exec, so that no child process inherits them.
    @Test func openedDescriptorsAreCloseOnExec() throws {
        let file = try OwnedFileDescriptor.open("/dev/null")
        let sockets = try OwnedFileDescriptor.socketPair()
        let pipe = try OwnedFileDescriptor.pipe()
        for raw in [
            file.descriptor.rawValue, sockets.first.descriptor.rawValue, sockets.second.descriptor.rawValue,
            pipe.readEnd.descriptor.rawValue, pipe.writeEnd.descriptor.rawValue,
        ] {
            #expect(fcntl(raw, F_GETFD) & FD_CLOEXEC != 0, "descriptor \(raw)")
        }
        #expect(throws: SystemCallError("open(/no/such/file)", .noSuchFileOrDirectory)) {
            _ = try OwnedFileDescriptor.open("/no/such/file")
        }
    }

    /// `/dev/null` duplicated to a number of 900 or more: tests that run meanwhile open the
    /// lowest free numbers, so none of them reuses it once it is closed.
    private func highDescriptor() throws -> OwnedFileDescriptor {
        let null = try OwnedFileDescriptor.open("/dev/null")
        let raw = try systemCall("fcntl(F_DUPFD_CLOEXEC)") { fcntl(null.descriptor.rawValue, F_DUPFD_CLOEXEC, 900) }
        return OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
    }

    private func isOpen(_ raw: Int32) -> Bool {
        fcntl(raw, F_GETFD) >= 0
    }
}
