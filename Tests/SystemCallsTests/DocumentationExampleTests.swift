import Foundation
import SystemCalls
import SystemPackage
import Testing

// The code sample of Sources/SystemCalls/SystemCalls.docc, exactly as the catalog shows it
// (CBPFTests' `articleSamplesAreTested` checks that), and the test that checks what it says.

// MARK: - SystemCalls.docc/SystemCalls.md

/// The first `count` bytes of the file at `path`. The descriptor has one owner, which closes it
/// when the function returns, whether the read succeeded or threw.
func firstBytes(ofFileAt path: FilePath, count: Int) throws -> [UInt8] {
    let file = OwnedFileDescriptor(owning: try FileDescriptor.open(path, .readOnly, options: .closeOnExec))
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        initialized = try file.descriptor.read(into: UnsafeMutableRawBufferPointer(buffer))  // borrows it
    }
}

// MARK: - Tests

@Suite struct DocumentationExampleTests {
    /// The sample reads what Foundation reads, and a missing file throws swift-system's `Errno`.
    @Test func firstBytesReadsTheFile() throws {
        let foundation = try #require(FileManager.default.contents(atPath: "/etc/passwd"))
        #expect(try firstBytes(ofFileAt: "/etc/passwd", count: 16) == Array(foundation.prefix(16)))
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try firstBytes(ofFileAt: "/no/such/file", count: 16) }
    }
}
