import ArgumentParser
import CBPF
import PacketFilter

/// `--linktype`, `--snaplen` and `--no-optimize`: how a tcpdump expression compiles.
struct FilterCompileOptions: ParsableArguments {
    @Option(help: "The link type, by libpcap's name: EN10MB, RAW, LINUX_SLL, LINUX_SLL2, NULL, LOOP, IPV4, IPV6, IEEE802_11, IEEE802_11_RADIO.")
    var linktype: String = "EN10MB"

    @Option(help: "What an accepted packet returns: the snapshot length.")
    var snaplen: UInt32 = PacketFilterCompiler.defaultSnapshotLength

    @Flag(name: [.customShort("O"), .customLong("no-optimize")], help: "Don't optimize, as tcpdump -O.")
    var noOptimize = false

    func compiler() throws -> PacketFilterCompiler {
        PacketFilterCompiler(linkType: try Self.linkType(named: linktype), snapshotLength: snaplen, optimizes: !noOptimize)
    }

    static func linkType(named name: String) throws -> LinkType {
        let supported = PacketFilterCompiler.supportedLinkTypes
        guard let type = LinkType(name: name), supported.contains(type) else {
            throw InputError(
                "--linktype: unsupported link type \"\(name)\"; use one of \(supported.compactMap(\.name).joined(separator: ", "))")
        }
        return type
    }

    /// Compiles the words of a tcpdump expression, joined by spaces as tcpdump joins them.
    func compile(_ words: [String]) throws -> Program {
        let compiler = try compiler()
        do {
            return try compiler.compile(words.joined(separator: " "))
        } catch {
            throw InputError("filter expression \"\(words.joined(separator: " "))\": \(error)")
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

    @Argument(help: "The filter expression, in one or several words.")
    var expression: [String] = []

    func validate() throws {
        if bytecode && (output.listing || output.cArray || output.decimal) {
            throw ValidationError("choose one of -d, -dd, -ddd and --bytecode")
        }
    }

    func run() throws {
        print(output.render(try options.compile(expression)), terminator: "")
    }
}
