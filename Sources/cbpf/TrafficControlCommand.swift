import ArgumentParser
import Attach
import CBPF
import PacketFilter

/// `cbpf tc attach|detach|show`: classic BPF filters in tc (`cls_bpf`), over rtnetlink.
struct TrafficControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tc",
        abstract: "Attach, detach and list classic BPF filters in tc (cls_bpf), as tc filter ... bpf does.",
        discussion: """
            The place is "dev IFACE" then ingress, egress (under a clsact qdisc, created when \
            missing) or "parent MAJ:MIN" (a qdisc that must exist, such as an HTB root 1:). \
            A program compiled here returns -1 on a match, which cls_bpf reads as the filter's \
            class (--classid). Filters attached by cbpf have handles cbf00001, cbf00002, ..., or \
            cbf10001, ... when attaching created the clsact qdisc: detach removes only filters \
            with such handles, and the qdisc only when a cbf1xxxx filter goes and no filter is \
            left under it.
            """,
        subcommands: [TrafficControlAttachCommand.self, TrafficControlDetachCommand.self, TrafficControlShowCommand.self]
    )
}

extension FilterCompileOptions {
    /// A cls_bpf program returns a class on a match, not a length: `--snaplen` has no meaning there.
    func checkSnapshotLengthApplies(to target: AttachTarget) throws {
        if target == .trafficControl && snaplen != PacketFilterCompiler.defaultSnapshotLength {
            throw ValidationError(
                "--snaplen: a cls_bpf program returns a class on a match (-1, the filter's classid), not a length")
        }
    }
}

/// Where a filter goes: `dev IFACE ingress`, `dev IFACE egress` or `dev IFACE parent MAJ:MIN`,
/// as tc writes it; the words after it are the rest of the command line.
struct FilterPlace {
    enum Hook: Equatable {
        case ingress, egress
        case parent(TrafficControlHandle)

        var handle: TrafficControlHandle {
            switch self {
            case .ingress: .ingress
            case .egress: .egress
            case .parent(let handle): handle
            }
        }

        var description: String {
            switch self {
            case .ingress: "ingress"
            case .egress: "egress"
            case .parent(let handle): "parent \(handle)"
            }
        }
    }

    var interface: String
    var hook: Hook?

    /// Reads the place from the front of `words` and returns the words after it. `hookRequired`:
    /// whether ingress, egress or parent must follow the interface.
    static func parse(_ words: [String], hookRequired: Bool) throws -> (FilterPlace, rest: [String]) {
        guard words.count >= 2, words[0] == "dev" else {
            throw ValidationError("start with the place: dev IFACE (ingress | egress | parent MAJ:MIN)")
        }
        var place = FilterPlace(interface: words[1])
        var rest = Array(words.dropFirst(2))
        switch rest.first {
        case "ingress":
            place.hook = .ingress
            rest.removeFirst()
        case "egress":
            place.hook = .egress
            rest.removeFirst()
        case "parent":
            guard rest.count >= 2 else { throw ValidationError("parent: give a handle MAJ:MIN, such as 1:") }
            guard let handle = TrafficControlHandle(rest[1]), handle != .unspecified else {
                throw ValidationError("parent: \(quotedExcerpt(rest[1])) is not a handle MAJ:MIN (hexadecimal), such as 1: or 1:10")
            }
            place.hook = .parent(handle)
            rest.removeFirst(2)
        default:
            if hookRequired {
                throw ValidationError("after dev \(place.interface), say where: ingress, egress or parent MAJ:MIN")
            }
        }
        return (place, rest)
    }
}

/// How cbpf marks the filters it attaches: by their handle, which cls_bpf lets the caller choose
/// (the kernel keeps no name for a classic program). A handle `0xcbf0nnnn` is a filter attached
/// by cbpf, `0xcbf1nnnn` one whose attach created the clsact qdisc.
enum FilterOwnership {
    static let attached: UInt32 = 0xCBF0_0000
    static let createdQdisc: UInt32 = 0xCBF1_0000

    static func isOurs(_ filter: BPFFilter) -> Bool {
        filter.handle & 0xFFFF_0000 == attached || createdTheQdisc(filter)
    }

    static func createdTheQdisc(_ filter: BPFFilter) -> Bool {
        filter.handle & 0xFFFF_0000 == createdQdisc
    }

    /// The first handle with `mark` that no filter in `existing` has.
    static func freeHandle(_ mark: UInt32, among existing: [BPFFilter]) throws -> UInt32 {
        let taken = Set(existing.map(\.handle))
        guard let handle = (1 ... 0xFFFF).lazy.map({ mark | UInt32($0) }).first(where: { !taken.contains($0) }) else {
            throw InputError("every handle of cbpf's range is taken at this place")
        }
        return handle
    }
}

