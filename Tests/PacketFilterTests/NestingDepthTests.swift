import CBPF
import Foundation
import PacketFilter
import Testing

/// A value set by one thread and read by another after a semaphore says it is there.
private final class Handover<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` on a thread with a 512 KB stack, the size of a Swift test or Dispatch thread's,
/// and returns its result.
private func onSmallStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let box = Handover<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.value = body()
        done.signal()
    }
    thread.stackSize = 512 * 1024
    thread.start()
    done.wait()
    return box.value!
}

/// How an expression nests: text for a given number of repetitions, and how many levels that is.
struct NestingShape: Sendable, CustomTestStringConvertible {
    var name: String
    /// The text with `count` repetitions.
    var text: @Sendable (Int) -> String
    /// How many levels `count` repetitions nest.
    var levels: @Sendable (Int) -> Int
    /// The column of the token that opens level `maximumDepth + 1` (the error's column).
    var firstTooDeepColumn: Int

    var testDescription: String { name }

    static let parentheses = NestingShape(
        name: "parentheses", text: { String(repeating: "(", count: $0) + "tcp" + String(repeating: ")", count: $0) },
        levels: { $0 }, firstTooDeepColumn: FilterExpression.maximumDepth + 1)
    static let nots = NestingShape(
        name: "not", text: { String(repeating: "not ", count: $0) + "tcp" },
        levels: { $0 }, firstTooDeepColumn: 4 * FilterExpression.maximumDepth + 1)
    /// `len = ---1`: the comparison is a level too.
    static let unaryMinus = NestingShape(
        name: "unary minus", text: { "len = " + String(repeating: "-", count: $0) + "1" },
        levels: { $0 + 1 }, firstTooDeepColumn: 7 + FilterExpression.maximumDepth)
    /// `ip[ip[0]] = 1`: the comparison is a level too.
    static let loads = NestingShape(
        name: "ip[ip[...]]", text: { String(repeating: "ip[", count: $0) + "0" + String(repeating: "]", count: $0) + " = 1" },
        levels: { $0 + 1 }, firstTooDeepColumn: 3 * FilterExpression.maximumDepth + 1)
    /// `tcp or tcp and tcp or ...`: a chain of one operator is one level, and each change of
    /// operator one more (`a or b and c` is `(a or b) and c`).
    static let alternatingChain = NestingShape(
        name: "alternating and/or chain", text: alternating,
        levels: { $0 }, firstTooDeepColumn: 3 + 15 * FilterExpression.maximumDepth / 2 + 2)

    /// `tcp` and `count` operators, `or` and `and` in turn.
    static func alternating(_ count: Int) -> String {
        "tcp" + (0..<count).map { $0.isMultiple(of: 2) ? " or tcp" : " and tcp" }.joined()
    }

    static let all = [parentheses, nots, unaryMinus, loads, alternatingChain]
}

@Suite("Nesting depth")
struct NestingDepthTests {
    /// The expression of each shape that nests exactly `maximumDepth` levels.
    static func deepest(_ shape: NestingShape) -> String {
        var count = FilterExpression.maximumDepth
        while shape.levels(count) > FilterExpression.maximumDepth { count -= 1 }
        return shape.text(count)
    }

    /// The issue's inputs, which crashed the parser: each is refused with the position of the
    /// token that goes one level too deep, by every entry point that takes text.
    @Test(arguments: zip(
        [NestingShape.parentheses, .nots, .unaryMinus, .loads, .alternatingChain], [10_000, 20_000, 30_000, 8_000, 20_000]))
    func tooDeepIsRefusedWithItsPosition(_ shape: NestingShape, count: Int) {
        let text = shape.text(count)
        let errors = onSmallStack { () -> [FilterSyntaxError?] in
            func error(_ body: () throws(FilterSyntaxError) -> Void) -> FilterSyntaxError? {
                do throws(FilterSyntaxError) {
                    try body()
                    return nil
                } catch {
                    return error
                }
            }
            return [
                error { () throws(FilterSyntaxError) in _ = try FilterExpression.parse(text) },
                error { () throws(FilterSyntaxError) in _ = try PacketFilterCompiler().compile(text) },
                error { () throws(FilterSyntaxError) in _ = try PacketFilterCompiler(linkType: .ieee802_11Radio, optimizes: false).compile(text) },
            ]
        }
        let expected = FilterSyntaxError(
            "expression nested too deeply (more than \(FilterExpression.maximumDepth) levels)",
            at: SourcePosition(line: 1, column: shape.firstTooDeepColumn))
        for error in errors {
            #expect(error == expected)
        }
    }

    /// The deepest expression accepted goes through every entry point on a small stack: parsing,
    /// printing and parsing back, equality and hashing, compiling text and trees, with and
    /// without the optimizer, on Ethernet and radiotap.
    @Test(arguments: NestingShape.all)
    func deepestAcceptedGoesThroughEveryEntryPoint(_ shape: NestingShape) throws {
        let text = Self.deepest(shape)
        let outcome = onSmallStack { () -> Result<[String], FilterSyntaxError> in
            Result { () throws(FilterSyntaxError) -> [String] in
                let parsed = try FilterExpression.parse(text)!
                let printed = parsed.description
                let reparsed = try FilterExpression.parse(printed)!
                var outcomes = ["round trip: \(reparsed == parsed && reparsed.hashValue == parsed.hashValue)"]
                for linkType in [LinkType.ethernet, .ieee802_11Radio] {
                    for optimizes in [true, false] {
                        let compiler = PacketFilterCompiler(linkType: linkType, optimizes: optimizes)
                        let fromText = Result { () throws(FilterSyntaxError) in try compiler.compile(text) }
                        let fromTree = Result { () throws(FilterSyntaxError) in try compiler.compile(Filter(parsed)) }
                        outcomes.append("\(linkType) \(optimizes): same \(String(describing: fromText) == String(describing: fromTree))")
                        if case .failure(let error) = fromText {
                            // Too long for a socket, say, but never too deep.
                            outcomes.append(error.message.contains("nested too deeply") ? "refused: \(error)" : "ok")
                        }
                    }
                }
                return outcomes
            }
        }
        let outcomes = try outcome.get()
        #expect(outcomes.allSatisfy { $0.hasSuffix("true") || $0 == "ok" }, "\(outcomes)")
    }

    /// A chain of one operator is one level however long: 1,001 `or`s (refused as too deep
    /// before chains were flat) and 1,500 `len > 1` (refused as too long before optimizing)
    /// compile to as many instructions as one term, from text and from the DSL; a chain of 20,000 goes through the
    /// parser and the code generator. (The tree is freed where the compiler parsed it: freeing
    /// a deep tree recurses, which is the language's own, see ``StackSpace``.)
    @Test func longChainsOfOneOperatorAreOneLevel() throws {
        let results = onSmallStack { () -> [String] in
            let ors = Array(repeating: "tcp", count: 1_001).joined(separator: " or ")
            let ands = Array(repeating: "len > 1", count: 1_500).joined(separator: " and ")
            let long = Array(repeating: "len > 1", count: 20_000).joined(separator: " or ")
            var chain = Filter.tcp
            for _ in 0..<1_000 { chain = chain || .tcp }
            func outcome(_ body: () throws -> String) -> String {
                do { return try body() } catch { return "\(error)" }
            }
            let tcp = try? PacketFilterCompiler().compile("tcp")
            return [
                outcome { let program = try PacketFilterCompiler().compile(ors); return program.count == tcp?.count ? "true" : "\(program.count)" },
                outcome { let program = try PacketFilterCompiler().compile(chain); return program.count == tcp?.count ? "true" : "\(program.count)" },
                outcome { try "\(PacketFilterCompiler().compile(ands).count == PacketFilterCompiler().compile("len > 1").count)" },
                // Far too long to emit without the optimizer, but not too deep.
                outcome { try "\(PacketFilterCompiler(optimizes: false).compile(long).count)" },
            ]
        }
        #expect(Array(results.prefix(3)) == ["true", "true", "true"])
        #expect(results[3].contains("more than the limit of 4096") && !results[3].contains("nested"), "\(results[3])")
    }

    /// A tree from the DSL can be deeper than any text the parser accepts: printing, equality
    /// and hashing work at any depth, and compiling refuses it (without a position: it has no
    /// text). 1,000 `not`s compile as `tcp` does.
    @Test func dslTreesDeeperThanTheLimitAreRefused() {
        let results = onSmallStack { () -> [String] in
            var deepest = Filter.tcp
            for _ in 0 ..< FilterExpression.maximumDepth { deepest = !deepest }
            let tooDeep = !deepest
            var chain = Filter.tcp
            for index in 0 ... FilterExpression.maximumDepth { chain = index.isMultiple(of: 2) ? chain || .udp : chain && .udp }
            func outcome(_ filter: Filter) -> String {
                do throws(FilterSyntaxError) {
                    return "compiled \(try PacketFilterCompiler().compile(filter).count)"
                } catch {
                    return error.description
                }
            }
            return [
                outcome(deepest) == outcome(.tcp) ? "same as tcp" : outcome(deepest), outcome(tooDeep), outcome(chain),
                "\(tooDeep.description.hasPrefix("not not ") && tooDeep == !deepest && tooDeep.hashValue == (!deepest).hashValue)",
            ]
        }
        let refusal = "expression nested too deeply (more than \(FilterExpression.maximumDepth) levels)"
        #expect(results == ["same as tcp", refusal, refusal, "true"])
    }
}
