import CBPF
import SystemCalls

/// Why a program was not attached: `CBPF`'s verifier refused it before anything changed, or the
/// kernel refused the call.
public enum AttachError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The program breaks a rule of the attach point (the verifier's refusal names the
    /// instruction); the socket was not touched.
    case verification(VerificationError)
    /// A system call failed: `setsockopt(SO_ATTACH_FILTER): Operation not permitted`.
    case systemCall(SystemCallError)

    /// The text form, as messages and the `cbpf` tool print it: the verifier's or the system
    /// call's own.
    public var description: String {
        switch self {
        case .verification(let error): "\(error)"
        case .systemCall(let error): "\(error)"
        }
    }

    /// `program` verified for the socket profile, or the verifier's refusal.
    static func verifiedForSocket(_ program: Program) throws(AttachError) -> VerifiedProgram {
        do {
            return try VerifiedProgram(program, for: .socket)
        } catch {
            throw .verification(error)
        }
    }

    /// `program` checked for the socket profile where its proof does not already cover it.
    static func verifiedForSocket(_ program: VerifiedProgram) throws(AttachError) -> VerifiedProgram {
        do {
            return try program.verified(for: .socket)
        } catch {
            throw .verification(error)
        }
    }

    /// Runs `body`, whose failing system call becomes ``systemCall(_:)``.
    static func systemCalls<Value: ~Copyable>(_ body: () throws(SystemCallError) -> Value) throws(AttachError) -> Value {
        do {
            return try body()
        } catch {
            throw .systemCall(error)
        }
    }
}
