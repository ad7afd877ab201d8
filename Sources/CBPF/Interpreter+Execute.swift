extension Interpreter {
    /// The main loop. `code` is verified, so every jump target is in range and the program ends
    /// with a return.
    @usableFromInline
    static func execute(
        _ code: UnsafeBufferPointer<Step>, packet: UnsafeRawBufferPointer, wireLength: UInt32,
        metadata: PacketMetadata
    ) -> UInt32 {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Int(Limits.scratchSlots)) { memory in
            var a: UInt32 = 0
            var x: UInt32 = 0
            var pc = 0
            let length = packet.count

            @inline(__always) func load(_ offset: Int, _ size: Int) -> UInt32? {
                guard offset >= 0, offset <= length &- size else { return nil }
                switch size {
                case 4: return packet.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian
                case 2: return UInt32(packet.loadUnaligned(fromByteOffset: offset, as: UInt16.self).bigEndian)
                default: return UInt32(packet[offset])
                }
            }
            // bpf_internal_load_pointer_neg_helper: header-relative loads.
            @inline(__always) func loadNetwork(_ offset: Int, _ size: Int) -> UInt32? {
                load(metadata.networkHeaderOffset &+ offset, size)
            }
            @inline(__always) func loadLink(_ offset: Int, _ size: Int) -> UInt32? {
                guard let header = metadata.linkLayerHeaderOffset else { return nil }
                return load(header &+ offset, size)
            }
            // An indirect offset is X + k in 32 bits, read as signed.
            @inline(__always) func loadIndirect(_ k: UInt32, _ size: Int) -> UInt32? {
                let offset = Int(Int32(bitPattern: x &+ k))
                if offset >= 0 { return load(offset, size) }
                if offset >= -0x10_0000 { return loadNetwork(offset + 0x10_0000, size) }
                if offset >= -0x20_0000 { return loadLink(offset + 0x20_0000, size) }
                return nil
            }

            while true {
                let step = code[pc]
                pc &+= 1
                switch step.operation {
                case .loadWord:
                    guard let value = load(Int(step.k), 4) else { return 0 }
                    a = value
                case .loadHalfword:
                    guard let value = load(Int(step.k), 2) else { return 0 }
                    a = value
                case .loadByte:
                    guard let value = load(Int(step.k), 1) else { return 0 }
                    a = value
                case .loadIndirectWord:
                    guard let value = loadIndirect(step.k, 4) else { return 0 }
                    a = value
                case .loadIndirectHalfword:
                    guard let value = loadIndirect(step.k, 2) else { return 0 }
                    a = value
                case .loadIndirectByte:
                    guard let value = loadIndirect(step.k, 1) else { return 0 }
                    a = value
                case .loadNetworkWord:
                    guard let value = loadNetwork(Int(step.k), 4) else { return 0 }
                    a = value
                case .loadNetworkHalfword:
                    guard let value = loadNetwork(Int(step.k), 2) else { return 0 }
                    a = value
                case .loadNetworkByte:
                    guard let value = loadNetwork(Int(step.k), 1) else { return 0 }
                    a = value
                case .loadLinkWord:
                    guard let value = loadLink(Int(step.k), 4) else { return 0 }
                    a = value
                case .loadLinkHalfword:
                    guard let value = loadLink(Int(step.k), 2) else { return 0 }
                    a = value
                case .loadLinkByte:
                    guard let value = loadLink(Int(step.k), 1) else { return 0 }
                    a = value
                case .loadHostWord:
                    let offset = Int(step.k)
                    guard offset <= length &- 4 else { return 0 }
                    a = packet.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                case .failLoad:
                    return 0
                case .loadImmediateA: a = step.k
                case .loadImmediateX: x = step.k
                case .loadScratchA: a = memory[Int(step.k)]
                case .loadScratchX: x = memory[Int(step.k)]
                case .loadLengthA: a = wireLength
                case .loadLengthX: x = wireLength
                case .loadHeaderLength:
                    guard let value = load(Int(step.k), 1) else { return 0 }
                    x = (value & 0xf) << 2
                case .loadHeaderLengthNetwork:
                    guard let value = loadNetwork(Int(step.k), 1) else { return 0 }
                    x = (value & 0xf) << 2
                case .loadHeaderLengthLink:
                    guard let value = loadLink(Int(step.k), 1) else { return 0 }
                    x = (value & 0xf) << 2
                case .storeA: memory[Int(step.k)] = a
                case .storeX: memory[Int(step.k)] = x
                case .addK: a &+= step.k
                case .subK: a &-= step.k
                case .mulK: a &*= step.k
                case .divK: a /= step.k
                case .modK: a %= step.k
                case .andK: a &= step.k
                case .orK: a |= step.k
                case .xorK: a ^= step.k
                case .lshK: a = a << (step.k & 31)
                case .rshK: a = a >> (step.k & 31)
                case .addX: a &+= x
                case .subX: a &-= x
                case .mulX: a &*= x
                case .divX:
                    if x == 0 { return 0 }
                    a /= x
                case .modX:
                    if x == 0 { return 0 }
                    a %= x
                case .andX: a &= x
                case .orX: a |= x
                case .xorX: a ^= x
                case .lshX: a = a << (x & 31)
                case .rshX: a = a >> (x & 31)
                case .negate: a = 0 &- a
                case .jump: pc = Int(step.ifTrue)
                case .jeqK: pc = Int(a == step.k ? step.ifTrue : step.ifFalse)
                case .jgtK: pc = Int(a > step.k ? step.ifTrue : step.ifFalse)
                case .jgeK: pc = Int(a >= step.k ? step.ifTrue : step.ifFalse)
                case .jsetK: pc = Int(a & step.k != 0 ? step.ifTrue : step.ifFalse)
                case .jeqX: pc = Int(a == x ? step.ifTrue : step.ifFalse)
                case .jgtX: pc = Int(a > x ? step.ifTrue : step.ifFalse)
                case .jgeX: pc = Int(a >= x ? step.ifTrue : step.ifFalse)
                case .jsetX: pc = Int(a & x != 0 ? step.ifTrue : step.ifFalse)
                case .returnK: return step.k
                case .returnA: return a
                case .tax: x = a
                case .txa: a = x
                case .ancillaryProtocol: a = UInt32(metadata.protocol)
                case .ancillaryPacketType: a = UInt32(metadata.packetType & 7)
                case .ancillaryInterfaceIndex:
                    guard let device = metadata.device else { return a }
                    a = device.index
                case .ancillaryHardwareType:
                    guard let device = metadata.device else { return a }
                    a = UInt32(device.hardwareType)
                case .ancillaryNetlinkAttribute:
                    a = NetlinkAttributes.find(in: packet, from: a, type: x, nested: false)
                case .ancillaryNetlinkAttributeNested:
                    a = NetlinkAttributes.find(in: packet, from: a, type: x, nested: true)
                case .ancillaryMark: a = metadata.mark
                case .ancillaryQueue: a = UInt32(metadata.queue)
                case .ancillaryRxHash: a = metadata.rxHash
                case .ancillaryCPU: a = metadata.cpu
                case .ancillaryXorX: a ^= x
                case .ancillaryVLANTag: a = UInt32(metadata.vlanTag)
                case .ancillaryVLANTagPresent: a = metadata.vlanTagPresent ? 1 : 0
                case .ancillaryPayloadOffset: a = metadata.payloadOffset
                case .ancillaryRandom: a = metadata.random
                case .ancillaryVLANProtocol: a = UInt32(metadata.vlanProtocol)
                }
            }
        }
    }
}

