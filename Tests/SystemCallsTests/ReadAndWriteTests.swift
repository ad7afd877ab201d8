import Glibc
import SystemCalls
import SystemPackage
import TestSupport
import Testing

/// The streaming read and the full write, against a real pipe, whose 64 KiB buffer makes the
/// kernel take a large write in several pieces.
@Suite struct ReadAndWriteTests {
    /// A megabyte written in one call arrives whole and in order, read a piece at a time.
    @Test func aLargeWriteArrivesWhole() throws {
        let pipe = try OwnedFileDescriptor.pipe()
        let readEnd = pipe.readEnd.descriptor
        let sent = (0 ..< 1 << 20).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let reader = PosixThread { () -> Result<[UInt8], SystemCallError> in
            Result { () throws(SystemCallError) in
                var received = [UInt8]()
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = try chunk.withUnsafeMutableBytes { buffer in
                        Result { () throws(SystemCallError) in try readEnd.readAvailable(into: buffer) }
                    }.get()
                    if count == 0 { return received }
                    received += chunk[0 ..< count]
                }
            }
        }
        let writeEnd = pipe.writeEnd
        try sent.withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try writeEnd.descriptor.writeAll(from: bytes) }
        }.get()
        try writeEnd.close()
        let received = try reader.join().get()
        #expect(received.count == sent.count)
        #expect(received == sent)
    }

    /// A failure names the call, as the capture reader's and writer's messages print it.
    @Test func failuresNameTheCall() throws {
        let pipe = try OwnedFileDescriptor.pipe()
        var byte: UInt8 = 0
        #expect(throws: SystemCallError("read", .badFileDescriptor)) {
            try withUnsafeMutableBytes(of: &byte) { buffer in
                Result { () throws(SystemCallError) in try pipe.writeEnd.descriptor.readAvailable(into: buffer) }
            }.get()
        }
        #expect(throws: SystemCallError("write", .badFileDescriptor)) {
            try withUnsafeBytes(of: byte) { bytes in
                Result { () throws(SystemCallError) in try pipe.readEnd.descriptor.writeAll(from: bytes) }
            }.get()
        }
    }
}
