import CBPF

/// A calling convention of a row of a decision table: the architecture libseccomp names, and
/// the numbers of the row that are its own.
public struct SeccompConventionDecisions: Hashable, Sendable {
    /// The convention.
    public var architecture: SeccompArchitecture
    /// Its part of the row's numbers: on `AUDIT_ARCH_X86_64`, x86_64 has the numbers below
    /// `0x40000000` and `0xffffffff` (-1), x32 the others; elsewhere the convention has them all.
    public var numberRanges: [SeccompNumberRangeDecision]

    /// A convention and its decisions.
    public init(architecture: SeccompArchitecture, numberRanges: [SeccompNumberRangeDecision]) {
        self.architecture = architecture
        self.numberRanges = numberRanges
    }

    /// The decision for a number of the convention.
    public func decision(forNumber number: UInt32) -> SeccompArgumentDecision? {
        numberRanges.first { $0.numbers.contains(number) }?.decision
    }

    /// The name libseccomp gives a number of this convention, if any.
    public func syscallName(forNumber number: UInt32) -> String? {
        architecture.syscallName(forNumber: Int32(bitPattern: number))
    }
}

extension SeccompArchitectureDecisions {
    /// The conventions libseccomp knows for the row's single architecture value, each with its
    /// numbers (two for `AUDIT_ARCH_X86_64`: x86_64 and x32); none for a row of several values or
    /// of a value libseccomp does not know.
    public var conventions: [SeccompConventionDecisions] {
        guard let audit = auditArchitecture else { return [] }
        let candidates = SeccompArchitecture.all.filter { $0.auditArchitecture == audit && $0.isSupportedByLibseccomp }
        if audit == .x86_64 {
            var result = [SeccompConventionDecisions]()
            if candidates.contains(.x86_64) {
                result.append(SeccompConventionDecisions(
                    architecture: .x86_64, numberRanges: clipped(to: [0 ... 0x3fff_ffff, 0xffff_ffff ... 0xffff_ffff])))
            }
            if candidates.contains(.x32) {
                result.append(SeccompConventionDecisions(
                    architecture: .x32, numberRanges: clipped(to: [0x4000_0000 ... 0xffff_fffe])))
            }
            return result
        }
        guard let architecture = candidates.first else { return [] }
        return [SeccompConventionDecisions(architecture: architecture, numberRanges: numberRanges)]
    }

    /// The number ranges cut to `windows`.
    func clipped(to windows: [ClosedRange<UInt32>]) -> [SeccompNumberRangeDecision] {
        var result = [SeccompNumberRangeDecision]()
        for window in windows {
            for range in numberRanges where range.numbers.overlaps(window) {
                let low = max(range.numbers.lowerBound, window.lowerBound)
                let high = min(range.numbers.upperBound, window.upperBound)
                result.append(SeccompNumberRangeDecision(numbers: low ... high, decision: range.decision))
            }
        }
        return result
    }

    /// A name for the row: `x86_64`, `arch 0x1234`, or `every other architecture`.
    public var name: String {
        if let audit = auditArchitecture {
            if audit == .x86_64 { return "x86_64/x32" }
            let known = SeccompArchitecture.all.first { $0.auditArchitecture == audit }
            return known?.name ?? "arch 0x" + String(audit.rawValue, radix: 16)
        }
        return "other architectures"
    }
}
