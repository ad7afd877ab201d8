import CBPF

/// The native text format of a ``SeccompPolicy`` (`cbpf ... --policy FILE`).
///
/// One directive or rule per line; `#` starts a comment that runs to the end of the line; blank
/// lines are ignored. Words are separated by spaces or tabs; action and directive names are
/// case-insensitive and accept `_` for `-` (`KILL_PROCESS`).
///
/// ```
/// # A small service.
/// default errno(EPERM)            # required, once
/// arch x86_64 x86                 # optional, one or more lines; `native` if absent
/// foreign-arch kill-process       # optional; kill-process if absent
/// unknown-syscalls enosys         # optional; numbers libseccomp does not know fail with ENOSYS
///
/// errno(EAFNOSUPPORT) socket arg0 == 10
/// allow socket
/// allow @basic-io @io-event       # several targets: one rule each, in order
/// allow mmap arg2 & 0x4 == 0      # masked equality: (arg2 & 0x4) == 0
/// allow ioctl arg1.lo32 == 0x5401 # compare the low 32 bits only
/// allow 451                       # a raw number libseccomp does not know
/// kill-process ptrace
/// ```
///
/// - Actions: `allow`, `log`, `kill-process` (or `kill`), `kill-thread`, `user-notif` (or
///   `notify`), `errno(NAME)` or `errno(N)` (N up to 4095), `trap(N)`, `trace(N)` (N up to
///   65535; `trap` and `trace` alone mean 0).
/// - A rule is an action, one or more targets, and optional conditions joined by `&&`. A
///   target is a system-call name (`openat`), a group (`@basic-io`, see ``SyscallGroup``), or a
///   raw number (`451`, `0x1c3`). A line with several targets is one rule for each target, with
///   the same conditions.
/// - A condition is `argN OP VALUE` or `argN & MASK == VALUE`, with N from 0 to 5 and OP one of
///   `==`, `!=`, `<`, `<=`, `>`, `>=`. `argN.lo32` compares the low 32 bits only. Numbers are
///   decimal, `0x` hexadecimal, `0o` octal or `0b` binary; a leading `-` gives the 64-bit two's
///   complement, as in C (`-1` is `0xffffffffffffffff`).
/// - Rules for a call are tried in order and the first whose conditions hold decides; see
///   ``SeccompPolicy`` for the rule and for what is rejected as a contradiction.
///
/// Errors give `line:column`, what is wrong and why (``PolicyFormatError``).
/// ``format(_:)-(SeccompPolicy)`` prints a policy so that parsing the text gives the same policy:
/// each rule on a line of its own, `arch native` replaced by the architecture's name.
/// docs/seccomp-policy-format.md describes the format at length.
public enum SeccompPolicyFormat {
    /// Parses a policy.
    ///
    /// - Parameters:
    ///   - text: the policy in the text format.
    ///   - validate: also resolve the policy (``SeccompPolicy/resolve()``), reporting
    ///     unknown names, conditions on multiplexed calls and contradictions at the rule's line.
    /// - Throws: ``PolicyFormatError``.
    public static func parse(_ text: String, validate: Bool = true) throws(PolicyFormatError) -> SeccompPolicy {
        var parser = PolicyParser()
        try parser.parse(text)
        let policy = try parser.policy()
        if validate {
            do {
                _ = try policy.resolve()
            } catch {
                throw parser.locate(error)
            }
        }
        return policy
    }

