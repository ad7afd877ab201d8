import CBPF
import CBPFFuzz
import CSeccomp
import Glibc
import Seccomp

/// libseccomp as an oracle: the same policy built with `seccomp_init`/`seccomp_rule_add_array`,
/// exported with `seccomp_export_bpf`, decoded with ``Program/init(bytes:)`` and run by our
/// ``Interpreter``. Kept out of the library: it is a test of the library, not part of it.
enum LibseccompOracle {
    /// A rule as libseccomp takes it: a number in the native numbering (libseccomp translates it
    /// to each architecture by name), an action, and comparisons.
    struct Rule {
        var name: String
        var number: Int32
        var action: UInt32
        var comparisons: [scmp_arg_cmp]
        /// Where the rule comes from, for messages.
        var origin: String
    }

    /// libseccomp refused something.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Why libseccomp cannot build `policy` with the same meaning, or `[]` when it can.
    ///
    /// libseccomp has no ENOSYS-for-unknown-numbers mode, no 32-bit comparison on a 64-bit
    /// architecture, no two comparisons of one argument in a rule, no data for `TRAP`, no raw
    /// numbers outside the native architecture; it compares `(arg & mask) == (value & mask)`;
    /// and it does not try rules in order: an unconditional rule beats conditional ones for
    /// the same call, and overlapping conditional rules are decided by its tree layout.
    static func exclusionReasons(_ policy: SeccompPolicy) -> [String] {
        var reasons = [String]()
        if policy.unknownSyscallsFailWithENOSYS {
            reasons.append("ENOSYS for unknown numbers: libseccomp has no such mode")
        }
        let actions = [policy.defaultAction, policy.foreignArchitectureAction] + policy.rules.map(\.action)
        if actions.contains(where: { if case .trap(let data) = $0 { data != 0 } else { false } }) {
            reasons.append("TRAP with data: libseccomp's SCMP_ACT_TRAP carries none (EINVAL)")
        }
        if actions.contains(where: { $0 == .errno(4095) }) {
            reasons.append("ERRNO(4095): libseccomp accepts errno values up to 4094 (EINVAL)")
        }
        let byteOrders = Set(policy.architectures.map { $0.auditArchitecture.rawValue & 0x4000_0000 })
        if byteOrders.count > 1 {
            reasons.append("architectures of both byte orders: libseccomp refuses to mix them in a filter (EDOM)")
        }
        let hasSixtyFourBit = policy.architectures.contains(where: \.hasSixtyFourBitArguments)
        for (index, rule) in policy.rules.enumerated() {
            let label = "rule \(index + 1) \"\(rule)\""
            if hasSixtyFourBit, rule.conditions.contains(where: { $0.width == .low32 }) {
                reasons.append("\(label): a 32-bit comparison on a 64-bit architecture, which libseccomp cannot make")
            }
            let arguments = rule.conditions.map(\.argument)
            if Set(arguments).count != arguments.count {
                reasons.append("\(label): two comparisons of one argument, which libseccomp refuses (EINVAL)")
            }
            for condition in rule.conditions {
                if case .maskedEqual(let mask) = condition.comparison, condition.value & ~mask != 0 {
                    reasons.append("\(label): a masked value with bits outside the mask, which libseccomp masks")
                }
            }
            if case .syscall(let syscall) = rule.target, syscall.name == nil, policy.architectures != [.native] {
                reasons.append("\(label): a raw number, which libseccomp translates through the native architecture")
            }
        }
        // Rule order: what first-match means must not depend on it for libseccomp.
        for (name, rules) in rulesByName(policy) {
            for (offset, first) in rules.enumerated() {
                for second in rules[(offset + 1)...] where first.rule.action != second.rule.action {
                    if first.rule.conditions.isEmpty { continue }  // second never decides; the oracle drops it
                    if second.rule.conditions.isEmpty {
                        reasons.append(
                            "\(name): rule \(first.index + 1) has conditions and rule \(second.index + 1) none, with "
                                + "another action: libseccomp keeps only the unconditional rule")
                    } else if let witness = overlap(first.rule.conditions, second.rule.conditions) {
                        reasons.append(
                            "\(name): rules \(first.index + 1) and \(second.index + 1) both hold for \(witness) with "
                                + "different actions: libseccomp does not try them in order")
                    }
                }
            }
        }
        return reasons
    }