/// The kernel's `bpf_skb_get_nlattr` and `bpf_skb_get_nlattr_nest` helpers over linear data.
enum NetlinkAttributes {
    static let headerLength = 4

    /// Returns the offset of the first attribute of `type`, or 0.
    static func find(in data: UnsafeRawBufferPointer, from start: UInt32, type: UInt32, nested: Bool) -> UInt32 {
        let length = data.count
        guard length >= headerLength, UInt(start) <= UInt(length - headerLength) else { return 0 }
        var offset = Int(start)
        var remaining = length - offset
        if nested {
            let outerLength = Int(attributeLength(data, at: offset))
            guard outerLength <= remaining else { return 0 }
            remaining = outerLength - headerLength
            offset += headerLength
        }
        // nla_find: walk while nla_ok(); nla_type() masks the two flag bits.
        while remaining >= headerLength {
            let attributeLength = Int(attributeLength(data, at: offset))
            guard attributeLength >= headerLength, attributeLength <= remaining else { return 0 }
            let attributeType = UInt32(data.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff)
            if attributeType == type { return UInt32(offset) }
            let aligned = (attributeLength + 3) & ~3
            remaining -= aligned
            offset += aligned
        }
        return 0
    }

    static func attributeLength(_ data: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        data.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
    }
}