    /// Prints a policy in the text format, one directive or rule a line.
    public static func format(_ policy: SeccompPolicy) -> String {
        var lines = [String]()
        lines.append("default " + format(policy.defaultAction))
        lines.append("arch " + policy.architectures.map(\.name).joined(separator: " "))
        lines.append("foreign-arch " + format(policy.foreignArchitectureAction))
        if policy.unknownSyscallsFailWithENOSYS { lines.append("unknown-syscalls enosys") }
        for rule in policy.rules { lines.append(rule.description) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An action as the text format writes it: `allow`, `errno(EPERM)`, `kill-process`.
    public static func format(_ action: SeccompAction) -> String {
        switch action {
        case .allow: "allow"
        case .log: "log"
        case .killProcess: "kill-process"
        case .killThread: "kill-thread"
        case .userNotification: "user-notif"
        case .errno(let value): "errno(\(ErrnoCode(rawValue: value)))"
        case .trap(let value): "trap(\(value))"
        case .trace(let value): "trace(\(value))"
        }
    }
}

extension SeccompPolicy {
    /// Parses the text format; see ``SeccompPolicyFormat``.
    public init(parsing text: String, validate: Bool = true) throws(PolicyFormatError) {
        self = try SeccompPolicyFormat.parse(text, validate: validate)
    }

    /// The policy in the text format; see ``SeccompPolicyFormat``.
    public var text: String { SeccompPolicyFormat.format(self) }
}

/// An error in a policy text: where (1-based line and column), what, and why.
public struct PolicyFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 1-based line.
    public var line: Int
    /// The 1-based column.
    public var column: Int
    /// What is wrong: `unknown action "alow"`.
    public var what: String
    /// Why, or what was expected: `expected allow, log, ...`.
    public var why: String

    /// An error at a place.
    public init(line: Int, column: Int, what: String, why: String) {
        self.line = line
        self.column = column
        self.what = what
        self.why = why
    }

    /// `3:7: unknown action "alow": expected allow, log, ...`.
    public var description: String { "\(line):\(column): \(what): \(why)" }
}

/// A token of a policy line.
private struct Token {
    enum Kind: Equatable {
        case word(String)
        case openParenthesis
        case closeParenthesis
        case symbol(String)
    }

    var kind: Kind
    var column: Int

    var word: String? {
        if case .word(let word) = kind { word } else { nil }
    }

    var text: String {
        switch kind {
        case .word(let word): word
        case .openParenthesis: "("
        case .closeParenthesis: ")"
        case .symbol(let symbol): symbol
        }
    }
}

private struct PolicyParser {
    var defaultAction: (action: SeccompAction, line: Int)?
    var architectures = [SeccompArchitecture]()
    var architectureLine: (line: Int, column: Int)?
    var architectureColumns = [SeccompArchitecture: (line: Int, column: Int)]()
    var foreignAction: (action: SeccompAction, line: Int)?
    var enosys: (value: Bool, line: Int)?
    var rules = [SeccompRule]()
    /// Where each rule's target was written.
    var ruleLocations = [(line: Int, column: Int)]()
    var lineCount = 0

    static let actionList =
        "expected allow, log, kill-process, kill-thread, user-notif, errno(NAME), trap(N) or trace(N)"

    mutating func parse(_ text: String) throws(PolicyFormatError) {
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var content = Substring(line)
            if content.hasSuffix("\r") { content = content.dropLast() }
            let tokens = try Self.tokens(of: content, line: lineNumber)
            if !tokens.isEmpty { try parseLine(tokens, line: lineNumber) }
        }
        lineCount = lineNumber
    }

    func policy() throws(PolicyFormatError) -> SeccompPolicy {
        guard let defaultAction else {
            throw PolicyFormatError(
                line: max(lineCount, 1), column: 1, what: "missing default action",
                why: "a policy needs a line such as \"default errno(EPERM)\" or \"default kill-process\""
            )
        }
        return SeccompPolicy(
            defaultAction: defaultAction.action,
            architectures: architectures.isEmpty ? [.native] : architectures,
            foreignArchitectureAction: foreignAction?.action ?? .killProcess,
            unknownSyscallsFailWithENOSYS: enosys?.value ?? false,
            rules: rules
        )
    }

    // MARK: Lexing

