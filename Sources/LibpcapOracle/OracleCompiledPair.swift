import CBPF
import CPcap
import PacketFilter

/// An expression compiled by libpcap and by us, each side's result and compile time.
package struct OracleCompilation: Sendable {
    package var libpcap: Result<[RawInstruction], OracleLibpcap.Failure>
    /// libpcap's optimizer said the expression rejects every packet: `libpcap` is its unoptimized program.
    package var libpcapOptimizerRejectsAll = false
    package var ours: Result<Program, FilterSyntaxError>
    package var libpcapTime: Duration
    package var oursTime: Duration

    /// Compiles `expression` with libpcap (optimized, or unoptimized where its optimizer rejects
    /// every packet) and with `PacketFilterCompiler(linkType:)`.
    package init(_ expression: String, linkType: LinkType, dlt: Int32) {
        let clock = ContinuousClock()
        let start = clock.now
        libpcap = OracleLibpcap.compile(expression, dlt: dlt, optimize: true)
        if case .failure(let failure) = libpcap, failure.description.contains("rejects all packets") {
            libpcapOptimizerRejectsAll = true
            libpcap = OracleLibpcap.compile(expression, dlt: dlt, optimize: false)
        }
        let middle = clock.now
        do throws(FilterSyntaxError) {
            ours = .success(try PacketFilterCompiler(linkType: linkType).compile(expression))
        } catch {
            ours = .failure(error)
        }
        libpcapTime = middle - start
        oursTime = clock.now - middle
    }

    /// Both refuse the expression as libpcap's optimizer does: it matches nothing.
    package var bothRejectAll: Bool {
        guard libpcapOptimizerRejectsAll, case .success = libpcap, case .failure(let error) = ours else { return false }
        return error.message.contains("rejects all packets")
    }
}

/// An expression compiled by libpcap and by us, ready to run.
package struct OracleCompiledPair: Sendable {
    package var expression: String
    package var linkType: LinkType
    package var ours: Program
    package var oursUnoptimized: Program?
    package var libpcap: [RawInstruction]
    package var libpcapIsUnoptimized: Bool
    package var oursInterpreter: Interpreter
    package var oursUnoptimizedInterpreter: Interpreter?
    package var libpcapInterpreter: Interpreter?
    package var libpcapInsns: [bpf_insn]
    /// libpcap's unoptimized program. Where it and the optimized one disagree (a load the
    /// optimizer dropped or kept, on a packet too short for it), libpcap's verdict is not defined,
    /// and the packet is counted, not compared. Nil: every packet is compared.
    package var libpcapUnoptimizedInterpreter: Interpreter?
    /// On the 802.11 link types, libpcap's program with the relation temporaries it put in its
    /// offset slots moved elsewhere (``OracleOffsetRegisterRepair``); nil where there is no clash.
    package var libpcapRepairedInterpreter: Interpreter?

    /// The pair, or nil when our program does not verify.
    package init?(expression: String, linkType: LinkType, ours: Program, oursUnoptimized: Program?,
                 libpcap: [RawInstruction], libpcapIsUnoptimized: Bool, libpcapUnoptimizedInterpreter: Interpreter?)
    {
        guard let oursInterpreter = try? Interpreter(ours, for: .socket) else { return nil }
        self.expression = expression
        self.linkType = linkType
        self.ours = ours
        self.oursUnoptimized = oursUnoptimized
        self.libpcap = libpcap
        self.libpcapIsUnoptimized = libpcapIsUnoptimized
        self.oursInterpreter = oursInterpreter
        oursUnoptimizedInterpreter = oursUnoptimized.flatMap { try? Interpreter($0, for: .socket) }
        libpcapInterpreter = (try? Program(raw: libpcap)).flatMap { try? Interpreter($0, for: .socket) }
        libpcapInsns = OracleLibpcap.insns(libpcap)
        self.libpcapUnoptimizedInterpreter = libpcapUnoptimizedInterpreter
        if linkType == .ieee802_11 || linkType == .ieee802_11Radio {
            libpcapRepairedInterpreter = OracleOffsetRegisterRepair(libpcap).repaired
                .flatMap { try? Interpreter($0, for: .socket) }
        }
    }

    /// The pair for an expression both compile, with our unoptimized program and libpcap's
    /// unoptimized program as the judge of where its verdict is defined; nil when ours does not verify.
    package init?(_ compilation: OracleCompilation, expression: String, linkType: LinkType, dlt: Int32) {
        guard case .success(let reference) = compilation.libpcap, case .success(let program) = compilation.ours
        else { return nil }
        var unoptimized: Program? = nil
        do throws(FilterSyntaxError) {
            unoptimized = try PacketFilterCompiler(linkType: linkType, optimizes: false).compile(expression)
        } catch {}
        self.init(
            expression: expression, linkType: linkType, ours: program, oursUnoptimized: unoptimized,
            libpcap: reference, libpcapIsUnoptimized: compilation.libpcapOptimizerRejectsAll,
            libpcapUnoptimizedInterpreter: OracleLibpcap.unoptimizedInterpreter(expression, dlt: dlt))
    }

    /// Whether libpcap's program loads Linux ancillary data (`ld #type` for `inbound`), which
    /// bpf_filter in user space does not provide.
    package var libpcapUsesAncillaryData: Bool {
        libpcap.contains { [0x20, 0x28, 0x30].contains($0.code) && $0.k >= 0xffff_f000 }
    }

    /// Whether libpcap's program shifts by X: for X >= 32 bpf_filter gives 0, the kernel (and our
    /// interpreter) shifts by X & 31.
    package var libpcapShiftsByX: Bool {
        libpcap.contains { $0.code == 0x6c || $0.code == 0x7c }
    }

    /// Whether libpcap's `protochain` loop could skip more headers of `packet` than our unrolled
    /// walk (or loop forever in bpf_filter): then there is no verdict to compare.
    package func walksProtocolChains(_ packet: OraclePacket) -> Bool {
        expression.contains("protochain")
            && OracleProtocolChain.mayExceed(
                PacketFilterCompiler.protochainSkippedHeaderLimit, in: packet.data, linkType: linkType, target: nil)
    }

    /// libpcap's verdict: its program through our interpreter, or through bpf_filter when our
    /// verifier refuses libpcap's program.
    package func libpcapVerdict(_ packet: OraclePacket) -> UInt32 {
        if let libpcapInterpreter { return libpcapInterpreter.run(packet: packet.data, wireLength: packet.wireLength) }
        return OracleLibpcap.filter(libpcapInsns, packet: packet.data, wireLength: packet.wireLength)
    }

    package func oursVerdict(_ packet: OraclePacket) -> UInt32 {
        oursInterpreter.run(packet: packet.data, wireLength: packet.wireLength)
    }

    /// `"EN10MB \"expression\""`.
    package var label: String { "\(linkType.name ?? "?") \"\(expression)\"" }
}

