// Times Docker's default seccomp profile in the kernel: our filter against libseccomp's.
//
//   swift run -c release --scratch-path .build-s2 SeccompBenchmark [--rounds N] [--calls N]
//       [--batches N] [--cpu N] [--profile PATH] [--arch x86_64[,x86,x32]]
//   swift run -c release SeccompBenchmark --huge-policies 10000   # compile time of huge policies
//   swift run -c release SeccompBenchmark --explain --arch x86_64,x86,x32   # explaining libseccomp's filter
//
// Our filter comes from the OCI importer and SeccompCompiler (x86_64, Docker's default
// capabilities, the running kernel); libseccomp's from seccomp_init/seccomp_rule_add_array on
// the same policy with SCMP_FLTATR_CTL_OPTIMIZE 2, exported with seccomp_export_bpf
// (LibseccompFilter, in the LibseccompReference target). Before
// timing, both must decide every number 0-1023 of each covered architecture, and the probes, as
// the policy does.
//
// No filter is ever installed in this process. Each measurement is a child, this executable
// spawned again with posix_spawn (`--child`), pinned to one CPU, which installs one filter (none,
// ours or libseccomp's) with SeccompInstaller and times raw system calls (cbpf_syscall6) with
// CLOCK_MONOTONIC: getppid (always allowed), kexec_load (denied) and personality(0xffffffff)
// (allowed after an argument check). Each round runs the three configurations, in a rotating
// order; the table gives the median over the rounds of each child's median batch, and the
// overhead as the median over the rounds of (configuration - no filter) in the same round.
//
// The kernel's action cache lets always-allowed calls skip a filter whose dispatch it can
// emulate; "cached" after a probe's instruction count says it does, by the kernel's own rule
// (SeccompActionCache, in the Seccomp module).

import ArgumentParser
import BenchmarkSupport
import CBPF
import CLinuxShims
import CSeccomp
import Foundation
import Glibc
import LibseccompReference
import Seccomp

if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "--child" {
    Child.main(Array(CommandLine.arguments.dropFirst(2)))
}

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SeccompBenchmark",
        abstract: "Time system calls with no filter, with ours and with libseccomp's.")

    @Option(help: "Rounds of the three configurations in rotating order.")
    var rounds = 21
    @Option(help: "Calls per batch.")
    var calls = 5_000
    @Option(help: "Batches per probe.")
    var batches = 31
    @Option(help: "The CPU the children are pinned to.")
    var cpu: Int32?
    @Option(name: .customLong("profile"), help: "Docker's default profile (default: the shared corpus's).")
    var profilePath: String?
    @Option(name: .customLong("arch"), help: "The architectures the filter covers, such as x86_64 or x86_64,x86,x32.",
            transform: Options.architectures)
    var architectures: [SeccompArchitecture] = [.x86_64]
    @Option(help: "Instead of the kernel timings: time compiling policies of N rules, hostile input (issue 9).")
    var hugePolicies: Int?
    @Flag(help: "Instead of the kernel timings: time explaining libseccomp's filter for the profile (ExplainTimings.swift).")
    var explain = false
    @Option(help: "With --explain: print libseccomp's -O2 filter (bytecode or d) and stop.")
    var printFilter: String?

    static func architectures(_ list: String) throws -> [SeccompArchitecture] {
        let architectures = try list.split(separator: ",").map { name in
            guard let architecture = SeccompArchitecture(name: String(name)) else {
                throw ValidationError("--arch: unknown architecture \"\(name)\"")
            }
            return architecture
        }
        if architectures.isEmpty { throw ValidationError("--arch is empty") }
        return architectures
    }

    func validate() throws {
        for (flag, value) in [("--rounds", rounds), ("--calls", calls), ("--batches", batches)] where value <= 0 {
            throw ValidationError("\(flag) needs a positive integer")
        }
        if let cpu, cpu < 0 { throw ValidationError("--cpu needs a CPU number") }
        if let hugePolicies, hugePolicies <= 0 { throw ValidationError("--huge-policies needs a positive integer") }
    }
}

