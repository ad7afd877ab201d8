import CLinuxShims
import Glibc
import SystemCalls

/// How a child process ended, and what it wrote to standard output.
struct ChildOutcome {
    var output: String
    var exitStatus: Int32
    var signal: Int32
}

/// Runs this executable again (`/proc/self/exe`) with `arguments`, with posix_spawn rather than
/// fork: the parent never installs a filter, and no Swift code runs between fork and exec.
/// Standard error is inherited; standard output is captured.
func spawnSelf(_ arguments: [String]) throws -> ChildOutcome {
    var pathBuffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &pathBuffer, pathBuffer.count - 1)
    guard length > 0 else { throw BenchmarkError("readlink(/proc/self/exe): errno \(errno)") }
    let path = String(decoding: pathBuffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)

    let pipe = try OwnedFileDescriptor.pipe()
    let (readEnd, writeEnd) = (pipe.readEnd.descriptor.rawValue, pipe.writeEnd.descriptor.rawValue)

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // The child's standard output is the pipe; it keeps no other end open, so the parent sees
    // the end of the output when the child exits.
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
    posix_spawn_file_actions_addclose(&actions, writeEnd)
    posix_spawn_file_actions_addclose(&actions, readEnd)

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
    try? pipe.writeEnd.close()
    guard spawned == 0 else { throw BenchmarkError("posix_spawn(\(path)): error \(spawned)") }

    let bytes = try pipe.readEnd.descriptor.readToEnd(limit: 1 << 26)
    var signal: Int32 = 0
    var status: Int32 = 0
    do {
        _ = try valueOrErrno { cbpf_wait_child(pid, &signal, &status) }
    } catch {
        throw BenchmarkError("waitpid: errno \(error.rawValue)")
    }
    return ChildOutcome(output: String(decoding: bytes, as: UTF8.self), exitStatus: status, signal: signal)
}
