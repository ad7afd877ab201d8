import CBPF

/// Compiles pcap-filter expressions (tcpdump's filter language) to classic BPF programs with
/// libpcap's verdicts, through the shared verifier and optimizer.
///
///     let program = try PacketFilterCompiler().compile("ip and udp and port 53")
public struct PacketFilterCompiler: Sendable {
    /// The link-layer header the packets start with.
    public var linkType: LinkType
    /// What the program returns for an accepted packet: how many bytes to keep. Not 0, which
    /// libpcap refuses ("snaplen of 0 rejects all packets").
    public var snapshotLength: UInt32
    /// Whether to run the shared optimizer over the generated code.
    public var optimizes: Bool
    /// The network mask used by `ip broadcast`; tcpdump uses 0 when it reads a file.
    public var netmask: UInt32
    /// Where the packets come from: a live socket (the default, as `tcpdump -d`) or a capture
    /// file (as `tcpdump -r`).
    public var source: PacketSource
    /// The attach point the program is for: a socket (the default, and AF_PACKET capture), a tc
    /// `cls_bpf` classifier or an iptables `xt_bpf` match, which takes at most 64 instructions.
    /// (An `xt_bpf` match sees packets from the network header: compile for the RAW link type;
    /// a UDP or TCP socket's filter sees them from the transport header: use
    /// ``PacketSource/inetSocket``.)
    public var attachTarget: AttachTarget
    /// Where `ether host NAME` and `net NAME` find their names: the system's databases, as
    /// libpcap, unless set.
    public var addressNames: AddressNameLookup = .system
    /// For `cls_bpf` only: the class a match returns; nil returns -1, the filter's own class.
    public var classID: TrafficControlHandle? = nil

    /// The link types expressions compile for.
    public static var supportedLinkTypes: [LinkType] { LinkLayer.supported }

    /// How many headers `protochain` skips at most: libpcap's walk loops, ours is unrolled, and a
    /// chain that goes on further is not matched.
    public static var protochainSkippedHeaderLimit: Int { ProtocolChainWalk.maximumSkippedHeaders }

    /// libpcap's default snapshot length, 262144.
    public static let defaultSnapshotLength: UInt32 = 262_144

    /// A compiler for a link type and snapshot length, from a live socket by default, checked for
    /// an attach point (`.socket` unless set).
    public init(
        linkType: LinkType = .ethernet, snapshotLength: UInt32 = defaultSnapshotLength, optimizes: Bool = true,
        netmask: UInt32 = 0, source: PacketSource = .live, attachTarget: AttachTarget = .socket
    ) {
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.optimizes = optimizes
        self.netmask = netmask
        self.source = source
        self.attachTarget = attachTarget
    }

    /// Parses and compiles `expression`; an empty expression accepts every packet.
    public func compile(_ expression: String) throws(FilterSyntaxError) -> Program {
        try compileVerified(expression).program
    }

    /// Compiles a parsed expression; nil accepts every packet.
    public func compile(_ expression: FilterExpression?) throws(FilterSyntaxError) -> Program {
        try compileVerified(expression).program
    }

    /// Parses and compiles `expression` as `compile` does, and returns the program with its
    /// proof for ``attachTarget``, which `Attach` and `Interpreter` take without checking again.
    public func compileVerified(_ expression: String) throws(FilterSyntaxError) -> VerifiedProgram {
        try checkSnapshotLength()
        let parser = try FilterParser(expression, addressNames: addressNames)
        return try StackSpace.run(levels: parser.levelBound) { () throws(FilterSyntaxError) in
            var parser = parser
            return try compileVerified(parser.parse())
        }
    }

