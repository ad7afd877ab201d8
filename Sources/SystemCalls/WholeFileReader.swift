#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import SystemPackage

/// Why a whole file was not read.
package enum WholeFileError: Error, Hashable, Sendable {
    /// Opening or reading failed: `open(PATH)` or `read`, with the system's reason.
    case unreadable(SystemCallError)
    /// The file holds more than `limit` bytes; reading stopped there.
    case tooLarge(limit: Int)
}

/// The whole file at `path`, refused as soon as it passes `limit` bytes, so that an endless or
/// huge input (`/dev/zero`) cannot fill memory. The package's one whole-file reader: the `cbpf`
/// tool's inputs and the launcher's policies go through it.
package func readWholeFile(atPath path: String, limit: Int) throws(WholeFileError) -> [UInt8] {
    let file: OwnedFileDescriptor
    do {
        file = try OwnedFileDescriptor.open(path)
    } catch {
        throw .unreadable(error)
    }
    return try file.descriptor.readToEnd(limit: limit)
}

extension FileDescriptor {
    /// What is left to read (all of a pipe or standard input), refused as soon as it passes
    /// `limit` bytes.
    ///
    /// The corresponding C function is `read`, in chunks of 64 KiB.
    package func readToEnd(limit: Int) throws(WholeFileError) -> [UInt8] {
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemCallError) in try readAvailable(into: buffer) }
            }
            let count: Int
            do {
                count = try read.get()
            } catch {
                throw .unreadable(error)
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= limit else { throw .tooLarge(limit: limit) }
            bytes.append(contentsOf: chunk[0 ..< count])
        }
    }
}
