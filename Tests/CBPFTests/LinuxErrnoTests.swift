import CBPF
import Glibc
import Testing

/// The errno table (behind Seccomp's `ErrnoCode` and the oracles' messages) against glibc's own
/// names, on the architectures that use Linux's generic numbers.
@Suite("Linux errno names")
struct LinuxErrnoTests {
    typealias NameFunction = @convention(c) (Int32) -> UnsafePointer<CChar>?

    /// glibc's `strerrorname_np` (2.32 and later), looked up at run time: Glibc does not import it.
    static var glibcName: NameFunction? {
        dlsym(nil, "strerrorname_np").map { unsafeBitCast($0, to: NameFunction.self) }
    }

    #if arch(x86_64) || arch(arm64) || arch(riscv64) || arch(s390x) || arch(powerpc64le)
        static let usesGenericNumbers = true
    #else
        static let usesGenericNumbers = false
    #endif

    @Test(
        .enabled(if: usesGenericNumbers, "skipped: this architecture numbers errors its own way"),
        .enabled(if: glibcName != nil, "skipped: glibc has no strerrorname_np (before 2.32)"))
    func namesAreGlibcs() throws {
        let glibcName = try #require(Self.glibcName)
        var named = 0
        for value in 1 ... Int32(SeccompAction.maximumErrno) {
            let expected = glibcName(value).map { String(cString: $0) }
            #expect(LinuxErrno.name(of: UInt16(value)) == expected, "errno \(value)")
            if expected != nil { named += 1 }
        }
        #expect(named == LinuxErrno.names.count)
        #expect(LinuxErrno.value(named: "EWOULDBLOCK").map(Int32.init) == EWOULDBLOCK)
        #expect(LinuxErrno.value(named: "edeadlock").map(Int32.init) == EDEADLOCK)
        #expect(LinuxErrno.value(named: "ENOTSUP").map(Int32.init) == ENOTSUP)
        #expect(LinuxErrno.value(named: "EPERM").map(Int32.init) == EPERM)
        #expect(LinuxErrno.value(named: "ENOTANERROR") == nil)
    }
}