    /// For each name, the policy's rules that reach it, in order, groups expanded, stopping
    /// after the first unconditional one.
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

    /// Arguments for which both condition lists hold, searched among the values where a
    /// comparison changes its answer.
    static func overlap(_ a: [ArgumentCondition], _ b: [ArgumentCondition]) -> [UInt64]? {
        var witness = [UInt64](repeating: 0, count: 6)
        for argument in 0 ..< 6 {
            let conditions = (a + b).filter { $0.argument == argument }
            if conditions.isEmpty { continue }
            var candidates: [UInt64] = [0, .max, 0xffff_ffff, 0x1_0000_0000]
            for condition in conditions {
                candidates += [condition.value, condition.value &- 1, condition.value &+ 1]
                if case .maskedEqual(let mask) = condition.comparison { candidates.append(condition.value | ~mask) }
            }
            guard let value = candidates.first(where: { v in conditions.allSatisfy { $0.holds(for: v) } }) else {
                return nil
            }
            witness[argument] = value
        }
        return witness
    }

    /// libseccomp's rules for a policy: each rule for each name (group members included), in
    /// order, leaving out what can never decide (rules after an unconditional one for the same
    /// name) and rules with the default action (libseccomp refuses them; they are still taken
    /// to close the name when unconditional).
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

    /// Builds a filter with libseccomp and returns the exported program.
    ///
    /// - Parameter optimization: `SCMP_FLTATR_CTL_OPTIMIZE`: 1 for libseccomp's priority-ordered
    ///   chains, 2 for its binary tree.
    static func program(
        defaultAction: SeccompAction, architectures: [SeccompArchitecture], foreignAction: SeccompAction,
        rules: [Rule], optimization: UInt32
    ) throws -> Program {
        try build(
            defaultAction: defaultAction, architectures: architectures, foreignAction: foreignAction, rules: rules,
            optimization: optimization
        ).program
    }

    /// A filter libseccomp built, with how many of its `ret` instructions it exported in this
    /// machine's byte order when the rest is in the other (see ``export(_:bigEndian:actions:)``).
    struct Built {
        var program: Program
        var hostOrderReturns: Int
    }

