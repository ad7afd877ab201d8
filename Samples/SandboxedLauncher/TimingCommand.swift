import ArgumentParser
import CLinuxShims
import Glibc
import Seccomp

/// Times two raw system calls in this process, for the demo's action-cache part: `getppid`,
/// which a filter that allows it unconditionally never runs for, and `personality(0xffffffff)`,
/// whose argument the filter has to check.
struct TimingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timing",
        abstract: "(demo helper) ns per call of getppid() and personality(0xffffffff).",
        shouldDisplay: false
    )

    @Option(help: "Calls per batch.")
    var calls = 20_000

    @Option(help: "Batches; the median is printed.")
    var batches = 15

    /// The probes: name, number, arguments.
    static func probes() -> [(String, Int, [UInt])] {
        func number(_ name: String) -> Int {
            (try? SeccompArchitecture.native.resolve(name).numbers.first).flatMap { $0 }.map(Int.init) ?? -1
        }
        return [
            ("getppid", number("getppid"), []),
            ("personality", number("personality"), [UInt(Preset.personalityQuery)]),
        ]
    }

    func run() throws {
        for (name, number, arguments) in Self.probes() {
            let a = arguments + [UInt](repeating: 0, count: 6 - arguments.count)
            var samples = [Double]()
            for _ in 0 ..< batches {
                let start = Self.now()
                for _ in 0 ..< calls {
                    _ = cbpf_syscall6(number, a[0], a[1], a[2], a[3], a[4], a[5])
                }
                samples.append(Double(Self.now() - start) / Double(calls))
            }
            samples.sort()
            print("\(name) \(samples[samples.count / 2])")
        }
    }

    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
