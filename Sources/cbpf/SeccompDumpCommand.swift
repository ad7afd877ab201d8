import ArgumentParser
import CBPF
import Seccomp

struct SeccompDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the seccomp filters a running process is under.",
        discussion: """
            The filters are read with PTRACE_SECCOMP_GET_FILTER: cbpf attaches to the process \
            (PTRACE_SEIZE), stops it (PTRACE_INTERRUPT), copies each filter and detaches; the \
            process then goes on. The kernel shows filters only to a caller with CAP_SYS_ADMIN \
            that runs under no filter itself. Filter 0 is the one installed first, the last one \
            the newest; the kernel runs them all, the newest first, and takes the most \
            restrictive action. --format explain prints a table per filter; for what the \
            filters decide together, use cbpf seccomp explain --pid PID.

            --self reads cbpf's own filters from a child it forks for the purpose (a process \
            cannot trace itself); since a filtered process may not read filters, it can only \
            report that cbpf runs under none, or that it runs under some and must be read from \
            outside with a PID.

            Examples:
              cbpf seccomp dump 1234
              cbpf seccomp dump 1234 --index 0 --format d
              cbpf seccomp dump $(pidof dockerd) --format explain
              cbpf seccomp dump --self
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case d, ddd, bytecode, explain
    }

    @Argument(help: "The process (or thread) id.")
    var pid: Int32?
    @Flag(name: .customLong("self"), help: "This process's own filters (see below).")
    var ofSelf = false
    @Option(help: "Only the filter with this index (0 is the oldest, the first installed).")
    var index: Int?
    @Option(help: "d (tcpdump -d listing), ddd (tcpdump -ddd), bytecode (tc's string) or explain (a decision table).")
    var format: Format = .d
    @OptionGroup var limits: AnalysisLimitOptions

    func validate() throws {
        if (pid == nil) == !ofSelf { throw ValidationError("give a process id or --self") }
        if let index, index < 0 { throw ValidationError("--index: expected 0 or more, got \(index)") }
    }

    func run() throws {
        let filters: [(label: String, program: Program)]
        if let pid {
            filters = try readFilters(ofProcess: pid, index: index)
        } else {
            do {
                filters = try select(SeccompFilterReader.filtersOfCallingThread(), index: index, owner: "this process")
            } catch let error as SeccompFilterReadError {
                throw InputError("--self: \(error)")
            }
        }
        for (offset, filter) in filters.enumerated() {
            if filters.count > 1 {
                if offset > 0 { print("") }
                print("# \(filter.label): \(filter.program.count) instructions")
            }
            switch format {
            case .d: print(TcpdumpFormat.format(filter.program, style: .listing), terminator: "")
            case .ddd: print(TcpdumpFormat.format(filter.program, style: .decimal), terminator: "")
            case .bytecode: print(BytecodeString.format(filter.program))
            case .explain: print(try limits.analyse(filter.program, label: filter.label).formatted(.table))
            }
        }
    }
}
