import CBPF

/// Checks a filter's decision table for the weaknesses seccomp-tools' disassembly and
/// `systemd-analyze syscall-filter` let one find by eye: a missing architecture check, calls
/// of other architectures allowed, the x32 bypass on x86-64, allowing by default, dangerous
/// calls allowed without argument checks, namespaces creatable through `clone` or `unshare`,
/// unknown calls failing with `EPERM` rather than `ENOSYS`, and unreachable instructions.
public enum SeccompFilterAudit {
    /// Calls that have been ways to escape a sandbox or attack the kernel, each with why.
    public static let dangerousCalls: [(name: String, severity: SeccompAuditFinding.Severity, why: String)] = [
        ("ptrace", .medium, "it reads and writes the memory and registers of other processes of the same user (and "
            + "before Linux 4.8 let a tracer change a call after the filter had allowed it)"),
        ("process_vm_writev", .medium, "it writes the memory of other processes of the same user"),
        ("process_vm_readv", .low, "it reads the memory of other processes of the same user"),
        ("bpf", .high, "it loads eBPF programs into the kernel, a frequent way into kernel exploits"),
        ("kexec_load", .high, "it replaces the running kernel"),
        ("kexec_file_load", .high, "it replaces the running kernel"),
        ("init_module", .high, "it loads kernel modules"),
        ("finit_module", .high, "it loads kernel modules"),
        ("delete_module", .high, "it unloads kernel modules"),
        ("open_by_handle_at", .high, "it opens files by handle, outside any mount namespace or chroot (the Shocker escape)"),
        ("keyctl", .medium, "the kernel keyring is not namespaced (keys of other containers), and has a history of bugs"),
        ("add_key", .medium, "the kernel keyring is not namespaced"),
        ("request_key", .medium, "the kernel keyring is not namespaced"),
        ("userfaultfd", .medium, "it stalls kernel page faults at will, which widens race windows for kernel exploits"),
        ("perf_event_open", .medium, "it is a large kernel interface with a history of exploits, and a side channel"),
        ("personality", .low, "it can turn off address-space randomisation (ADDR_NO_RANDOMIZE) or make data executable (READ_IMPLIES_EXEC)"),
        ("setns", .medium, "it enters other namespaces the process holds descriptors of"),
        ("mount", .medium, "it changes the file-system view"),
        ("pivot_root", .medium, "it changes the root file system"),
        ("swapon", .medium, "it adds swap space"),
        ("reboot", .medium, "it reboots or halts the machine with CAP_SYS_BOOT"),
    ]

    /// The namespace flags of `clone` and `unshare` (`CLONE_NEWNS` ... `CLONE_NEWNET`, and
    /// `CLONE_NEWCGROUP`), by name.
    static let namespaceFlags: [(name: String, bit: UInt32)] = [
        ("CLONE_NEWNS", 0x0002_0000), ("CLONE_NEWCGROUP", 0x0200_0000), ("CLONE_NEWUTS", 0x0400_0000),
        ("CLONE_NEWIPC", 0x0800_0000), ("CLONE_NEWUSER", 0x1000_0000), ("CLONE_NEWPID", 0x2000_0000),
        ("CLONE_NEWNET", 0x4000_0000),
    ]

    /// The groups `systemd-analyze security` asks a service to deny (`SystemCallFilter=~@...`).
    static let systemdRiskyGroups: [SyscallGroup] = [
        .clock, .cpuEmulation, .debug, .module, .mount, .obsolete, .privileged, .rawIO, .reboot, .resources, .swap,
    ]

    /// The findings for an analysed filter, most severe first. For a stack of filters
    /// (``SeccompFilterAnalysis/init(stacking:)``) they are those of the combined effect, the
    /// one the kernel applies; unreachable instructions are found in each filter.
    public static func findings(for analysis: SeccompFilterAnalysis) -> [SeccompAuditFinding] {
        var audit = Audit(analysis)
        audit.run()
        return audit.findings.enumerated().sorted { ($0.element.severity, -$0.offset) > ($1.element.severity, -$1.offset) }
            .map(\.element)
    }
}

/// Whether an outcome lets the call run (`ALLOW`, `LOG`).
private func allows(_ outcome: SeccompDecisionOutcome) -> Bool {
    outcome.action == .allow || outcome.action == .log
}

private struct Audit {
    let analysis: SeccompFilterAnalysis
    var findings = [SeccompAuditFinding]()
    /// The conventions the filter covers: known ones whose calls are not all decided alike.
    let covered: [SeccompConventionDecisions]

