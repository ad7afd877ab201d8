/// Runs verified programs with the Linux kernel's semantics.
///
/// The program is decoded once into a flat form with absolute jump targets and with each
/// load specialised by kind, so that the per-packet loop does no allocation and no decoding.
///
/// Semantics, as the kernel translates classic BPF: a load outside the packet ends the program
/// with 0; division or modulo by `X == 0` ends it with 0; shifts by `X` use its low 5 bits;
/// offsets at `SKF_NET_OFF` and `SKF_LL_OFF` are relative to those headers; for a seccomp
/// target, word loads read `seccomp_data` in host byte order and `ld len` is 64.
public struct Interpreter: Sendable {
    @usableFromInline let steps: [Step]
    /// Whether no step reads `PacketMetadata` (ancillary and header-relative loads) or uses
    /// scratch memory. Such a program runs in a leaner loop without either; an indirect load at
    /// a negative offset, which reads the metadata too, then starts it again in the full loop.
    @usableFromInline let isSimple: Bool
    /// The attach point the program was verified for.
    public let target: AttachTarget

    /// Verifies `program` for `target` and prepares it for running.
    public init(_ program: Program, for target: AttachTarget = .socket) throws(VerificationError) {
        self.init(try VerifiedProgram(program, for: target))
    }

    /// Prepares a verified program for running, with the semantics of the attach point it was
    /// verified for.
    public init(_ verified: VerifiedProgram) {
        let (program, target) = (verified.program, verified.target)
        self.target = target
        steps = Step.fuse(program.instructions.enumerated().map { Step($1, at: $0, target: target) })
        isSimple = !steps.contains { $0.operation.readsMetadata || $0.operation.usesScratch }
    }

    /// Runs the program on a packet and returns the filter's return value.
    ///
    /// - Parameters:
    ///   - packet: the bytes the program can load (the kernel's linear data, or a capture's
    ///     captured bytes).
    ///   - wireLength: what `ld #len` returns; defaults to the number of bytes.
    ///   - metadata: what ancillary loads return; nil means `PacketMetadata()`. (Optional, so that
    ///     a run without it builds none: its byte array would cost reference counting per call.)
    @inlinable  // so that a caller passes the packet straight to the loop
    public func run(
        packet: UnsafeRawBufferPointer, wireLength: UInt32? = nil, metadata: PacketMetadata? = nil
    ) -> UInt32 {
        let wireLength = wireLength ?? UInt32(truncatingIfNeeded: packet.count)
        // A verified program is not empty.
        if isSimple {
            let result = steps.withUnsafeBufferPointer { code in
                executeSimpleInterpreter(
                    code.baseAddress.unsafelyUnwrapped, bytes: packet.baseAddress, count: packet.count,
                    wireLength: wireLength)
            }
            if let result { return result }
        }
        return steps.withUnsafeBufferPointer { code in
            executeInterpreter(
                code.baseAddress.unsafelyUnwrapped, bytes: packet.baseAddress, count: packet.count,
                wireLength: wireLength, metadata: metadata ?? PacketMetadata())
        }
    }

    /// Runs the program on a packet held in an array.
    public func run(packet: [UInt8], wireLength: UInt32? = nil, metadata: PacketMetadata? = nil) -> UInt32 {
        packet.withUnsafeBytes { run(packet: $0, wireLength: wireLength, metadata: metadata) }
    }

    /// Runs a seccomp program on a system call's data.
    public func run(seccomp data: SeccompData) -> UInt32 {
        run(packet: data.bytes)
    }
}