/// Docker's default profile in the shared corpus next to the package.
func defaultProfilePath() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/corpus/seccomp/docker-default.json").path
}

/// The CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status).
func allowedCPUs() -> [Int32] {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
    else { return [] }
    let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
    return list.split(separator: ",").flatMap { part -> [Int32] in
        let bounds = part.split(separator: "-").compactMap { Int32($0) }
        guard let first = bounds.first else { return [] }
        return Array(first ... (bounds.last ?? first))
    }
}

func machineFacts() -> [String] {
    var name = utsname()
    uname(&name)
    func field<T>(_ value: T) -> String {
        withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
    let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        ?? "unknown CPU"
    let ssb = (try? String(contentsOfFile: "/sys/devices/system/cpu/vulnerabilities/spec_store_bypass", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    let jit = (try? String(contentsOfFile: "/proc/sys/net/core/bpf_jit_enable", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    return [
        "kernel: \(field(name.sysname)) \(field(name.release)) \(field(name.machine)); net.core.bpf_jit_enable \(jit)",
        "CPUs: \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) online (\(model))",
        "libseccomp \(LibseccompVersion.current); spec_store_bypass: \(ssb)",
    ]
}

func format(_ value: Double, _ decimals: Int = 1) -> String {
    String(format: "%.\(decimals)f", value)
}

func signed(_ value: Double) -> String {
    (value >= 0 ? "+" : "") + format(value)
}

// MARK: - The run

func runBenchmark(_ options: Options) -> Never {
    if let count = options.hugePolicies { runHugePolicyTimings(count: count) }
    if options.explain { runExplainTimings(options) }
    guard SeccompArchitecture.native == .x86_64 else {
        fail("SeccompBenchmark times Docker's x86_64 filter and must run on x86_64 (this is \(SeccompArchitecture.native))")
    }
    let profilePath = options.profilePath ?? defaultProfilePath()
    guard let profileText = try? String(contentsOfFile: profilePath, encoding: .utf8) else {
        fail("cannot read Docker's default profile at \(profilePath): the shared corpus is absent; pass --profile PATH")
    }

    let policy: SeccompPolicy
    let resolved: ResolvedSeccompPolicy
    let ours: Program
    let theirs: Program
    let probes: [Probe]
    do {
        let importOptions = OCIProfileImportOptions(
            architecture: options.architectures[0], includesSubArchitectures: options.architectures.count > 1,
            capabilities: OCIProfileImportOptions.dockerDefaultCapabilities)
        var imported = try OCISeccompProfile(json: profileText).policy(options: importOptions).policy
        for architecture in options.architectures where !imported.architectures.contains(architecture) {
            throw BenchmarkError(
                "the import does not cover \(architecture) (it covers "
                    + imported.architectures.map(\.name).joined(separator: ", ") + ")")
        }
        imported.architectures = options.architectures
        policy = imported
        resolved = try policy.resolve()
        ours = try SeccompCompiler().compile(resolved)
        theirs = try LibseccompFilter.program(for: policy, optimization: 2)
        probes = try Probe.all()
    } catch {
        fail("SeccompBenchmark: \(error)")
    }

    // Both filters must decide as the policy before their speed means anything.
    var checked = 0
    var mismatches = [String]()
    do {
        let deciders = [("ours", try Interpreter(ours, for: .seccomp)), ("libseccomp", try Interpreter(theirs, for: .seccomp))]
        // Every number 0-1023 of each covered convention (x32's with bit 30), and the probes with
        // values of arg0 around personality's allowed ones.
        var calls = [SeccompData]()
        for architecture in policy.architectures {
            let base: Int32 = architecture.usesX32SyscallBit ? Int32(bitPattern: SeccompArchitecture.x32SyscallBit) : 0
            calls += (0 ..< 1024).map { SeccompData(emulating: architecture, number: base + Int32($0)) }
        }
        for probe in probes {
            calls.append(probe.seccompData)
            for value: UInt64 in [0, 8, 0x2_0000, 0x2_0008, 0xffff_ffff, 1, 0x1_ffff_ffff, .max] {
                calls.append(SeccompData(emulating: .x86_64, number: Int32(probe.number), arguments: [value, 0, 0, 0, 0, 0]))
            }
        }
        for data in calls {
            let expected = resolved.action(for: data).returnValue
            for (name, interpreter) in deciders {
                let actual = interpreter.run(seccomp: data)
                checked += 1
                if actual != expected {
                    mismatches.append(
                        "\(name): nr \(data.number) args \(data.arguments): \(SeccompAction(returnValue: actual)), "
                            + "policy \(SeccompAction(returnValue: expected))")
                }
            }
        }
    } catch {
        fail("SeccompBenchmark: \(error)")
    }
    if !mismatches.isEmpty {
        fail("the filters do not decide as the policy:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }

    let cpus = allowedCPUs()
    let cpu = options.cpu ?? cpus.last ?? -1
    let configurations: [(name: String, bytecode: String)] = [
        ("none", "none"), ("ours", BytecodeString.format(ours)), ("libseccomp", BytecodeString.format(theirs)),
    ]

    print("SeccompBenchmark: Docker's default profile in the kernel, ours against libseccomp")
    for fact in machineFacts() { print(fact) }
    print("children pinned to CPU \(cpu) (of \(cpus.map(String.init).joined(separator: ",")))")
    print(
        "profile: \(profilePath), for \(policy.architectures.map(\.name).joined(separator: "+")), "
            + "Docker's default capabilities, kernel \(OCISeccompProfile.KernelVersion.running?.description ?? "?")")
    print("filters: ours \(ours.count) instructions (SeccompCompiler); libseccomp \(theirs.count) instructions "
          + "(SCMP_FLTATR_CTL_OPTIMIZE 2, seccomp_export_bpf)")
    // Instructions executed per call over numbers 0-459 of each architecture, arguments zero.
    for (name, program) in [("ours", ours), ("libseccomp", theirs)] {
        guard let statistics = try? SeccompFilterStatistics(program: program, policy: resolved, syscallCount: 460) else {
            continue
        }
        let figures = statistics.architectures.map { figures in
            "\(figures.architecture) mean \(format(figures.meanExecutedInstructions, 2)) max \(figures.maximumExecutedInstructions)"
        }
        print("  \(pad(name, 10)) executed per call (numbers 0-459, zero arguments): " + figures.joined(separator: ", "))
    }
    print("decisions: both agree with the policy on \(checked / 2) calls (numbers 0-1023 of "
          + policy.architectures.map(\.name).joined(separator: ", ") + "; the probes with 8 values of arg0)")
    print("\(options.rounds) rounds x 3 configurations (rotating order); each child: \(options.batches) batches "
          + "of \(options.calls) calls per probe, its median batch")
    print("")

    // results[configuration][probe] = ns/call of each round.
    var results = [[[Double]]](repeating: [[Double]](repeating: [], count: probes.count), count: configurations.count)
    let parentPID = Int(getpid())
    for round in 0 ..< options.rounds {
        for step in 0 ..< configurations.count {
            let index = (round + step) % configurations.count
            let configuration = configurations[index]
            let outcome: ChildOutcome
            do {
                outcome = try spawnSelf([
                    "--child", configuration.name, configuration.bytecode, String(options.calls),
                    String(options.batches), String(cpu),
                ])
            } catch {
                fail("SeccompBenchmark: \(error)")
            }
            guard outcome.signal == 0, outcome.exitStatus == 0 else {
                fail("the \(configuration.name) child ended with status \(outcome.exitStatus), signal \(outcome.signal)")
            }
            var seen = 0
            for line in outcome.output.split(separator: "\n") {
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count == 5, fields[0] == "probe",
                    let probeIndex = probes.firstIndex(where: { $0.name == fields[1] }),
                    let nanoseconds = Double(fields[2]), let result = Int(fields[3]), let error = Int32(fields[4])
                else { continue }
                let probe = probes[probeIndex]
                // What each call must have done: the filter's decision, seen from the child.
                let filtered = configuration.name != "none"
                let correct: Bool
                switch probe.name {
                case "getppid": correct = result == parentPID
                case "kexec_load": correct = result == -1 && (!filtered || error == EPERM)
                default: correct = result >= 0
                }
                guard correct else {
                    fail("the \(configuration.name) child's \(probe.label) returned \(result) (errno \(error))")
                }
                results[index][probeIndex].append(nanoseconds)
                seen += 1
            }
            guard seen == probes.count else { fail("the \(configuration.name) child printed:\n\(outcome.output)") }
        }
        printError("round \(round + 1)/\(options.rounds) done")
    }

    // MARK: - The table

    func executed(_ program: Program, _ probe: Probe) -> String {
        let cache = try? SeccompActionCache(program)
        let cached = cache?.isConstantAllow(number: Int32(probe.number), architecture: .x86_64) ?? false
        let count = (try? CountingSeccompEvaluator(program).run(probe.seccompData).executedInstructions) ?? 0
        return cached ? "\(count), cached" : "\(count)"
    }

    let none = 0
    let oursIndex = 1
    let theirsIndex = 2
    func overheads(_ configuration: Int, _ probe: Int) -> [Double] {
        zip(results[configuration][probe], results[none][probe]).map { $0 - $1 }
    }

    print("ns per call, median of \(options.rounds) rounds; overhead = median of the per-round differences from no filter")
    print("")
    let header = [
        pad("probe", 25), pad("no filter", 10, right: true), pad("ours", 9, right: true),
        pad("libseccomp", 11, right: true), pad("ours +", 9, right: true), pad("libseccomp +", 13, right: true),
        "  target (ours + <= libseccomp +)",
    ]
    print(header.joined())
    print(String(repeating: "-", count: header.joined().count))
    var allMet = true
    for (index, probe) in probes.enumerated() {
        let oursOverhead = median(overheads(oursIndex, index))
        let theirsOverhead = median(overheads(theirsIndex, index))
        // Noise: the interquartile range of the per-round overheads.
        let noise = max(
            percentile(overheads(oursIndex, index), 0.75) - percentile(overheads(oursIndex, index), 0.25),
            percentile(overheads(theirsIndex, index), 0.75) - percentile(overheads(theirsIndex, index), 0.25))
        let verdict: String
        // Compared as printed, to a tenth of a nanosecond.
        if (oursOverhead * 10).rounded() <= (theirsOverhead * 10).rounded() {
            verdict = "met"
        } else if oursOverhead - theirsOverhead <= noise {
            verdict = "within noise (+\(format(oursOverhead - theirsOverhead)) ns, IQR \(format(noise)) ns)"
        } else {
            verdict = "NOT met (+\(format(oursOverhead - theirsOverhead)) ns)"
            allMet = false
        }
        print(
            [
                pad(probe.label, 25), pad(format(median(results[none][index])), 10, right: true),
                pad(format(median(results[oursIndex][index])), 9, right: true),
                pad(format(median(results[theirsIndex][index])), 11, right: true),
                pad(signed(oursOverhead), 9, right: true), pad(signed(theirsOverhead), 13, right: true),
                "  " + verdict,
            ].joined())
    }
    print("")
    print("instructions executed per probe (\"cached\": the kernel's action cache allows the call without running the filter)")
    for probe in probes {
        print("  \(pad(probe.label, 25)) ours \(pad(executed(ours, probe), 12)) libseccomp \(executed(theirs, probe))")
    }
    print("")
    print("per-round spread (min .. max ns/call)")
    for (index, probe) in probes.enumerated() {
        let spreads = (0 ..< configurations.count).map { configuration in
            let values = results[configuration][index]
            return "\(configurations[configuration].name) \(format(values.min() ?? .nan))..\(format(values.max() ?? .nan))"
        }
        print("  \(pad(probe.label, 25)) " + spreads.joined(separator: "   "))
    }
    print("")
    print(allMet ? "target met on every probe" : "target NOT met on every probe")
    exit(allMet ? 0 : 1)
}

runBenchmark(Options.parseOrExit())