    init(_ analysis: SeccompFilterAnalysis) {
        self.analysis = analysis
        if analysis.architectures.count == 1, let only = analysis.architectures.first {
            // No architecture check: every convention sees the same decisions; judge the native one.
            let native = SeccompArchitecture.native
            var row = only
            row.auditValues = [native.auditArchitecture.rawValue ... native.auditArchitecture.rawValue]
            covered = row.conventions.filter { $0.architecture == native }
            return
        }
        // Conventions given anything other than what unnamed architectures get.
        let foreign = Set(analysis.architectures.filter(\.conventions.isEmpty).flatMap { $0.numberRanges.map(\.decision) })
        covered = analysis.architectures.flatMap(\.conventions).filter { convention in
            foreign.count != 1 || convention.numberRanges.contains { !foreign.contains($0.decision) }
        }
    }

    mutating func add(_ severity: SeccompAuditFinding.Severity, _ check: String, _ summary: String) {
        findings.append(SeccompAuditFinding(severity: severity, check: check, summary: summary))
    }

    mutating func run() {
        architectures()
        x32()
        for convention in covered {
            allowByDefault(convention)
            unknownCalls(convention)
        }
        dangerousCalls()
        namespaces()
        systemdGroups()
        let filters = analysis.isStack ? analysis.stackedFilters : [analysis]
        for (index, filter) in filters.enumerated() where !filter.unreachableInstructions.isEmpty {
            let list = filter.unreachableInstructions.map {
                $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)"
            }.joined(separator: ", ")
            let one = filter.unreachableInstructions.count == 1 && filter.unreachableInstructions[0].count == 1
            add(.low, "unreachable-instructions",
                (analysis.isStack ? "filter \(index): " : "")
                    + (one ? "instruction \(list) never runs" : "instructions \(list) never run")
                    + " for any input: dead code, or a check that earlier tests make moot")
        }
        if !analysis.isComplete {
            let gaps = analysis.gaps
            let reason = analysis.limitReached?.description ?? gaps.first.map { "\($0.gap)" } ?? ""
            add(.info, "incomplete-analysis",
                "\(gaps.count) ranges of calls could not be decided (\(reason)); the findings cover the rest")
        }
    }

    mutating func architectures() {
        if analysis.architectures.count == 1 {
            add(.high, "no-architecture-check",
                "the filter never tests seccomp_data.arch: a number means another call in every other convention "
                    + "(x86's int 0x80 on x86_64), so the rules can be bypassed")
            return
        }
        for row in analysis.architectures where row.conventions.isEmpty {
            let allowed = row.numberRanges.filter { $0.decision.outcomes.contains(where: allows) }
            if !allowed.isEmpty {
                add(.high, "foreign-architecture-allowed",
                    "calls of architectures the filter does not name (\(row.name)) are allowed for some numbers: they "
                        + "reach the kernel without the rules")
            }
        }
        let native = covered.first { $0.architecture == .native } ?? covered.first
        for convention in covered where convention.architecture != native?.architecture {
            let count = allowedNames(convention).count
            guard count > 0 else { continue }
            add(.medium, "additional-architecture",
                "\(count) calls are allowed in the \(convention.architecture) convention too: more kernel entry points "
                    + "(compat code) for a process that does not need them; cover only the native architecture unless "
                    + "\(convention.architecture) programs run (systemd: SystemCallArchitectures=native)")
        }
    }

    /// The names the convention allows for some arguments.
    func allowedNames(_ convention: SeccompConventionDecisions) -> [String] {
        let known = (try? convention.architecture.knownSyscallNumbers()) ?? []
        return known.compactMap { number in
            let decision = convention.decision(forNumber: UInt32(bitPattern: number))
            guard let decision, decision.outcomes.contains(where: allows) else { return nil }
            return convention.syscallName(forNumber: UInt32(bitPattern: number))
        }
    }

    mutating func x32() {
        guard let row = analysis.architectures.first(where: { $0.auditArchitecture == .x86_64 }) else { return }
        var bypassed = [String]()
        for number in (try? SeccompArchitecture.x86_64.knownSyscallNumbers()) ?? [] {
            let plain = row.decision(forNumber: UInt32(bitPattern: number))
            let withBit = row.decision(forNumber: UInt32(bitPattern: number) | SeccompArchitecture.x32SyscallBit)
            if !plain.outcomes.contains(where: allows), withBit.outcomes.contains(where: allows),
                let name = SeccompArchitecture.x86_64.syscallName(forNumber: number)
            {
                bypassed.append(name)
            }
        }
        guard !bypassed.isEmpty else { return }
        let list = bypassed.prefix(6).joined(separator: ", ") + (bypassed.count > 6 ? ", ..." : "")
        add(.high, "x32-bypass",
            "on AUDIT_ARCH_X86_64, numbers from 0x40000000 (x32's) are not handled: \(bypassed.count) calls denied "
                + "as x86_64 numbers are allowed with bit 30 set (\(list))")
    }

    mutating func allowByDefault(_ convention: SeccompConventionDecisions) {
        let known = (try? convention.architecture.knownSyscallNumbers()) ?? []
        guard let highest = known.filter({ $0 < 0x0f_0000 || convention.architecture.usesX32SyscallBit }).max(),
            let decision = convention.decision(forNumber: UInt32(bitPattern: highest) + 1)
        else { return }
        if decision.outcomes.contains(where: allows) {
            add(.high, "allow-by-default",
                "\(convention.architecture): numbers the filter does not name, including system calls added to Linux "
                    + "later, are allowed (\(decision.outcomes.map(\.description).joined(separator: ", "))): a deny list")
        }
    }

    /// The highest number of the table new calls are numbered after: on x32, the common
    /// numbers (x32's own compat calls, 512 to 547, come after them, and x32 numbers new calls
    /// from 457, as x86_64 does); on ARM, below its private calls (`0x0f0000`).
    static func highestCommonNumber(_ architecture: SeccompArchitecture, known: [Int32]) -> UInt32? {
        known.map { UInt32(bitPattern: $0) }.filter { number in
            architecture.usesX32SyscallBit
                ? number & ~SeccompArchitecture.x32SyscallBit < 512 : number < 0x0f_0000
        }.max()
    }

    mutating func unknownCalls(_ convention: SeccompConventionDecisions) {
        let architecture = convention.architecture
        let known = (try? architecture.knownSyscallNumbers()) ?? []
        let enosys = SeccompAction.errno(architecture.enosys)
        let named = Set(known.map { UInt32(bitPattern: $0) })
        // Every number above the highest known that libseccomp has no name for, up to the
        // convention's end (x86_64's: 0x3fffffff) or the last positive int: the numbers new
        // calls get.
        if let highest = Self.highestCommonNumber(architecture, known: known) {
            let top: UInt32 = architecture == .x86_64 ? SeccompArchitecture.x32SyscallBit - 1 : 0x7fff_ffff
            var offending = [(numbers: ClosedRange<UInt32>, outcome: SeccompDecisionOutcome)]()
            // Whether some new numbers get ENOSYS (or run).
            var answered = false
            for range in convention.numberRanges where range.numbers.upperBound > highest && range.numbers.lowerBound <= top {
                var first = max(range.numbers.lowerBound, highest + 1)
                let last = min(range.numbers.upperBound, top)
                // Named numbers (x32's compat calls) are known calls, not new ones.
                while first <= last, named.contains(first) { first += 1 }
                var end = last
                while end > first, named.contains(end) { end -= 1 }
                guard first <= end else { continue }
                let outcome = range.decision.outcome
                if let action = outcome?.action, action == enosys || allows(.action(action)) {
                    answered = true
                    continue
                }
                guard let outcome else { continue }
                offending.append((first ... end, outcome))
            }
            if !offending.isEmpty {
                let plain = { (value: UInt32) in value & ~(architecture.usesX32SyscallBit ? SeccompArchitecture.x32SyscallBit : 0) }
                let whole = !answered
                let outcomes = Set(offending.map(\.outcome)).map(\.description).sorted().joined(separator: " or ")
                let which = whole
                    ? "numbers above \(plain(highest)) (system calls newer than libseccomp \(LibseccompVersion.current)'s table)"
                    : "numbers " + offending.prefix(4).map { range in
                        let (a, b) = (plain(range.numbers.lowerBound), plain(range.numbers.upperBound))
                        return SeccompFilterAnalysis.rangeText(a ... b)
                    }.joined(separator: ", ") + (offending.count > 4 ? ", ..." : "")
                        + " (after \(plain(highest)), where system calls newer than libseccomp \(LibseccompVersion.current)'s table are numbered)"
                add(.medium, "unknown-calls-not-enosys",
                    "\(architecture): \(which) get \(outcomes), not ERRNO(ENOSYS): programs that try a new call first fall "
                        + "back to an older one only on ENOSYS")
            }
        }
        if case .number(let number) = try? architecture.resolve("clone3"),
            let decision = convention.decision(forNumber: UInt32(bitPattern: number)),
            let action = decision.outcome?.action, action != enosys, !allows(.action(action))
        {
            add(.medium, "clone3-not-enosys",
                "\(architecture): clone3 gets \(action): glibc 2.34 and later create threads with clone3 and fall "
                    + "back to clone only on ENOSYS, so threads cannot be created")
        }
    }

    mutating func dangerousCalls() {
        for (name, severity, why) in SeccompFilterAudit.dangerousCalls {
            var where_ = [String]()
            for convention in covered {
                guard case .number(let number) = try? convention.architecture.resolve(name),
                    let decision = convention.decision(forNumber: UInt32(bitPattern: number))
                else { continue }
                if let outcome = decision.outcome, allows(outcome) { where_.append(convention.architecture.name) }
            }
            if !where_.isEmpty {
                add(severity, "dangerous-call",
                    "\(name) is allowed without argument checks (\(where_.joined(separator: ", "))): \(why)")
            }
        }
    }

    /// `clone` and `unshare` allowed with namespace flags; `clone3` allowed while `clone` is checked.
    mutating func namespaces() {
        for convention in covered {
            let architecture = convention.architecture
            func decision(_ name: String) -> SeccompArgumentDecision? {
                guard case .number(let number) = try? architecture.resolve(name) else { return nil }
                return convention.decision(forNumber: UInt32(bitPattern: number))
            }
            var cloneChecked = false
            for name in ["unshare", "clone"] {
                guard let decision = decision(name) else { continue }
                // clone(flags, ...) but clone(stack, flags, ...) on s390.
                let argument: UInt32 = name == "clone" && [.s390, .s390x].contains(architecture) ? 1 : 0
                let offset = 16 + 8 * argument + (architecture.isBigEndian ? 4 : 0)
                if name == "clone", decision.testsArguments { cloneChecked = true }
                let flags = SeccompFilterAudit.namespaceFlags.filter { flag in
                    Self.reaches(decision, allowing: true, with: SeccompWordLiteral(
                        test: SeccompWordTest(offset: offset, test: .bitsSet, value: flag.bit), holds: true))
                }
                guard !flags.isEmpty else { continue }
                add(.high, "namespace-creation",
                    "\(architecture): \(name) is allowed with namespace flags (\(flags.map(\.name).joined(separator: ", "))): "
                        + "new namespaces, a user namespace above all, expose kernel code otherwise out of reach")
            }
            if cloneChecked, let clone3 = decision("clone3"), clone3.outcomes.contains(where: allows) {
                add(.medium, "clone3-unchecked",
                    "\(architecture): clone's flags are checked but clone3 is allowed, and its flags are in memory "
                        + "where seccomp cannot read them: the check on clone can be bypassed (answer clone3 with ENOSYS)")
            }
        }
    }

    /// Whether some input with `literal` reaches an allowing outcome of `decision`.
    static func reaches(_ decision: SeccompArgumentDecision, allowing: Bool, with literal: SeccompWordLiteral) -> Bool {
        var start = [UInt32: WordConstraint]()
        var constraint = WordConstraint()
        guard constraint.add(literal) else { return false }
        start[literal.test.offset] = constraint
        var stack = [(decision.root, start)]
        var steps = 0
        while let (index, constraints) = stack.popLast() {
            steps += 1
            if steps > 100_000 { return true }  // undecided: report rather than hide
            switch decision.nodes[index] {
            case .outcome(let outcome):
                if allows(outcome) == allowing { return true }
            case .test(let test, let ifTrue, let ifFalse):
                for holds in [true, false] {
                    var constraint = constraints[test.offset] ?? WordConstraint()
                    guard constraint.add(SeccompWordLiteral(test: test, holds: holds)) else { continue }
                    var budget = FilterExploration.solverBudget
                    if case .none = constraint.witness(budget: &budget) { continue }
                    var next = constraints
                    next[test.offset] = constraint
                    stack.append((holds ? ifTrue : ifFalse, next))
                }
            }
        }
        return false
    }

    mutating func systemdGroups() {
        guard let primary = covered.first(where: { $0.architecture == .native }) ?? covered.first else { return }
        let allowed = Set(allowedNames(primary))
        for group in SeccompFilterAudit.systemdRiskyGroups {
            let members = group.syscallNames.filter { (try? primary.architecture.resolve($0)).map { !$0.numbers.isEmpty } ?? false }
            let open = members.filter(allowed.contains)
            guard !open.isEmpty else { continue }
            let list = open.prefix(5).joined(separator: ", ") + (open.count > 5 ? ", ..." : "")
            add(.info, "systemd-group",
                "\(primary.architecture): \(open.count) of the \(members.count) calls of \(group) are allowed (\(list)); "
                    + "systemd-analyze security asks services to deny \(group)")
        }
    }
}
