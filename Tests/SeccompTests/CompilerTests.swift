import CBPF
import CLinuxShims
import Glibc
import Seccomp
import Testing

/// Tests of ``SeccompCompiler``: the compiled filter, run by ``Interpreter``, must decide every
/// call as ``ResolvedSeccompPolicy/action(for:)`` does; its number dispatch must be evaluable by
/// the kernel's action cache; and it must meet the size and speed targets on Docker's profile.
@Suite("SeccompCompiler")
struct SeccompCompilerTests {
    // MARK: Docker's default profile

    /// Docker's profile for x86_64 alone. Anchors over numbers 0–459: libseccomp 2.5.4 makes
    /// 414 instructions executing 15.9 on average and 25 at most; minijail's BST 103 / 10.2 / 31.
    @Test(.enabled(if: DockerProfile.isAvailable, "skipped: ../shared/corpus/seccomp is absent"))
    func dockerProfileMeetsTheTargets() throws {
        let policy = try DockerProfile.policy().resolve()
        let program = try SeccompCompiler().compile(policy)
        let statistics = try SeccompFilterStatistics(program: program, policy: policy, syscallCount: 460)
        print("Docker default profile, x86_64:\n\(statistics)")
        let figures = try #require(statistics.architectures.first)
        #expect(statistics.instructionCount <= 90)
        #expect(figures.meanExecutedInstructions <= 9.5)
        #expect(figures.maximumExecutedInstructions <= 14)
        try expectDecisionsMatch(program, policy)
        try expectCacheAllowsExactlyTheUnconditionalCalls(program, policy)
    }

    /// Docker's profile for x86_64 with x86 and x32, as Docker installs it on x86_64 (x86 checks
    /// socket's conditions on socket alone, as libseccomp does). libseccomp 2.5.4 makes 1243
    /// instructions executing 15.6 on average over x86_64's numbers 0–459.
    @Test(.enabled(if: DockerProfile.isAvailable, "skipped: ../shared/corpus/seccomp is absent"))
    func dockerProfileOnThreeArchitectures() throws {
        let policy = try DockerProfile.policy(subArchitectures: true).resolve()
        #expect(policy.architectures.map(\.architecture) == [.x86_64, .x86, .x32])
        let program = try SeccompCompiler().compile(policy)
        let statistics = try SeccompFilterStatistics(program: program, policy: policy, syscallCount: 460)
        print("Docker default profile, x86_64 + x86 + x32:\n\(statistics)")
        #expect(statistics.instructionCount < 1243)
        try expectDecisionsMatch(program, policy)
        try expectCacheAllowsExactlyTheUnconditionalCalls(program, policy)

        // The shared optimizer merges identical code across the sections further.
        let optimized = try SeccompCompiler(options: .init(optimizes: true)).compile(policy)
        let optimizedStatistics = try SeccompFilterStatistics(program: optimized, policy: policy, syscallCount: 460)
        print("Docker default profile, x86_64 + x86 + x32, optimized:\n\(optimizedStatistics)")
        #expect(optimized.count <= program.count)
        try expectDecisionsMatch(optimized, policy, name: "optimized")
        try expectCacheAllowsExactlyTheUnconditionalCalls(optimized, policy, name: "optimized")
    }

    /// With the ENOSYS option, and with every tuning option, the filter still decides as the policy.
    @Test(.enabled(if: DockerProfile.isAvailable, "skipped: ../shared/corpus/seccomp is absent"))
    func dockerProfileWithOptionsStillDecidesAsThePolicy() throws {
        let policy = try DockerProfile.policy(unknownSyscallsFailWithENOSYS: true).resolve()
        let program = try SeccompCompiler().compile(policy)
        let statistics = try SeccompFilterStatistics(program: program, policy: policy, syscallCount: 460)
        print("Docker default profile, x86_64, unknown numbers fail with ENOSYS:\n\(statistics)")
        try expectDecisionsMatch(program, policy)
        try expectCacheAllowsExactlyTheUnconditionalCalls(program, policy)
        for options in [
            SeccompCompiler.Options(typicalArguments: [1, 2, 3]),
            SeccompCompiler.Options(profiledSyscallCount: 64),
            SeccompCompiler.Options(slowestCallSlack: nil),
            SeccompCompiler.Options(slowestCallSlack: 0),
            SeccompCompiler.Options(optimizes: true),
        ] {
            let program = try SeccompCompiler(options: options).compile(policy)
            try expectDecisionsMatch(program, policy, name: "\(options)")
        }
    }

