import ArgumentParser
import CBPF
import PacketFilter
import SystemCalls
import SystemPackage

struct FilterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Run a packet filter over a capture file, as tcpdump -r does: print, count or write the packets it accepts.",
        discussion: """
            The filter is a tcpdump expression, compiled for each link type in the file as tcpdump -r \
            compiles it, or a program given with --bytecode. \
            Reads a pcap or pcapng file (- for standard input) through a fixed buffer, so memory stays \
            the same whatever the file's size, and runs the program on each packet as a socket filter: \
            the captured bytes are the packet and `ld #len` reads the original length, so a load past \
            the captured bytes rejects the packet, as libpcap's bpf_filter does for tcpdump -r. \
            Prints one line per accepted packet, as cbpf capture does; or only how many with --count; \
            or writes them with -w to a capture file of the input's format (pcap stays pcap, with its \
            timestamp resolution, link type and snapshot length; pcapng stays pcapng, with every \
            interface and nanosecond timestamps), or the format --pcap or --pcapng asks for. \
            If the file is damaged, the packets before the damage are printed or written (the \
            output file is complete) and the error names the file, the byte offset and what is \
            wrong. \
            Example: cbpf filter -r trace.pcapng -w web.pcapng tcp port 80
            """
    )

    /// The format of the file `-w` writes.
    enum OutputFormat: String, EnumerableFlag {
        case pcap, pcapng

        static func help(for value: OutputFormat) -> ArgumentHelp? {
            switch value {
            case .pcap: "With -w: write pcap, whatever the input (its packets must share one link type)."
            case .pcapng: "With -w: write pcapng, whatever the input."
            }
        }
    }

    @Option(name: .customShort("r"), help: ArgumentHelp("The capture file, pcap or pcapng; - for standard input.", valueName: "file"))
    var file: String

    @Option(name: .customShort("w"), help: ArgumentHelp(
        "Write the accepted packets to this capture file (- for standard output) instead of printing them.",
        valueName: "file"))
    var outputFile: String?

    @Flag(help: "The format -w writes; by default the input's.")
    var outputFormat: OutputFormat?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many accepted packets.", valueName: "count"))
    var limit: Int?

    @Flag(help: "Print only the number of accepted packets.")
    var count = false

    @Flag(name: .customShort("q"), help: "Quick output: print less protocol information, as tcpdump -q.")
    var quick = false

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
        if bytecode == "-" && file == "-" {
            throw ValidationError("-r - and --bytecode - cannot both read standard input")
        }
        if let limit, limit <= 0 { throw ValidationError("-c: the count must be positive, not \(limit)") }
        if outputFormat != nil && outputFile == nil { throw ValidationError("--\(outputFormat!.rawValue) needs -w FILE") }
        if count && outputFile == "-" { throw ValidationError("--count and -w - would both write to standard output") }
    }

    func run() throws {
        let inputName = displayName(ofPath: file)
        var reader: CaptureReader
        do {
            reader = file == "-"
                ? try CaptureReader(descriptor: .standardInput, path: inputName) : try CaptureReader(path: file)
        } catch {
            throw InputError(error.description)
        }
        var selector: PacketSelector
        if let bytecode {
            selector = PacketSelector(.single(try Interpreter(Program(raw: rawInstructions(fromArgument: bytecode)), for: .socket)))
        } else {
            let compiler = PacketFilterCompiler(source: .captureFile(bigEndian: reader.byteOrder == .bigEndian))
            selector = PacketSelector(.compiled(compiler, expression.joined(separator: " "), [:]))
        }
        if let outputFile {
            try write(&reader, to: outputFile, selector: &selector)
        } else if count {
            // Options are read once: each read of a property wrapper costs a metadata lookup.
            let limit = self.limit ?? .max
            var accepted = 0
            while accepted < limit, let packet = try Self.next(&reader) {
                if try selector.accepts(packet) { accepted += 1 }
            }
            print(accepted)
        } else {
            try printSummaries(&reader, selector: &selector)
        }
    }

    // MARK: - Filtering

    /// One program for every packet, or a tcpdump expression compiled for each link type met.
    private enum ProgramsByLinkType {
        case single(Interpreter)
        case compiled(PacketFilterCompiler, String, [LinkType: Interpreter])
    }

    /// Runs the program for each packet's link type, compiled the first time the type is met.
    private struct PacketSelector {
        var programs: ProgramsByLinkType
        // Nearly every file has one link type: the program for the last one is kept at hand.
        var currentLinkType: LinkType?
        var current: Interpreter?

        init(_ programs: ProgramsByLinkType) {
            self.programs = programs
        }

        /// Whether the program accepts `packet` (returns other than 0).
        @inline(__always)
        mutating func accepts(_ packet: CaptureReader.PacketView) throws -> Bool {
            if packet.linkType != currentLinkType {
                current = try interpreter(for: packet.linkType)
                currentLinkType = packet.linkType
            }
            return current.unsafelyUnwrapped.run(packet: packet.bytes, wireLength: packet.originalLength) != 0
        }

        private mutating func interpreter(for linkType: LinkType) throws -> Interpreter {
            switch programs {
            case .single(let interpreter):
                return interpreter
            case .compiled(var compiler, let expression, var interpreters):
                if let interpreter = interpreters[linkType] { return interpreter }
                compiler.linkType = linkType
                do {
                    let interpreter = try Interpreter(compiler.compile(expression), for: .socket)
                    interpreters[linkType] = interpreter
                    programs = .compiled(compiler, expression, interpreters)
                    return interpreter
                } catch {
                    throw InputError("filter expression for link type \(linkType): \(error)")
                }
            }
        }
    }

    /// The next packet, or nil at the end; a damaged record's error names the file, the byte
    /// offset and what is wrong.
    @inline(__always)
    private static func next(_ reader: inout CaptureReader) throws -> CaptureReader.PacketView? {
        do {
            return try reader.nextPacket()
        } catch {
            throw InputError(error.description)
        }
    }

    // MARK: - Outputs

    /// Prints each accepted packet's summary line, in pieces of 64 KiB, and those before a
    /// damaged record.
    private func printSummaries(_ reader: inout CaptureReader, selector: inout PacketSelector) throws {
        var output = [UInt8]()
        output.reserveCapacity(1 << 16 + 512)
        func flush() throws {
            do {
                try output.withUnsafeBytes { try FileDescriptor.standardOutput.writeAll(from: $0) }
            } catch {
                throw InputError("cannot write to standard output: \(error)")
            }
            output.removeAll(keepingCapacity: true)
        }
        let (limit, quick) = (self.limit ?? .max, self.quick)
        var accepted = 0
        do {
            while accepted < limit, let packet = try Self.next(&reader) {
                guard try selector.accepts(packet) else { continue }
                accepted += 1
                let timestamp = packet.timestamp
                let line = PacketSummary.line(
                    packet.bytes, linkType: packet.linkType, originalLength: Int(packet.originalLength),
                    seconds: timestamp.seconds, nanoseconds: timestamp.nanoseconds, quick: quick)
                output.append(contentsOf: line.utf8)
                output.append(0x0A)
                if output.count >= 1 << 16 { try flush() }
            }
        } catch {
            try flush()
            throw error
        }
        try flush()
    }

    /// Writes the accepted packets to `-w`'s file, complete even when a damaged record ends the
    /// input early.
    private func write(_ reader: inout CaptureReader, to outputFile: String, selector: inout PacketSelector) throws {
        let format = outputFormat.map { $0 == .pcap ? CaptureFile.Format.pcap : .pcapng } ?? reader.format
        // A pcap header takes the first interface, which a pcapng input describes only after its
        // Section Header Block: the first packet shows it.
        var first: CaptureReader.PacketView?
        var failure: (any Error)?
        if format == .pcap && reader.format == .pcapng {
            do {
                first = try Self.next(&reader)
            } catch {
                failure = error
            }
            if reader.interfaces.isEmpty {
                throw failure ?? InputError(
                    "\(displayName(ofPath: file)): no interface is described, so there is no link type for a pcap header")
            }
        }
        let interfaces = reader.interfaces
        // A pcap file keeps its timestamps' unit; libpcap writes microseconds.
        let resolution: PcapWriter.Resolution = (interfaces.first?.ticksPerSecond ?? 0) > 1_000_000 ? .nanoseconds : .microseconds
        var writer: CaptureFileWriter
        do {
            writer = outputFile == "-"
                ? try CaptureFileWriter(descriptor: .standardOutput, format: format, interfaces: interfaces, resolution: resolution)
                : try CaptureFileWriter(path: outputFile, format: format, interfaces: interfaces, resolution: resolution)
        } catch {
            throw InputError("-w: \(error)")
        }
        var interfacesWritten = format == .pcap ? 1 : interfaces.count
        let pcapLinkType = interfaces.first?.linkType
        let limit = self.limit ?? .max
        var accepted = 0
        do {
            while failure == nil, accepted < limit {
                let packet: CaptureReader.PacketView
                if let pending = first {
                    packet = pending
                    first = nil
                } else {
                    guard let next = try Self.next(&reader) else { break }
                    packet = next
                }
                guard try selector.accepts(packet) else { continue }
                accepted += 1
                do {
                    if format == .pcapng {
                        // Interfaces go out as the input describes them, so that their indices stay.
                        if interfacesWritten <= packet.interfaceIndex {
                            let interfaces = reader.interfaces
                            for interface in interfaces[interfacesWritten...] { try writer.addInterface(interface) }
                            interfacesWritten = interfaces.count
                        }
                        try writer.write(packet)
                    } else {
                        guard packet.linkType == pcapLinkType else {
                            throw InputError("""
                                -w: packet \(reader.packetCount) is of link type \(packet.linkType), the first \
                                interface's is \(pcapLinkType.map(String.init(describing:)) ?? "none"), and a pcap file \
                                holds one link type: write pcapng (--pcapng)
                                """)
                        }
                        try writer.write(packet.bytes, originalLength: Int(packet.originalLength), timestamp: packet.timestamp)
                    }
                } catch let error as CaptureError {
                    throw InputError("-w: \(error)")
                }
            }
        } catch {
            failure = error
        }
        do {
            if format == .pcapng {
                let interfaces = reader.interfaces
                for interface in interfaces[min(interfacesWritten, interfaces.count)...] { try writer.addInterface(interface) }
            }
            try writer.close()
        } catch {
            throw failure ?? InputError("-w: \(error)")
        }
        if let failure { throw failure }
        if count { print(accepted) }
    }
}
