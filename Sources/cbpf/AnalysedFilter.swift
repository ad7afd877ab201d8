import CBPF
import Seccomp

/// A filter as the forensics commands print it: a label, a header line when the input is not
/// a single program, and its analysis.
struct AnalysedFilter {
    var label: String
    var header: String?
    var analysis: SeccompFilterAnalysis
}

extension AnalysisLimitOptions {
    /// The filters of a process analysed: all of them combined, as the kernel applies them, or
    /// the one `index` picks.
    func analyseFilters(ofProcess pid: Int32, index: Int?, command: String) throws -> AnalysedFilter {
        let programs: [Program]
        do {
            programs = try SeccompFilterReader.filters(ofProcess: pid)
        } catch {
            throw InputError("\(error)")
        }
        let filters = try select(programs, index: index, owner: "process \(pid)")
        if filters.count == 1, let only = filters.first {
            let alone = programs.count > 1
                ? " (alone; the kernel applies the most restrictive action of all \(programs.count) to each call)" : ""
            return AnalysedFilter(
                label: only.label, header: "\(only.label): \(only.program.count) instructions\(alone)",
                analysis: try analyse(only.program, label: only.label))
        }
        let analyses = try filters.map { try analyse($0.program, label: $0.label) }
        return AnalysedFilter(
            label: "process \(pid), its \(filters.count) filters combined",
            header: "process \(pid): \(filters.count) filters, analysed together as the kernel applies them to each "
                + "call (cbpf seccomp \(command) --pid \(pid) --index N for one of them)",
            analysis: SeccompFilterAnalysis(stacking: analyses)!)
    }
}