    /// Builds a filter with libseccomp; see ``program(defaultAction:architectures:foreignAction:rules:optimization:)``.
    static func build(
        defaultAction: SeccompAction, architectures: [SeccompArchitecture], foreignAction: SeccompAction,
        rules: [Rule], optimization: UInt32
    ) throws -> Built {
        guard let context = seccomp_init(defaultAction.returnValue) else {
            throw Failure(description: "seccomp_init(\(defaultAction)) failed")
        }
        defer { seccomp_release(context) }
        // The native architecture goes first, so that a filter without it can take architectures
        // of the other byte order (libseccomp refuses to mix them: EDOM).
        let native = seccomp_arch_native()
        if !architectures.contains(where: { $0.token == native }) {
            let result = seccomp_arch_remove(context, native)
            if result != 0 { throw Failure(description: "seccomp_arch_remove(native): \(errorName(result))") }
        }
        for architecture in architectures where architecture.token != native {
            let result = seccomp_arch_add(context, architecture.token)
            if result != 0 { throw Failure(description: "seccomp_arch_add(\(architecture)): \(errorName(result))") }
        }
        var result = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, foreignAction.returnValue)
        if result != 0 { throw Failure(description: "SCMP_FLTATR_ACT_BADARCH \(foreignAction): \(errorName(result))") }
        result = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, optimization)
        if result != 0 { throw Failure(description: "SCMP_FLTATR_CTL_OPTIMIZE \(optimization): \(errorName(result))") }
        for rule in rules {
            let result = rule.comparisons.withUnsafeBufferPointer {
                seccomp_rule_add_array(context, rule.action, rule.number, UInt32($0.count), $0.baseAddress)
            }
            if result != 0 {
                throw Failure(description: "seccomp_rule_add \(rule.origin) for \(rule.name): \(errorName(result))")
            }
        }
        let bigEndian = architectures.first.map { $0.auditArchitecture.rawValue & 0x4000_0000 == 0 } ?? false
        let actions = Set([defaultAction.returnValue, foreignAction.returnValue] + rules.map(\.action))
        return try export(context, bigEndian: bigEndian, actions: actions)
    }

    /// The filter of a policy, as libseccomp builds it.
    static func program(for policy: SeccompPolicy, optimization: UInt32) throws -> Program {
        try program(
            defaultAction: policy.defaultAction, architectures: policy.architectures,
            foreignAction: policy.foreignArchitectureAction, rules: try rules(for: policy), optimization: optimization)
    }

    /// `seccomp_export_bpf` into an unnamed temporary file, read back as `struct sock_filter[]`.
    ///
    /// libseccomp writes the instructions in the byte order of the filter's architectures, for
    /// the kernel that will run it: a big-endian filter comes out big-endian on this machine too,
    /// and is swapped to this machine's order here. libseccomp 2.5.4 forgets the conversion for
    /// some `ret` instructions of long big-endian filters (the copies it places near far jumps):
    /// a `ret` whose value is none of `actions` but whose swapped value is one is taken as
    /// written in this machine's order, and counted in ``Built/hostOrderReturns``.
    static func export(_ context: scmp_filter_ctx, bigEndian: Bool, actions: Set<UInt32>) throws -> Built {
        guard let file = tmpfile() else { throw Failure(description: "tmpfile: errno \(errno)") }
        defer { fclose(file) }
        let fd = fileno(file)
        let result = seccomp_export_bpf(context, fd)
        if result != 0 { throw Failure(description: "seccomp_export_bpf: \(errorName(result))") }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0, lseek(fd, 0, SEEK_SET) == 0 else { throw Failure(description: "lseek: errno \(errno)") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            guard count > 0 else { throw Failure(description: "read: errno \(errno)") }
            done += count
        }
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
    }

    static func errorName(_ result: Int32) -> String {
        switch -result {
        case EINVAL: "EINVAL"
        case EEXIST: "EEXIST"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case ENOMEM: "ENOMEM"
        case EOPNOTSUPP: "EOPNOTSUPP"
        default: "error \(result)"
        }
    }

    // MARK: runc's way with a Docker profile

    /// The filter runc would install for `profile` with `architectures`, built straight from the
    /// JSON the way moby's `setupSeccomp` and runc's `InitSeccomp` do, independently of
    /// ``OCISeccompProfile/policy(options:)``.
    static func runcProgram(
        _ profile: OCISeccompProfile, target: SeccompArchitecture, architectures: [SeccompArchitecture],
        capabilities: Set<String>, kernel: OCISeccompProfile.KernelVersion, foreignAction: SeccompAction,
        optimization: UInt32
    ) throws -> Program {
        func action(_ action: OCISeccompProfile.Action, _ errnoRet: UInt16?) -> SeccompAction {
            switch action {
            case .kill, .killThread: .killThread
            case .killProcess: .killProcess
            case .trap: .trap(0)
            case .errno: .errno(errnoRet ?? 1)
            case .trace: .trace(errnoRet ?? 1)
            case .allow: .allow
            case .log: .log
            case .notify: .userNotification
            }
        }
        let native = target.mobyName
        let defaultAction = action(profile.defaultAction, profile.defaultErrnoRet)
        var rules = [Rule]()
        entries: for (index, entry) in profile.syscalls.enumerated() {
            if let excludes = entry.excludes {
                if excludes.arches.contains(native) { continue entries }
                if excludes.caps.contains(where: capabilities.contains) { continue entries }
                if let minimum = excludes.minKernel, kernel >= minimum { continue entries }
            }
            if let includes = entry.includes {
                if !includes.arches.isEmpty && !includes.arches.contains(native) { continue entries }
                if !includes.caps.allSatisfy(capabilities.contains) { continue entries }
                if let minimum = includes.minKernel, kernel < minimum { continue entries }
            }
            let entryAction = action(entry.action, entry.errnoRet)
            if entryAction == defaultAction { continue }
            let comparisons = entry.args.map { argument -> scmp_arg_cmp in
                let op: scmp_compare = switch argument.op {
                case .notEqual: SCMP_CMP_NE
                case .less: SCMP_CMP_LT
                case .lessOrEqual: SCMP_CMP_LE
                case .equal: SCMP_CMP_EQ
                case .greaterOrEqual: SCMP_CMP_GE
                case .greater: SCMP_CMP_GT
                case .maskedEqual: SCMP_CMP_MASKED_EQ
                }
                return scmp_arg_cmp(arg: UInt32(argument.index), op: op, datum_a: argument.value, datum_b: argument.valueTwo)
            }
            let indices = entry.args.map(\.index)
            let groups = Set(indices).count == indices.count ? [comparisons] : comparisons.map { [$0] }
            for name in entry.names {
                let number = seccomp_syscall_resolve_name(name)
                if number == __NR_SCMP_ERROR { continue }
                for group in groups {
                    rules.append(
                        Rule(name: name, number: number, action: entryAction.returnValue, comparisons: group,
                             origin: "syscalls[\(index)]"))
                }
            }
        }
        return try program(
            defaultAction: defaultAction, architectures: architectures, foreignAction: foreignAction, rules: rules,
            optimization: optimization)
    }
}