struct TrafficControlAttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach a filter: dev IFACE (ingress | egress | parent MAJ:MIN) EXPRESSION, or --bytecode PROG.",
        discussion: """
            Example: cbpf tc attach dev eth1 parent 1: --classid 1:10 'udp dst port 53' sends DNS \
            queries to HTB class 1:10. Prints the filter as cbpf tc show does.
            """
    )

    @OptionGroup var options: FilterCompileOptions

    @Option(help: "The class a match goes to, MAJ:MIN in hexadecimal (tc's classid).")
    var classid: TrafficControlHandle?

    @Option(help: "The filter's priority, 1 to 65535; by default the kernel picks one.")
    var priority: UInt16 = 0

    @Option(help: "The program instead of an expression: a bytecode string, tcpdump -ddd or -dd output, or -.")
    var bytecode: String?

    @Argument(help: "dev IFACE (ingress | egress | parent MAJ:MIN), then the filter expression.")
    var words: [String] = []

    func validate() throws {
        try options.checkSnapshotLengthApplies(to: .trafficControl)
    }

    func run() throws {
        let (place, expression) = try FilterPlace.parse(words, hookRequired: true)
        guard let hook = place.hook else { throw ValidationError("say where: ingress, egress or parent MAJ:MIN") }
        if bytecode != nil && !expression.isEmpty {
            throw ValidationError("give either --bytecode or a filter expression, not both")
        }
        let program: VerifiedProgram
        if let bytecode {
            let given = try Program(raw: rawInstructions(fromArgument: bytecode))
            do {
                program = try VerifiedProgram(given, for: .trafficControl)
            } catch {
                throw InputError("the program cannot attach to cls_bpf: \(error)")
            }
        } else {
            guard !expression.isEmpty else { throw ValidationError("give a filter expression or --bytecode") }
            program = try options.compileVerified(expression, for: .trafficControl)
        }

        let tc = try TrafficControl()
        let index = try tc.interfaceIndex(named: place.interface)
        let createdQdisc = try Self.ensureQdisc(for: hook, on: index, interface: place.interface, tc: tc)
        let before = try tc.bpfFilters(interfaceIndex: index, parent: hook.handle)
        let handle = try FilterOwnership.freeHandle(
            createdQdisc ? FilterOwnership.createdQdisc : FilterOwnership.attached, among: before)
        let filter = BPFFilter(
            interfaceIndex: index, parent: hook.handle, priority: priority, handle: handle, raw: program.raw,
            classID: classid)
        do {
            try tc.add(filter)
        } catch {
            if createdQdisc { try? tc.delete(Qdisc.clsact(interfaceIndex: index)) }
            throw error
        }
        for added in try tc.bpfFilters(interfaceIndex: index, parent: hook.handle) where !before.contains(added) {
            print(FilterListing.line(added, hook: hook))
        }
    }

    /// Makes sure a qdisc is there to hold the filter: a `clsact` for ingress and egress (made
    /// when missing, and then true is returned), an existing one for a parent.
    static func ensureQdisc(for hook: FilterPlace.Hook, on index: Int32, interface: String, tc: borrowing TrafficControl)
        throws -> Bool
    {
        let qdiscs = try tc.qdiscs(interfaceIndex: index)
        switch hook {
        case .ingress, .egress:
            if let existing = qdiscs.first(where: { $0.parent == .clsact }) {
                if hook == .egress && existing.kind != .clsact {
                    throw InputError("\(interface) has an \(existing.kind.name) qdisc, which has no egress hook; clsact has both")
                }
                return false
            }
            try tc.add(Qdisc.clsact(interfaceIndex: index))
            return true
        case .parent(let handle):
            guard qdiscs.contains(where: { $0.handle.major == handle.major && $0.parent != .clsact }) else {
                throw InputError("""
                    \(interface) has no qdisc \(String(handle.major, radix: 16)):; make one first, such as \
                    tc qdisc add dev \(interface) root handle \(String(handle.major, radix: 16)): htb, or use ingress or egress
                    """)
            }
            return false
        }
    }
}

