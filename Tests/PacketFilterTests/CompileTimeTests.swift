import LibpcapOracle
import PacketFilter
import Testing

/// How long compiling takes. The target (a median under 50 µs for the issue's examples) is only
/// asserted in a release build; a debug build prints its figures:
///
///     swift test -c release -Xswiftc -enable-testing --filter CompileTimeTests
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
        #if !DEBUG
            #expect(median < 50, "median compile time \(median) µs")
        #endif
    }
}