// MARK: - Decision tables

/// One input of a filter: the architecture's audit value, the number and the arguments.
struct OracleProbe: Hashable, CustomStringConvertible {
    var architecture: UInt32
    var number: Int32
    var arguments: [UInt64]

    var description: String {
        let arch = AuditArchitecture(rawValue: architecture).description
        let args = arguments.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
        return "\(arch) nr \(number) (0x\(String(UInt32(bitPattern: number), radix: 16))) args [\(args)]"
    }

    /// The 64 bytes of `seccomp_data` as a kernel of that byte order lays them out, arranged so
    /// that an interpreter reading words in this machine's order loads the words that kernel's
    /// filter would: on a big-endian architecture (audit value without `__AUDIT_ARCH_LE`) the
    /// high half of each argument is the first word.
    var bytes: [UInt8] {
        let bigEndian = architecture & 0x4000_0000 == 0
        let hostBigEndian = UInt16(bigEndian: 1) == 1
        let swap = bigEndian != hostBigEndian
        let arguments = self.arguments.map { swap ? $0 << 32 | $0 >> 32 : $0 }
        return SeccompData(number: number, architecture: architecture, arguments: arguments).bytes
    }
}

/// Probes for a resolved policy: every number of every covered architecture from 0 to 64 past
/// its highest known number (x32 numbers with bit 30, ARM's private numbers), -1 and other odd
/// numbers, and a few numbers of every other architecture; arguments zero and noisy, and for
/// numbers with conditions, values at and around every constant, one argument at a time, plus
/// random combinations.
func oracleProbes(for resolved: ResolvedSeccompPolicy, seed: UInt64 = 0x0c1) -> [OracleProbe] {
    var generator = FuzzRandom(seed: seed)
    var probes = [OracleProbe]()
    let edges: [UInt64] = [
        0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001,
        0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_0000_0000, 0xffff_ffff_ffff_fffe, .max,
    ]
    let odd: [Int32] = [-1, -2, 0x3fff_ffff, 0x7fff_ffff, Int32(bitPattern: 0x8000_0000), Int32(bitPattern: 0xbfff_ffff)]
    var audits = [UInt32]()
    for architecture in SeccompArchitecture.all where !audits.contains(architecture.auditArchitecture.rawValue) {
        audits.append(architecture.auditArchitecture.rawValue)
    }
    audits.append(0x1234_5678)
    for audit in audits {
        let covered = resolved.architectures.filter { $0.architecture.auditArchitecture.rawValue == audit }
        var numbers = [Int32]()
        if covered.isEmpty {
            numbers = Array(0 ... 16) + [0x4000_0000, 0x4000_0001] + odd
        } else {
            let conventions = SeccompArchitecture.all.filter {
                $0.auditArchitecture.rawValue == audit && $0.isSupportedByLibseccomp
            }
            for convention in conventions {
                let known = (try? convention.knownSyscallNumbers()) ?? []
                let ordinary = known.filter { $0 < 0x0f_0000 }
                let base: Int32 = convention.usesX32SyscallBit ? 0x4000_0000 : 0
                numbers += Array(base ... max(base, (ordinary.max() ?? base) + 64))
                let special = known.filter { $0 >= 0x0f_0000 && $0 < 0x4000_0000 }
                if let low = special.min(), let high = special.max() { numbers += Array(low - 4 ... high + 64) }
            }
            numbers += odd + [0x4000_0000, 0x4000_0001, 0x4000_0000 + 512]
        }
        var seen = Set<Int32>()
        numbers = numbers.filter { seen.insert($0).inserted }
        for number in numbers {
            probes.append(OracleProbe(architecture: audit, number: number, arguments: [0, 0, 0, 0, 0, 0]))
            probes.append(OracleProbe(architecture: audit, number: number, arguments: (0 ..< 6).map { _ in generator.next() }))
            // Numbers with conditions somewhere in this convention.
            let conditions = covered.flatMap { $0.syscall(number: number)?.rules.flatMap(\.conditions) ?? [] }
            if conditions.isEmpty { continue }
            var values = Set(edges)
            for condition in conditions {
                let c = condition.value
                values.formUnion([c, c &- 1, c &+ 1, c ^ 0x1_0000_0000, c & 0xffff_ffff, c | 0xffff_ffff_0000_0000,
                                  c &+ 0x1_0000_0000, c &- 0x1_0000_0000])
                if case .maskedEqual(let mask) = condition.comparison {
                    values.formUnion([mask, ~mask, c | ~mask, c ^ mask, (c | ~mask) & 0xffff_ffff])
                }
            }
            let sorted = values.sorted()
            for argument in 0 ..< 6 {
                for value in sorted {
                    var arguments = [UInt64](repeating: 0, count: 6)
                    arguments[argument] = value
                    probes.append(OracleProbe(architecture: audit, number: number, arguments: arguments))
                }
            }
            for _ in 0 ..< 64 {
                let arguments = (0 ..< 6).map { _ in sorted[Int(generator.next() % UInt64(sorted.count))] }
                probes.append(OracleProbe(architecture: audit, number: number, arguments: arguments))
            }
        }
    }
    return probes
}

