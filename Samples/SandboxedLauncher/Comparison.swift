import CBPF
import CSeccomp
import Glibc
import Seccomp

/// libseccomp's filter for the same policy (`seccomp_init`, `seccomp_rule_add_array`,
/// `seccomp_export_bpf` at `SCMP_FLTATR_CTL_OPTIMIZE` 2), so that the demo can set our
/// compiler's output next to what most sandboxes install. Only for native, single-architecture
/// policies whose conditions libseccomp can express.
enum LibseccompFilter {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    static func program(for policy: SeccompPolicy) throws(Unsupported) -> Program {
        guard policy.architectures == [.native] else { throw Unsupported(description: "not a native-only policy") }
        guard let context = seccomp_init(policy.defaultAction.returnValue) else {
            throw Unsupported(description: "seccomp_init failed")
        }
        defer { seccomp_release(context) }
        _ = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, policy.foreignArchitectureAction.returnValue)
        _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        for (name, rules) in rulesByName(policy) {
            let number = seccomp_syscall_resolve_name(name)
            guard number != __NR_SCMP_ERROR else { continue }  // a group member libseccomp lacks
            for rule in rules where rule.action != policy.defaultAction {
                var comparisons = [scmp_arg_cmp]()
                for condition in rule.conditions {
                    guard let comparison = comparison(condition) else {
                        throw Unsupported(description: "libseccomp cannot express \(condition)")
                    }
                    comparisons.append(comparison)
                }
                let result = comparisons.withUnsafeBufferPointer {
                    seccomp_rule_add_array(context, rule.action.returnValue, number, UInt32($0.count), $0.baseAddress)
                }
                guard result == 0 else {
                    throw Unsupported(description: "seccomp_rule_add \(rule) for \(name): \(errorMessage(-result))")
                }
            }
        }
        return try export(context)
    }

    /// For each name, the rules that reach it in order, up to the first unconditional one:
    /// libseccomp keeps an unconditional rule whatever the order, so later ones must go.
    static func rulesByName(_ policy: SeccompPolicy) -> [(String, [SeccompRule])] {
        var order = [String]()
        var byName = [String: [SeccompRule]]()
        var closed = Set<String>()
        for rule in policy.rules {
            let names: [String]
            switch rule.target {
            case .syscall(let syscall): names = [syscall.description]
            case .group(let group): names = group.syscallNames
            }
            for name in names where !closed.contains(name) {
                if byName[name] == nil { order.append(name) }
                byName[name, default: []].append(rule)
                if rule.conditions.isEmpty { closed.insert(name) }
            }
        }
        return order.map { ($0, byName[$0] ?? []) }
    }

    /// A condition as `struct scmp_arg_cmp`; a 32-bit one only as masked equality.
    static func comparison(_ condition: ArgumentCondition) -> scmp_arg_cmp? {
        let argument = UInt32(condition.argument)
        if condition.width == .low32 {
            switch condition.comparison {
            case .equal:
                return scmp_arg_cmp(arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: 0xffff_ffff, datum_b: condition.value)
            case .maskedEqual(let mask):
                return scmp_arg_cmp(
                    arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask & 0xffff_ffff, datum_b: condition.value)
            default:
                return nil
            }
        }
        let op: scmp_compare
        switch condition.comparison {
        case .equal: op = SCMP_CMP_EQ
        case .notEqual: op = SCMP_CMP_NE
        case .less: op = SCMP_CMP_LT
        case .lessOrEqual: op = SCMP_CMP_LE
        case .greater: op = SCMP_CMP_GT
        case .greaterOrEqual: op = SCMP_CMP_GE
        case .maskedEqual(let mask):
            return scmp_arg_cmp(arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: condition.value)
        }
        return scmp_arg_cmp(arg: argument, op: op, datum_a: condition.value, datum_b: 0)
    }

    /// `seccomp_export_bpf` into an unnamed temporary file, read back.
    static func export(_ context: scmp_filter_ctx) throws(Unsupported) -> Program {
        guard let file = tmpfile() else { throw Unsupported(description: "tmpfile: \(errorMessage(errno))") }
        defer { fclose(file) }
        let descriptor = fileno(file)
        guard seccomp_export_bpf(context, descriptor) == 0 else { throw Unsupported(description: "seccomp_export_bpf") }
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0, lseek(descriptor, 0, SEEK_SET) == 0 else { throw Unsupported(description: "lseek") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + done, $0.count - done) }
            guard count > 0 else { throw Unsupported(description: "read") }
            done += count
        }
        do {
            return try Program(bytes: bytes)
        } catch {
            throw Unsupported(description: "libseccomp's filter does not decode: \(error)")
        }
    }
}

/// The kernel's seccomp action cache (`seccomp_is_const_allow`, `kernel/seccomp.c`, Linux 5.11):
/// when a filter is attached, the kernel emulates it for every number of the native
/// architecture with the arguments unknown, and remembers the numbers it allows using only
/// loads of `nr` and `arch`, constant jumps, `and` with a constant and `ret` with a constant.
/// Those calls never run the filter again. The same emulation (after the benchmark's).
enum ActionCache {
    static func allows(_ program: Program, number: Int32, architecture: UInt32) -> Bool {
        let raw = program.raw
        var value: UInt32 = 0
        var pc = 0
        while pc < raw.count {
            let instruction = raw[pc]
            switch instruction.code {
            case 0x20:  // ld [k]: only nr and arch are known
                switch instruction.k {
                case 0: value = UInt32(bitPattern: number)
                case 4: value = architecture
                default: return false
                }
            case 0x06:  // ret #k
                return instruction.k == SeccompAction.allowValue
            case 0x05:  // ja
                pc += Int(instruction.k)
            case 0x15, 0x35, 0x25, 0x45:  // jeq, jge, jgt, jset #k
                let k = instruction.k
                let holds =
                    switch instruction.code {
                    case 0x15: value == k
                    case 0x35: value >= k
                    case 0x25: value > k
                    default: value & k != 0
                    }
                pc += Int(holds ? instruction.jt : instruction.jf)
            case 0x54:  // and #k
                value &= instruction.k
            default:
                return false
            }
            pc += 1
        }
        return false
    }

    /// How many of `numbers` the cache allows.
    static func count(_ program: Program, numbers: [Int32], architecture: SeccompArchitecture) -> Int {
        numbers.filter { allows(program, number: $0, architecture: architecture.auditArchitecture.rawValue) }.count
    }
}