    /// Median time to compile the resolved Docker profile, after a warm-up: the lowest median of
    /// three batches, so that a burst of other work on the machine does not decide. The target
    /// is under 1 ms in a release build (`swift test -c release -Xswiftc -enable-testing`); a
    /// debug build only prints it.
    @Test(.enabled(if: DockerProfile.isAvailable, "skipped: ../shared/corpus/seccomp is absent"))
    func dockerProfileCompilesQuickly() throws {
        let unresolved = try DockerProfile.policy()
        let policy = try unresolved.resolve()
        let threeArchitectures = try DockerProfile.policy(subArchitectures: true).resolve()
        let compiler = SeccompCompiler()
        func median(_ policy: ResolvedSeccompPolicy, runs: Int) throws -> Duration {
            _ = try compiler.compile(policy)
            var medians = [Duration]()
            for _ in 0 ..< 3 {
                var times = [Duration]()
                for _ in 0 ..< runs {
                    let clock = ContinuousClock()
                    let start = clock.now
                    _ = try compiler.compile(policy)
                    times.append(clock.now - start)
                }
                medians.append(times.sorted()[runs / 2])
            }
            return medians.min()!
        }
        let single = try median(policy, runs: 101)
        let three = try median(threeArchitectures, runs: 21)
        var withResolution = [Duration]()
        for _ in 0 ..< 21 {
            let clock = ContinuousClock()
            let start = clock.now
            _ = try compiler.compile(unresolved)
            withResolution.append(clock.now - start)
        }
        print("compile time, Docker x86_64: median \(single); x86_64 + x86 + x32: median \(three); "
              + "x86_64 with resolution: median \(withResolution.sorted()[10])")
        #if !DEBUG
            #expect(single < .milliseconds(1))
        #endif
    }

    // MARK: Handwritten policies

    @Test(arguments: handwrittenPolicies)
    func handwrittenPolicyDecidesAsTheReference(_ handwritten: HandwrittenPolicy) throws {
        let name = handwritten.name
        let policy = try handwritten.policy.resolve()
        let program = try SeccompCompiler().compile(policy)
        try Verifier.verify(program, for: .seccomp)
        #expect(program.count <= 4096, "\(name)")
        try expectDecisionsMatch(program, policy, name: name)
        try expectCacheAllowsExactlyTheUnconditionalCalls(program, policy, name: name)
    }

    /// Together the handwritten policies use every operator, width, action and architecture
    /// combination this test promises.
    @Test func handwrittenPoliciesCoverEveryOperatorActionAndArchitecture() throws {
        let policies = try handwrittenPolicies.map { try $0.policy }
        #expect(policies.count >= 50)
        let conditions = policies.flatMap { $0.rules.flatMap(\.conditions) }
        func uses(_ comparison: (ArgumentCondition.Comparison) -> Bool, _ width: ArgumentCondition.Width) -> Bool {
            conditions.contains { comparison($0.comparison) && $0.width == width }
        }
        for width in [ArgumentCondition.Width.full, .low32] {
            #expect(uses({ $0 == .equal }, width))
            #expect(uses({ $0 == .notEqual }, width))
            #expect(uses({ $0 == .less }, width))
            #expect(uses({ $0 == .lessOrEqual }, width))
            #expect(uses({ $0 == .greater }, width))
            #expect(uses({ $0 == .greaterOrEqual }, width))
            #expect(uses({ if case .maskedEqual = $0 { true } else { false } }, width))
        }
        let actions = Set(policies.flatMap { $0.rules.map(\.action) + [$0.defaultAction, $0.foreignArchitectureAction] }
            .map { SeccompAction(returnValue: $0.returnValue & 0xffff_0000) })
        #expect(actions == [.killProcess, .killThread, .trap(0), .errno(0), .userNotification, .trace(0), .log, .allow])
        let architectureSets = Set(policies.map { Set($0.architectures.map(\.name)) })
        for required: Set<String> in [["x86_64", "x86", "x32"], ["aarch64", "arm"], ["riscv64"], ["s390x"]] {
            #expect(architectureSets.contains(required), "\(required)")
        }
    }

