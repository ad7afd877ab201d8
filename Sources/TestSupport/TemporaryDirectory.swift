import Foundation

/// A fresh directory under the system's temporary directory, removed when the value goes away.
/// For tests that write policies, captures or programs to files.
package final class TemporaryDirectory {
    /// The directory.
    package let url: URL

    /// Creates `<tmp>/<prefix>-<UUID>`.
    package init(prefix: String = "swift-cbpf-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `text` to a file called `name` and returns its path.
    package func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// Writes `bytes` to a file called `name` and returns its path.
    package func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }
}
