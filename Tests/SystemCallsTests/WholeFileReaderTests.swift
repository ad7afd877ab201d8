import Foundation
import SystemCalls
import SystemPackage
import TestSupport
import Testing

/// The package's one whole-file reader, against Foundation's.
@Suite struct WholeFileReaderTests {
    /// A file of several 64 KiB chunks reads back as Foundation reads it; a limit of exactly
    /// its size is enough, one byte less is not.
    @Test func readsWhatFoundationReads() throws {
        let directory = try TemporaryDirectory()
        var random = SystemRandomNumberGenerator()
        let bytes = (0 ..< 200_000).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
        let path = try directory.write("file", bytes: bytes)
        let foundation = try #require(FileManager.default.contents(atPath: path))
        #expect(try readWholeFile(atPath: path, limit: bytes.count) == Array(foundation))
        #expect(throws: WholeFileError.tooLarge(limit: bytes.count - 1)) {
            _ = try readWholeFile(atPath: path, limit: bytes.count - 1)
        }
        #expect(try readWholeFile(atPath: try directory.write("empty", bytes: []), limit: 0) == [])
    }

    /// An endless input is refused at the bound; a missing file or a directory names the call
    /// and the system's reason.
    @Test func refusesWhatCannotBeRead() throws {
        #expect(throws: WholeFileError.tooLarge(limit: 1 << 20)) { _ = try readWholeFile(atPath: "/dev/zero", limit: 1 << 20) }
        #expect(throws: WholeFileError.unreadable(SystemCallError("open(/no/such/file)", .noSuchFileOrDirectory))) {
            _ = try readWholeFile(atPath: "/no/such/file", limit: 1 << 20)
        }
        #expect(throws: WholeFileError.unreadable(SystemCallError("read", .isDirectory))) {
            _ = try readWholeFile(atPath: "/", limit: 1 << 20)
        }
    }
}
