import CBPF
import Glibc

/// A seccomp profile in the JSON format of Docker and the OCI runtime specification, as written.
///
/// This is the document itself: Docker's extension of the runtime-spec `LinuxSeccomp` object
/// (moby's `profiles/seccomp` `Seccomp` type), with `archMap` and the `includes`/`excludes`
/// filters on each entry. ``policy(options:)`` turns it into a ``SeccompPolicy`` the way Docker
/// and runc would for a given architecture, capability set and kernel; ``init(exporting:)``
/// writes a policy back.
///
/// ```swift
/// let profile = try OCISeccompProfile(json: text)
/// let imported = try profile.policy(options: .init(architecture: .x86_64))
/// for warning in imported.warnings { print(warning) }
/// let program = try SeccompCompiler().compile(imported.policy)
/// ```
///
/// Fields the format defines that are not part of a policy (`flags`, `listenerPath`,
/// `listenerMetadata`, each entry's `comment`) are kept as they are; members this reader does
/// not know are reported by ``unknownMembers`` and otherwise ignored, as Go's decoder ignores them.
public struct OCISeccompProfile: Sendable, Hashable {
    /// `defaultAction`: what a call no entry decides gets.
    public var defaultAction: Action
    /// `defaultErrnoRet`: the errno of an `SCMP_ACT_ERRNO` default (`EPERM` when absent), or the
    /// message of an `SCMP_ACT_TRACE` one.
    public var defaultErrnoRet: UInt16?
    /// `architectures`: the runtime-spec list of `SCMP_ARCH_*` names. A profile has this or
    /// ``archMap``, not both.
    public var architectures: [String]
    /// `archMap`: Docker's table from a native architecture to the ones it also covers.
    public var archMap: [ArchitectureMapping]
    /// `syscalls`: the entries, in order.
    public var syscalls: [SyscallEntry]
    /// `flags`: `SECCOMP_FILTER_FLAG_*` names for the runtime; not part of a policy.
    public var flags: [String]
    /// `listenerPath`: where the runtime sends the notification descriptor; not part of a policy.
    public var listenerPath: String?
    /// `listenerMetadata`: passed to the listener; not part of a policy.
    public var listenerMetadata: String?
    /// JSON paths of members this reader does not know (`syscalls[3].errnoret`), which it ignored.
    public var unknownMembers: [String]

    /// Where each decoded value started, by JSON path, for messages about it.
    var sourcePositions: [String: JSONPosition]

    /// A profile with these fields.
    public init(
        defaultAction: Action, defaultErrnoRet: UInt16? = nil, architectures: [String] = [],
        archMap: [ArchitectureMapping] = [], syscalls: [SyscallEntry] = [], flags: [String] = [],
        listenerPath: String? = nil, listenerMetadata: String? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.syscalls = syscalls
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        unknownMembers = []
        sourcePositions = [:]
    }

    /// Profiles are equal when their fields are; where they were read from does not count.
    public static func == (lhs: OCISeccompProfile, rhs: OCISeccompProfile) -> Bool {
        lhs.defaultAction == rhs.defaultAction && lhs.defaultErrnoRet == rhs.defaultErrnoRet
            && lhs.architectures == rhs.architectures && lhs.archMap == rhs.archMap && lhs.syscalls == rhs.syscalls
            && lhs.flags == rhs.flags && lhs.listenerPath == rhs.listenerPath
            && lhs.listenerMetadata == rhs.listenerMetadata && lhs.unknownMembers == rhs.unknownMembers
    }

