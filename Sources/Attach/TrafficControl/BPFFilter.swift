import CBPF
import CLinuxShims

/// A tc filter of kind `bpf` (`cls_bpf`) running a classic BPF program, as
/// `tc filter add dev IFACE parent P prio N protocol all bpf bytecode ... classid C` makes it.
///
/// What the program returns chooses the class: 0 is no match (the next filter is tried), -1
/// (`0xFFFFFFFF`) is the filter's ``classID``, and any other value is itself a class id
/// (`major << 16 | minor`). A program for a class qdisc such as HTB must return one of those;
/// under `clsact` a match returns the verdict of the filter's actions, and with none the packet
/// goes on.
public struct BPFFilter: Hashable, Sendable {
    /// The interface's index (`dev IFACE`, see ``TrafficControl/interfaceIndex(named:)``).
    public var interfaceIndex: Int32
    /// The qdisc or class it hangs on: `TrafficControlHandle.ingress` or
    /// `TrafficControlHandle.egress` under `clsact`, or a class qdisc's handle (`1:`).
    public var parent: TrafficControlHandle
    /// Filters run in increasing priority; 0 lets the kernel pick one when adding.
    public var priority: UInt16
    /// The EtherType it applies to, in host order (`ETH_P_ALL` for every protocol, `ETH_P_IP`, ...).
    public var protocolNumber: UInt16
    /// The filter's handle within its priority; 0 lets the kernel pick one when adding.
    public var handle: UInt32
    /// The program, in the kernel's encoding (`TCA_BPF_OPS`).
    public var program: [RawInstruction]
    /// The class a return value of -1 means (`TCA_BPF_CLASSID`), if any.
    public var classID: TrafficControlHandle?
    /// `TCA_BPF_NAME`, at most 255 bytes. The kernel keeps a name only for eBPF programs: a
    /// classic program's is dropped (`cls_bpf_prog_from_ops`), so listed filters have none.
    public var name: String?

    /// `ETH_P_ALL`: every protocol.
    public static let allProtocols = UInt16(ETH_P_ALL)
    /// The longest name the kernel stores, `CLS_BPF_NAME_LEN` less its NUL.
    public static let maximumNameLength = 255

    /// A filter with a program that passed `Verifier` for `cls_bpf`.
    public init(
        interfaceIndex: Int32, parent: TrafficControlHandle, priority: UInt16 = 0,
        protocolNumber: UInt16 = allProtocols, handle: UInt32 = 0, program: Program,
        classID: TrafficControlHandle? = nil, name: String? = nil
    ) throws(VerificationError) {
        try self.init(interfaceIndex: interfaceIndex, parent: parent, priority: priority, protocolNumber: protocolNumber,
                      handle: handle, program: VerifiedProgram(program, for: .trafficControl), classID: classID, name: name)
    }

    /// A filter with a verified program, checked again only where its proof does not cover
    /// `cls_bpf`'s rules.
    public init(
        interfaceIndex: Int32, parent: TrafficControlHandle, priority: UInt16 = 0,
        protocolNumber: UInt16 = allProtocols, handle: UInt32 = 0, program: VerifiedProgram,
        classID: TrafficControlHandle? = nil, name: String? = nil
    ) throws(VerificationError) {
        self.init(interfaceIndex: interfaceIndex, parent: parent, priority: priority, protocolNumber: protocolNumber,
                  handle: handle, raw: try program.verified(for: .trafficControl).raw, classID: classID, name: name)
    }

    /// A filter with raw instructions, unchecked: the kernel's own checker decides.
    public init(
        interfaceIndex: Int32, parent: TrafficControlHandle, priority: UInt16 = 0,
        protocolNumber: UInt16 = allProtocols, handle: UInt32 = 0, raw program: [RawInstruction],
        classID: TrafficControlHandle? = nil, name: String? = nil
    ) {
        self.interfaceIndex = interfaceIndex
        self.parent = parent
        self.priority = priority
        self.protocolNumber = protocolNumber
        self.handle = handle
        self.program = program
        self.classID = classID
        self.name = name
    }

    /// `tcm_info`: the priority in the upper half, the protocol in network order in the lower.
    var info: UInt32 { UInt32(priority) << 16 | UInt32(protocolNumber.bigEndian) }

