/// The input of a seccomp filter, `struct seccomp_data`.
public struct SeccompData: Hashable, Sendable {
    /// The system call number.
    public var number: Int32
    /// The `AUDIT_ARCH_*` value of the calling convention.
    public var architecture: AuditArchitecture
    /// The address of the instruction after the system call.
    public var instructionPointer: UInt64
    /// The six arguments.
    public var arguments: [UInt64]

    /// A call with its number, architecture, instruction pointer and arguments (missing ones are 0).
    public init(number: Int32, architecture: AuditArchitecture, instructionPointer: UInt64 = 0, arguments: [UInt64] = []) {
        self.number = number
        self.architecture = architecture
        self.instructionPointer = instructionPointer
        self.arguments = Array((arguments + Array(repeating: 0, count: 6)).prefix(6))
    }

    /// The 64 bytes the kernel passes to the filter, in host byte order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Int(Limits.seccompDataSize))
        withUnsafeBytes(of: number) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: architecture.rawValue) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: instructionPointer) { out.append(contentsOf: $0) }
        for argument in arguments {
            withUnsafeBytes(of: argument) { out.append(contentsOf: $0) }
        }
        return out
    }
}
