import CBPF
import CLinuxShims

/// A class of an HTB qdisc, as `tc class add ... htb rate R` makes it and `tc -s class show`
/// lists it.
public struct HTBClass: Hashable, Sendable {
    /// The interface's index (`dev IFACE`).
    public var interfaceIndex: Int32
    /// The class's id, `MAJ:MIN` with MAJ the qdisc's.
    public var classID: TrafficControlHandle
    /// The qdisc's handle (`MAJ:`) or a parent class. The kernel lists a top-level class with
    /// the parent `root` (as `tc class show` prints it); listing gives the qdisc's handle, as
    /// the class was added.
    public var parent: TrafficControlHandle
    /// The guaranteed rate, in bytes per second; not 0.
    public var rate: UInt64
    /// The most it may borrow up to, in bytes per second; not 0.
    public var ceiling: UInt64
    /// The bytes it may send at once above its rate (tc's `burst` and `cburst`).
    public var burst: UInt32
    /// What the class sent, when listed (`TCA_STATS_BASIC`): ignored when adding.
    public var packetsSent: UInt64 = 0
    /// Bytes the class sent, when listed; ignored when adding.
    public var bytesSent: UInt64 = 0

    /// tc's default burst: its default MTU, 1600 bytes, when the kernel's clock is finer than
    /// its HZ (as on any kernel with high-resolution timers).
    public static let defaultBurst: UInt32 = 1600

    /// A class with a rate in bytes per second; the ceiling defaults to the rate, the burst to
    /// ``defaultBurst``.
    public init(interfaceIndex: Int32, classID: TrafficControlHandle, parent: TrafficControlHandle, rate: UInt64,
                ceiling: UInt64? = nil, burst: UInt32 = defaultBurst) {
        self.interfaceIndex = interfaceIndex
        self.classID = classID
        self.parent = parent
        self.rate = rate
        self.ceiling = ceiling ?? rate
        self.burst = burst
    }

    /// One tick of the kernel's packet scheduler clock, in nanoseconds (`PSCHED_TICKS2NS(1)`);
    /// `/proc/net/psched`'s second field says the same.
    static let nanosecondsPerTick: UInt64 = 64

    /// The time to send `bytes` at `rate`, in scheduler ticks: how HTB's `buffer` and `cbuffer`
    /// are given.
    static func ticks(toSend bytes: UInt32, at rate: UInt64) -> UInt32 {
        let nanoseconds = UInt64(bytes) * 1_000_000_000 / max(rate, 1)
        return UInt32(clamping: nanoseconds / nanosecondsPerTick)
    }

    /// `TCA_HTB_PARMS` (`struct tc_htb_opt`) and, for rates beyond 32 bits, `TCA_HTB_RATE64` and
    /// `TCA_HTB_CEIL64`. The rates say they are for Ethernet (`TC_LINKLAYER_ETHERNET`), so the
    /// kernel computes transmission times itself and needs no rate tables (`TCA_HTB_RTAB`),
    /// which it reads only from tc versions that leave the link layer unset.
    var options: [NetlinkAttribute] {
        var parameters = tc_htb_opt()
        parameters.rate.rate = UInt32(clamping: rate)
        parameters.rate.linklayer = UInt8(TC_LINKLAYER_ETHERNET.rawValue)
        parameters.ceil.rate = UInt32(clamping: ceiling)
        parameters.ceil.linklayer = UInt8(TC_LINKLAYER_ETHERNET.rawValue)
        parameters.buffer = Self.ticks(toSend: burst, at: rate)
        parameters.cbuffer = Self.ticks(toSend: burst, at: ceiling)
        var options = [NetlinkAttribute(type: UInt16(TCA_HTB_PARMS), payload: withUnsafeBytes(of: parameters) { Array($0) })]
        if rate > UInt64(UInt32.max) { options.append(NetlinkAttribute(type: UInt16(TCA_HTB_RATE64), integer: rate)) }
        if ceiling > UInt64(UInt32.max) { options.append(NetlinkAttribute(type: UInt16(TCA_HTB_CEIL64), integer: ceiling)) }
        return options
    }

    var message: TrafficControlMessage {
        TrafficControlMessage(
            interfaceIndex: interfaceIndex, handle: classID.rawValue, parent: parent,
            attributes: [NetlinkAttribute(type: UInt16(TCA_KIND), string: "htb"),
                         NetlinkAttribute(type: UInt16(TCA_OPTIONS), nested: options)])
    }