/// A probe on which two deciders differ.
struct OracleMismatch: CustomStringConvertible {
    var probe: OracleProbe
    var expected: UInt32
    var actual: UInt32
    var decider: String

    var description: String {
        let name = SeccompArchitecture.all.first {
            $0.auditArchitecture.rawValue == probe.architecture
                && $0.usesX32SyscallBit
                    == SeccompArchitecture.isX32Number(UInt32(bitPattern: probe.number), coversX86_64: true)
        }?.syscallName(forNumber: probe.number) ?? "?"
        return "\(decider): \(probe) [\(name)]: reference \(SeccompAction(returnValue: expected)), "
            + "got \(SeccompAction(returnValue: actual))"
    }
}

/// Runs every probe through the reference and each filter, and returns where they differ.
func compareDecisions(
    reference resolved: ResolvedSeccompPolicy, filters: [(name: String, program: Program)], probes: [OracleProbe]
) throws -> [OracleMismatch] {
    let interpreters = try filters.map { (name: $0.name, interpreter: try Interpreter($0.program, for: .seccomp)) }
    var mismatches = [OracleMismatch]()
    for probe in probes {
        let expected = resolved.action(
            for: SeccompData(number: probe.number, architecture: probe.architecture, arguments: probe.arguments)
        ).returnValue
        let bytes = probe.bytes
        for (name, interpreter) in interpreters {
            let actual = interpreter.run(packet: bytes)
            if actual != expected {
                mismatches.append(OracleMismatch(probe: probe, expected: expected, actual: actual, decider: name))
            }
        }
    }
    return mismatches
}

