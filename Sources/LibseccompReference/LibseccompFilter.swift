import CBPF
import CSeccomp
import Glibc
import Seccomp
import SystemCalls

/// libseccomp's filter for one of our policies: the same policy given to `seccomp_init` and
/// `seccomp_rule_add_array`, with `SCMP_FLTATR_ACT_BADARCH` and `SCMP_FLTATR_CTL_OPTIMIZE`,
/// exported with `seccomp_export_bpf` and decoded as a ``Program``.
///
/// It is the reference the tests, the benchmark and the launcher's demo set our compiler's
/// filters against; it is not part of the library proper.
///
/// libseccomp does not try rules in order: for each name only the rules up to the first
/// unconditional one are given to it (it would let that one win over earlier conditional ones),
/// and rules with the default action are left out (it refuses them, `EACCES`). Where its
/// meaning still differs from the policy's (see the oracle tests), the filter decides as
/// libseccomp does.
package enum LibseccompFilter {
    /// What building a filter throws.
    package typealias Failure = LibseccompFailure

    /// A rule as libseccomp takes it.
    package struct Rule {
        /// The system-call name, for messages (or a number, written out).
        package var name: String
        /// The number in the native numbering: libseccomp translates it to each architecture of
        /// the filter by name.
        package var number: Int32
        /// The action, as a `SECCOMP_RET_*` value.
        package var action: UInt32
        /// The conditions, all of which must hold.
        package var comparisons: [scmp_arg_cmp]
        /// Where the rule comes from, for messages: `rule 2 "allow read"`.
        package var origin: String

        package init(name: String, number: Int32, action: UInt32, comparisons: [scmp_arg_cmp], origin: String) {
            self.name = name
            self.number = number
            self.action = action
            self.comparisons = comparisons
            self.origin = origin
        }
    }

    /// A filter libseccomp built.
    package struct Built {
        /// The exported filter, in this machine's byte order.
        package var program: Program
        /// How many `ret` instructions libseccomp exported in this machine's byte order while the
        /// rest is in the other (see ``export(_:bigEndian:actions:)``); 0 for a filter in this
        /// machine's byte order.
        package var hostOrderReturns: Int
    }

    // MARK: Policies as libseccomp rules

    /// For each name a policy's rules reach, in order of first appearance, the rules that reach
    /// it (groups expanded), up to and including the first unconditional one.
    package static func rulesByName(_ policy: SeccompPolicy) -> [(name: String, rules: [(index: Int, rule: SeccompRule)])] {
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

    /// libseccomp's rules for a policy: each rule of ``rulesByName(_:)`` except those with the
    /// default action. Group members libseccomp does not know are skipped.
    ///
    /// - Throws: ``LibseccompFailure/unknownSyscall(_:)`` for a named call libseccomp does not
    ///   know; ``LibseccompFailure/inexpressibleCondition(_:)`` (see ``comparison(_:sixtyFourBitArguments:)``).
    package static func rules(for policy: SeccompPolicy) throws(LibseccompFailure) -> [Rule] {
        let sixtyFourBit = policy.architectures.contains(where: \.hasSixtyFourBitArguments)
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
                        throw .unknownSyscall(name)
                    }
                }
                let origin = "rule \(index + 1) \"\(rule)\""
                var comparisons = [scmp_arg_cmp]()
                for condition in rule.conditions {
                    do {
                        comparisons.append(try comparison(condition, sixtyFourBitArguments: sixtyFourBit))
                    } catch {
                        guard case .inexpressibleCondition(let what) = error else { throw error }
                        throw .inexpressibleCondition("\(what) in \(origin)")
                    }
                }
                rules.append(
                    Rule(name: name, number: number, action: rule.action.returnValue, comparisons: comparisons, origin: origin))
            }
        }
        return rules
    }

    /// A condition as `struct scmp_arg_cmp` (for `SCMP_CMP_MASKED_EQ`, `datum_a` is the mask).
    ///
    /// - Parameter sixtyFourBitArguments: whether the filter has an architecture with 64-bit
    ///   arguments. Then a 32-bit (``ArgumentCondition/Width/low32``) equality becomes a masked
    ///   equality with mask `0xffffffff`; other 32-bit comparisons cannot be made. Without one,
    ///   every comparison is a 32-bit one anyway.
    /// - Throws: ``LibseccompFailure/inexpressibleCondition(_:)``.
    package static func comparison(
        _ condition: ArgumentCondition, sixtyFourBitArguments: Bool
    ) throws(LibseccompFailure) -> scmp_arg_cmp {
        let argument = UInt32(condition.argument)
        if sixtyFourBitArguments, condition.width == .low32 {
            switch condition.comparison {
            case .equal:
                return scmp_arg_cmp(arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: 0xffff_ffff, datum_b: condition.value)
            case .maskedEqual(let mask):
                return scmp_arg_cmp(
                    arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask & 0xffff_ffff, datum_b: condition.value)
            default:
                throw .inexpressibleCondition("\(condition) (a 32-bit comparison with 64-bit arguments)")
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

    // MARK: Building

    /// The filter of a policy, as libseccomp builds it.
    ///
    /// - Parameter optimization: `SCMP_FLTATR_CTL_OPTIMIZE`: 1 for libseccomp's priority-ordered
    ///   chains, 2 for its binary tree (what the benchmark and the demo compare with).
    package static func program(for policy: SeccompPolicy, optimization: UInt32) throws(LibseccompFailure) -> Program {
        try program(
            defaultAction: policy.defaultAction, architectures: policy.architectures,
            foreignAction: policy.foreignArchitectureAction, rules: try rules(for: policy), optimization: optimization)
    }

    /// Builds a filter from libseccomp rules; see ``build(defaultAction:architectures:foreignAction:rules:optimization:)``.
    package static func program(
        defaultAction: SeccompAction, architectures: [SeccompArchitecture], foreignAction: SeccompAction,
        rules: [Rule], optimization: UInt32
    ) throws(LibseccompFailure) -> Program {
        try build(
            defaultAction: defaultAction, architectures: architectures, foreignAction: foreignAction, rules: rules,
            optimization: optimization
        ).program
    }

    /// Builds a filter from libseccomp rules and exports it.
    ///
    /// The first architecture goes first: a filter without the native architecture can then take
    /// architectures of the other byte order (libseccomp refuses to mix them, `EDOM`).
    ///
    /// - Parameter optimization: `SCMP_FLTATR_CTL_OPTIMIZE`, 1 or 2.
    /// - Throws: ``LibseccompFailure/refused(call:code:)`` naming the call libseccomp refused,
    ///   or ``LibseccompFailure/unreadableExport(_:)``.
    package static func build(
        defaultAction: SeccompAction, architectures: [SeccompArchitecture], foreignAction: SeccompAction,
        rules: [Rule], optimization: UInt32
    ) throws(LibseccompFailure) -> Built {
        guard let context = seccomp_init(defaultAction.returnValue) else {
            throw .refused(call: "seccomp_init(\(defaultAction))", code: nil)
        }
        defer { seccomp_release(context) }
        func check(_ result: Int32, _ call: @autoclosure () -> String) throws(LibseccompFailure) {
            if result != 0 { throw .refused(call: call(), code: result) }
        }
        let native = seccomp_arch_native()
        if !architectures.contains(where: { $0.token == native }) {
            try check(seccomp_arch_remove(context, native), "seccomp_arch_remove(native)")
        }
        for architecture in architectures where architecture.token != native {
            try check(seccomp_arch_add(context, architecture.token), "seccomp_arch_add(\(architecture))")
        }
        try check(
            seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, foreignAction.returnValue),
            "SCMP_FLTATR_ACT_BADARCH \(foreignAction)")
        try check(
            seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, optimization), "SCMP_FLTATR_CTL_OPTIMIZE \(optimization)")
        for rule in rules {
            let result = rule.comparisons.withUnsafeBufferPointer {
                seccomp_rule_add_array(context, rule.action, rule.number, UInt32($0.count), $0.baseAddress)
            }
            try check(result, "seccomp_rule_add \(rule.origin) for \(rule.name)")
        }
        let bigEndian = architectures.first.map { $0.auditArchitecture.rawValue & 0x4000_0000 == 0 } ?? false
        let actions = Set([defaultAction.returnValue, foreignAction.returnValue] + rules.map(\.action))
        return try export(context, bigEndian: bigEndian, actions: actions)
    }

    /// `seccomp_export_bpf` into an unnamed temporary file, read back as `struct sock_filter[]`.
    ///
    /// libseccomp writes the instructions in the byte order of the filter's architectures, for
    /// the kernel that will run it: a big-endian filter comes out big-endian on this machine too,
    /// and is swapped to this machine's order here. libseccomp 2.5.4 forgets the conversion for
    /// some `ret` instructions of long big-endian filters (the copies it places near far jumps):
    /// a `ret` whose value is none of `actions` but whose swapped value is one is taken as
    /// written in this machine's order, and counted in ``Built/hostOrderReturns``.
    ///
    /// - Parameters:
    ///   - bigEndian: whether the filter's architectures are big-endian.
    ///   - actions: the filter's possible return values.
    package static func export(
        _ context: scmp_filter_ctx, bigEndian: Bool, actions: Set<UInt32>
    ) throws(LibseccompFailure) -> Built {
        guard let file = tmpfile() else { throw .unreadableExport("tmpfile: \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        let fd = fileno(file)
        let result = seccomp_export_bpf(context, fd)
        if result != 0 { throw .refused(call: "seccomp_export_bpf", code: result) }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw .unreadableExport("lseek: \(String(cString: strerror(errno)))")
        }
        let bytes: [UInt8]
        do {
            bytes = try FileDescriptor(rawValue: fd).readToEnd(limit: Int(size))
        } catch {
            switch error {
            case .unreadable(let error): throw .unreadableExport("read: \(error.errno)")
            case .tooLarge: throw .unreadableExport("read: the file grew past \(size) bytes")
            }
        }
        guard bytes.count == Int(size) else { throw .unreadableExport("read: early end of file") }
        do {
            var raw = try RawInstruction.instructions(fromBytes: bytes)
            var hostOrderReturns = 0
            if bigEndian != (UInt16(bigEndian: 1) == 1) {
                raw = raw.map { RawInstruction(code: $0.code.byteSwapped, jt: $0.jt, jf: $0.jf, k: $0.k.byteSwapped) }
                for index in raw.indices where raw[index].code == 0x06 {  // BPF_RET | BPF_K
                    let k = raw[index].k
                    if !actions.contains(k), actions.contains(k.byteSwapped) {
                        raw[index].k = k.byteSwapped
                        hostOrderReturns += 1
                    }
                }
            }
            return Built(program: try Program(raw: raw), hostOrderReturns: hostOrderReturns)
        } catch {
            throw .unreadableExport("\(error)")
        }
    }
}
