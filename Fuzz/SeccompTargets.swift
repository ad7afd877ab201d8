import CBPF
import Seccomp

/// The seccomp inputs: the policy text format and Docker/OCI profiles. A policy that loads must
/// compile, or be refused with an error, and the filter must decide as the resolved policy does.
enum SeccompTargets {
    static func runPolicyText(_ bytes: UnsafeRawBufferPointer) {
        guard let policy = try? SeccompPolicyFormat.parse(text(bytes)) else { return }
        // The format prints every policy it reads, and reads back what it prints.
        let printed = SeccompPolicyFormat.format(policy)
        guard (try? SeccompPolicyFormat.parse(printed)) == policy else {
            propertyFailed("policy text round trip changed the policy:\n\(printed)")
        }
        checkCompiledFilter(policy)
    }

    static func runOCIProfile(_ bytes: UnsafeRawBufferPointer) {
        guard let profile = try? OCISeccompProfile(jsonBytes: Array(bytes)) else { return }
        // A fixed kernel, so that `minKernel` decides the same on every machine.
        let options = OCIProfileImportOptions(kernelVersion: OCISeccompProfile.KernelVersion(kernel: 6, major: 1))
        guard let imported = try? profile.policy(options: options) else { return }
        checkCompiledFilter(imported.policy)
    }

    /// Compiles `policy` and probes the filter at every number the policy names and around it,
    /// with the argument values its conditions name.
    static func checkCompiledFilter(_ policy: SeccompPolicy) {
        guard let resolved = try? policy.resolve(),
            let program = try? SeccompCompiler().compile(resolved)
        else { return }
        guard let interpreter = try? Interpreter(program, for: .seccomp) else {
            propertyFailed("the compiled filter does not verify for seccomp")
        }
        for architecture in resolved.architectures {
            let audit = architecture.architecture.auditArchitecture
            var numbers = Set<Int32>([0, -1, Int32.max])
            var values = Set<UInt64>([0, UInt64.max])
            for syscall in architecture.syscalls.prefix(32) {
                numbers.formUnion([syscall.number &- 1, syscall.number, syscall.number &+ 1])
                for rule in syscall.rules {
                    for condition in rule.conditions.prefix(4) {
                        values.formUnion([condition.value &- 1, condition.value, condition.value &+ 1])
                    }
                }
            }
            for number in numbers {
                for value in values.prefix(16) {
                    for argument in 0..<6 {
                        var arguments = [UInt64](repeating: 0, count: 6)
                        arguments[argument] = value
                        let data = SeccompData(number: number, architecture: audit, arguments: arguments)
                        let expected = resolved.action(for: data).returnValue
                        let actual = interpreter.run(seccomp: data)
                        if actual != expected {
                            propertyFailed(
                                "filter returns \(actual), policy says \(expected) for nr \(number) arch \(audit) args \(arguments)"
                            )
                        }
                    }
                }
            }
        }
    }
}
