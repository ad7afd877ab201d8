import Glibc
import SystemCalls
import SystemPackage

/// Where the learned policy goes: a file, opened before the command runs so that a path that
/// cannot be written fails at once (and not truncated until the end, so that `--merge` can read
/// it), or standard output.
struct LearnDestination: ~Copyable {
    let path: String?
    /// Owns the file's descriptor, which ``descriptor`` names for writing.
    private let file: OwnedFileDescriptor?
    private let descriptor: FileDescriptor?
    /// Whether opening made the file, which ``discard()`` then removes.
    private let created: Bool

    init(_ output: String?) throws(LaunchError) {
        guard let output, output != "-" else {
            path = nil
            file = nil
            descriptor = nil
            created = false
            return
        }
        // O_EXCL first, to know whether the file is new.
        var raw = Glibc.open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        created = raw >= 0
        if raw < 0, errno == EEXIST { raw = Glibc.open(output, O_WRONLY | O_CLOEXEC) }
        guard raw >= 0 else { throw LaunchError("cannot write \(output): \(errorMessage(errno))") }
        path = output
        descriptor = FileDescriptor(rawValue: raw)
        file = OwnedFileDescriptor(owning: FileDescriptor(rawValue: raw))
    }

    /// Removes the file when this run made it and wrote nothing, so that a failed run leaves no
    /// empty policy behind; an earlier file stays as it was.
    func discard() {
        if created, let path { unlink(path) }
    }

    func write(_ text: String) throws(LaunchError) {
        guard let descriptor else {
            print(text, terminator: "")
            flushStandardOutput()
            return
        }
        do {
            // A regular file is cut to what is written now; a device (-o /dev/null) cannot be.
            var information = stat()
            if fstat(descriptor.rawValue, &information) == 0, information.st_mode & S_IFMT == S_IFREG {
                _ = try valueOrErrno { ftruncate(descriptor.rawValue, 0) }
            }
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let count = try valueOrErrno { bytes.withUnsafeBytes { Glibc.write(descriptor.rawValue, $0.baseAddress, $0.count) } }
                bytes = bytes.dropFirst(count)
            }
        } catch {
            throw LaunchError("cannot write \(path ?? ""): \(error)")
        }
    }
}
