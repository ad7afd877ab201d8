extension Optimizer {
    /// An unoptimized program and another optimizer's version of it (libpcap's, say), with
    /// packets to check that the versions agree.
    package struct ReferencePair: Hashable, Sendable {
        /// The program as a compiler emitted it without optimizing.
        package var unoptimized: Program
        /// The other optimizer's version of ``unoptimized``.
        package var reference: Program
        /// Packets to run all three programs on; may be empty.
        package var packets: [[UInt8]]

        /// A pair to compare, with the packets to check it on.
        package init(unoptimized: Program, reference: Program, packets: [[UInt8]] = []) {
            self.unoptimized = unoptimized
            self.reference = reference
            self.packets = packets
        }
    }

    /// How ``Optimizer/optimize(_:for:configuration:)`` compares with a reference optimizer.
    package struct Comparison: Hashable, Sendable, CustomStringConvertible {
        /// Pairs compared: both programs verify for the target.
        package var programCount = 0
        /// Pairs left out because one of the programs does not verify.
        package var skippedCount = 0
        /// Instructions in the unoptimized programs.
        package var unoptimizedInstructions = 0
        /// Instructions in the reference programs.
        package var referenceInstructions = 0
        /// Instructions after our optimizer, run on the unoptimized programs.
        package var optimizedInstructions = 0
        /// Programs for which ours is longer than the reference.
        package var longerThanReference = 0
        /// Programs for which ours is shorter than the reference.
        package var shorterThanReference = 0
        /// Packets on which our program returns something else than the unoptimized one. A
        /// correct optimizer has none.
        package var disagreementsWithUnoptimized = 0
        /// Packets on which our program and the reference return different values.
        package var disagreementsWithReference = 0
        /// Of ``disagreementsWithReference``, those where the reference also differs from the
        /// unoptimized program, so the reference is at fault (libpcap drops loads that would
        /// fail on short packets).
        package var referenceDisagreementsWithUnoptimized = 0

        /// An empty comparison, to add to.
        package init() {}

        /// A one-paragraph summary of the counts.
        package var description: String {
            """
            \(programCount) programs (\(skippedCount) skipped): unoptimized \(unoptimizedInstructions), \
            reference \(referenceInstructions), ours \(optimizedInstructions) instructions; \
            ours longer in \(longerThanReference), shorter in \(shorterThanReference); \
            disagreements with unoptimized \(disagreementsWithUnoptimized), with reference \
            \(disagreementsWithReference) (\(referenceDisagreementsWithUnoptimized) where the reference \
            differs from the unoptimized program)
            """
        }
    }

    /// Optimizes each unoptimized program and compares the instruction counts with the
    /// reference, and the results on each pair's packets.
    package static func compare(
        _ pairs: [ReferencePair], for target: AttachTarget = .socket, configuration: Configuration = Configuration()
    ) -> Comparison {
        var comparison = Comparison()
        for pair in pairs {
            guard let unoptimized = try? Interpreter(pair.unoptimized, for: target),
                  let reference = try? Interpreter(pair.reference, for: target) else {
                comparison.skippedCount += 1
                continue
            }
            let optimizedProgram = optimize(pair.unoptimized, for: target, configuration: configuration)
            // The optimizer only returns programs that verify.
            guard let optimized = try? Interpreter(optimizedProgram, for: target) else {
                preconditionFailure("the optimizer returned a program that does not verify")
            }
            comparison.programCount += 1
            comparison.unoptimizedInstructions += pair.unoptimized.count
            comparison.referenceInstructions += pair.reference.count
            comparison.optimizedInstructions += optimizedProgram.count
            if optimizedProgram.count > pair.reference.count { comparison.longerThanReference += 1 }
            if optimizedProgram.count < pair.reference.count { comparison.shorterThanReference += 1 }
            for packet in pair.packets {
                let expected = unoptimized.run(packet: packet)
                let ours = optimized.run(packet: packet)
                let theirs = reference.run(packet: packet)
                if ours != expected { comparison.disagreementsWithUnoptimized += 1 }
                if ours != theirs {
                    comparison.disagreementsWithReference += 1
                    if theirs != expected { comparison.referenceDisagreementsWithUnoptimized += 1 }
                }
            }
        }
        return comparison
    }
}
