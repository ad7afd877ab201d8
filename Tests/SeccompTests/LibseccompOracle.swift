import CBPF
import CBPFFuzz
import CSeccomp
import LibseccompReference
import Seccomp

/// libseccomp as an oracle: the same policy built by ``LibseccompFilter`` (`seccomp_init`,
/// `seccomp_rule_add_array`, `seccomp_export_bpf`), decoded with ``Program/init(raw:)`` and run by
/// our ``Interpreter``. What is here decides which policies libseccomp can build with the same
/// meaning, and builds Docker profiles the way runc does.
enum LibseccompOracle {
    typealias Rule = LibseccompFilter.Rule

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
        for (name, rules) in LibseccompFilter.rulesByName(policy) {
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
        return try LibseccompFilter.program(
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
        return SeccompData(number: number, architecture: AuditArchitecture(rawValue: architecture), arguments: arguments).bytes
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
            for: SeccompData(number: probe.number, architecture: AuditArchitecture(rawValue: probe.architecture), arguments: probe.arguments)
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
