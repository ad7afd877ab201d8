import BenchmarkSupport
import CBPF
import CLinuxShims
import Glibc
import Seccomp
import SystemCalls

/// A system call the children time.
struct Probe: Sendable {
    var name: String
    /// What the table calls it: `personality(0xffffffff)`.
    var label: String
    var number: Int
    var arguments: [UInt]

    /// The probes of the issue: an always-allowed call, a denied one, and one whose argument
    /// the filter checks. kexec_load gets more segments than `KEXEC_SEGMENT_MAX`, so that
    /// without a filter it fails (`EINVAL`, `EPERM` or `ENOSYS`) before it could change anything;
    /// personality(0xffffffff) only asks for the current personality.
    static func all() throws -> [Probe] {
        func number(_ name: String) throws -> Int {
            guard case .number(let number) = try SeccompArchitecture.native.resolve(name) else {
                throw BenchmarkError("\(name) has no number of its own on \(SeccompArchitecture.native)")
            }
            return Int(number)
        }
        return [
            Probe(name: "getppid", label: "getppid()", number: try number("getppid"), arguments: [0, 0, 0, 0, 0, 0]),
            Probe(
                name: "kexec_load", label: "kexec_load(0, ~0, 0, 0)", number: try number("kexec_load"),
                arguments: [0, UInt.max, 0, 0, 0, 0]),
            Probe(
                name: "personality", label: "personality(0xffffffff)", number: try number("personality"),
                arguments: [0xffff_ffff, 0, 0, 0, 0, 0]),
        ]
    }

    var seccompData: SeccompData {
        SeccompData(emulating: .native, number: Int32(number), arguments: arguments.map { UInt64($0) })
    }
}

/// What a child measured for one probe.
struct ProbeMeasurement: Sendable {
    var nanosecondsPerCall: Double
    /// The result and errno of one more call, to check the filter did what it should.
    var result: Int
    var error: Int32
}

/// A child process: pins itself to a CPU, installs one filter (or none), and times the probes.
///
/// Arguments after `--child`: the configuration name, the filter as a bytecode string or
/// `none`, calls per batch, batches, and the CPU (or -1). It prints one line per probe:
/// `probe NAME NS_PER_CALL RESULT ERRNO`, and exits 0; or a message on standard error and 2.
enum Child {
    static func main(_ arguments: [String]) -> Never {
        guard arguments.count == 5, let calls = Int(arguments[2]), let batches = Int(arguments[3]),
            let cpu = Int32(arguments[4]), calls > 0, batches > 0
        else {
            fail("child: bad arguments \(arguments)")
        }
        if cpu >= 0 {
            var saved = cbpf_cpu_mask()
            if cbpf_pin_thread_to_cpu(cpu, &saved) != 0 { fail("child: cannot pin to CPU \(cpu): errno \(errno)") }
        }
        // The same no-new-privileges state in every configuration: only the filter differs.
        if cbpf_set_no_new_privs() != 0 { fail("child: prctl(PR_SET_NO_NEW_PRIVS): errno \(errno)") }
        if arguments[1] != "none" {
            do {
                let program = try Program(bytecodeString: arguments[1])
                try SeccompInstaller().install(program)
            } catch {
                fail("child \(arguments[0]): cannot install the filter: \(error)")
            }
        }
        let probes: [Probe]
        do {
            probes = try Probe.all()
        } catch {
            fail("child: \(error)")
        }
        // Warm up, then time the probes in turn, batch by batch; report each probe's median batch.
        for probe in probes { _ = time(probe, calls: max(1, calls / 10)) }
        var samples = [[Double]](repeating: [], count: probes.count)
        for _ in 0 ..< batches {
            for (index, probe) in probes.enumerated() {
                samples[index].append(time(probe, calls: calls))
            }
        }
        for (index, probe) in probes.enumerated() {
            errno = 0
            let a = probe.arguments
            let result = cbpf_syscall6(probe.number, a[0], a[1], a[2], a[3], a[4], a[5])
            let error = result < 0 ? errno : 0
            print("probe \(probe.name) \(median(samples[index])) \(result) \(error)")
        }
        exit(0)  // flushes standard output
    }

    /// Nanoseconds per call over `calls` calls, timed with `CLOCK_MONOTONIC` (a vDSO call, which
    /// no filter sees).
    @inline(never)
    static func time(_ probe: Probe, calls: Int) -> Double {
        let number = probe.number
        let a = probe.arguments
        let (a0, a1, a2, a3, a4, a5) = (a[0], a[1], a[2], a[3], a[4], a[5])
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        for _ in 0 ..< calls {
            _ = cbpf_syscall6(number, a0, a1, a2, a3, a4, a5)
        }
        clock_gettime(CLOCK_MONOTONIC, &end)
        let nanoseconds = Double(end.tv_sec - start.tv_sec) * 1e9 + Double(end.tv_nsec - start.tv_nsec)
        return nanoseconds / Double(calls)
    }
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let position = fraction * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(sorted.count - 1, lower + 1)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let count = (try? valueOrErrno { bytes.withUnsafeBytes { write(2, $0.baseAddress! + done, $0.count - done) } }) ?? -1
        if count <= 0 { return }
        done += count
    }
}

func fail(_ message: String) -> Never {
    printError(message)
    exit(2)
}