/// How each accept.tsv row of a supported link type compiled.
package struct OracleAcceptCompilation: Sendable {
    package enum Outcome: Sendable {
        case both(OracleCompiledPair)
        case onlyLibpcap(ours: String)
        case onlyOurs(libpcap: String, ours: Program)
        case neither(libpcap: String, ours: String)
        /// The expression names a host of TESTrun's test-only hosts file (`*.libpcap.test`):
        /// neither libpcap nor ours is asked (an unknown name can take a 5 s DNS timeout).
        case testOnlyName(ours: Result<Program, FilterSyntaxError>)
    }

    package struct Entry: Sendable {
        package var row: OracleAcceptRow
        package var linkType: LinkType
        package var outcome: Outcome
        /// libpcap's optimizer said the expression rejects every packet; its unoptimized program is
        /// the reference.
        package var libpcapOptimizerRejectsAll: Bool
    }

    package var entries: [Entry] = []
    package var libpcapTime = Duration.zero
    package var oursTime = Duration.zero
    /// Expressions libpcap takes long to compile.
    package var slowLibpcap: [String] = []
    /// Rows of link types we don't support.
    package var otherLinkTypes = 0

    package var pairs: [OracleCompiledPair] {
        entries.compactMap { if case .both(let pair) = $0.outcome { pair } else { nil } }
    }

    /// The entries by outcome, each labelled `LINKTYPE "expression"`.
    package struct Counts: Sendable {
        package var both = 0
        package var onlyLibpcap: [(label: String, ours: String)] = []
        package var onlyOurs: [(label: String, libpcap: String)] = []
        package var neither: [(label: String, libpcap: String, ours: String)] = []
        /// Of `neither`: both refuse the expression as libpcap's optimizer does.
        package var bothRejectAll = 0
        /// libpcap's optimizer rejects all packets (its unoptimized program is the reference).
        package var optimizerRejectsAll = 0
        package var testOnlyNames = 0
        /// Test-only host names we compile: we should refuse them.
        package var testOnlyNamesCompiled: [String] = []
        /// Over the pairs whose libpcap program is optimized.
        package var sizes = OracleProgramSizes()
    }

    package var counts: Counts {
        var counts = Counts()
        for entry in entries {
            let label = "\(entry.row.linkTypeName) \"\(entry.row.expression)\""
            if entry.libpcapOptimizerRejectsAll { counts.optimizerRejectsAll += 1 }
            switch entry.outcome {
            case .both(let pair):
                counts.both += 1
                // Where libpcap's program loops (protochain), ours is unrolled: not a size comparison.
                if !pair.libpcapIsUnoptimized && pair.libpcapInterpreter != nil {
                    counts.sizes.add(ours: pair.ours.count, libpcap: pair.libpcap.count, label: label)
                }
            case .onlyLibpcap(let ours):
                counts.onlyLibpcap.append((label, ours))
            case .onlyOurs(let libpcap, _):
                counts.onlyOurs.append((label, libpcap))
            case .neither(let libpcap, let ours):
                counts.neither.append((label, libpcap, ours))
                if libpcap.contains("rejects all packets") { counts.bothRejectAll += 1 }
            case .testOnlyName(let ours):
                counts.testOnlyNames += 1
                if case .success = ours { counts.testOnlyNamesCompiled.append(label) }
            }
        }
        return counts
    }

    /// Compiles every row of the corpus's accept table.
    package init(corpus: OracleCorpus) {
        let supportedNames = LinkType.oracleSupported.compactMap(\.name)
        for row in OracleAcceptRow.load(from: corpus) {
            guard supportedNames.contains(row.linkTypeName),
                  let linkType = LinkType(name: row.linkTypeName), let dlt = OracleLibpcap.dlt(named: row.linkTypeName)
            else {
                otherLinkTypes += 1
                continue
            }
            if row.expression.lowercased().contains(".libpcap.test") {
                // Neither side resolves these names (`.test` is reserved), and asking the resolver
                // can wait for DNS timeouts, so ours is not asked either.
                let ours: Result<Program, FilterSyntaxError> = .failure(
                    FilterSyntaxError("not compiled: a host of TESTrun's test-only hosts file"))
                entries.append(Entry(
                    row: row, linkType: linkType, outcome: .testOnlyName(ours: ours), libpcapOptimizerRejectsAll: false))
                continue
            }
            let compilation = OracleCompilation(row.expression, linkType: linkType, dlt: dlt)
            libpcapTime += compilation.libpcapTime
            oursTime += compilation.oursTime
            if compilation.libpcapTime > .milliseconds(200) {
                slowLibpcap.append("\(row.linkTypeName) \"\(row.expression)\" \(compilation.libpcapTime)")
            }
            let outcome: Outcome
            switch (compilation.libpcap, compilation.ours) {
            case (.success, .success):
                if let pair = OracleCompiledPair(compilation, expression: row.expression, linkType: linkType, dlt: dlt) {
                    outcome = .both(pair)
                } else {
                    outcome = .onlyLibpcap(ours: "our program does not verify")
                }
            case (.success, .failure(let error)) where compilation.bothRejectAll:
                outcome = .neither(libpcap: "expression rejects all packets", ours: error.description)
            case (.success, .failure(let error)):
                outcome = .onlyLibpcap(ours: error.description)
            case (.failure(let failure), .success(let program)):
                outcome = .onlyOurs(libpcap: failure.description, ours: program)
            case (.failure(let failure), .failure(let error)):
                outcome = .neither(libpcap: failure.description, ours: error.description)
            }
            entries.append(Entry(
                row: row, linkType: linkType, outcome: outcome,
                libpcapOptimizerRejectsAll: compilation.libpcapOptimizerRejectsAll))
        }
    }
}

