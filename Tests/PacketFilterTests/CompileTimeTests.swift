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
}