    init(_ message: TrafficControlMessage) throws(NetlinkDecodingError) {
        interfaceIndex = message.interfaceIndex
        classID = TrafficControlHandle(rawValue: message.handle)
        parent = message.parent == .root ? TrafficControlHandle(major: classID.major, minor: 0) : message.parent
        let options = try message.options()
        guard let parameters = options[type: UInt16(TCA_HTB_PARMS)], parameters.payload.count >= MemoryLayout<tc_htb_opt>.size
        else { throw NetlinkDecodingError("HTB class \(classID) has no TCA_HTB_PARMS") }
        let opt = parameters.payload.withUnsafeBytes { $0.loadUnaligned(as: tc_htb_opt.self) }
        rate = options[type: UInt16(TCA_HTB_RATE64)]?.integer(UInt64.self) ?? UInt64(opt.rate.rate)
        ceiling = options[type: UInt16(TCA_HTB_CEIL64)]?.integer(UInt64.self) ?? UInt64(opt.ceil.rate)
        burst = UInt32(clamping: UInt64(opt.buffer) * Self.nanosecondsPerTick * rate / 1_000_000_000)
        // TCA_STATS2 holds TCA_STATS_BASIC: struct gnet_stats_basic { __u64 bytes; __u32 packets; }.
        if let basic = try message.attributes[type: UInt16(TCA_STATS2)]?.nested()[type: UInt16(TCA_STATS_BASIC)],
            basic.payload.count >= 12
        {
            bytesSent = NetlinkBytes.read(UInt64.self, basic.payload[...], at: 0)
            packetsSent = UInt64(NetlinkBytes.read(UInt32.self, basic.payload[...], at: 8))
        }
    }
}

extension TrafficControl {
    /// Adds an HTB class; with `replacing`, changes it if it exists (`tc class replace`).
    ///
    /// The corresponding request is `RTM_NEWTCLASS` with `TCA_HTB_PARMS`.
    public func add(_ htbClass: HTBClass, replacing: Bool = false) throws(TrafficControlError) {
        guard htbClass.rate > 0, htbClass.ceiling > 0 else {
            throw .invalidRequest("HTB class \(htbClass.classID): its rate and ceiling must not be 0")
        }
        try change(htbClass.message, type: RTM_NEWTCLASS, flags: replacing ? Int32(NLM_F_CREATE) : CreationFlags.add,
                   request: Self.describe("RTM_NEWTCLASS", "\(replacing ? "replace" : "add") htb class \(htbClass.classID)",
                                          interfaceIndex: htbClass.interfaceIndex, parent: htbClass.parent))
    }

    /// Deletes an HTB class (which must have no filters pointing at it, nor child classes).
    ///
    /// The corresponding request is `RTM_DELTCLASS`.
    public func delete(_ htbClass: HTBClass) throws(TrafficControlError) {
        let message = TrafficControlMessage(interfaceIndex: htbClass.interfaceIndex, handle: htbClass.classID.rawValue,
                                            parent: htbClass.parent)
        try change(message, type: RTM_DELTCLASS, flags: 0,
                   request: Self.describe("RTM_DELTCLASS", "delete htb class \(htbClass.classID)",
                                          interfaceIndex: htbClass.interfaceIndex, parent: htbClass.parent))
    }

    /// The HTB classes of one interface with what each has sent, as `tc -s class show dev IFACE`
    /// lists them; classes of other kinds are left out.
    ///
    /// The corresponding request is `RTM_GETTCLASS` with `NLM_F_DUMP`.
    public func htbClasses(interfaceIndex: Int32) throws(TrafficControlError) -> [HTBClass] {
        let request = "RTM_GETTCLASS (list classes, interface \(interfaceIndex))"
        let query = TrafficControlMessage(interfaceIndex: interfaceIndex, handle: 0, parent: .unspecified)
        var classes = [HTBClass]()
        for message in try dump(query, type: RTM_GETTCLASS, request: request)
        where message.interfaceIndex == interfaceIndex && message.kind == "htb" {
            do {
                classes.append(try HTBClass(message))
            } catch {
                throw .malformedReply(request: request, reason: error.description)
            }
        }
        return classes
    }
}