    /// Conditional jumps that reach more than 255 instructions go through an inserted `ja`.
    @Test func longJumpsAreResolved() throws {
        var text = "default errno(1)\narch x86_64 x86 x32\n"
        for number in 0 ..< 60 {
            text += "allow \(number) arg0 == \(number * 7) && arg1 != \(number)\n"
            text += "errno(\(number + 2)) \(number) arg2 & 0x\(String(number * 0x101, radix: 16)) == 0\n"
        }
        let policy = try SeccompPolicy(parsing: text).resolve()
        let program = try SeccompCompiler().compile(policy)
        #expect(program.count > 512)
        let longJumps = program.instructions.contains { if case .jump = $0 { true } else { false } }
        #expect(longJumps, "the filter is long enough to need `ja`")
        try expectDecisionsMatch(program, policy, name: "long jumps")
    }

    /// On `AUDIT_ARCH_X86_64` numbers from 0x40000000 up are x32's: a filter for x86_64 alone
    /// never lets them through, -1 aside; one for x32 alone takes -1 as x32's, as libseccomp does.
    @Test func x32NumbersAreSplitAsLibseccompSplitsThem() throws {
        let edges: [UInt32] = [0x4000_0000, 0x4000_0001, 0x7fff_ffff, 0x8000_0000, 0xbfff_ffff, 0xc000_0000, 0xffff_fffe]
        let audit = AuditArchitecture.x86_64
        for (text, x32Action, minusOne, low) in [
            ("default allow\narch x86_64\nforeign-arch kill-process", SeccompAction.killProcess, SeccompAction.allow,
             SeccompAction.allow),
            ("default allow\narch x32\nforeign-arch kill-process", .allow, .allow, .killProcess),
            ("default errno(1)\narch x86_64 x32\nforeign-arch kill-process\nallow 5", .errno(1), .errno(1), .errno(1)),
        ] {
            let policy = try SeccompPolicy(parsing: text).resolve()
            let interpreter = try Interpreter(try SeccompCompiler().compile(policy), for: .seccomp)
            func decided(_ number: UInt32) -> SeccompAction {
                let data = SeccompData(number: Int32(bitPattern: number), architecture: audit)
                let compiled = SeccompAction(returnValue: interpreter.run(seccomp: data))
                #expect(compiled == policy.action(for: data), "\(text): 0x\(String(number, radix: 16))")
                return compiled
            }
            for number in edges { #expect(decided(number) == x32Action, "\(text): 0x\(String(number, radix: 16))") }
            #expect(decided(0xffff_ffff) == minusOne, "\(text)")
            #expect(decided(0x3fff_ffff) == low, "\(text)")
            // Bit 30 means nothing on x86.
            let x86 = SeccompData(number: 0x4000_0003, architecture: .x86)
            #expect(policy.action(for: x86) == .killProcess)
        }
        let x86 = try SeccompPolicy(parsing: "default allow\narch x86\nerrno(5) read").resolve()
        let x86Filter = try Interpreter(try SeccompCompiler().compile(x86), for: .seccomp)
        let data = SeccompData(number: 0x4000_0003, architecture: .x86)
        #expect(x86.action(for: data) == .allow)
        #expect(x86Filter.run(seccomp: data) == SeccompAction.allow.returnValue)
    }

    @Test func tooLongAFilterIsRefused() throws {
        var text = "default allow\narch x86_64\n"
        for number in 0 ..< 450 {
            let conditions = (0 ..< 6).map { "arg\($0) > 0x\(String(number * 0x1_0001 + $0, radix: 16))00000001" }
            text += "errno(1) \(number) " + conditions.joined(separator: " && ") + "\n"
        }
        let policy = try SeccompPolicy(parsing: text).resolve()
        // The argument checks alone are too long: refused before the dispatch is planned.
        #expect {
            try SeccompCompiler().compile(policy)
        } throws: { error in
            guard case .filterTooLong(let count, 4096, let parts) = error as? SeccompCompilerError else { return false }
            return count > 4096 && parts.argumentCheckCount > 4096
        }
        // Short enough until long jumps are added: refused once laid out, with the exact size.
        let rules = (1 ... 3_000).map { "allow read arg0 == \($0)\n" }.joined()
        let laidOut = try SeccompPolicy(parsing: "default errno(EPERM)\narch x86_64\n" + rules).resolve()
        #expect(throws: SeccompCompilerError.tooManyInstructions(count: 5763, limit: 4096)) {
            try SeccompCompiler().compile(laidOut)
        }
        #expect(SeccompCompilerError.tooManyInstructions(count: 5763, limit: 4096).description
            == "the filter needs 5763 instructions, 1667 more than the kernel's limit of 4096")
    }

    @Test func anInvalidPolicyIsReported() {
        let policy = SeccompPolicy(defaultAction: .allow, architectures: [])
        #expect(throws: SeccompCompilerError.invalidPolicy(.noArchitectures)) {
            try SeccompCompiler().compile(policy)
        }
    }

    // MARK: Statistics and the counting evaluator

    @Test func statisticsCountExecutedInstructions() throws {
        let policy = try SeccompPolicy(parsing: """
            default errno(1)
            arch x86_64
            allow read write
            """).resolve()
        let program = try SeccompCompiler().compile(policy)
        let statistics = try SeccompFilterStatistics(program: program, policy: policy, syscallCount: 10)
        let figures = try #require(statistics.architectures.first)
        #expect(figures.numbers == 0 ... 9)
        #expect(statistics.instructionCount == program.count)
        // ld arch, jeq, ld nr, one comparison (jge #2), ret: read and write are 0 and 1.
        #expect(figures.minimumExecutedInstructions == 5)
        #expect(statistics.description.hasPrefix("\(program.count) instructions\nx86_64  0...9  mean "))
    }

    // MARK: The kernel

    /// The filter installs, and real calls get what the policy says: arguments compared on
    /// both words, numbers from 0x40000000 up (x32's) sent to the foreign action, and `-1` to the
    /// default, as the reference and libseccomp decide.
    @Test(.enabled(if: SeccompInstaller.isAvailable(.allow), "skipped: this kernel has no seccomp filters"))
    func compiledFilterDecidesRealCalls() async {
        await #expect(processExitsWith: .success) {
            let policy = try SeccompPolicy(parsing: """
                default allow
                arch native
                foreign-arch errno(77)
                errno(11) getppid
                errno(12) dup arg0 == 0x100000003
                errno(13) getpgid arg0 > 0x100000000
                errno(14) getpriority arg0.lo32 == 7 && arg1 & 0xff00 == 0x1200
                """)
            let program = try SeccompCompiler().compile(policy)
            try SeccompInstaller().install(program)
            #expect(directCall(Int(SYS_getppid)) == .failure(11))
            #expect(directCall(Int(SYS_dup), 0x1_0000_0003) == .failure(12))
            #expect(directCall(Int(SYS_dup), 0x2_0000_0003) != .failure(12), "only both words match")
            #expect(directCall(Int(SYS_getpgid), 0x1_0000_0001) == .failure(13))
            #expect(directCall(Int(SYS_getpgid), 0x1_0000_0000) == .success(Int(getpgid(0))))
            #expect(directCall(Int(SYS_getpriority), 0xffff_0000_0000_0007, 0x1234) == .failure(14))
            #expect(directCall(Int(SYS_getpriority), 0, 0x1234) != .failure(14))
            #if arch(x86_64)
                #expect(directCall(0x4000_0000 | Int(SYS_getpid)) == .failure(77), "x32 is foreign")
                #expect(directCall(0x8000_0000) == .failure(77), "numbers from 0x40000000 up are x32's")
            #endif
            #expect(directCall(-1) == .failure(CallError(ENOSYS)))
            #expect(directCall(Int(SYS_getpid)) == .success(Int(getpid())))
        }
    }
}

