import Glibc
import Seccomp

/// Why libseccomp could not build, or hand back, a filter.
package enum LibseccompFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// A libseccomp call failed: what was asked (`seccomp_rule_add rule 2 "allow read" for read`)
    /// and the negative errno it returned, or `nil` when it gives none (`seccomp_init`).
    case refused(call: String, code: Int32?)
    /// The policy names a system call libseccomp does not know.
    case unknownSyscall(String)
    /// A condition libseccomp cannot express: with 64-bit arguments it compares whole arguments
    /// only, so a 32-bit (`lo32`) condition other than an equality or a masked equality.
    case inexpressibleCondition(String)
    /// The exported filter could not be read back (`errno`) or decoded.
    case unreadableExport(String)

    package var description: String {
        switch self {
        case .refused(let call, nil): "\(call) failed"
        case .refused(let call, let code?): "\(call): \(Self.errorName(code))"
        case .unknownSyscall(let name): "libseccomp does not know \(name)"
        case .inexpressibleCondition(let condition): "libseccomp cannot express \(condition)"
        case .unreadableExport(let reason): "libseccomp's exported filter: \(reason)"
        }
    }

    /// libseccomp's negative errno by its name (`EINVAL`), or as `error -4096 (...)` when it has none.
    static func errorName(_ code: Int32) -> String {
        let number = -Int64(code)
        return UInt16(exactly: number).flatMap { ErrnoCode(rawValue: $0).name }
            ?? "error \(code) (\(String(cString: strerror(Int32(clamping: number)))))"
    }
}
