#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import SystemPackage

/// Starts the program at `arguments[0]` with `arguments`, its standard input read from the file
/// at `standardInput` and its output and error written to (created or truncated) files, with an
/// empty signal mask and SIGINT and SIGTERM at their defaults, so that a signal stops it: the
/// threads of a test runner or a tool block signals, and a child would inherit that mask
/// (Foundation's `Process` passes it on). Returns the child's pid, for `waitpid`.
///
/// The corresponding C function is `posix_spawn`, with `POSIX_SPAWN_SETSIGMASK` and
/// `POSIX_SPAWN_SETSIGDEF`; a failure names it as `posix_spawn(PROGRAM)`.
package func spawnProcess(
    _ arguments: [String], standardInput: String = "/dev/null", standardOutput: String, standardError: String
) throws(SystemCallError) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var cArguments = arguments.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var child: pid_t = 0
    let result = posix_spawn(&child, arguments[0], &actions, &attributes, &cArguments, environ)
    guard result == 0 else { throw SystemCallError("posix_spawn(\(arguments[0]))", Errno(rawValue: result)) }
    return child
}