extension Interpreter {
    @usableFromInline enum Operation: UInt8, Sendable {
        case loadWord, loadHalfword, loadByte
        case loadIndirectWord, loadIndirectHalfword, loadIndirectByte
        case loadNetworkWord, loadNetworkHalfword, loadNetworkByte
        case loadLinkWord, loadLinkHalfword, loadLinkByte
        case loadHostWord  // seccomp_data, host byte order
        case failLoad  // an absolute offset no packet can satisfy
        case loadImmediateA, loadImmediateX, loadScratchA, loadScratchX, loadLengthA, loadLengthX
        case loadHeaderLength, loadHeaderLengthNetwork, loadHeaderLengthLink
        case storeA, storeX
        case addK, subK, mulK, divK, modK, andK, orK, xorK, lshK, rshK
        case addX, subX, mulX, divX, modX, andX, orX, xorX, lshX, rshX
        case negate
        case jump
        // Conditional jumps to `ifTrue` or `ifFalse`, used when neither is the next instruction.
        case jeqK, jgtK, jgeK, jsetK, jeqX, jgtX, jgeX, jsetX
        // Conditional jumps with a constant where one side is the next instruction: jump to
        // `ifTrue` when the test holds, else go on. `jgt k` becomes `jge k+1` (or a test that never
        // or always holds), and a jump whose true side falls through takes the negated test.
        // `Step.fuse` counts on the order of the groups of six from here to `headerByteJumpClear`.
        case jumpEq, jumpNe, jumpGe, jumpLt, jumpSet, jumpClear
        // Superinstructions: a load into A (with `k`, as the plain load) followed by such a jump,
        // whose constant is `operand`; going on means skipping the jump, two steps on.
        case wordJumpEq, wordJumpNe, wordJumpGe, wordJumpLt, wordJumpSet, wordJumpClear
        case halfwordJumpEq, halfwordJumpNe, halfwordJumpGe, halfwordJumpLt, halfwordJumpSet, halfwordJumpClear
        case byteJumpEq, byteJumpNe, byteJumpGe, byteJumpLt, byteJumpSet, byteJumpClear
        case indirectWordJumpEq, indirectWordJumpNe, indirectWordJumpGe, indirectWordJumpLt
        case indirectWordJumpSet, indirectWordJumpClear
        case indirectHalfwordJumpEq, indirectHalfwordJumpNe, indirectHalfwordJumpGe, indirectHalfwordJumpLt
        case indirectHalfwordJumpSet, indirectHalfwordJumpClear
        case indirectByteJumpEq, indirectByteJumpNe, indirectByteJumpGe, indirectByteJumpLt
        case indirectByteJumpSet, indirectByteJumpClear
        // tcpdump's transport header idiom, `ldxb 4*([k]&0xf)` followed by an indirect
        // superinstruction: X from the byte at `ifFalse >> 2`, then as the indirect
        // superinstruction, going on three steps on.
        case headerWordJumpEq, headerWordJumpNe, headerWordJumpGe, headerWordJumpLt
        case headerWordJumpSet, headerWordJumpClear
        case headerHalfwordJumpEq, headerHalfwordJumpNe, headerHalfwordJumpGe, headerHalfwordJumpLt
        case headerHalfwordJumpSet, headerHalfwordJumpClear
        case headerByteJumpEq, headerByteJumpNe, headerByteJumpGe, headerByteJumpLt
        case headerByteJumpSet, headerByteJumpClear
        // A load into A followed by `jeq #operand` to `ifTrue` or `ifFalse`, neither next.
        case wordBranchEq, halfwordBranchEq, byteBranchEq
        case indirectWordBranchEq, indirectHalfwordBranchEq, indirectByteBranchEq
        // A load into A, `and #k` and `jeq` or `jne` that falls through: A is the load masked with
        // `ifFalse` (the low 16 bits of `k`, all that a halfword can keep), the jump as above;
        // going on means three steps on.
        case halfwordAndJumpEq, halfwordAndJumpNe, byteAndJumpEq, byteAndJumpNe
        case returnK, returnA, tax, txa
        case ancillaryProtocol, ancillaryPacketType, ancillaryInterfaceIndex, ancillaryHardwareType
        case ancillaryNetlinkAttribute, ancillaryNetlinkAttributeNested, ancillaryMark, ancillaryQueue
        case ancillaryRxHash, ancillaryCPU, ancillaryXorX, ancillaryVLANTag, ancillaryVLANTagPresent
        case ancillaryPayloadOffset, ancillaryRandom, ancillaryVLANProtocol

        /// Whether the step reads or writes scratch memory.
        var usesScratch: Bool {
            switch self {
            case .loadScratchA, .loadScratchX, .storeA, .storeX: true
            default: false
            }
        }