    /// Hashes the fields that `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(defaultAction)
        hasher.combine(defaultErrnoRet)
        hasher.combine(architectures)
        hasher.combine(archMap)
        hasher.combine(syscalls)
        hasher.combine(flags)
        hasher.combine(listenerPath)
        hasher.combine(listenerMetadata)
        hasher.combine(unknownMembers)
    }

    /// A seccomp action as the format names it (`SCMP_ACT_*`).
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// `SCMP_ACT_KILL`: libseccomp's old name for killing the thread (`SECCOMP_RET_KILL_THREAD`).
        case kill = "SCMP_ACT_KILL"
        /// `SCMP_ACT_KILL_PROCESS`.
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        /// `SCMP_ACT_KILL_THREAD`.
        case killThread = "SCMP_ACT_KILL_THREAD"
        /// `SCMP_ACT_TRAP`: `SIGSYS`, with data 0 (runc ignores `errnoRet` here).
        case trap = "SCMP_ACT_TRAP"
        /// `SCMP_ACT_ERRNO`: fail with `errnoRet`, `EPERM` when absent.
        case errno = "SCMP_ACT_ERRNO"
        /// `SCMP_ACT_TRACE`: notify a tracer with `errnoRet`, `EPERM` (1) when absent.
        case trace = "SCMP_ACT_TRACE"
        /// `SCMP_ACT_ALLOW`.
        case allow = "SCMP_ACT_ALLOW"
        /// `SCMP_ACT_LOG`.
        case log = "SCMP_ACT_LOG"
        /// `SCMP_ACT_NOTIFY`: `SECCOMP_RET_USER_NOTIF`.
        case notify = "SCMP_ACT_NOTIFY"

        /// Whether `errnoRet` means something for this action (`SCMP_ACT_ERRNO`, `SCMP_ACT_TRACE`).
        public var takesErrnoRet: Bool { self == .errno || self == .trace }
    }

    /// A comparison as the format names it (`SCMP_CMP_*`).
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        /// `argument != value`.
        case notEqual = "SCMP_CMP_NE"
        /// `argument < value`, unsigned.
        case less = "SCMP_CMP_LT"
        /// `argument <= value`, unsigned.
        case lessOrEqual = "SCMP_CMP_LE"
        /// `argument == value`.
        case equal = "SCMP_CMP_EQ"
        /// `argument >= value`, unsigned.
        case greaterOrEqual = "SCMP_CMP_GE"
        /// `argument > value`, unsigned.
        case greater = "SCMP_CMP_GT"
        /// `(argument & value) == valueTwo`: `value` is the mask.
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    /// An `archMap` entry: when ``architecture`` is the native one, the filter also covers
    /// ``subArchitectures``.
    public struct ArchitectureMapping: Sendable, Hashable {
        /// An `SCMP_ARCH_*` name.
        public var architecture: String
        /// `SCMP_ARCH_*` names.
        public var subArchitectures: [String]

        /// A mapping from `architecture` to `subArchitectures` (`SCMP_ARCH_*` names).
        public init(architecture: String, subArchitectures: [String] = []) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// A `syscalls` entry: an action for some names, with argument conditions, when its
    /// filters let it in.
    public struct SyscallEntry: Sendable, Hashable {
        /// `names` (or the deprecated `name`).
        public var names: [String]
        /// `action`.
        public var action: Action
        /// `errnoRet`: the errno for `SCMP_ACT_ERRNO`, the message for `SCMP_ACT_TRACE`.
        public var errnoRet: UInt16?
        /// `args`: all must hold, unless two test the same argument, when runc makes each its own
        /// rule (so any one suffices).
        public var args: [Argument]
        /// `comment`.
        public var comment: String?
        /// `includes`: the entry counts only when all of these hold.
        public var includes: Filter?
        /// `excludes`: the entry is dropped when any of these holds.
        public var excludes: Filter?

        /// An entry for `names` with these fields.
        public init(
            names: [String], action: Action, errnoRet: UInt16? = nil, args: [Argument] = [],
            comment: String? = nil, includes: Filter? = nil, excludes: Filter? = nil
        ) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.comment = comment
            self.includes = includes
            self.excludes = excludes
        }
    }

    /// An `args` element: `index`, `value`, `valueTwo`, `op`.
    public struct Argument: Sendable, Hashable {
        /// Which argument, 0 to 5.
        public var index: Int
        /// The value compared with, or the mask for ``Operator/maskedEqual``.
        public var value: UInt64
        /// The value the masked argument must equal; ignored by other operators.
        public var valueTwo: UInt64
        /// The comparison.
        public var op: Operator

        /// `{"index": index, "value": value, "valueTwo": valueTwo, "op": op}`.
        public init(index: Int, value: UInt64, valueTwo: UInt64 = 0, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    /// `includes` or `excludes`: capabilities, architectures and a kernel version.
    public struct Filter: Sendable, Hashable {
        /// Capability names (`CAP_SYS_ADMIN`), compared exactly as written.
        public var caps: [String]
        /// Architecture names as moby spells the native one: `amd64`, `arm64`, `x86`, `arm`,
        /// `ppc64le`, `s390x`, `riscv64`, `loongarch64`, `mipsel64` and so on.
        public var arches: [String]
        /// `minKernel`: `"4.8"`.
        public var minKernel: KernelVersion?

        /// A filter with these members; empty ones are left out of the JSON.
        public init(caps: [String] = [], arches: [String] = [], minKernel: KernelVersion? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }

        /// Whether the filter says nothing.
        public var isEmpty: Bool { caps.isEmpty && arches.isEmpty && minKernel == nil }
    }

    /// A kernel version as `minKernel` writes it: `"<kernel>.<major>"`, compared with the
    /// first two numbers of the running kernel's release (`6.18.0-1-amd64` is 6.18).
    public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The `6` in `6.18`.
        public var kernel: UInt8
        /// The `18` in `6.18`.
        public var major: UInt8

        /// `kernel.major`: `KernelVersion(kernel: 4, major: 8)` is 4.8.
        public init(kernel: UInt8, major: UInt8) {
            self.kernel = kernel
            self.major = major
        }

        /// Parses `minKernel` as moby does: exactly two decimal numbers of 0 to 255 separated by a
        /// dot, not both 0.
        public init?(minKernel text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) }),
                let kernel = UInt8(parts[0]), let major = UInt8(parts[1]), kernel != 0 || major != 0
            else { return nil }
            self.init(kernel: kernel, major: major)
        }

        /// Reads the first two numbers of a kernel release (`uname -r`) as moby does
        /// (`"%d.%d"`): `6.18.0-1-amd64` is 6.18, `3.12-1-amd64` is 3.12.
        public init?(release: String) {
            var numbers = [Int]()
            var current = ""
            for character in release {
                if character.isASCII, character.isNumber {
                    current.append(character)
                } else {
                    guard !current.isEmpty, let value = Int(current) else { return nil }
                    numbers.append(value)
                    current = ""
                    if numbers.count == 2 || character != "." { break }
                }
            }
            if numbers.count < 2, !current.isEmpty, let value = Int(current) { numbers.append(value) }
            guard numbers.count == 2 else { return nil }
            self.init(kernel: UInt8(clamping: numbers[0]), major: UInt8(clamping: numbers[1]))
        }

        /// The running kernel's version, from `uname(2)`, or `nil` when its release cannot be read.
        public static var running: KernelVersion? {
            KernelVersion(release: runningKernelRelease())
        }

        /// Compares the kernel number, then the major revision.
        public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
            (lhs.kernel, lhs.major) < (rhs.kernel, rhs.major)
        }

        /// `4.8`.
        public var description: String { "\(kernel).\(major)" }
    }
}