/// Our programs' sizes against libpcap's, in instructions.
package struct OracleProgramSizes: Sendable {
    package var ours = 0
    package var libpcap = 0
    package var shorter = 0
    package var equal = 0
    /// Where ours is longer, in order.
    package var longer: [(ours: Int, libpcap: Int, label: String)] = []
    /// The first of the largest `ours - libpcap`, longer or not.
    package var worst: (ours: Int, libpcap: Int, label: String)? = nil
    /// How many fit xt_bpf's 64 instructions: both, only libpcap's, only ours, neither.
    package var fit = (both: 0, onlyLibpcap: 0, onlyOurs: 0, neither: 0)

    package init() {}

    /// Expressions counted.
    package var compared: Int { shorter + equal + longer.count }

    package mutating func add(ours: Int, libpcap: Int, label: String) {
        self.ours += ours
        self.libpcap += libpcap
        if ours > libpcap { longer.append((ours, libpcap, label)) }
        if ours < libpcap { shorter += 1 }
        if ours == libpcap { equal += 1 }
        if worst.map({ ours - libpcap > $0.ours - $0.libpcap }) ?? true { worst = (ours, libpcap, label) }
        switch (ours <= 64, libpcap <= 64) {
        case (true, true): fit.both += 1
        case (false, true): fit.onlyLibpcap += 1
        case (true, false): fit.onlyOurs += 1
        case (false, false): fit.neither += 1
        }
    }
}