    static func tokens(of line: Substring, line lineNumber: Int) throws(PolicyFormatError) -> [Token] {
        let characters = Array(line)
        var tokens = [Token]()
        var index = 0
        func isWordCharacter(_ character: Character) -> Bool {
            character.isLetter || character.isNumber || "_-@.".contains(character)
        }
        while index < characters.count {
            let character = characters[index]
            let column = index + 1
            if character == "#" { break }
            if character == " " || character == "\t" {
                index += 1
                continue
            }
            if character == "(" {
                tokens.append(Token(kind: .openParenthesis, column: column))
                index += 1
                continue
            }
            if character == ")" {
                tokens.append(Token(kind: .closeParenthesis, column: column))
                index += 1
                continue
            }
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if "=!<>&".contains(character) {
                var symbol = String(character)
                if next == "=" && character != "&" {
                    symbol.append("=")
                } else if character == "&" && next == "&" {
                    symbol = "&&"
                }
                if symbol == "=" || symbol == "!" {
                    throw PolicyFormatError(
                        line: lineNumber, column: column, what: "unexpected \"\(symbol)\"",
                        why: "comparisons are ==, !=, <, <=, > and >="
                    )
                }
                tokens.append(Token(kind: .symbol(symbol), column: column))
                index += symbol.count
                continue
            }
            if isWordCharacter(character) {
                var end = index
                while end < characters.count, isWordCharacter(characters[end]) { end += 1 }
                tokens.append(Token(kind: .word(String(characters[index ..< end])), column: column))
                index = end
                continue
            }
            throw PolicyFormatError(
                line: lineNumber, column: column, what: "unexpected character \"\(character)\"",
                why: "a line holds words, numbers, parentheses, comparisons and # comments"
            )
        }
        return tokens
    }

    // MARK: Lines

    mutating func parseLine(_ tokens: [Token], line: Int) throws(PolicyFormatError) {
        let first = tokens[0]
        guard let keyword = first.word else {
            throw PolicyFormatError(
                line: line, column: first.column, what: "unexpected \"\(first.text)\"",
                why: "a line starts with a directive (default, arch, foreign-arch, unknown-syscalls) or an action"
            )
        }
        switch Self.normalized(keyword) {
        case "default":
            if let previous = defaultAction {
                throw PolicyFormatError(
                    line: line, column: first.column, what: "second default action",
                    why: "the default action is already set on line \(previous.line)"
                )
            }
            let action = try parseWholeAction(tokens, from: 1, line: line, directive: "default")
            defaultAction = (action, line)
        case "foreign-arch":
            if let previous = foreignAction {
                throw PolicyFormatError(
                    line: line, column: first.column, what: "second foreign-arch action",
                    why: "the foreign-architecture action is already set on line \(previous.line)"
                )
            }
            let action = try parseWholeAction(tokens, from: 1, line: line, directive: "foreign-arch")
            foreignAction = (action, line)
        case "arch":
            try parseArchitectures(tokens, line: line)
        case "unknown-syscalls":
            try parseUnknownSyscalls(tokens, line: line)
        default:
            try parseRule(tokens, line: line)
        }
    }

    mutating func parseArchitectures(_ tokens: [Token], line: Int) throws(PolicyFormatError) {
        guard tokens.count > 1 else {
            throw PolicyFormatError(
                line: line, column: tokens[0].column + tokens[0].text.count, what: "missing architecture",
                why: "write one or more names after arch, such as \"arch x86_64 x86\""
            )
        }
        for token in tokens.dropFirst() {
            guard let name = token.word, let architecture = SeccompArchitecture(name: name) else {
                throw PolicyFormatError(
                    line: line, column: token.column, what: "unknown architecture \"\(token.text)\"",
                    why: "expected native or one of " + SeccompArchitecture.all.map(\.name).joined(separator: ", ")
                )
            }
            if let previous = architectureColumns[architecture] {
                throw PolicyFormatError(
                    line: line, column: token.column, what: "architecture \(architecture) listed twice",
                    why: "it is already listed at \(previous.line):\(previous.column)"
                )
            }
            architectureColumns[architecture] = (line, token.column)
            architectures.append(architecture)
        }
    }