// MARK: - Reading

extension OCISeccompProfile {
    /// Reads a profile from JSON text.
    ///
    /// - Throws: ``OCIProfileError`` for text that is not JSON, for a member of the wrong type,
    ///   a missing `defaultAction`, an unknown action or operator, an argument index outside 0...5,
    ///   a value that is not an unsigned 64-bit integer, an `errnoRet` above 65535, a `minKernel`
    ///   that is not `"<kernel>.<major>"`, or both `name` and `names` in an entry. The error says
    ///   where (line, column and JSON path), what and why.
    public init(json: String) throws(OCIProfileError) {
        try self.init(jsonBytes: Array(json.utf8))
    }

    /// Reads a profile from the UTF-8 bytes of a JSON document.
    public init(jsonBytes: [UInt8]) throws(OCIProfileError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(jsonBytes)
        } catch {
            throw OCIProfileError(
                path: "", line: error.position.line, column: error.position.column, what: error.what, why: error.why)
        }
        var reader = ProfileReader()
        self = try reader.readProfile(root)
    }
}

/// Walks a parsed document into an ``OCISeccompProfile``, keeping paths for messages.
private struct ProfileReader {
    var unknown = [String]()
    var positions = [String: JSONPosition]()

    func fail(_ value: JSONValue, _ path: String, _ what: String, _ why: String) -> OCIProfileError {
        OCIProfileError(path: path, line: value.position.line, column: value.position.column, what: what, why: why)
    }

