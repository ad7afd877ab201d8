#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import SystemPackage

extension FileDescriptor {
    /// One `read(2)` into `buffer`: the bytes that came (0 at the end of the input), made again
    /// when a signal interrupts it. For readers that stream through a buffer of their own.
    ///
    /// The corresponding C function is `read`; a failure names it as `read`.
    package func readAvailable(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        try systemCall("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes every byte of `bytes`, with as many `write(2)` calls as the kernel needs, each made
    /// again when a signal interrupts it.
    ///
    /// The corresponding C function is `write`; a failure names it as `write`.
    package func writeAll(from bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        guard let start = bytes.baseAddress else { return }
        var written = 0
        while written < bytes.count {
            written += try systemCall("write") { Glibc.write(rawValue, start + written, bytes.count - written) }
        }
    }
}