// MARK: - Decision tables

/// Checks that `program`, run by ``Interpreter``, decides as `policy.action(for:)` for every
/// covered architecture and every number from its first to 64 past its highest known or ruled
/// one, numbers of the other x32 state, `-1`, other architectures, and argument values at and
/// around every constant of the rules for the number. ``CountingSeccompEvaluator`` must return
/// the same values.
private func expectDecisionsMatch(
    _ program: Program, _ policy: ResolvedSeccompPolicy, name: String = "", sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let interpreter = try Interpreter(program, for: .seccomp)
    let evaluator = try CountingSeccompEvaluator(program)
    var failures = 0
    func check(_ reference: SeccompData, _ emulated: SeccompData) {
        let expected = policy.action(for: reference)
        let value = interpreter.run(seccomp: emulated)
        let counted = evaluator.run(emulated).returnValue
        if value != expected.returnValue || counted != value {
            failures += 1
            if failures <= 5 {
                let call = "nr \(hex(reference.number)) arch \(hex(reference.architecture.rawValue)) args \(reference.arguments.map(hex))"
                let outcomes = "filter \(SeccompAction(returnValue: value)), evaluator "
                    + "\(SeccompAction(returnValue: counted)), reference \(expected)"
                Issue.record(Comment(rawValue: "\(name): \(call): \(outcomes)"), sourceLocation: sourceLocation)
            }
        }
    }
    for architecture in policy.architectures {
        for number in numbersToCheck(architecture) {
            for arguments in argumentSamples(for: rules(of: number, sharing: architecture, in: policy)) {
                let audit = architecture.architecture.auditArchitecture
                check(
                    SeccompData(number: number, architecture: audit, arguments: arguments),
                    SeccompData(emulating: architecture.architecture, number: number, arguments: arguments)
                )
            }
        }
    }
    let covered = Set(policy.architectures.map(\.architecture.auditArchitecture.rawValue))
    let others = AuditArchitecture.byName.map(\.architecture.rawValue) + [0, 0xffff_ffff, 0x4000_003e, 0xc000_003f]
    for audit in Set(others).subtracting(covered) {
        for number: Int32 in [0, 1, 59, 231, -1, 0x4000_0000] {
            let data = SeccompData(number: number, architecture: AuditArchitecture(rawValue: audit))
            check(data, data)
        }
    }
    #expect(failures == 0, "\(name): \(failures) decisions differ", sourceLocation: sourceLocation)
}