    mutating func parseUnknownSyscalls(_ tokens: [Token], line: Int) throws(PolicyFormatError) {
        if let previous = enosys {
            throw PolicyFormatError(
                line: line, column: tokens[0].column, what: "second unknown-syscalls line",
                why: "unknown-syscalls is already set on line \(previous.line)"
            )
        }
        let why = "write \"unknown-syscalls enosys\" to fail unknown numbers with ENOSYS, "
            + "or \"unknown-syscalls default\" to give them the default action"
        guard tokens.count == 2, let word = tokens[1].word,
            ["enosys", "default"].contains(Self.normalized(word))
        else {
            let token = tokens.count > 1 ? tokens[1] : tokens[0]
            throw PolicyFormatError(
                line: line, column: token.column,
                what: tokens.count > 1 ? "unexpected \"\(token.text)\"" : "missing value", why: why
            )
        }
        enosys = (Self.normalized(word) == "enosys", line)
    }

    mutating func parseRule(_ tokens: [Token], line: Int) throws(PolicyFormatError) {
        var index = 0
        let action = try parseAction(tokens, at: &index, line: line, context: "a line")
        var targets = [(target: SyscallTarget, column: Int)]()
        while index < tokens.count, let word = tokens[index].word, !Self.isArgument(word) {
            targets.append((try parseTarget(tokens[index], line: line), tokens[index].column))
            index += 1
        }
        if targets.isEmpty {
            let column = index < tokens.count ? tokens[index].column : tokens.last.map { $0.column + $0.text.count } ?? 1
            throw PolicyFormatError(
                line: line, column: column, what: "missing system call",
                why: "after its action a rule names one or more system calls, @groups or numbers"
            )
        }
        var conditions = [ArgumentCondition]()
        if index < tokens.count {
            while true {
                conditions.append(try parseCondition(tokens, at: &index, line: line))
                guard index < tokens.count else { break }
                guard tokens[index].kind == .symbol("&&") else {
                    throw PolicyFormatError(
                        line: line, column: tokens[index].column, what: "unexpected \"\(tokens[index].text)\"",
                        why: "conditions are joined with &&, and system calls come before them"
                    )
                }
                index += 1
                if index == tokens.count {
                    throw PolicyFormatError(
                        line: line, column: tokens[index - 1].column + 2, what: "missing condition",
                        why: "&& must be followed by another condition"
                    )
                }
            }
        }
        for (target, column) in targets {
            rules.append(SeccompRule(action, target, conditions: conditions))
            ruleLocations.append((line, column))
        }
    }

    // MARK: Parts

    /// An action that must make up the rest of the line.
    func parseWholeAction(_ tokens: [Token], from start: Int, line: Int, directive: String)
        throws(PolicyFormatError) -> SeccompAction
    {
        var index = start
        guard index < tokens.count else {
            throw PolicyFormatError(
                line: line, column: tokens[0].column + tokens[0].text.count, what: "missing action",
                why: Self.actionList
            )
        }
        let action = try parseAction(tokens, at: &index, line: line, context: directive)
        if index < tokens.count {
            throw PolicyFormatError(
                line: line, column: tokens[index].column, what: "unexpected \"\(tokens[index].text)\"",
                why: "\(directive) takes one action"
            )
        }
        return action
    }

