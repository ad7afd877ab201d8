import CBPF

extension SeccompFilterAnalysis {
    /// The forms in which ``formatted(_:)`` prints an analysis.
    public enum TextFormat: String, Hashable, Sendable, CaseIterable {
        /// A decision table for people: per architecture, number ranges with their names and
        /// actions, and the conditions on arguments as first-match lists.
        case table
        /// The same table as JSON, for tools.
        case json
    }

    /// The decision table as text.
    public func formatted(_ format: TextFormat) -> String {
        switch format {
        case .table: tableText()
        case .json: jsonText()
        }
    }

    /// The rows as the table and JSON print them: each known convention on its own, other
    /// values as they are.
    var sections: [FormattedSection] {
        architectures.flatMap { row -> [FormattedSection] in
            let conventions = row.conventions
            if conventions.isEmpty {
                return [FormattedSection(title: sectionTitle(row, nil), convention: nil, bigEndian: row.isBigEndian,
                                         ranges: row.numberRanges)]
            }
            return conventions.map { convention in
                FormattedSection(title: sectionTitle(row, convention), convention: convention.architecture,
                                 bigEndian: row.isBigEndian, ranges: convention.numberRanges)
            }
        }
    }

    private func sectionTitle(_ row: SeccompArchitectureDecisions, _ convention: SeccompConventionDecisions?) -> String {
        if let convention, let audit = row.auditArchitecture {
            let value = "arch 0x" + String(audit.rawValue, radix: 16)
            switch convention.architecture {
            case .x86_64: return "x86_64 (\(value), numbers below 0x40000000, and -1)"
            case .x32: return "x32 (\(value), numbers from 0x40000000)"
            default: return "\(convention.architecture) (\(value))"
            }
        }
        if let audit = row.auditArchitecture {
            return "arch 0x" + String(audit.rawValue, radix: 16) + " (not an architecture libseccomp knows)"
        }
        let named = Set(architectures.compactMap(\.auditArchitecture))
        if !named.isEmpty, row.auditValues.count == named.count + 1 || row.auditValues.count == named.count {
            let list = named.sorted { $0.rawValue < $1.rawValue }.map { "0x" + String($0.rawValue, radix: 16) }
            return "every other architecture (arch not " + list.joined(separator: ", ") + ")"
        }
        return "arch " + row.auditValues.map(Self.rangeText).joined(separator: ", ")
    }

    static func numberText(_ value: UInt32) -> String {
        value < 0x1_0000 ? String(value) : "0x" + String(value, radix: 16)
    }

    static func rangeText(_ range: ClosedRange<UInt32>) -> String {
        range.lowerBound == range.upperBound
            ? numberText(range.lowerBound) : numberText(range.lowerBound) + "-" + numberText(range.upperBound)
    }

    /// The names libseccomp gives the numbers of a range in a convention, and how many have none.
    static func names(in range: ClosedRange<UInt32>, of architecture: SeccompArchitecture?) -> (names: [String], unnamed: UInt64) {
        let size = UInt64(range.upperBound) - UInt64(range.lowerBound) + 1
        guard let architecture, let known = try? architecture.knownSyscallNumbers() else { return ([], size) }
        let names = known.map { UInt32(bitPattern: $0) }.filter { range.contains($0) }.sorted()
            .compactMap { architecture.syscallName(forNumber: Int32(bitPattern: $0)) }
        return (names, size - UInt64(names.count))
    }

    /// The rules of a decision with conditions as a policy writes them where it can.
    static func ruleTexts(_ decision: SeccompArgumentDecision, architecture: SeccompArchitecture?, bigEndian: Bool)
        -> [(conditions: String, outcome: String)]?
    {
        guard let rules = decision.rules() else { return nil }
        if let architecture, let fallback = rules.last?.outcome, let fallbackAction = fallback.action,
            let single = SingleArgumentRules.rules(
                decision, fallback: fallbackAction, sixtyFourBitArguments: architecture.hasSixtyFourBitArguments,
                bigEndian: bigEndian)
        {
            return single.map { rule in
                (rule.conditions.map(\.description).joined(separator: " && "), rule.action.description)
            } + [("otherwise", fallback.description)]
        }
        return rules.map { rule in
            var text = rule.conditions.map { $0.description(bigEndian: bigEndian) }.joined(separator: " && ")
            if let architecture, case .success(let conditions) = ArgumentConditionTranslation.conditions(
                rule.conditions, sixtyFourBitArguments: architecture.hasSixtyFourBitArguments, bigEndian: bigEndian)
            {
                text = conditions.map(\.description).joined(separator: " && ")
            }
            return (text.isEmpty ? "otherwise" : text, rule.outcome.description)
        }
    }