    /// Compiles a parsed expression (nil accepts every packet) as `compile` does, and returns
    /// the program with its proof for ``attachTarget``.
    public func compileVerified(_ expression: FilterExpression?) throws(FilterSyntaxError) -> VerifiedProgram {
        guard attachTarget != .seccomp else {
            throw FilterSyntaxError("packet filters attach to a socket, cls_bpf or xt_bpf, not to seccomp")
        }
        guard source != .inetSocket || attachTarget == .socket else {
            throw FilterSyntaxError("a filter for an inet socket attaches to the socket, not to \(attachTarget.rawValue)")
        }
        try checkSnapshotLength()
        try checkClassID()
        let link = try LinkLayer(linkType, source: source)
        guard let expression else {
            return try checkAttachTarget(verifiedForSocket(Program([.returnConstant(acceptValue)])))
        }
        // A tree from the DSL can be any depth; the passes below recurse once per level.
        guard let depth = expression.nestingDepth(atMost: FilterExpression.maximumDepth) else {
            throw .nestedTooDeeply(at: nil)
        }
        return try StackSpace.run(levels: depth) { () throws(FilterSyntaxError) in
            try generate(expression, link: link)
        }
    }

    /// Generates, optimizes and checks the program for `expression`.
    private func generate(_ expression: FilterExpression, link: LinkLayer) throws(FilterSyntaxError) -> VerifiedProgram {
        var generator = FilterCodeGenerator(link: link, services: .system, addressNames: addressNames, netmask: netmask)
        generator.keepsEveryLoad = expression.turnsOffLibpcapsOptimizer
        var generated = try generator.condition(expression)
        if link.isWireless && !generator.keepsEveryLoad && generated.readsScratch(IEEE80211Offsets.payloadSlot) {
            // libpcap turns its optimizer off when it computes the 802.11 payload's offset,
            // wherever the primitive that needs it stands: generate again, keeping every load.
            generator = FilterCodeGenerator(link: link, services: .system, addressNames: addressNames, netmask: netmask)
            generator.keepsEveryLoad = true
            generated = try generator.condition(expression)
        }
        // Without its optimizer (`protochain`, `geneve`, 802.11 payloads), libpcap keeps every
        // load; so do we.
        var condition = generator.keepsEveryLoad ? generated : generated.simplified
        if generator.link.tunnelSlots > 0 {
            condition = .and(Self.zeroed(generator.link.tunnelSlotRange), condition)
        }
        if link.isWireless,
            let prologue = IEEE80211Offsets.prologue(for: condition, linkType: linkType, header: link.headerOffset)
        {
            condition = .and(prologue, condition)
        }
        let program = ConditionEmitter.program(for: condition, acceptValue: acceptValue)
        guard program.count <= generatedInstructionBound else {
            throw FilterSyntaxError(
                "expression too large: its code is \(program.count) instructions before optimization, more than "
                    + "the compiler works on (\(generatedInstructionBound)); the kernel takes at most "
                    + "\(Limits.maximumInstructions)")
        }
        // The limit applies to the program that is emitted: an unoptimized program longer than
        // that goes to the optimizer, which checks every other rule first and the length after.
        let optimized: VerifiedProgram
        if optimizes && program.count > Limits.maximumInstructions {
            do {
                optimized = try Optimizer.optimize(program, toFit: .socket)
            } catch {
                guard case .tooLong(let count, let limit) = error.rule else {
                    throw FilterSyntaxError("the generated program does not verify: \(error)")
                }
                throw FilterSyntaxError(
                    "the program does not fit: it needs \(count) instructions after optimization (\(program.count) "
                        + "before), \(count - limit) more than the kernel's limit of \(limit)")
            }
        } else {
            // The unoptimized program is verified once; the optimizer proves its own result.
            let unoptimized = try verifiedForSocket(program)
            optimized = optimizes ? Optimizer.optimize(unoptimized) : unoptimized
        }
        let result = try checkAttachTarget(optimized)
        guard optimizes else { return result }
        if optimized.program.instructions == [.returnConstant(0)] && !generator.keepsEveryLoad
            && condition.neverHoldsByLibpcapsReasoning
        {
            // libpcap's optimizer refuses such expressions the same way (when it runs). Ours
            // proves it of more (`len > -1`), which libpcap compiles, and so do we.
            throw FilterSyntaxError("expression rejects all packets")
        }
        return result
    }

    /// The most instructions the code generator may emit before optimization: the optimizer's
    /// time grows with it, so far larger expressions are refused before it runs. 64 times the
    /// kernel's limit; libpcap's code for 1,000 ports is about 5,800 instructions long after
    /// optimization, ours about 63,000 before.
    static let generatedInstructionLimit = 64 * Limits.maximumInstructions

