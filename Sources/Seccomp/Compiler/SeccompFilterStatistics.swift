import CBPF

/// How long a seccomp filter is, and how many instructions it executes per call on each
/// architecture of its policy: what `cbpf seccomp stats` prints.
///
/// A call is measured for every number of ``SeccompCompiler/profiledNumbers(of:count:)`` with
/// the same arguments (all zero unless given), counting the instructions from the first to the
/// `ret` (``CountingSeccompEvaluator``).
public struct SeccompFilterStatistics: Hashable, Sendable, CustomStringConvertible {
    /// The figures of one architecture.
    public struct ArchitectureFigures: Hashable, Sendable {
        /// The architecture measured.
        public var architecture: SeccompArchitecture
        /// The numbers measured, with bit 30 on x32.
        public var numbers: ClosedRange<Int32>
        /// The mean number of instructions executed per call.
        public var meanExecutedInstructions: Double
        /// The most instructions any of the calls executes.
        public var maximumExecutedInstructions: Int
        /// The fewest.
        public var minimumExecutedInstructions: Int

        /// Figures with these values.
        public init(
            architecture: SeccompArchitecture, numbers: ClosedRange<Int32>, meanExecutedInstructions: Double,
            maximumExecutedInstructions: Int, minimumExecutedInstructions: Int
        ) {
            self.architecture = architecture
            self.numbers = numbers
            self.meanExecutedInstructions = meanExecutedInstructions
            self.maximumExecutedInstructions = maximumExecutedInstructions
            self.minimumExecutedInstructions = minimumExecutedInstructions
        }
    }

    /// The filter's length.
    public var instructionCount: Int
    /// One entry for each architecture of the policy, in its order.
    public var architectures: [ArchitectureFigures]

    /// Measures `program`, a filter for `policy`.
    ///
    /// - Parameters:
    ///   - program: the filter, as compiled for `policy`.
    ///   - policy: the policy, which names the architectures and their numbers.
    ///   - syscallCount: how many numbers of each architecture to measure, from its first;
    ///     `nil` for the numbers the compiler tunes for.
    ///   - arguments: the arguments of every call.
    /// - Throws: `VerificationError` when `program` is not a valid seccomp filter.
    public init(
        program: Program, policy: ResolvedSeccompPolicy, syscallCount: Int? = nil, arguments: [UInt64] = []
    ) throws(VerificationError) {
        let evaluator = try CountingSeccompEvaluator(program)
        instructionCount = program.count
        architectures = policy.architectures.map { architecture in
            let numbers = SeccompCompiler.profiledNumbers(of: architecture, count: syscallCount)
            var total = 0
            var maximum = 0
            var minimum = Int.max
            for number in numbers {
                let data = SeccompData(emulating: architecture.architecture, number: number, arguments: arguments)
                let executed = evaluator.run(data).executedInstructions
                total += executed
                maximum = max(maximum, executed)
                minimum = min(minimum, executed)
            }
            return ArchitectureFigures(
                architecture: architecture.architecture, numbers: numbers,
                meanExecutedInstructions: Double(total) / Double(numbers.count),
                maximumExecutedInstructions: maximum, minimumExecutedInstructions: minimum
            )
        }
    }

    /// One line for the length, then one per architecture:
    /// `x86_64  0...459  mean 9.27  max 13  min 5`.
    public var description: String {
        var lines = ["\(instructionCount) instructions"]
        let nameWidth = architectures.map(\.architecture.name.count).max() ?? 0
        for figures in architectures {
            let name = figures.architecture.name
                + String(repeating: " ", count: nameWidth - figures.architecture.name.count)
            let numbers = "\(Self.hex(figures.numbers.lowerBound))...\(Self.hex(figures.numbers.upperBound))"
            lines.append(
                "\(name)  \(numbers)  mean \(Self.format(figures.meanExecutedInstructions))  "
                    + "max \(figures.maximumExecutedInstructions)  min \(figures.minimumExecutedInstructions)"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// Decimal below 65536, hexadecimal above (x32 numbers).
    private static func hex(_ number: Int32) -> String {
        number < 0x1_0000 ? String(number) : "0x" + String(number, radix: 16)
    }

    /// Two decimals.
    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100)." + (fraction.count == 1 ? "0" + fraction : fraction)
    }
}
