import ArgumentParser
import CBPF
import Seccomp

/// The two filters `cbpf seccomp diff` compares, each a program, a running process's filters,
/// a policy or a profile: the options of `audit`, any of which may be given twice.
struct SeccompDiffInputs: ParsableArguments {
    @Argument(help: ArgumentHelp(
        """
        A filter: a bytecode string, tcpdump -dd or -ddd text, a file holding one of those or raw \
        struct sock_filter bytes, or - for standard input.
        """, valueName: "program"))
    var programs: [String] = []
    @Option(help: "The filters of this running process (or thread), combined as the kernel applies them (needs root).")
    var pid: [Int32] = []
    @Option(help: "With --pid: only the filter with this index (0 is the oldest, the first installed), on its own.")
    var index: Int?
    @Option(help: "A policy in the native text format, compiled with SeccompCompiler.")
    var policy: [String] = []
    @Option(help: "A Docker/OCI seccomp profile (JSON), compiled with SeccompCompiler.")
    var profile: [String] = []
    @Option(help: "With --profile: the container's capabilities (docker-default, all, none, or a list).")
    var caps: String?
    @Option(help: "With --policy or --profile: the architectures the filter covers (default: the input's).")
    var arch: String?

    func validate() throws {
        let count = programs.count + pid.count + policy.count + profile.count
        if count != 2 {
            throw ValidationError(
                "give two filters, each a program, --pid, --policy or --profile (got \(count))")
        }
        if programs.filter({ $0 == "-" }).count > 1 { throw ValidationError("only one of the filters can be standard input") }
        if index != nil, pid.isEmpty { throw ValidationError("--index goes with --pid") }
        if let index, index < 0 { throw ValidationError("--index: expected 0 or more, got \(index)") }
        if policy.isEmpty, profile.isEmpty, caps != nil || arch != nil {
            throw ValidationError("--caps and --arch go with --policy or --profile")
        }
    }

    /// Both filters analysed, in the order programs, --policy, --profile, --pid.
    func analysed(_ limits: AnalysisLimitOptions) throws -> (AnalysedFilter, AnalysedFilter) {
        var filters = [AnalysedFilter]()
        for program in programs {
            let label = displayName(ofPath: program)
            filters.append(AnalysedFilter(label: label, header: nil, analysis: try limits.analyse(try readSeccompProgram(program), label: label)))
        }
        for (path, isProfile) in policy.map({ ($0, false) }) + profile.map({ ($0, true) }) {
            let input = OptionalPolicyInput(
                policy: isProfile ? nil : path, profile: isProfile ? path : nil, caps: caps, arch: arch)
            filters.append(AnalysedFilter(
                label: input.sourceName, header: nil, analysis: try limits.analyse(try input.compile(), label: input.sourceName)))
        }
        for process in pid {
            filters.append(try limits.analyseFilters(ofProcess: process, index: index, command: "diff"))
        }
        return (filters[0], filters[1])
    }
}