        /// Whether the step reads `PacketMetadata`.
        var readsMetadata: Bool {
            switch self {
            case .loadNetworkWord, .loadNetworkHalfword, .loadNetworkByte, .loadLinkWord, .loadLinkHalfword,
                .loadLinkByte, .loadHeaderLengthNetwork, .loadHeaderLengthLink, .ancillaryProtocol,
                .ancillaryPacketType, .ancillaryInterfaceIndex, .ancillaryHardwareType, .ancillaryNetlinkAttribute,
                .ancillaryNetlinkAttributeNested, .ancillaryMark, .ancillaryQueue, .ancillaryRxHash, .ancillaryCPU,
                .ancillaryXorX, .ancillaryVLANTag, .ancillaryVLANTagPresent, .ancillaryPayloadOffset,
                .ancillaryRandom, .ancillaryVLANProtocol:
                true
            default: false
            }
        }
    }

    /// One decoded instruction: jump targets are absolute indices. Sixteen bytes.
    ///
    /// The fall-through jumps and superinstructions from `jumpEq` to `headerByteJumpClear` have
    /// no `ifFalse` target. There bits 0 and 1 of `ifFalse` are `targetReturns` and
    /// `nextReturns`, which say that the step they go to is a `ret #k`, so that they return its
    /// `k` at once; the header superinstructions keep their header's offset in the bits above.
    /// The `and` superinstructions keep their mask in `ifFalse`.
    @usableFromInline struct Step: Sendable {
        @usableFromInline static let targetReturns: UInt16 = 1
        @usableFromInline static let nextReturns: UInt16 = 2

        @usableFromInline var operation: Operation
        @usableFromInline var ifTrue: UInt16
        @usableFromInline var ifFalse: UInt16
        @usableFromInline var k: UInt32
        /// The jump's constant in a superinstruction.
        @usableFromInline var operand: UInt32

        init(_ operation: Operation, k: UInt32 = 0, ifTrue: Int = 0, ifFalse: Int = 0) {
            self.operation = operation
            self.k = k
            self.ifTrue = UInt16(ifTrue)
            self.ifFalse = UInt16(ifFalse)
            operand = 0
        }

        init(_ instruction: Instruction, at pc: Int, target: AttachTarget) {
            func absolute(_ size: LoadSize, _ k: UInt32) -> Step {
                let (direct, network, link): (Operation, Operation, Operation) = switch size {
                case .word: (.loadWord, .loadNetworkWord, .loadLinkWord)
                case .halfword: (.loadHalfword, .loadNetworkHalfword, .loadLinkHalfword)
                case .byte: (.loadByte, .loadNetworkByte, .loadLinkByte)
                }
                return Self.classify(k, direct: direct, network: network, link: link)
            }
            switch instruction {
            case .loadAbsolute(.word, let k) where target == .seccomp:
                self.init(.loadHostWord, k: k)
            case .loadAbsolute(let size, let k):
                self = absolute(size, k)
            case .loadIndirect(let size, let k):
                let operation: Operation = switch size {
                case .word: .loadIndirectWord
                case .halfword: .loadIndirectHalfword
                case .byte: .loadIndirectByte
                }
                self.init(operation, k: k)
            case .loadAncillary(let field, _):
                let operation: Operation = switch field {
                case .protocol: .ancillaryProtocol
                case .packetType: .ancillaryPacketType
                case .interfaceIndex: .ancillaryInterfaceIndex
                case .netlinkAttribute: .ancillaryNetlinkAttribute
                case .netlinkAttributeNested: .ancillaryNetlinkAttributeNested
                case .mark: .ancillaryMark
                case .queue: .ancillaryQueue
                case .hardwareType: .ancillaryHardwareType
                case .rxHash: .ancillaryRxHash
                case .cpu: .ancillaryCPU
                case .xorX: .ancillaryXorX
                case .vlanTag: .ancillaryVLANTag
                case .vlanTagPresent: .ancillaryVLANTagPresent
                case .payloadOffset: .ancillaryPayloadOffset
                case .random: .ancillaryRandom
                case .vlanProtocol: .ancillaryVLANProtocol
                }
                self.init(operation)
            case .loadImmediate(.a, let k): self.init(.loadImmediateA, k: k)
            case .loadImmediate(.x, let k): self.init(.loadImmediateX, k: k)
            case .loadScratch(.a, let slot): self.init(.loadScratchA, k: slot)
            case .loadScratch(.x, let slot): self.init(.loadScratchX, k: slot)
            case .loadLength(.a) where target == .seccomp: self.init(.loadImmediateA, k: Limits.seccompDataSize)
            case .loadLength(.x) where target == .seccomp: self.init(.loadImmediateX, k: Limits.seccompDataSize)
            case .loadLength(.a): self.init(.loadLengthA)
            case .loadLength(.x): self.init(.loadLengthX)
            case .loadIPv4HeaderLength(let k):
                self = Self.classify(k, direct: .loadHeaderLength, network: .loadHeaderLengthNetwork,
                                     link: .loadHeaderLengthLink)
            case .store(.a, let slot): self.init(.storeA, k: slot)
            case .store(.x, let slot): self.init(.storeX, k: slot)
            case .arithmetic(let operation, let source):
                let (withK, withX): (Operation, Operation) = switch operation {
                case .add: (.addK, .addX)
                case .subtract: (.subK, .subX)
                case .multiply: (.mulK, .mulX)
                case .divide: (.divK, .divX)
                case .modulo: (.modK, .modX)
                case .and: (.andK, .andX)
                case .or: (.orK, .orX)
                case .xor: (.xorK, .xorX)
                case .shiftLeft: (.lshK, .lshX)
                case .shiftRight: (.rshK, .rshX)
                }
                switch source {
                case .constant(let k): self.init(withK, k: k)
                case .x: self.init(withX)
                }
            case .negate: self.init(.negate)
            case .jump(let offset): self.init(.jump, ifTrue: pc + 1 + Int(offset))
            case .conditionalJump(let test, let source, let jt, let jf):
                let (withK, withX): (Operation, Operation) = switch test {
                case .equal: (.jeqK, .jeqX)
                case .greaterThan: (.jgtK, .jgtX)
                case .greaterOrEqual: (.jgeK, .jgeX)
                case .bitsSet: (.jsetK, .jsetX)
                }
                let k: UInt32
                let operation: Operation
                switch source {
                case .constant(let value):
                    if jf == 0 {
                        self = Self.fallThrough(test, value, negated: false, target: pc + 1 + Int(jt))
                        return
                    }
                    if jt == 0 {
                        self = Self.fallThrough(test, value, negated: true, target: pc + 1 + Int(jf))
                        return
                    }
                    (operation, k) = (withK, value)
                case .x: (operation, k) = (withX, 0)
                }
                self.init(operation, k: k, ifTrue: pc + 1 + Int(jt), ifFalse: pc + 1 + Int(jf))
            case .returnConstant(let k): self.init(.returnK, k: k)
            case .returnA: self.init(.returnA)
            case .tax: self.init(.tax)
            case .txa: self.init(.txa)
            }
        }