    /// ``generatedInstructionLimit``, or less where the caller knows a longer program is of no
    /// use: the rule-set splitter, whose parts must fit 64 instructions, keeps the kernel's
    /// limit before optimizing, so that it learns quickly that a candidate is too long.
    var generatedInstructionBound = generatedInstructionLimit

    /// The generated program's proof for a socket, whose rules every packet attach point has.
    private func verifiedForSocket(_ program: Program) throws(FilterSyntaxError) -> VerifiedProgram {
        do {
            return try VerifiedProgram(program, for: .socket)
        } catch {
            throw FilterSyntaxError("the generated program does not verify: \(error)")
        }
    }

    /// A snapshot length of 0 would make every accepted packet 0 bytes long, which is a
    /// rejection: libpcap refuses it in these words (tcpdump's `-s 0` means 262144 instead).
    private func checkSnapshotLength() throws(FilterSyntaxError) {
        guard snapshotLength != 0 else { throw FilterSyntaxError("snaplen of 0 rejects all packets") }
    }

    /// The attach point's own rules beyond a socket's, which the program was checked against:
    /// `xt_bpf`'s length limit.
    private func checkAttachTarget(_ program: VerifiedProgram) throws(FilterSyntaxError) -> VerifiedProgram {
        do {
            return try program.verified(for: attachTarget)
        } catch {
            throw FilterSyntaxError("\(error)")
        }
    }

    /// Sets the top `count` scratch slots to 0 before anything runs. Where a tunnel test fails,
    /// the primitives after it still read its slots: the kernel refuses a program that may read
    /// a slot never written, and libpcap's own code reads whatever its memory held. Zero makes
    /// those offsets count from the packet's start.
    private static func zeroed(_ slots: Range<UInt32>) -> Condition {
        .always([.loadImmediate(.a, 0)] + slots.map { .store(.a, slot: $0) })
    }
}

/// Where packets come from. libpcap compiles a few primitives differently for a capture file
/// than for a live capture, and tcpdump's verdicts follow.
public enum PacketSource: Hashable, Sendable {
    /// A live socket, and `tcpdump -d` without `-r`: `inbound`, `outbound` and `ifindex` ask
    /// the kernel, and the NULL link type's address family is in little-endian order with
    /// Linux's AF_INET6.
    case live
    /// A capture file written in this byte order: `inbound`, `outbound` and `ifindex` need the
    /// link-layer header to say, and NULL's IPv6 is any BSD's AF_INET6.
    case captureFile(bigEndian: Bool)
    /// A filter on a UDP or TCP socket (`SO_ATTACH_FILTER` on an AF_INET or AF_INET6 socket):
    /// the kernel runs it with the packet starting at the transport header, so transport fields
    /// are at offset 0 and IPv4 or IPv6 fields are reached through `SKF_NET_OFF`; the family is
    /// told by the IP version. There is no link layer: the link type is not used, and primitives
    /// that need one (`ether`, `arp`, `vlan`, `len`, ...) are refused. `host ::ffff:a.b.c.d`
    /// (without `ip6`) also matches IPv4 from a.b.c.d, as an AF_INET6 socket reports it.
    case inetSocket
}

extension FilterExpression {
    /// Parses pcap-filter text; nil for an empty (or all-blank) expression.
    public static func parse(_ text: String) throws(FilterSyntaxError) -> FilterExpression? {
        let parser = try FilterParser(text)
        return try StackSpace.run(levels: parser.levelBound) { () throws(FilterSyntaxError) in
            var parser = parser
            return try parser.parse()
        }
    }
}

extension FilterExpression {
    /// Whether libpcap compiles this without its optimizer: its code for `protochain` loops and
    /// its code for `geneve` jumps within a block, which its optimizer cannot handle.
    var turnsOffLibpcapsOptimizer: Bool {
        switch self {
        case .primitive(.protocolChain), .primitive(.geneve): true
        case .primitive, .comparison: false
        case .not(let inner): inner.turnsOffLibpcapsOptimizer
        case .and: andOperands.contains(where: \.turnsOffLibpcapsOptimizer)
        case .or: orOperands.contains(where: \.turnsOffLibpcapsOptimizer)
        }
    }
}