    func parseAction(_ tokens: [Token], at index: inout Int, line: Int, context: String)
        throws(PolicyFormatError) -> SeccompAction
    {
        let token = tokens[index]
        guard let word = token.word else {
            throw PolicyFormatError(
                line: line, column: token.column, what: "unexpected \"\(token.text)\"", why: Self.actionList
            )
        }
        index += 1
        let name = Self.normalized(word)
        switch name {
        case "allow": return .allow
        case "log": return .log
        case "kill-process", "kill": return .killProcess
        case "kill-thread": return .killThread
        case "user-notif", "notify": return .userNotification
        case "errno":
            guard let argument = try parseParenthesized(tokens, at: &index, line: line, after: token, required: true)
            else { return .errno(0) }
            if let code = ErrnoCode(name: argument.text) { return .errno(code.rawValue) }
            if let value = Self.number(argument.text), value <= 4095 { return .errno(UInt16(value)) }
            throw PolicyFormatError(
                line: line, column: argument.column, what: "unknown errno \"\(argument.text)\"",
                why: "expected a name such as EPERM or ENOSYS, or a number from 0 to 4095"
            )
        case "trap", "trace":
            var data: UInt16 = 0
            if let argument = try parseParenthesized(tokens, at: &index, line: line, after: token, required: false) {
                guard let value = Self.number(argument.text), value <= UInt64(UInt16.max) else {
                    throw PolicyFormatError(
                        line: line, column: argument.column, what: "invalid \(name) data \"\(argument.text)\"",
                        why: "expected a number from 0 to 65535"
                    )
                }
                data = UInt16(value)
            }
            return name == "trap" ? .trap(data) : .trace(data)
        default:
            let directives = context == "a line" ? " or a directive (default, arch, foreign-arch, unknown-syscalls)" : ""
            throw PolicyFormatError(
                line: line, column: token.column,
                what: "unknown action \(quotedExcerpt(word))" + (context == "a line" ? "" : " after \(context)"),
                why: Self.actionList + directives
            )
        }
    }

    /// `( word )` after an action name; `nil` when absent and not required.
    func parseParenthesized(_ tokens: [Token], at index: inout Int, line: Int, after name: Token, required: Bool)
        throws(PolicyFormatError) -> Token?
    {
        guard index < tokens.count, tokens[index].kind == .openParenthesis else {
            if !required { return nil }
            throw PolicyFormatError(
                line: line, column: name.column + name.text.count, what: "missing errno",
                why: "write errno(NAME) or errno(N), such as errno(EPERM)"
            )
        }
        let open = tokens[index]
        guard index + 2 < tokens.count, tokens[index + 1].word != nil,
            tokens[index + 2].kind == .closeParenthesis
        else {
            throw PolicyFormatError(
                line: line, column: open.column, what: "malformed \(name.text)(...)",
                why: "expected one name or number between parentheses, such as \(name.text)(1)"
            )
        }
        index += 3
        return tokens[index - 2]
    }

    func parseTarget(_ token: Token, line: Int) throws(PolicyFormatError) -> SyscallTarget {
        let word = token.word ?? ""
        if word.hasPrefix("@") {
            guard let group = SyscallGroup(named: word) else {
                throw PolicyFormatError(
                    line: line, column: token.column, what: "unknown group \(quotedExcerpt(word))",
                    why: "expected one of " + SyscallGroup.all.map(\.description).joined(separator: ", ")
                )
            }
            return .group(group)
        }
        if let first = word.first, first.isNumber || first == "-" {
            guard let value = Self.number(word), value <= UInt64(Int32.max) else {
                throw PolicyFormatError(
                    line: line, column: token.column, what: "invalid system call number \(quotedExcerpt(word))",
                    why: "numbers are from 0 to \(Int32.max)"
                )
            }
            return .syscall(Syscall(number: Int32(value)))
        }
        let valid = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        guard valid else {
            throw PolicyFormatError(
                line: line, column: token.column, what: "invalid system call name \(quotedExcerpt(word))",
                why: "names are letters, digits and _, groups start with @"
            )
        }
        return .syscall(Syscall(word))
    }

