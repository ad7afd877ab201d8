import CBPF
import CSeccomp
import Glibc
import Seccomp

/// libseccomp's filter for a policy: `seccomp_init`, `seccomp_rule_add_array` and
/// `seccomp_export_bpf`, built the way `Tests/SeccompTests/LibseccompOracle.swift` builds it
/// (the benchmark cannot import the test target). Only filters in this machine's byte order.
enum LibseccompFilter {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A rule as libseccomp takes it: a number in the native numbering (libseccomp translates it
    /// to each architecture of the filter by name), an action and comparisons.
    struct Rule {
        var name: String
        var number: Int32
        var action: UInt32
        var comparisons: [scmp_arg_cmp]
        var origin: String
    }

    /// For each name, the policy's rules that reach it, in order, groups expanded, up to and
    /// including the first unconditional one (later ones can never decide).
    static func rulesByName(_ policy: SeccompPolicy) -> [(String, [(index: Int, rule: SeccompRule)])] {
        var order = [String]()
        var byName = [String: [(index: Int, rule: SeccompRule)]]()
        var closed = Set<String>()
        for (index, rule) in policy.rules.enumerated() {
            let names: [String]
            switch rule.target {
            case .syscall(let syscall): names = [syscall.description]
            case .group(let group): names = group.syscallNames
            }
            for name in names where !closed.contains(name) {
                if byName[name] == nil { order.append(name) }
                byName[name, default: []].append((index, rule))
                if rule.conditions.isEmpty { closed.insert(name) }
            }
        }
        return order.map { ($0, byName[$0] ?? []) }
    }

    /// libseccomp's rules for a policy, leaving out rules with the default action, which
    /// libseccomp refuses (`EACCES`) and which decide nothing the default does not.
    static func rules(for policy: SeccompPolicy) throws -> [Rule] {
        var rules = [Rule]()
        for (name, reaching) in rulesByName(policy) {
            for (index, rule) in reaching where rule.action != policy.defaultAction {
                let number: Int32
                if let raw = Int32(name) {
                    number = raw
                } else {
                    number = seccomp_syscall_resolve_name(name)
                    if number == __NR_SCMP_ERROR {
                        if case .group = rule.target { continue }
                        throw Failure(description: "libseccomp does not know \(name)")
                    }
                }
                rules.append(
                    Rule(
                        name: name, number: number, action: rule.action.returnValue,
                        comparisons: rule.conditions.map(comparison), origin: "rule \(index + 1) \"\(rule)\""))
            }
        }
        return rules
    }

    /// A condition as `struct scmp_arg_cmp`: for `SCMP_CMP_MASKED_EQ`, `datum_a` is the mask.
    static func comparison(_ condition: ArgumentCondition) -> scmp_arg_cmp {
        let op: scmp_compare
        var a = condition.value
        var b: UInt64 = 0
        switch condition.comparison {
        case .equal: op = SCMP_CMP_EQ
        case .notEqual: op = SCMP_CMP_NE
        case .less: op = SCMP_CMP_LT
        case .lessOrEqual: op = SCMP_CMP_LE
        case .greater: op = SCMP_CMP_GT
        case .greaterOrEqual: op = SCMP_CMP_GE
        case .maskedEqual(let mask):
            op = SCMP_CMP_MASKED_EQ
            a = mask
            b = condition.value
        }
        return scmp_arg_cmp(arg: UInt32(condition.argument), op: op, datum_a: a, datum_b: b)
    }

    /// Builds the policy's filter with libseccomp at `SCMP_FLTATR_CTL_OPTIMIZE` `optimization`
    /// (1: priority-ordered chains, 2: binary tree) and returns the exported program.
    static func program(for policy: SeccompPolicy, optimization: UInt32) throws -> Program {
        guard let context = seccomp_init(policy.defaultAction.returnValue) else {
            throw Failure(description: "seccomp_init(\(policy.defaultAction)) failed")
        }
        defer { seccomp_release(context) }
        let native = seccomp_arch_native()
        guard policy.architectures.allSatisfy({ $0.auditArchitecture.rawValue & 0x4000_0000 != 0 }) else {
            throw Failure(description: "only little-endian filters are supported here")
        }
        if !policy.architectures.contains(where: { $0.token == native }) {
            let result = seccomp_arch_remove(context, native)
            if result != 0 { throw Failure(description: "seccomp_arch_remove(native): \(result)") }
        }
        for architecture in policy.architectures where architecture.token != native {
            let result = seccomp_arch_add(context, architecture.token)
            if result != 0 { throw Failure(description: "seccomp_arch_add(\(architecture)): \(result)") }
        }
        var result = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, policy.foreignArchitectureAction.returnValue)
        if result != 0 { throw Failure(description: "SCMP_FLTATR_ACT_BADARCH: \(result)") }
        result = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, optimization)
        if result != 0 { throw Failure(description: "SCMP_FLTATR_CTL_OPTIMIZE \(optimization): \(result)") }
        for rule in try rules(for: policy) {
            let result = rule.comparisons.withUnsafeBufferPointer {
                seccomp_rule_add_array(context, rule.action, rule.number, UInt32($0.count), $0.baseAddress)
            }
            if result != 0 {
                throw Failure(description: "seccomp_rule_add \(rule.origin) for \(rule.name): \(result)")
            }
        }
        return try export(context)
    }

    /// `seccomp_export_bpf` into an unnamed temporary file, read back as `struct sock_filter[]`.
    static func export(_ context: scmp_filter_ctx) throws -> Program {
        guard let file = tmpfile() else { throw Failure(description: "tmpfile: errno \(errno)") }
        defer { fclose(file) }
        let fd = fileno(file)
        let result = seccomp_export_bpf(context, fd)
        if result != 0 { throw Failure(description: "seccomp_export_bpf: \(result)") }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0, lseek(fd, 0, SEEK_SET) == 0 else { throw Failure(description: "lseek: errno \(errno)") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            guard count > 0 else { throw Failure(description: "read: errno \(errno)") }
            done += count
        }
        return try Program(bytes: bytes)
    }
}
