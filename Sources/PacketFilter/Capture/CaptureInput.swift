import SystemCalls
import SystemPackage

/// A capture's bytes as they are read: a window into one buffer that is refilled from a file
/// descriptor (or from bytes in memory), so that memory stays the same whatever the file's size.
///
/// The buffer holds the unread bytes of the current record and what was read ahead of it; it
/// grows only for a record larger than itself, which the reader bounds first. (Sendable: it owns
/// its buffer alone, being noncopyable.)
struct CaptureInput: ~Copyable, @unchecked Sendable {
    /// Where the bytes come from.
    enum Source: Sendable {
        /// A file descriptor, borrowed; `owner` closes it when the reader opened it.
        case descriptor(FileDescriptor)
        /// A capture already in memory, copied into the buffer piece by piece as a file would be
        /// read, so that it goes through the same code.
        case memory([UInt8])
    }

    private let source: Source
    /// The descriptor the reader opened, closed with the input; nil for one it borrows.
    private let owner: OwnedFileDescriptor?
    private var storage: UnsafeMutableRawBufferPointer
    /// The window of unconsumed bytes in `storage`.
    private var start = 0
    private var end = 0
    /// How far `source` has been copied, for `.memory`.
    private var memoryPosition = 0
    /// Whether the source has reported its end.
    private var isExhausted = false
    /// The file offset of the window's first byte.
    private(set) var offset = 0

    /// Reads `source`, which stays open.
    init(_ source: Source, capacity: Int) {
        self.source = source
        owner = nil
        storage = .allocate(byteCount: max(capacity, 1), alignment: 16)
    }

    /// Reads the descriptor `file` owns, and closes it at the end.
    init(owning file: consuming OwnedFileDescriptor, capacity: Int) {
        source = .descriptor(file.descriptor)
        owner = Optional(file)
        storage = .allocate(byteCount: max(capacity, 1), alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// The bytes read and not yet consumed. They stay where they are until the next `request`.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.baseAddress.unsafelyUnwrapped + start, count: end - start)
    }

    /// Reads until at least `count` bytes are unconsumed or the input ends, and returns how many
    /// there are (fewer than `count` only at the end).
    @inline(__always)
    mutating func request(_ count: Int) throws(CaptureError) -> Int {
        end - start >= count ? end - start : try fill(count)
    }

    /// Marks `count` bytes as read.
    @inline(__always)
    mutating func consume(_ count: Int) {
        start += count
        offset += count
        if start == end {
            start = 0
            end = 0
        }
    }

    private mutating func fill(_ count: Int) throws(CaptureError) -> Int {
        if count > storage.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
            larger.baseAddress.unsafelyUnwrapped.copyMemory(from: bytes.baseAddress.unsafelyUnwrapped, byteCount: end - start)
            storage.deallocate()
            storage = larger
            (start, end) = (0, end - start)
        } else if start + count > storage.count {
            storage.baseAddress.unsafelyUnwrapped.copyMemory(from: bytes.baseAddress.unsafelyUnwrapped, byteCount: end - start)
            (start, end) = (0, end - start)
        }
        while end - start < count, !isExhausted {
            let space = UnsafeMutableRawBufferPointer(rebasing: storage[end...])
            let read: Int
            switch source {
            case .descriptor(let descriptor):
                do {
                    read = try descriptor.readAvailable(into: space)
                } catch {
                    throw CaptureError(.unreadableFile("\(error)"))
                }
            case .memory(let bytes):
                let position = memoryPosition
                read = min(space.count, bytes.count - position)
                bytes.withUnsafeBytes { all in
                    space.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[position ..< position + read]))
                }
                memoryPosition += read
            }
            if read == 0 { isExhausted = true }
            end += read
        }
        return end - start
    }

}