    func parseCondition(_ tokens: [Token], at index: inout Int, line: Int)
        throws(PolicyFormatError) -> ArgumentCondition
    {
        let operand = tokens[index]
        guard let word = operand.word, Self.isArgument(word) else {
            throw PolicyFormatError(
                line: line, column: operand.column, what: "unexpected \"\(operand.text)\"",
                why: "a condition starts with arg0 to arg5, such as arg0 == 1"
            )
        }
        var width = ArgumentCondition.Width.full
        var name = Substring(word.dropFirst(3))
        if name.hasSuffix(".lo32") {
            width = .low32
            name = name.dropLast(5)
        }
        guard let argument = Int(name), (0 ... 5).contains(argument), name.allSatisfy(\.isNumber) else {
            throw PolicyFormatError(
                line: line, column: operand.column, what: "invalid argument \(quotedExcerpt(word))",
                why: "arguments are arg0 to arg5, optionally followed by .lo32 to compare the low 32 bits"
            )
        }
        index += 1
        var mask: UInt64?
        if index < tokens.count, tokens[index].kind == .symbol("&") {
            index += 1
            mask = try parseValue(tokens, at: &index, line: line, width: width, role: "mask", after: "&")
        }
        guard index < tokens.count, case .symbol(let symbol) = tokens[index].kind, symbol != "&&", symbol != "&" else {
            let column = index < tokens.count ? tokens[index].column : tokens[index - 1].column + tokens[index - 1].text.count
            throw PolicyFormatError(
                line: line, column: column, what: index < tokens.count ? "unexpected \"\(tokens[index].text)\"" : "missing comparison",
                why: mask == nil ? "expected ==, !=, <, <=, > or >= after \(word)" : "expected == after the mask"
            )
        }
        let comparisonToken = tokens[index]
        let comparison: ArgumentCondition.Comparison
        switch symbol {
        case "==": comparison = mask.map { .maskedEqual(mask: $0) } ?? .equal
        case "!=": comparison = .notEqual
        case "<": comparison = .less
        case "<=": comparison = .lessOrEqual
        case ">": comparison = .greater
        default: comparison = .greaterOrEqual
        }
        if mask != nil, symbol != "==" {
            throw PolicyFormatError(
                line: line, column: comparisonToken.column, what: "\(symbol) after a mask",
                why: "seccomp compares a masked argument only for equality: argN & MASK == VALUE"
            )
        }
        index += 1
        let value = try parseValue(tokens, at: &index, line: line, width: width, role: "value", after: symbol)
        return ArgumentCondition(argument: argument, comparison, value, width: width)
    }

    func parseValue(_ tokens: [Token], at index: inout Int, line: Int, width: ArgumentCondition.Width,
                    role: String, after symbol: String) throws(PolicyFormatError) -> UInt64
    {
        guard index < tokens.count else {
            throw PolicyFormatError(
                line: line, column: tokens[index - 1].column + symbol.count, what: "missing \(role)",
                why: "expected a number after \(symbol)"
            )
        }
        let token = tokens[index]
        guard let word = token.word, let value = Self.number(word) else {
            throw PolicyFormatError(
                line: line, column: token.column, what: "invalid \(role) \"\(token.text)\"",
                why: "expected a 64-bit number: decimal, 0x hexadecimal, 0o octal or 0b binary, optionally negative (no leading zero: C reads 010 as 8, so write 0o10 or 10)"
            )
        }
        if width == .low32, !ArgumentCondition.fitsIn32Bits(value) {
            throw PolicyFormatError(
                line: line, column: token.column, what: "\(role) \(word) does not fit in 32 bits",
                why: ".lo32 compares the low 32 bits of the argument"
            )
        }
        index += 1
        return value
    }

    // MARK: Helpers