/// Mismatches grouped by decider, architecture and the two actions, with a few of the numbers:
/// one line a group.
func summarize(_ mismatches: [OracleMismatch]) -> [String] {
    struct Key: Hashable {
        var decider: String
        var architecture: UInt32
        var expected: UInt32
        var actual: UInt32
    }
    var order = [Key]()
    var groups = [Key: [OracleMismatch]]()
    for mismatch in mismatches {
        let key = Key(
            decider: mismatch.decider, architecture: mismatch.probe.architecture, expected: mismatch.expected,
            actual: mismatch.actual)
        if groups[key] == nil { order.append(key) }
        groups[key, default: []].append(mismatch)
    }
    return order.map { key in
        let group = groups[key] ?? []
        var numbers = [Int32]()
        for mismatch in group where !numbers.contains(mismatch.probe.number) { numbers.append(mismatch.probe.number) }
        let shown = numbers.prefix(8).map { "0x" + String(UInt32(bitPattern: $0), radix: 16) }.joined(separator: " ")
        let example = group.first.map { "e.g. \($0.probe)" } ?? ""
        return "\(key.decider): \(AuditArchitecture(rawValue: key.architecture)) reference "
            + "\(SeccompAction(returnValue: key.expected)) got \(SeccompAction(returnValue: key.actual)): "
            + "\(group.count) probes, numbers \(shown)\(numbers.count > 8 ? " ..." : "") (\(example))"
    }
}

// MARK: - Known disagreements

/// Inputs on which the reference (``ResolvedSeccompPolicy/action(for:)``) and libseccomp's
/// filters are known to decide differently. Every other difference is a failure.
enum KnownDisagreement: String, CaseIterable {
    /// A libseccomp bug, not a disagreement about meaning: with two rules that order-compare
    /// (`<`, `<=`, `>`, `>=`) the same 64-bit argument of a call, libseccomp 2.5.4's BPF can jump
    /// from a test of the low word into a test that expects the high word in the accumulator
    /// (its own `seccomp_export_pfc` output is right).
    case libseccompOrderingMiscompilation = "libseccomp 2.5.4 miscompiles two ordering comparisons of one 64-bit argument in different rules (its pseudo-code is right, its BPF tests the low word as the high one)"

    /// The known disagreement a mismatch of a libseccomp filter belongs to, if any.
    static func classify(_ mismatch: OracleMismatch, resolved: ResolvedSeccompPolicy) -> KnownDisagreement? {
        guard mismatch.decider != "SeccompCompiler" else { return nil }
        // The rules libseccomp compiled for this number on this architecture.
        let audit = mismatch.probe.architecture
        let covered = resolved.architectures.filter { $0.architecture.auditArchitecture.rawValue == audit }
        let x32 = audit == AuditArchitecture.x86_64.rawValue && SeccompArchitecture.isX32Number(
            UInt32(bitPattern: mismatch.probe.number),
            coversX86_64: covered.contains { !$0.architecture.usesX32SyscallBit })
        let rules = covered.first {
            $0.architecture.usesX32SyscallBit == x32 && $0.architecture.hasSixtyFourBitArguments
        }?.syscall(number: mismatch.probe.number)?.rules ?? []
        var ordered = [Int: Int]()
        for rule in rules {
            let arguments = Set(rule.conditions.filter { condition in
                switch condition.comparison {
                case .less, .lessOrEqual, .greater, .greaterOrEqual: true
                default: false
                }
            }.map(\.argument))
            for argument in arguments { ordered[argument, default: 0] += 1 }
        }
        return ordered.values.contains { $0 >= 2 } ? .libseccompOrderingMiscompilation : nil
    }
}

/// Splits mismatches into known disagreements and the rest.
func partitionKnown(_ mismatches: [OracleMismatch], resolved: ResolvedSeccompPolicy)
    -> (known: [KnownDisagreement: [OracleMismatch]], unexpected: [OracleMismatch])
{
    var known = [KnownDisagreement: [OracleMismatch]]()
    var unexpected = [OracleMismatch]()
    for mismatch in mismatches {
        if let kind = KnownDisagreement.classify(mismatch, resolved: resolved) {
            known[kind, default: []].append(mismatch)
        } else {
            unexpected.append(mismatch)
        }
    }
    return (known, unexpected)
}
