import LibpcapOracle
import PacketFilter
import Testing

/// How long compiling takes. The target is a median under 50 µs for the issue's examples in a
/// release build:
///
///     swift test -c release -Xswiftc -enable-testing --filter CompileTimeTests
///
/// A debug build is about 20 times slower (a median of 930 µs on this 2-core machine while other
/// builds ran), so it is held to 5 ms: that still fails on a blow-up such as quadratic time.
@Suite struct CompileTimeTests {
    @Test func quotedExamplesCompileQuickly() throws {
        let compiler = PacketFilterCompiler()
        var medians = [Double]()
        for expression in PacketFilterExamples.quoted {
            _ = try compiler.compile(expression)
            // The lowest of three batch medians: other work on the machine only adds time.
            var batchMedians = [Double]()
            for _ in 0..<3 {
                var times = [Double]()
                for _ in 0..<101 {
                    let clock = ContinuousClock()
                    let start = clock.now
                    _ = try compiler.compile(expression)
                    let elapsed = (clock.now - start).components
                    times.append(Double(elapsed.seconds) * 1e6 + Double(elapsed.attoseconds) / 1e12)
                }
                batchMedians.append(PacketFilterExamples.median(times))
            }
            medians.append(batchMedians.min()!)
        }
        let median = PacketFilterExamples.median(medians)
        let each = zip(PacketFilterExamples.quoted, medians).map { "\($0): \(Int($1.rounded())) µs" }
        print("compile time of the issue's examples: median \(median) µs; \(each.joined(separator: "; "))")
        #if DEBUG
            let bound = 5_000.0
        #else
            let bound = 50.0
        #endif
        #expect(median < bound, "median compile time \(median) µs")
    }

    /// Long `or` chains compile in time linear in their length: the release targets are 50 ms
    /// for 200 ports and 1 s for 1,000 (`PacketFilterComparison --compile-time`). In a debug
    /// build, loaded by other work, 200 ports are held to 2 s (the lowest of three runs).
    @Test func longPortChainsCompileQuickly() throws {
        let expression = (1000..<1200).map { "port \($0)" }.joined(separator: " or ")
        let compiler = PacketFilterCompiler()
        var times = [Duration]()
        for _ in 0..<3 {
            let clock = ContinuousClock()
            let start = clock.now
            _ = try compiler.compile(expression)
            times.append(clock.now - start)
        }
        #if DEBUG
            let bound = Duration.seconds(2)
        #else
            let bound = Duration.milliseconds(50)
        #endif
        #expect(times.min()! < bound, "200 ports: \(times)")
    }
}