    static func normalized(_ word: String) -> String {
        String(word.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    static func isArgument(_ word: String) -> Bool {
        word.hasPrefix("arg") && word.dropFirst(3).first?.isNumber == true
    }

    /// A 64-bit number: decimal, `0x`, `0o`, `0b`, with an optional leading `-` (two's complement).
    /// A decimal with a leading zero (`010`) is refused: C would read it as octal.
    static func number(_ text: String) -> UInt64? {
        try? parseInteger(text, style: .prefixed)
    }

    // MARK: Validation errors

    func locate(_ error: SeccompPolicyError) -> PolicyFormatError {
        func at(_ index: Int) -> (line: Int, column: Int) {
            index < ruleLocations.count ? ruleLocations[index] : (1, 1)
        }
        func architectureAt(_ architecture: SeccompArchitecture) -> (line: Int, column: Int) {
            architectureColumns[architecture] ?? (1, 1)
        }
        switch error {
        case .noArchitectures:
            return PolicyFormatError(line: 1, column: 1, what: "no architecture", why: error.description)
        case .duplicateArchitecture(let architecture):
            let place = architectureAt(architecture)
            return PolicyFormatError(
                line: place.line, column: place.column, what: "architecture \(architecture) listed twice",
                why: "list each architecture once"
            )
        case .unsupportedArchitecture(let architecture, let version):
            let place = architectureAt(architecture)
            return PolicyFormatError(
                line: place.line, column: place.column, what: "unsupported architecture \(architecture)",
                why: SyscallResolutionError.unsupportedArchitecture(architecture, libseccomp: version).description
            )
        case .invalidAction(let action, let index, let reason):
            let line = index.map { at($0).line } ?? defaultAction?.line ?? 1
            return PolicyFormatError(
                line: line, column: 1, what: "invalid action \(SeccompPolicyFormat.format(action))", why: reason
            )
        case .unknownSyscall(_, let index, let resolutionError):
            let place = at(index)
            return PolicyFormatError(
                line: place.line, column: place.column, what: resolutionError.description,
                why: "check the name, or write the number of a call the installed libseccomp does not know"
            )
        case .unavailableSyscall(_, let index, let syscall, let architectures):
            let place = at(index)
            return PolicyFormatError(
                line: place.line, column: place.column, what: "no such system call \"\(syscall)\"",
                why: "it does not exist on " + architectures.map(\.name).joined(separator: ", ")
            )
        case .invalidCondition(_, let index, let condition, let reason):
            let place = at(index)
            return PolicyFormatError(
                line: place.line, column: place.column, what: "invalid condition \"\(condition)\"", why: reason
            )
        case .conditionsOnMultiplexedSyscall(_, let index, let syscall, let multiplexer, let architecture):
            let place = at(index)
            return PolicyFormatError(
                line: place.line, column: place.column,
                what: "conditions on \(syscall) cannot be checked on \(architecture)",
                why: SeccompPolicyError.multiplexedConditionsReason(
                    syscall: syscall, multiplexer: multiplexer, architecture: architecture)
            )
        case .multiplexedContradiction(
            let first, let firstIndex, _, let secondIndex, let syscall, let multiplexer, let architecture
        ):
            let place = at(secondIndex)
            let firstLine = at(firstIndex).line
            return PolicyFormatError(
                line: place.line, column: 1,
                what: "rule contradicts line \(firstLine) \"\(first)\" on \(architecture)",
                why: SeccompPolicyError.multiplexedContradictionReason(
                    first: "line \(firstLine)", second: "this rule", syscall: syscall, multiplexer: multiplexer,
                    architecture: architecture)
            )
        case .contradiction(let first, let firstIndex, _, let secondIndex, let syscall, let architecture):
            let place = at(secondIndex)
            let firstLine = at(firstIndex).line
            return PolicyFormatError(
                line: place.line, column: 1,
                what: "rule contradicts line \(firstLine) \"\(first)\"",
                why: "for \(syscall) on \(architecture), line \(firstLine) holds whenever this rule does and decides "
                    + "first with a different action, so this rule could never apply; remove one, or put the "
                    + "more specific rule first"
            )
        }
    }
}
