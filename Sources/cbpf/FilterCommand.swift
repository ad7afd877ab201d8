import ArgumentParser
import CBPF
import PacketFilter

struct FilterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Run a packet filter over a capture file and print the numbers of the packets it accepts.",
        discussion: """
            The filter is a tcpdump expression, compiled for each link type in the file as tcpdump -r \
            compiles it, or a program given with --bytecode. \
            Reads a pcap or pcapng file and runs the program on each packet as a socket filter: the \
            captured bytes are the packet and `ld #len` reads the original length, so a load past \
            the captured bytes rejects the packet, as libpcap's bpf_filter does for tcpdump -r. \
            Prints the 1-based numbers of the accepted packets, one per line, or only how many \
            with --count. If the file is damaged, the packets before the damage are printed \
            (without --count) and the error names the file, the byte offset and what is wrong. \
            Example: cbpf filter -r trace.pcap --bytecode "$(tcpdump -ddd -r trace.pcap tcp | tr '\\n' ',')"
            """
    )

    @Option(name: .customShort("r"), help: ArgumentHelp("The capture file, pcap or pcapng.", valueName: "file"))
    var file: String

    @Flag(help: "Print only the number of accepted packets.")
    var count = false

    @Option(help: """
        The program: a bytecode string such as "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0", \
        tcpdump -ddd or -dd output, or - for standard input.
        """)
    var bytecode: String?

    @Argument(help: "A tcpdump filter expression, in one or several words.")
    var expression: [String] = []

    func validate() throws {
        if bytecode == nil && expression.isEmpty {
            throw ValidationError("give a filter expression or a program with --bytecode")
        }
        if bytecode != nil && !expression.isEmpty {
            throw ValidationError("give either --bytecode or a filter expression, not both")
        }
    }

    func run() throws {
        let capture: CaptureFile
        do {
            capture = try CaptureFile(contentsOf: file)
        } catch {
            throw InputError(error.description)
        }
        let programs: ProgramsByLinkType
        if let bytecode {
            programs = .single(try Interpreter(Program(raw: rawInstructions(fromArgument: bytecode)), for: .socket))
        } else {
            let compiler = PacketFilterCompiler(source: .captureFile(bigEndian: capture.byteOrder == .bigEndian))
            programs = .compiled(compiler, expression.joined(separator: " "))
        }
        try filter(with: programs, capture.makeReader())
    }

    /// One program for every packet, or a tcpdump expression compiled for each link type met.
    private enum ProgramsByLinkType {
        case single(Interpreter)
        case compiled(PacketFilterCompiler, String)
    }

    /// Prints as it goes, so that the packets before a damaged record are still reported.
    private func filter(with programs: ProgramsByLinkType, _ reader: CaptureReader) throws {
        var reader = reader
        var interpreters: [LinkType: Interpreter] = [:]
        func interpreter(for linkType: LinkType) throws -> Interpreter {
            switch programs {
            case .single(let interpreter): return interpreter
            case .compiled(var compiler, let expression):
                if let interpreter = interpreters[linkType] { return interpreter }
                compiler.linkType = linkType
                do {
                    let interpreter = try Interpreter(compiler.compile(expression), for: .socket)
                    interpreters[linkType] = interpreter
                    return interpreter
                } catch {
                    throw InputError("filter expression for link type \(linkType): \(error)")
                }
            }
        }
        var accepted = 0
        var output = ""
        defer { if !output.isEmpty { print(output, terminator: "") } }
        while true {
            let packet: CapturedPacket?
            do {
                packet = try reader.next()
            } catch {
                throw InputError(error.description)
            }
            guard let packet else { break }
            let verdict = try interpreter(for: packet.linkType).run(packet: packet.data, wireLength: packet.originalLength)
            guard verdict != 0 else { continue }
            accepted += 1
            if !count {
                output += "\(reader.packetCount)\n"
                if output.utf8.count >= 1 << 16 {
                    print(output, terminator: "")
                    output = ""
                }
            }
        }
        if count { output = "\(accepted)\n" }
    }
}
