import CBPF

/// A part of the printed table: one convention, or a row of other values.
struct FormattedSection {
    var title: String
    var convention: SeccompArchitecture?
    var bigEndian: Bool
    var ranges: [SeccompNumberRangeDecision]
}
