import CBPF
import Seccomp
import Testing

/// Policies far larger than real ones, as hostile input: each compiles, or is refused with the
/// filter's size and where it goes, in time and memory that grow about linearly with the rules.
///
/// Before the compiler bounded its work, a release build took 19 s and 1.6 GB for 4,000
/// argument rules on one call (visits of the argument checks grew with the square of the rules),
/// and the dispatch planner's quadratic tables made 10,000 raw numbers need some 10 GB.
@Suite("Huge policies")
struct HugePolicyTests {
    /// Generous for a debug build on a loaded machine; a release build takes a tenth.
    static let timeLimit: Duration = .seconds(10)

    /// `default errno(EPERM)`, `arch x86_64` and `count` rules `allow read arg0 == N`, N from 1.
    static func argumentRules(_ count: Int) -> String {
        "default errno(EPERM)\narch x86_64\n" + (1 ... count).map { "allow read arg0 == \($0)\n" }.joined()
    }

    /// `count` raw numbers from 1000, two apart, so that each is a range of its own.
    static func rawNumbers(_ count: Int) -> String {
        "default errno(EPERM)\narch x86_64\n" + (0 ..< count).map { "allow \(1000 + 2 * $0)\n" }.joined()
    }

    /// The compilation's error, if any, and how long it took.
    static func compile(_ policy: SeccompPolicy) -> (program: Program?, error: SeccompCompilerError?, time: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let program = try SeccompCompiler().compile(policy)
            return (program, nil, clock.now - start)
        } catch {
            return (nil, error, clock.now - start)
        }
    }

    @Test func thousandsOfArgumentRulesAreRefusedWithTheSize() throws {
        let policy = try SeccompPolicy(parsing: Self.argumentRules(5_000))
        let result = Self.compile(policy)
        let error = try #require(result.error)
        guard case .filterTooLong(let minimumCount, 4096, let parts) = error else {
            Issue.record("unexpected error: \(error)")
            return
        }
        #expect(minimumCount == 5008)
        #expect(parts.longestArgumentChecks?.syscall == "read")
        #expect(parts.longestArgumentChecks?.ruleCount == 5000)
        #expect(error.description == "the filter needs at least 5008 instructions, 912 more than the kernel's limit "
            + "of 4096: the argument checks take 5003 (the longest, for read on x86_64, 5003 for 5000 rules), the "
            + "dispatch on the system-call number at least 2 (4 ranges of numbers)")
        #expect(result.time < Self.timeLimit, "took \(result.time)")
    }

    @Test func aThousandArgumentRulesCompileAndDecideAsThePolicy() throws {
        let resolved = try SeccompPolicy(parsing: Self.argumentRules(1_000)).resolve()
        let result = Self.compile(resolved.policy)
        let program = try #require(result.program, "\(result.error.map(String.init(describing:)) ?? "")")
        #expect(result.time < Self.timeLimit, "took \(result.time)")
        let filter = try Interpreter(program, for: .seccomp)
        let read = Int32(0)
        for argument: UInt64 in [0, 1, 2, 500, 999, 1000, 1001, 0x1_0000_0001, .max] {
            for number in [read, 1] {
                let data = SeccompData(emulating: .x86_64, number: number, arguments: [argument])
                #expect(filter.run(seccomp: data) == resolved.action(for: data).returnValue, "nr \(number) arg0 \(argument)")
            }
        }
    }

    @Test func tenThousandRawNumbersAreRefusedBeforeTheDispatchIsPlanned() throws {
        let result = Self.compile(try SeccompPolicy(parsing: Self.rawNumbers(10_000)))
        let error = try #require(result.error)
        guard case .filterTooLong(_, 4096, let parts) = error else {
            Issue.record("unexpected error: \(error)")
            return
        }
        #expect(parts.longestArgumentChecks == nil)
        #expect(parts.rangeCount == 20_003)
        #expect(error.description == "the filter needs at least 10004 instructions, 5908 more than the kernel's "
            + "limit of 4096: the dispatch on the system-call number takes at least 10001 (20003 ranges of numbers)")
        #expect(result.time < Self.timeLimit, "took \(result.time)")
    }

    /// More ranges than the planner plans as a whole: it plans pieces, and the filter must still
    /// decide every number as the policy, profiled ones with the fewest comparisons.
    @Test func thousandsOfRangesArePlannedInPieces() throws {
        let resolved = try SeccompPolicy(parsing: Self.rawNumbers(1_500)).resolve()
        let result = Self.compile(resolved.policy)
        let program = try #require(result.program, "\(result.error.map(String.init(describing:)) ?? "")")
        #expect(result.time < Self.timeLimit, "took \(result.time)")
        let filter = try Interpreter(program, for: .seccomp)
        for number in Array(0 ..< 1100) + Array(3900 ..< 4100) + [Int32.max, -1] {
            let data = SeccompData(emulating: .x86_64, number: Int32(number))
            #expect(filter.run(seccomp: data) == resolved.action(for: data).returnValue, "nr \(number)")
        }
        let statistics = try SeccompFilterStatistics(program: program, policy: resolved)
        #expect(statistics.architectures.first?.meanExecutedInstructions == 6)
    }

    /// The earlier rule named is the first that holds whenever the contradicting one does, found
    /// without comparing it with each of thousands of rules.
    @Test func aContradictionAmongThousandsOfRulesNamesTheFirstRule() throws {
        var rules = [SeccompRule(.allow, .syscall("read"), conditions: [ArgumentCondition(argument: 1, .equal, 0)])]
        rules += (1 ... 10_000).map { value in
            SeccompRule(.allow, .syscall("read"), conditions: [ArgumentCondition(argument: 0, .equal, UInt64(value))])
        }
        rules.append(SeccompRule(.errno(1), .syscall("read"), conditions: [
            ArgumentCondition(argument: 0, .equal, 7), ArgumentCondition(argument: 1, .equal, 0),
        ]))
        let policy = SeccompPolicy(defaultAction: .errno(1), architectures: [.x86_64], rules: rules)
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            try policy.resolve()
        } throws: { error in
            guard case .contradiction(_, let firstIndex, _, let secondIndex, "read", .x86_64) = error as? SeccompPolicyError else {
                return false
            }
            return firstIndex == 0 && secondIndex == 10_001
        }
        #expect(clock.now - start < Self.timeLimit)
    }
}