    /// The members of an object, checked against the names this reader knows.
    mutating func members(_ value: JSONValue, _ path: String, known: Set<String>, what: String)
        throws(OCIProfileError) -> [String: JSONValue]
    {
        guard case .object(let members) = value.kind else {
            throw fail(value, path, "\(what) is \(value.typeName)", "it must be a JSON object")
        }
        var result = [String: JSONValue]()
        for member in members {
            let memberPath = path.isEmpty ? member.key : path + "." + member.key
            if !known.contains(member.key) {
                unknown.append(memberPath)
                continue
            }
            // null means the same as absent, as in Go.
            if case .null = member.value.kind { continue }
            result[member.key] = member.value
            positions[memberPath] = member.value.position
        }
        return result
    }

    func string(_ value: JSONValue, _ path: String, _ what: String) throws(OCIProfileError) -> String {
        guard case .string(let text) = value.kind else {
            throw fail(value, path, "\(what) is \(value.typeName)", "it must be a string")
        }
        return text
    }

    func strings(_ value: JSONValue, _ path: String, _ what: String) throws(OCIProfileError) -> [String] {
        guard case .array(let elements) = value.kind else {
            throw fail(value, path, "\(what) is \(value.typeName)", "it must be an array of strings")
        }
        var result = [String]()
        for (index, element) in elements.enumerated() {
            result.append(try string(element, "\(path)[\(index)]", "an element of \(what)"))
        }
        return result
    }

    /// Refuses a system-call name with a control character. libseccomp reads names as C strings,
    /// so `"read\u0000garbage"` would silently mean `read`, and no name has any other.
    func checkSyscallName(_ name: String, _ value: JSONValue, _ path: String) throws(OCIProfileError) {
        guard let index = name.unicodeScalars.firstIndex(where: { $0.properties.generalCategory == .control })
        else { return }
        let scalar = name.unicodeScalars[index]
        let offset = name.unicodeScalars.distance(from: name.unicodeScalars.startIndex, to: index)
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let why = scalar == "\u{0}"
            ? "libseccomp reads names as C strings and would take it for \(JSONWriter.quote(String(name.unicodeScalars[..<index])))"
            : "system-call names have no control characters"
        throw fail(
            value, path, "system-call name \(JSONWriter.quote(name)) holds the control character \(code) at character \(offset + 1)",
            why)
    }

    func array(_ value: JSONValue, _ path: String, _ what: String) throws(OCIProfileError) -> [JSONValue] {
        guard case .array(let elements) = value.kind else {
            throw fail(value, path, "\(what) is \(value.typeName)", "it must be an array")
        }
        return elements
    }