struct TrafficControlDetachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detach",
        abstract: "Remove the filters cbpf attached: dev IFACE (ingress | egress | parent MAJ:MIN).",
        discussion: """
            Removes the filters with cbpf's handles (cbf0xxxx, cbf1xxxx) at that place (only those of --priority \
            when given), and the clsact qdisc when attach created it and no filter is left under it.
            """
    )

    @Option(help: "Remove only the filter of this priority.")
    var priority: UInt16?

    @Argument(help: "dev IFACE (ingress | egress | parent MAJ:MIN).")
    var words: [String] = []

    func run() throws {
        let (place, rest) = try FilterPlace.parse(words, hookRequired: true)
        guard let hook = place.hook else { throw ValidationError("say where: ingress, egress or parent MAJ:MIN") }
        guard rest.isEmpty else { throw ValidationError("unexpected words after the place: \(quotedExcerpt(rest.joined(separator: " ")))") }
        let tc = try TrafficControl()
        let index = try tc.interfaceIndex(named: place.interface)
        let ours = try tc.bpfFilters(interfaceIndex: index, parent: hook.handle).filter {
            FilterOwnership.isOurs($0) && (priority == nil || $0.priority == priority)
        }
        guard !ours.isEmpty else {
            let which = priority.map { " of priority \($0)" } ?? ""
            throw InputError("no filter\(which) attached by cbpf at \(place.interface) \(hook.description)")
        }
        for filter in ours {
            try tc.delete(filter)
            print("detached \(FilterListing.line(filter, hook: hook))")
        }
        guard ours.contains(where: FilterOwnership.createdTheQdisc) else { return }
        // The clsact qdisc goes with the last filter under it; while filters remain, one of ours
        // (if any) inherits the mark: added again under a marked handle, then removed.
        let remaining = try [TrafficControlHandle.ingress, .egress].flatMap {
            try tc.bpfFilters(interfaceIndex: index, parent: $0).map { ($0, $0.parent) }
        }
        if remaining.isEmpty {
            try tc.delete(Qdisc.clsact(interfaceIndex: index))
            print("deleted the clsact qdisc of \(place.interface), which cbpf tc attach created")
        } else if let heir = remaining.first(where: { FilterOwnership.isOurs($0.0) })?.0 {
            var marked = heir
            marked.handle = try FilterOwnership.freeHandle(
                FilterOwnership.createdQdisc, among: tc.bpfFilters(interfaceIndex: index, parent: heir.parent))
            try tc.add(marked)
            try tc.delete(heir)
        } else {
            printError("note: the clsact qdisc of \(place.interface) stays: other filters use it")
        }
    }
}

struct TrafficControlShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List the classic BPF filters of an interface with their bytecode: dev IFACE [ingress | egress | parent MAJ:MIN].",
        discussion: """
            One line per filter: the place, priority, protocol, handle, classid and name when set, \
            and the program as a bytecode string (as tc filter ... bpf bytecode takes it).
            """
    )

    @Argument(help: "dev IFACE, then optionally ingress, egress or parent MAJ:MIN.")
    var words: [String] = []

    func run() throws {
        let (place, rest) = try FilterPlace.parse(words, hookRequired: false)
        guard rest.isEmpty else { throw ValidationError("unexpected words after the place: \(quotedExcerpt(rest.joined(separator: " ")))") }
        let tc = try TrafficControl()
        let index = try tc.interfaceIndex(named: place.interface)
        var hooks: [FilterPlace.Hook] = []
        if let hook = place.hook {
            hooks = [hook]
        } else {
            for qdisc in try tc.qdiscs(interfaceIndex: index) {
                switch qdisc.kind {
                case .clsact: hooks += [.ingress, .egress]
                case .other("ingress"): hooks.append(.ingress)
                default: if qdisc.handle != .unspecified { hooks.append(.parent(qdisc.handle)) }
                }
            }
        }
        for hook in hooks {
            for filter in try tc.bpfFilters(interfaceIndex: index, parent: hook.handle) {
                print(FilterListing.line(filter, hook: hook))
            }
        }
    }
}

/// One filter on one line, as `cbpf tc show` prints it.
enum FilterListing {
    static func line(_ filter: BPFFilter, hook: FilterPlace.Hook) -> String {
        var words = [hook.description, "priority \(filter.priority)", "protocol \(protocolName(filter.protocolNumber))",
                     "handle 0x\(String(filter.handle, radix: 16))"]
        if let classID = filter.classID { words.append("classid \(classID)") }
        if let name = filter.name { words.append("name \(name)") }
        words.append("bytecode '\(BytecodeString.format(filter.program))'")
        return words.joined(separator: " ")
    }

    static func protocolName(_ number: UInt16) -> String {
        switch number {
        case BPFFilter.allProtocols: "all"
        case 0x0800: "ip"
        case 0x86DD: "ipv6"
        case 0x0806: "arp"
        default: "0x" + String(number, radix: 16)
        }
    }
}