        /// A conditional jump with a constant that jumps to `target` when the test holds (or,
        /// `negated`, when it fails) and otherwise goes on to the next instruction.
        static func fallThrough(_ test: JumpTest, _ k: UInt32, negated: Bool, target: Int) -> Step {
            let (operation, constant): (Operation, UInt32) = switch (test, negated) {
            case (.equal, false): (.jumpEq, k)
            case (.equal, true): (.jumpNe, k)
            case (.greaterOrEqual, false): (.jumpGe, k)
            case (.greaterOrEqual, true): (.jumpLt, k)
            // A > k is A >= k + 1; nothing is above 0xffffffff, and A & 0 is never set.
            case (.greaterThan, false): k == .max ? (.jumpSet, 0) : (.jumpGe, k + 1)
            case (.greaterThan, true): k == .max ? (.jumpClear, 0) : (.jumpLt, k + 1)
            case (.bitsSet, false): (.jumpSet, k)
            case (.bitsSet, true): (.jumpClear, k)
            }
            return Step(operation, k: constant, ifTrue: target)
        }

        /// Fuses each load into A at `i` that is followed by a fall-through jump, or a `jeq` with
        /// two targets, at `i + 1` into a superinstruction at `i`; the jump stays at `i + 1` for
        /// the jumps that land on it. Likewise for the three-step superinstructions, and then
        /// marks the returns that fall-through forms reach.
        static func fuse(_ steps: [Step]) -> [Step] {
            assert(Operation(rawValue: Operation.jumpEq.rawValue + 41) == .indirectByteJumpClear)
            assert(Operation(rawValue: Operation.indirectWordJumpEq.rawValue + 18) == .headerWordJumpEq)
            assert(Operation(rawValue: Operation.indirectByteJumpClear.rawValue + 18) == .headerByteJumpClear)
            var steps = steps
            let tests = Operation.jumpEq.rawValue ... Operation.jumpClear.rawValue
            for i in steps.indices.dropLast() {
                let jump = steps[i + 1]
                if jump.operation == .jeqK {
                    let branch: Operation
                    switch steps[i].operation {
                    case .loadWord: branch = .wordBranchEq
                    case .loadHalfword: branch = .halfwordBranchEq
                    case .loadByte: branch = .byteBranchEq
                    case .loadIndirectWord: branch = .indirectWordBranchEq
                    case .loadIndirectHalfword: branch = .indirectHalfwordBranchEq
                    case .loadIndirectByte: branch = .indirectByteBranchEq
                    default: continue
                    }
                    steps[i].operation = branch
                    steps[i].ifTrue = jump.ifTrue
                    steps[i].ifFalse = jump.ifFalse
                    steps[i].operand = jump.k
                    continue
                }
                guard tests.contains(jump.operation.rawValue) else { continue }
                let group: UInt8
                switch steps[i].operation {
                case .loadWord: group = 1
                case .loadHalfword: group = 2
                case .loadByte: group = 3
                case .loadIndirectWord: group = 4
                case .loadIndirectHalfword: group = 5
                case .loadIndirectByte: group = 6
                default: continue
                }
                let test = jump.operation.rawValue - Operation.jumpEq.rawValue
                guard let fused = Operation(rawValue: Operation.jumpEq.rawValue + 6 * group + test) else { continue }
                steps[i].operation = fused
                steps[i].ifTrue = jump.ifTrue
                steps[i].operand = jump.k
            }
            // Then `ldxb 4*([k]&0xf)` at `i` before an indirect superinstruction at `i + 1`.
            let indirect = Operation.indirectWordJumpEq.rawValue ... Operation.indirectByteJumpClear.rawValue
            for i in steps.indices.dropLast() where steps[i].operation == .loadHeaderLength {
                let next = steps[i + 1]
                guard indirect.contains(next.operation.rawValue), steps[i].k < 1 << 14,
                    let fused = Operation(rawValue: next.operation.rawValue + 18)
                else { continue }
                let offset = UInt16(steps[i].k)
                steps[i] = next
                steps[i].operation = fused
                steps[i].ifFalse = offset << 2
            }
            // Then a halfword or byte load, `and #k` and `jeq` or `jne`.
            for i in steps.indices.dropLast(2) where steps[i + 1].operation == .andK {
                let jump = steps[i + 2]
                let fused: Operation
                switch (steps[i].operation, jump.operation) {
                case (.loadHalfword, .jumpEq): fused = .halfwordAndJumpEq
                case (.loadHalfword, .jumpNe): fused = .halfwordAndJumpNe
                case (.loadByte, .jumpEq): fused = .byteAndJumpEq
                case (.loadByte, .jumpNe): fused = .byteAndJumpNe
                default: continue
                }
                steps[i].operation = fused
                steps[i].ifFalse = UInt16(truncatingIfNeeded: steps[i + 1].k)
                steps[i].ifTrue = jump.ifTrue
                steps[i].operand = jump.k
            }
            // Mark the fall-through forms whose target, or next step, is a return.
            for i in steps.indices {
                let operation = steps[i].operation.rawValue
                guard operation >= Operation.jumpEq.rawValue, operation <= Operation.headerByteJumpClear.rawValue
                else { continue }
                let next =
                    i + (operation <= Operation.jumpClear.rawValue
                        ? 1 : operation <= Operation.indirectByteJumpClear.rawValue ? 2 : 3)
                if steps[Int(steps[i].ifTrue)].operation == .returnK { steps[i].ifFalse |= targetReturns }
                if next < steps.count, steps[next].operation == .returnK { steps[i].ifFalse |= nextReturns }
            }
            return steps
        }

        /// Splits an absolute offset into the kernel's cases: a non-negative offset into the
        /// data, an offset from the network or link-layer header, or one that always fails.
        static func classify(_ k: UInt32, direct: Operation, network: Operation, link: Operation) -> Step {
            if k < 0x8000_0000 { return Step(direct, k: k) }
            if k >= SpecialOffset.network { return Step(network, k: k &- SpecialOffset.network) }
            if k >= SpecialOffset.linkLayer { return Step(link, k: k &- SpecialOffset.linkLayer) }
            return Step(.failLoad)
        }
    }
}