    func unsigned(_ value: JSONValue, _ path: String, _ what: String, maximum: UInt64 = .max, why: String? = nil)
        throws(OCIProfileError) -> UInt64
    {
        guard case .number(let text) = value.kind else {
            throw fail(value, path, "\(what) is \(value.typeName)", "it must be a number (without quotes)")
        }
        if text.hasPrefix("-") {
            throw fail(
                value, path, "\(what) is negative (\(text))",
                "it is an unsigned integer; write the two's complement, 18446744073709551615 for -1")
        }
        guard let number = UInt64(text) else {
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                throw fail(value, path, "\(what) is not a whole number (\(text))", "it must be an unsigned integer")
            }
            throw fail(value, path, "\(what) is too large (\(text))", "it must fit in 64 bits, at most 18446744073709551615")
        }
        if number > maximum {
            throw fail(value, path, "\(what) is too large (\(text))", why ?? "it must be at most \(maximum)")
        }
        return number
    }

    func action(_ value: JSONValue, _ path: String) throws(OCIProfileError) -> OCISeccompProfile.Action {
        let text = try string(value, path, "the action")
        guard let action = OCISeccompProfile.Action(rawValue: text) else {
            let known = OCISeccompProfile.Action.allCases.map(\.rawValue).joined(separator: ", ")
            var why = "expected one of \(known)"
            if let close = OCISeccompProfile.Action(rawValue: text.uppercased()) {
                why = "names are case-sensitive; did you mean \(close.rawValue)?"
            }
            throw fail(value, path, "unknown action \(quotedExcerpt(text))", why)
        }
        return action
    }

    func errnoRet(_ value: JSONValue, _ path: String) throws(OCIProfileError) -> UInt16 {
        UInt16(
            try unsigned(
                value, path, "errnoRet", maximum: UInt64(UInt16.max),
                why: "a seccomp return value has 16 bits of data (and the kernel caps errno values at 4095)"))
    }

    mutating func readProfile(_ root: JSONValue) throws(OCIProfileError) -> OCISeccompProfile {
        let fields = try members(
            root, "",
            known: [
                "defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags", "listenerPath",
                "listenerMetadata",
            ], what: "the profile")
        guard let defaultValue = fields["defaultAction"] else {
            throw fail(
                root, "defaultAction", "the profile has no defaultAction",
                "every profile needs one (Docker reads a profile without defaultAction and syscalls as no filter at all)")
        }
        var profile = OCISeccompProfile(defaultAction: try action(defaultValue, "defaultAction"))
        if let value = fields["defaultErrnoRet"] { profile.defaultErrnoRet = try errnoRet(value, "defaultErrnoRet") }
        if let value = fields["architectures"] {
            profile.architectures = try strings(value, "architectures", "architectures")
        }
        if let value = fields["archMap"] {
            for (index, element) in try array(value, "archMap", "archMap").enumerated() {
                let path = "archMap[\(index)]"
                let entry = try members(
                    element, path, known: ["architecture", "subArchitectures"], what: "an archMap entry")
                guard let architecture = entry["architecture"] else {
                    throw fail(element, path + ".architecture", "an archMap entry has no architecture", "each entry maps one SCMP_ARCH_* name")
                }
                profile.archMap.append(
                    OCISeccompProfile.ArchitectureMapping(
                        architecture: try string(architecture, path + ".architecture", "architecture"),
                        subArchitectures: try entry["subArchitectures"].map { (v) throws(OCIProfileError) in
                            try strings(v, path + ".subArchitectures", "subArchitectures")
                        } ?? []))
            }
        }
        if let value = fields["syscalls"] {
            for (index, element) in try array(value, "syscalls", "syscalls").enumerated() {
                profile.syscalls.append(try readEntry(element, "syscalls[\(index)]"))
            }
        }
        if let value = fields["flags"] { profile.flags = try strings(value, "flags", "flags") }
        if let value = fields["listenerPath"] { profile.listenerPath = try string(value, "listenerPath", "listenerPath") }
        if let value = fields["listenerMetadata"] {
            profile.listenerMetadata = try string(value, "listenerMetadata", "listenerMetadata")
        }
        positions[""] = root.position
        profile.unknownMembers = unknown
        profile.sourcePositions = positions
        return profile
    }

    mutating func readEntry(_ value: JSONValue, _ path: String) throws(OCIProfileError) -> OCISeccompProfile.SyscallEntry {
        positions[path] = value.position
        let fields = try members(
            value, path, known: ["names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"],
            what: "a syscalls entry")
        var names = [String]()
        if let value = fields["names"] {
            guard case .array(let elements) = value.kind else {
                throw fail(value, path + ".names", "names is \(value.typeName)", "it must be an array of strings")
            }
            for (index, element) in elements.enumerated() {
                let elementPath = "\(path).names[\(index)]"
                let name = try string(element, elementPath, "an element of names")
                if name.isEmpty { throw fail(element, elementPath, "an empty system-call name", "runc refuses empty names") }
                try checkSyscallName(name, element, elementPath)
                names.append(name)
            }
        }
        if let single = fields["name"] {
            let name = try string(single, path + ".name", "name")
            if !name.isEmpty {
                if !names.isEmpty {
                    throw fail(
                        single, path + ".name", "the entry has both name and names",
                        "use names (name is the deprecated form of a one-element names)")
                }
                try checkSyscallName(name, single, path + ".name")
                names = [name]
            }
        }
        guard let actionValue = fields["action"] else {
            throw fail(value, path + ".action", "the entry has no action", "each entry says what to do with its names")
        }
        var entry = OCISeccompProfile.SyscallEntry(names: names, action: try action(actionValue, path + ".action"))
        if let value = fields["errnoRet"] { entry.errnoRet = try errnoRet(value, path + ".errnoRet") }
        if let value = fields["args"] {
            for (index, element) in try array(value, path + ".args", "args").enumerated() {
                entry.args.append(try readArgument(element, "\(path).args[\(index)]"))
            }
        }
        if let value = fields["comment"] { entry.comment = try string(value, path + ".comment", "comment") }
        if let value = fields["includes"] { entry.includes = try readFilter(value, path + ".includes") }
        if let value = fields["excludes"] { entry.excludes = try readFilter(value, path + ".excludes") }
        return entry
    }

    mutating func readArgument(_ value: JSONValue, _ path: String) throws(OCIProfileError) -> OCISeccompProfile.Argument {
        positions[path] = value.position
        let fields = try members(value, path, known: ["index", "value", "valueTwo", "op"], what: "an args element")
        guard let indexValue = fields["index"] else {
            throw fail(value, path + ".index", "the argument condition has no index", "it must say which argument, 0 to 5")
        }
        let index = try unsigned(
            indexValue, path + ".index", "index", maximum: 5, why: "system calls have arguments 0 to 5")
        guard let opValue = fields["op"] else {
            throw fail(value, path + ".op", "the argument condition has no op", "it must say how to compare (SCMP_CMP_EQ, ...)")
        }
        let opText = try string(opValue, path + ".op", "op")
        guard let op = OCISeccompProfile.Operator(rawValue: opText) else {
            let known = OCISeccompProfile.Operator.allCases.map(\.rawValue).joined(separator: ", ")
            var why = "expected one of \(known)"
            if let close = OCISeccompProfile.Operator(rawValue: opText.uppercased()) {
                why = "names are case-sensitive; did you mean \(close.rawValue)?"
            }
            throw fail(opValue, path + ".op", "unknown operator \"\(opText)\"", why)
        }
        // Go leaves an absent value at 0.
        let number = try fields["value"].map { (v) throws(OCIProfileError) in try unsigned(v, path + ".value", "value") } ?? 0
        let two = try fields["valueTwo"].map { (v) throws(OCIProfileError) in try unsigned(v, path + ".valueTwo", "valueTwo") } ?? 0
        return OCISeccompProfile.Argument(index: Int(index), value: number, valueTwo: two, op: op)
    }

    mutating func readFilter(_ value: JSONValue, _ path: String) throws(OCIProfileError) -> OCISeccompProfile.Filter {
        let fields = try members(value, path, known: ["caps", "arches", "minKernel"], what: "a filter")
        var filter = OCISeccompProfile.Filter()
        if let value = fields["caps"] { filter.caps = try strings(value, path + ".caps", "caps") }
        if let value = fields["arches"] { filter.arches = try strings(value, path + ".arches", "arches") }
        if let value = fields["minKernel"] {
            let text = try string(value, path + ".minKernel", "minKernel")
            if !text.isEmpty {
                guard let version = OCISeccompProfile.KernelVersion(minKernel: text) else {
                    throw fail(
                        value, path + ".minKernel", "invalid kernel version \(quotedExcerpt(text))",
                        "expected \"<kernel>.<major>\" with numbers up to 255, not 0.0, such as \"4.8\"")
                }
                filter.minKernel = version
            }
        }
        return filter
    }
}

/// The release of the running kernel (`uname -r`).
func runningKernelRelease() -> String {
    var names = utsname()
    guard uname(&names) == 0 else { return "" }
    return withUnsafeBytes(of: names.release) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