/// An architecture's numbers from its first to 64 past the highest known or ruled, and a few
/// numbers of the other x32 state, and the edges of the x32 numbers (0x40000000 up) and of -1.
private func numbersToCheck(_ architecture: ArchitecturePolicy) -> [Int32] {
    let known = architecture.knownSyscallNumbers
    let first = SeccompCompiler.profiledNumbers(of: architecture).lowerBound
    let main = known.filter { $0 >= first && $0 - first < 1024 }
    let highest = max(main.last ?? first, architecture.syscalls.map(\.number).filter { $0 - first < 1024 }.max() ?? first)
    var numbers = Array(first ... highest + 64)
    numbers += known.filter { $0 - first >= 1024 }  // ARM's private calls
    numbers += architecture.syscalls.map(\.number)
    numbers += [0, 1, 2, 0x3fff_ffff, 0x4000_0000, 0x4000_0001, 0x4000_0002, Int32.max, -1, -2]
    numbers += [Int32(bitPattern: 0x8000_0000), Int32(bitPattern: 0xbfff_ffff), Int32(bitPattern: 0xc000_0000)]
    numbers += (first ... first + 40).map { $0 ^ 0x4000_0000 }
    return Array(Set(numbers)).sorted()
}

/// The rules for a number in every architecture that shares `architecture`'s audit value: the
/// reference may choose another one of them for it (x32 for a number from 0x40000000 up).
private func rules(of number: Int32, sharing architecture: ArchitecturePolicy, in policy: ResolvedSeccompPolicy)
    -> [ResolvedRule]
{
    policy.architectures
        .filter { $0.architecture.auditArchitecture == architecture.architecture.auditArchitecture }
        .flatMap { $0.syscall(number: number)?.rules ?? [] }
}

