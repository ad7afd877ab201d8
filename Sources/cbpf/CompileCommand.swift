import ArgumentParser
import CBPF
import PacketFilter

/// `-y/--linktype`, `-s/--snaplen` and `-O/--no-optimize`: how a tcpdump expression compiles.
struct FilterCompileOptions: ParsableArguments {
    @Option(name: [.customShort("y"), .long], help: "The link type, by libpcap's name, as tcpdump -y: \(PacketFilterCompiler.supportedLinkTypes.compactMap(\.name).joined(separator: ", ")).")
    var linktype: String = "EN10MB"

    @Option(name: [.customShort("s"), .long], help: "What an accepted packet returns: the snapshot length; 0 means 262144, as tcpdump -s 0.")
    var snaplen: UInt32 = PacketFilterCompiler.defaultSnapshotLength

    @Flag(name: [.customShort("O"), .customLong("no-optimize")], help: "Don't optimize, as tcpdump -O.")
    var noOptimize = false

    func compiler(for target: AttachTarget = .socket, source: PacketSource = .live) throws -> PacketFilterCompiler {
        PacketFilterCompiler(
            linkType: try Self.linkType(named: linktype),
            snapshotLength: snaplen == 0 ? PacketFilterCompiler.defaultSnapshotLength : snaplen, optimizes: !noOptimize,
            source: source, attachTarget: target)
    }

    static func linkType(named name: String) throws -> LinkType {
        let supported = PacketFilterCompiler.supportedLinkTypes
        guard let type = LinkType(name: name), supported.contains(type) else {
            throw InputError(
                "--linktype: unsupported link type \(quotedExcerpt(name)); use one of \(supported.compactMap(\.name).joined(separator: ", "))")
        }
        return type
    }

    /// Compiles the words of a tcpdump expression, joined by spaces as tcpdump joins them.
    func compile(
        _ words: [String], for target: AttachTarget = .socket, source: PacketSource = .live,
        classID: TrafficControlHandle? = nil
    ) throws -> Program {
        try compileVerified(words, for: target, source: source, classID: classID).program
    }

    /// Compiles as ``compile(_:for:source:classID:)`` does, keeping the program's proof.
    func compileVerified(
        _ words: [String], for target: AttachTarget = .socket, source: PacketSource = .live,
        classID: TrafficControlHandle? = nil
    ) throws -> VerifiedProgram {
        var compiler = try compiler(for: target, source: source)
        compiler.classID = classID
        let expression = words.joined(separator: " ")
        do {
            return try compiler.compileVerified(expression)
        } catch {
            throw InputError("filter expression \(quotedExcerpt(expression)): \(error)")
        }
    }
}

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a tcpdump filter expression to classic BPF.",
        discussion: """
            Prints the program as tcpdump's -d, -dd or -ddd would, or as the bytecode string that \
            tc and iptables -m bpf take (the default).
            """
    )

    @OptionGroup var options: FilterCompileOptions
    @OptionGroup var output: OutputFormatOptions

    @Flag(help: "Print the bytecode string (the default).")
    var bytecode = false

    @Option(help: """
        The attach point: socket (also AF_PACKET), cls_bpf, or xt_bpf, which takes at most 64 \
        instructions and sees packets from the IP header (use --linktype RAW). A cls_bpf program \
        returns -1 on a match (the filter's classid), or --classid's class.
        """)
    var target: AttachTarget = .socket

    @Flag(help: """
        Compile for a UDP or TCP socket's own filter, which sees packets from the transport \
        header: IP fields through SKF_NET_OFF, no link layer.
        """)
    var inetSocket = false

    @Option(help: "cls_bpf only: the class MAJ:MIN (hexadecimal, as tc writes it) that a match returns.")
    var classid: TrafficControlHandle?

    @Argument(help: "The filter expression, in one or several words.")
    var expression: [String] = []

    func validate() throws {
        if bytecode && (output.listing || output.cArray || output.decimal) {
            throw ValidationError("choose one of -d, -dd, -ddd and --bytecode")
        }
        if target == .seccomp {
            throw ValidationError("--target: packet filters attach to socket, cls_bpf or xt_bpf, not seccomp")
        }
        if inetSocket && target != .socket {
            throw ValidationError("--inet-socket: a UDP or TCP socket's filter attaches as a socket filter, not to \(target.rawValue)")
        }
        if inetSocket && options.linktype != "EN10MB" {
            throw ValidationError("--inet-socket: --linktype does not apply, the packets start at the transport header")
        }
        if classid != nil && target != .trafficControl {
            throw ValidationError("--classid: a class applies to --target cls_bpf only")
        }
        try options.checkSnapshotLengthApplies(to: target)
    }

    func run() throws {
        let source: PacketSource = inetSocket ? .inetSocket : .live
        print(output.render(try options.compile(expression, for: target, source: source, classID: classid)), terminator: "")
    }
}