    private func summaryLines() -> [String] {
        var lines = ["filter: \(program.count) instructions, \(pathCount) paths"]
        if isStack {
            lines = ["stack of \(stackedFilters.count) filters, in the order installed (the last is the newest): "
                + stackedFilters.map { "\($0.program.count)" }.joined(separator: ", ") + " instructions, \(pathCount) paths",
                "combined: each call gets the most restrictive of the filters' actions (KILL_PROCESS > KILL_THREAD > TRAP "
                    + "> ERRNO > USER_NOTIF > TRACE > LOG > ALLOW; of equal actions, the newest filter's)"]
        }
        if let limitReached { lines.append("incomplete: \(limitReached)") }
        let gapCount = gaps.count
        if gapCount > 0 { lines.append("undetermined: \(gapCount) ranges the analysis cannot decide (see below)") }
        if limitReached == nil, gapCount == 0 { lines.append("every call decided") }
        for (index, filter) in (isStack ? stackedFilters : [self]).enumerated() where !filter.unreachableInstructions.isEmpty {
            lines.append("unreachable instructions" + (isStack ? " of filter \(index)" : "") + ": "
                + filter.unreachableInstructions.map {
                    $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)"
                }.joined(separator: ", "))
        }
        return lines
    }

    private func tableText() -> String {
        var lines = summaryLines()
        for section in sections {
            lines.append("")
            lines.append(section.title + ":")
            for range in section.ranges {
                let numbers = Self.rangeText(range.numbers)
                let (names, unnamed) = Self.names(in: range.numbers, of: section.convention)
                var nameText: String
                if names.isEmpty {
                    nameText = section.convention == nil ? "" : "(no name)"
                } else if names.count <= 4 {
                    nameText = names.joined(separator: " ")
                } else {
                    nameText = names.prefix(2).joined(separator: " ") + " ... " + names.last! + " (\(names.count) calls)"
                }
                if !names.isEmpty, unnamed > 0 { nameText += " +\(unnamed) unnamed" }
                let head = "  " + pad(numbers, 22) + " " + nameText
                if let outcome = range.decision.outcome {
                    lines.append(pad(head, 72) + " " + outcome.description)
                    continue
                }
                lines.append(head)
                guard let rules = Self.ruleTexts(range.decision, architecture: section.convention, bigEndian: section.bigEndian)
                else {
                    lines.append("      (more than 10000 rules on the arguments)")
                    continue
                }
                for rule in rules {
                    lines.append(pad("      " + rule.conditions, 72) + " " + rule.outcome)
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func jsonText() -> String {
        typealias Value = JSONWriter.Value
        let sections = sections.map { section -> Value in
            let ranges = section.ranges.map { range -> Value in
                let (names, unnamed) = Self.names(in: range.numbers, of: section.convention)
                var members: [(String, Value)] = [
                    ("first", .unsigned(UInt64(range.numbers.lowerBound))), ("last", .unsigned(UInt64(range.numbers.upperBound))),
                    ("names", .inlineArray(names.map { .string($0) })), ("unnamed", .unsigned(UInt64(unnamed))),
                ]
                if let outcome = range.decision.outcome {
                    members.append(("outcome", .string(outcome.description)))
                } else if let rules = Self.ruleTexts(range.decision, architecture: section.convention, bigEndian: section.bigEndian) {
                    members.append(("rules", .inlineArray(rules.map {
                        .inlineObject([("conditions", .string($0.conditions)), ("outcome", .string($0.outcome))])
                    })))
                } else {
                    members.append(("rules", .null))
                }
                return .inlineObject(members)
            }
            return .object([
                ("title", .string(section.title)),
                ("architecture", section.convention.map { .string($0.name) } ?? .null),
                ("ranges", .array(ranges)),
            ])
        }
        func ranges(_ ranges: [ClosedRange<Int>]) -> Value {
            .inlineArray(ranges.map { .inlineArray([.unsigned(UInt64($0.lowerBound)), .unsigned(UInt64($0.upperBound))]) })
        }
        var members: [(String, Value)] = [("instructions", .unsigned(UInt64(program.count)))]
        if isStack {
            members.append(("stack", .inlineArray(stackedFilters.map { filter in
                .inlineObject([
                    ("instructions", .unsigned(UInt64(filter.program.count))),
                    ("unreachableInstructions", ranges(filter.unreachableInstructions)),
                ])
            })))
        }
        members += [
            ("paths", .unsigned(UInt64(pathCount))),
            ("complete", .bool(isComplete)),
            ("limitReached", limitReached.map { .string($0.description) } ?? .null),
            ("unreachableInstructions", ranges(unreachableInstructions)),
            ("sections", .array(sections)),
        ]
        return String(JSONWriter.write(.object(members)).dropLast())  // the caller ends the line
    }
}