/// Argument vectors for a number: zeros and a mixed vector when no rule looks at them, else the
/// cross product, over the arguments the rules test, of values at and around each constant and
/// the 32- and 64-bit edges.
private func argumentSamples(for rules: [ResolvedRule]) -> [[UInt64]] {
    let plain: [[UInt64]] = [[], [0xdead_beef_0000_0001, 0xffff_ffff, 0x1_0000_0000, 7, 0, UInt64.max]]
    guard !rules.isEmpty else { return plain }
    var candidates = [Int: Set<UInt64>]()
    let edges: [UInt64] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001,
                           0x8000_0000_0000_0000, UInt64.max, UInt64.max - 1]
    for condition in rules.flatMap(\.conditions) {
        var values = Set(edges)
        var constants = [condition.value]
        if case .maskedEqual(let mask) = condition.comparison {
            constants += [mask, mask | condition.value, ~mask | condition.value, ~mask, mask & ~condition.value]
        }
        for constant in constants {
            for value in [constant, constant &+ 1, constant &- 1] {
                values.formUnion([value, value & 0xffff_ffff, value ^ 0x1_0000_0000, value | 0xffff_ffff_0000_0000])
            }
        }
        candidates[condition.argument, default: []].formUnion(values)
    }
    var vectors: [[UInt64]] = [[0, 0, 0, 0, 0, 0]]
    for (argument, values) in candidates.sorted(by: { $0.key < $1.key }) {
        let values = values.sorted()
        if vectors.count * values.count > 20_000 {
            // Too many to cross: each value once, on top of every fourth vector so far.
            vectors += values.enumerated().map { index, value in
                var vector = vectors[index * 4 % vectors.count]
                vector[argument] = value
                return vector
            }
        } else {
            vectors = vectors.flatMap { vector in
                values.map { value in
                    var vector = vector
                    vector[argument] = value
                    return vector
                }
            }
        }
    }
    return vectors + plain
}

// MARK: - The kernel's action cache

/// ``SeccompActionCache`` on hand-made filters whose cache follows from the kernel's rule
/// (`seccomp_is_const_allow`, kernel/seccomp.c), before it is trusted with the compiler's: only
/// word loads of `nr` and `arch`, `ja`, `jeq`/`jge`/`jgt`/`jset` with K, `and` with K and `ret`
/// with K are followed, and only numbers from 0 up are cached.
private func expectActionCacheFollowsTheKernelRule(sourceLocation: SourceLocation = #_sourceLocation) throws {
    let allow = SeccompAction.allowValue
    let x86_64 = AuditArchitecture.x86_64.rawValue
    // nr & ~1 == 4 (4 and 5), or nr > 9 and even on x86_64 (LOG elsewhere); odd ones above 9 fail.
    let mixed = try SeccompActionCache(Program([
        .loadAbsolute(.word, offset: 0),
        .arithmetic(.and, .constant(0xffff_fffe)),
        .conditionalJump(.equal, .constant(4), ifTrue: 0, ifFalse: 1),
        .returnConstant(allow),
        .loadAbsolute(.word, offset: 0),
        .conditionalJump(.greaterThan, .constant(9), ifTrue: 0, ifFalse: 2),
        .conditionalJump(.bitsSet, .constant(1), ifTrue: 1, ifFalse: 0),
        .jump(offset: 1),
        .returnConstant(SeccompAction.errno(1).returnValue),
        .loadAbsolute(.word, offset: 4),
        .conditionalJump(.equal, .constant(x86_64), ifTrue: 0, ifFalse: 1),
        .returnConstant(allow),
        .returnConstant(SeccompAction.log.returnValue),
    ]))
    #expect(mixed.allowedSyscalls(on: .x86_64, numbers: 0 ..< 16) == [4, 5, 10, 12, 14], sourceLocation: sourceLocation)
    #expect(mixed.allowedSyscalls(on: .x86, numbers: 0 ..< 16) == [4, 5], sourceLocation: sourceLocation)
    // Allows every call, but getpid (39) only after loading arg0, which the emulation cannot know.
    let argumentFirst = try SeccompActionCache(Program([
        .loadAbsolute(.word, offset: 0),
        .conditionalJump(.equal, .constant(39), ifTrue: 0, ifFalse: 2),
        .loadAbsolute(.word, offset: 16),
        .returnConstant(allow),
        .returnConstant(allow),
    ]))
    #expect(argumentFirst.allowedSyscalls(on: .x86_64, numbers: 0 ..< 64) == Set(0 ..< 64).subtracting([39]),
            sourceLocation: sourceLocation)
    // X operands, `ld #k` and `ret a` are not followed either, whatever they compute.
    let viaX = try SeccompActionCache(Program([
        .loadImmediate(.x, 39), .loadAbsolute(.word, offset: 0),
        .conditionalJump(.equal, .x, ifTrue: 0, ifFalse: 1), .returnConstant(allow), .returnConstant(allow),
    ]))
    #expect(viaX.allowedSyscalls(on: .x86_64, numbers: 0 ..< 64).isEmpty, sourceLocation: sourceLocation)
    let returnA = try SeccompActionCache(Program([.loadImmediate(.a, allow), .returnA]))
    #expect(!returnA.isConstantAllow(number: 0, architecture: .x86_64), sourceLocation: sourceLocation)
    // The rule holds for any number; the kernel asks it only from 0 up.
    let always = try SeccompActionCache(Program([.returnConstant(allow)]))
    #expect(always.isConstantAllow(number: -1, architecture: .x86_64), sourceLocation: sourceLocation)
    #expect(always.allowedSyscalls(on: .x86_64, numbers: -4 ..< 4) == [0, 1, 2, 3], sourceLocation: sourceLocation)
}

