import CLinuxShims
import Glibc

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

    var pipeDescriptors: [Int32] = [-1, -1]
    guard pipe(&pipeDescriptors) == 0 else { throw BenchmarkError("pipe: errno \(errno)") }
    let (readEnd, writeEnd) = (pipeDescriptors[0], pipeDescriptors[1])
    defer { close(readEnd) }

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
    close(writeEnd)
    guard spawned == 0 else { throw BenchmarkError("posix_spawn(\(path)): error \(spawned)") }

    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes += chunk[..<count]
    }
    var signal: Int32 = 0
    var status: Int32 = 0
    guard cbpf_wait_child(pid, &signal, &status) == 0 else { throw BenchmarkError("waitpid: errno \(errno)") }
    return ChildOutcome(output: String(decoding: bytes, as: UTF8.self), exitStatus: status, signal: signal)
}
