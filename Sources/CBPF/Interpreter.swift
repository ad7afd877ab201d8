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
    /// The attach point the program was verified for.
    public let target: AttachTarget

    /// Verifies `program` for `target` and prepares it for running.
    public init(_ program: Program, for target: AttachTarget = .socket) throws(VerificationError) {
        try Verifier.verify(program, for: target)
        self.target = target
        steps = program.instructions.enumerated().map { Step($1, at: $0, target: target) }
    }

    /// Runs the program on a packet and returns the filter's return value.
    ///
    /// - Parameters:
    ///   - packet: the bytes the program can load (the kernel's linear data, or a capture's
    ///     captured bytes).
    ///   - wireLength: what `ld #len` returns; defaults to the number of bytes.
    ///   - metadata: what ancillary loads return.
    public func run(
        packet: UnsafeRawBufferPointer, wireLength: UInt32? = nil, metadata: PacketMetadata = PacketMetadata()
    ) -> UInt32 {
        steps.withUnsafeBufferPointer { code in
            Self.execute(
                code, packet: packet, wireLength: wireLength ?? UInt32(truncatingIfNeeded: packet.count),
                metadata: metadata)
        }
    }

    /// Runs the program on a packet held in an array.
    public func run(packet: [UInt8], wireLength: UInt32? = nil, metadata: PacketMetadata = PacketMetadata()) -> UInt32 {
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
        case jeqK, jgtK, jgeK, jsetK, jeqX, jgtX, jgeX, jsetX
        case returnK, returnA, tax, txa
        case ancillaryProtocol, ancillaryPacketType, ancillaryInterfaceIndex, ancillaryHardwareType
        case ancillaryNetlinkAttribute, ancillaryNetlinkAttributeNested, ancillaryMark, ancillaryQueue
        case ancillaryRxHash, ancillaryCPU, ancillaryXorX, ancillaryVLANTag, ancillaryVLANTagPresent
        case ancillaryPayloadOffset, ancillaryRandom, ancillaryVLANProtocol
    }

    /// One decoded instruction: jump targets are absolute indices.
    @usableFromInline struct Step: Sendable {
        @usableFromInline var operation: Operation
        @usableFromInline var ifTrue: UInt16
        @usableFromInline var ifFalse: UInt16
        @usableFromInline var k: UInt32

        init(_ operation: Operation, k: UInt32 = 0, ifTrue: Int = 0, ifFalse: Int = 0) {
            self.operation = operation
            self.k = k
            self.ifTrue = UInt16(ifTrue)
            self.ifFalse = UInt16(ifFalse)
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
                case .constant(let value): (operation, k) = (withK, value)
                case .x: (operation, k) = (withX, 0)
                }
                self.init(operation, k: k, ifTrue: pc + 1 + Int(jt), ifFalse: pc + 1 + Int(jf))
            case .returnConstant(let k): self.init(.returnK, k: k)
            case .returnA: self.init(.returnA)
            case .tax: self.init(.tax)
            case .txa: self.init(.txa)
            }
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