/// For every covered architecture and every number from its first to 64 past its highest, the
/// cache emulation allows the call exactly when the policy allows it whatever the arguments
/// (the reference allows it for every sampled argument vector).
private func expectCacheAllowsExactlyTheUnconditionalCalls(
    _ program: Program, _ policy: ResolvedSeccompPolicy, name: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    try expectActionCacheFollowsTheKernelRule(sourceLocation: sourceLocation)
    let cache = try SeccompActionCache(program)
    var failures = 0
    var cached = 0
    for architecture in policy.architectures {
        let audit = architecture.architecture.auditArchitecture
        for number in numbersToCheck(architecture) {
            let alwaysAllowed = argumentSamples(for: rules(of: number, sharing: architecture, in: policy)).allSatisfy {
                policy.action(for: SeccompData(number: number, architecture: audit, arguments: $0)) == .allow
            }
            let constAllow = cache.isConstantAllow(number: number, architecture: architecture.architecture.auditArchitecture)
            if constAllow { cached += 1 }
            if constAllow != alwaysAllowed {
                failures += 1
                if failures <= 5 {
                    let message = "\(name): \(architecture.architecture) nr \(hex(number)): cache \(constAllow), "
                        + "always allowed \(alwaysAllowed)"
                    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
                }
            }
        }
    }
    #expect(failures == 0, "\(name): \(failures) numbers differ (\(cached) cached)", sourceLocation: sourceLocation)
}

// MARK: - Docker's profile

/// Docker's default profile imported as Docker and runc read it on an x86_64 host
/// (``OCISeccompProfile/policy(options:)``), with Docker's default capabilities and a fixed kernel.
private enum DockerProfile {
    static var isAvailable: Bool { dockerDefaultProfileText != nil }

    /// The policy for x86_64 alone, or with `subArchitectures` for x86_64, x86 and x32.
    static func policy(subArchitectures: Bool = false, unknownSyscallsFailWithENOSYS: Bool = false) throws
        -> SeccompPolicy
    {
        let profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
        return try profile.policy(
            options: OCIProfileImportOptions(
                architecture: .x86_64, includesSubArchitectures: subArchitectures, kernelVersion: ociTestKernel,
                unknownSyscallsFailWithENOSYS: unknownSyscallsFailWithENOSYS)
        ).policy
    }
}

// MARK: - Calls and numbers

private func hex(_ value: some BinaryInteger) -> String {
    "0x" + String(value, radix: 16)
}

private func hex(_ number: Int32) -> String {
    hex(UInt32(bitPattern: number))
}

/// `syscall(2)` with up to six arguments: the result, or the errno.
private func directCall(_ number: Int, _ arguments: UInt64...) -> Result<Int, CallError> {
    let a = arguments + Array(repeating: 0, count: 6 - arguments.count)
    let result = cbpf_syscall6(number, UInt(a[0]), UInt(a[1]), UInt(a[2]), UInt(a[3]), UInt(a[4]), UInt(a[5]))
    return result == -1 ? .failure(CallError(errno)) : .success(result)
}

/// An errno, compared with plain numbers in expectations.
private struct CallError: Error, Equatable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    init(integerLiteral code: Int32) { self.code = code }
    var description: String { "errno \(code)" }
}