    func message(withOptions: Bool) throws(TrafficControlError) -> TrafficControlMessage {
        var attributes = [NetlinkAttribute(type: UInt16(TCA_KIND), string: "bpf")]
        if withOptions {
            guard !program.isEmpty, program.count <= Int(UInt16.max) else {
                throw .invalidRequest("a cls_bpf program has 1 to \(UInt16.max) instructions, not \(program.count)")
            }
            var options = [
                NetlinkAttribute(type: UInt16(TCA_BPF_OPS_LEN), integer: UInt16(program.count)),
                NetlinkAttribute(type: UInt16(TCA_BPF_OPS), payload: RawInstruction.bytes(of: program)),
            ]
            if let classID { options.append(NetlinkAttribute(type: UInt16(TCA_BPF_CLASSID), integer: classID.rawValue)) }
            if let name {
                guard name.utf8.count <= Self.maximumNameLength, !name.utf8.contains(0) else {
                    throw .invalidRequest("a cls_bpf filter's name has at most \(Self.maximumNameLength) bytes and no NUL")
                }
                options.append(NetlinkAttribute(type: UInt16(TCA_BPF_NAME), string: name))
            }
            attributes.append(NetlinkAttribute(type: UInt16(TCA_OPTIONS), nested: options))
        }
        return TrafficControlMessage(interfaceIndex: interfaceIndex, handle: handle, parent: parent, info: info,
                                     attributes: attributes)
    }

    /// A filter from a dump; nil for the entries that only announce a priority (no handle, no
    /// options) and for filters of other kinds or eBPF ones (no `TCA_BPF_OPS`).
    init?(_ message: TrafficControlMessage) throws(NetlinkDecodingError) {
        guard message.kind == "bpf", message.handle != 0 else { return nil }
        let options = try message.options()
        guard let operations = options[type: UInt16(TCA_BPF_OPS)] else { return nil }
        let program: [RawInstruction]
        do {
            program = try RawInstruction.instructions(fromBytes: operations.payload)
        } catch {
            throw NetlinkDecodingError("TCA_BPF_OPS: \(error)")
        }
        if let count = options[type: UInt16(TCA_BPF_OPS_LEN)]?.integer(UInt16.self), Int(count) != program.count {
            throw NetlinkDecodingError("TCA_BPF_OPS_LEN says \(count) instructions, TCA_BPF_OPS holds \(program.count)")
        }
        self.init(
            interfaceIndex: message.interfaceIndex, parent: message.parent, priority: UInt16(message.info >> 16),
            protocolNumber: UInt16(truncatingIfNeeded: message.info).byteSwapped, handle: message.handle,
            raw: program,
            classID: options[type: UInt16(TCA_BPF_CLASSID)]?.integer(UInt32.self).map(TrafficControlHandle.init(rawValue:)),
            name: options[type: UInt16(TCA_BPF_NAME)]?.string)
    }

    var requestName: String { "bpf filter \(priority == 0 ? "" : "priority \(priority) ")handle 0x\(String(handle, radix: 16))" }
}

extension TrafficControl {
    /// Adds a `cls_bpf` filter; with `replacing`, replaces the filter of the same parent,
    /// priority, protocol and handle if there is one (`tc filter replace`).
    ///
    /// The corresponding request is `RTM_NEWTFILTER` with `TCA_KIND "bpf"` and `TCA_OPTIONS`
    /// holding `TCA_BPF_OPS_LEN`, `TCA_BPF_OPS`, `TCA_BPF_CLASSID` and `TCA_BPF_NAME`.
    public func add(_ filter: BPFFilter, replacing: Bool = false) throws(TrafficControlError) {
        try change(filter.message(withOptions: true), type: RTM_NEWTFILTER,
                   flags: replacing ? Int32(NLM_F_CREATE) : CreationFlags.add,
                   request: Self.describe("RTM_NEWTFILTER", "\(replacing ? "replace" : "add") \(filter.requestName)",
                                          interfaceIndex: filter.interfaceIndex, parent: filter.parent))
    }

    /// Deletes one filter, found by its parent, priority, protocol and handle; a handle of 0
    /// deletes every filter of that priority.
    ///
    /// The corresponding request is `RTM_DELTFILTER`.
    public func delete(_ filter: BPFFilter) throws(TrafficControlError) {
        try change(filter.message(withOptions: false), type: RTM_DELTFILTER, flags: 0,
                   request: Self.describe("RTM_DELTFILTER", "delete \(filter.requestName)",
                                          interfaceIndex: filter.interfaceIndex, parent: filter.parent))
    }

    /// The classic BPF filters at `parent` of one interface with their programs, as
    /// `tc filter show dev IFACE parent P` lists them; filters of other kinds are left out.
    ///
    /// The corresponding request is `RTM_GETTFILTER` with `NLM_F_DUMP`.
    public func bpfFilters(interfaceIndex: Int32, parent: TrafficControlHandle) throws(TrafficControlError) -> [BPFFilter] {
        let request = Self.describe("RTM_GETTFILTER", "list filters", interfaceIndex: interfaceIndex, parent: parent)
        let query = TrafficControlMessage(interfaceIndex: interfaceIndex, handle: 0, parent: parent)
        var filters = [BPFFilter]()
        for message in try dump(query, type: RTM_GETTFILTER, request: request) {
            do {
                if let filter = try BPFFilter(message) { filters.append(filter) }
            } catch {
                throw .malformedReply(request: request, reason: error.description)
            }
        }
        return filters
    }
}
