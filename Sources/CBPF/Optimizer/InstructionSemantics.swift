/// Whether an instruction can end the program, as the kernel's translation of classic BPF does.
enum ExitBehavior {
    case never
    /// A load outside the packet or a division by X = 0: the program returns 0.
    case maybeWithZero
    /// `ld #ifidx` or `ld #hatype` without a device: the program returns A.
    case maybeWithAccumulator
    /// The instruction always ends the program with 0.
    case always
}

/// What the optimizer learns from running one statement symbolically.
struct StatementEffect {
    var exit: ExitBehavior
    /// The statement changes no location and cannot end the program.
    var isRedundant = false
    /// An instruction with the same effect here that depends on fewer locations.
    var replacement: Instruction?

    static let redundant = StatementEffect(exit: .never, isRedundant: true)
}

/// The requirement a packet load puts on the packet for it to succeed.
private enum LoadRequirement {
    /// Bytes `0..<end` must exist.
    case direct(end: UInt64)
    /// A load relative to a header, or `[x + k]` with X unknown: the same or a wider extent
    /// must have been read.
    case extent(PacketExtent)
    /// `[x + k]` where X's range keeps the offset direct: it needs at most `0..<latestEnd`
    /// and, when it succeeds, shows that `0..<earliestEnd` exists.
    case indexed(PacketExtent, earliestEnd: UInt64, latestEnd: UInt64)
    /// No packet satisfies it: offsets in the gap below `SKF_LL_OFF`.
    case impossible
}

extension AbstractState {
    /// A constant value number for `value` when the facts fix it.
    func resolved(_ value: ValueNumber, table: inout ValueTable) -> ValueNumber {
        if table.constant(value) != nil { return value }
        if let k = facts[value]?.exactValue { return table.constant(k) }
        return value
    }

    /// Whether every load that ends at the given requirement is known to succeed here.
    private func isReadable(_ requirement: LoadRequirement) -> Bool {
        switch requirement {
        case .direct(let end): end <= readableLength
        case .extent(let extent): readableExtents.contains { $0.covers(extent) }
        case .indexed(let extent, _, let latestEnd):
            latestEnd <= readableLength || readableExtents.contains { $0.covers(extent) }
        case .impossible: false
        }
    }

    private mutating func markReadable(_ requirement: LoadRequirement) {
        switch requirement {
        case .direct(let end): readableLength = max(readableLength, end)
        case .extent(let extent): readableExtents.insert(extent)
        case .indexed(let extent, let earliestEnd, _):
            readableExtents.insert(extent)
            readableLength = max(readableLength, earliestEnd)
        case .impossible: break
        }
    }

    /// How the kernel resolves an absolute offset of `size` bytes (`bpf_internal_load_pointer_neg_helper`).
    private static func requirement(absolute k: UInt32, size: Int, target: AttachTarget) -> LoadRequirement {
        if k < 0x8000_0000 || target == .seccomp {
            return .direct(end: UInt64(k) + UInt64(size))
        }
        if k >= SpecialOffset.network {
            let start = k &- SpecialOffset.network
            return .extent(PacketExtent(base: .network, start: start, end: UInt64(start) + UInt64(size)))
        }
        if k >= SpecialOffset.linkLayer {
            let start = k &- SpecialOffset.linkLayer
            return .extent(PacketExtent(base: .linkLayer, start: start, end: UInt64(start) + UInt64(size)))
        }
        return .impossible
    }

    private mutating func load(
        _ expression: ValueExpression, requirement: LoadRequirement, into register: Register, table: inout ValueTable
    ) -> StatementEffect {
        if case .impossible = requirement { return StatementEffect(exit: .always) }
        let isSafe = isReadable(requirement)
        let value = table.number(expression)
        if isSafe, sameValue(self[register], value, table: table) { return .redundant }
        self[register] = value
        markReadable(requirement)
        return StatementEffect(exit: isSafe ? .never : .maybeWithZero)
    }

    /// Records facts about a computed value that hold on this path.
    private mutating func learn(_ learned: ValueFacts, about value: ValueNumber, table: ValueTable) {
        guard learned != .unknown, let both = facts(of: value, table: table).intersected(with: learned) else { return }
        if both != table.facts(of: value) { facts[value] = both }
    }

    /// Sets `register` to a computed `value`: redundant when it already holds it, replaced by a
    /// constant load when the value is constant.
    private mutating func assign(
        _ value: ValueNumber, to register: Register, from instruction: Instruction, exit: ExitBehavior,
        table: inout ValueTable
    ) -> StatementEffect {
        if exit == .never, sameValue(self[register], value, table: table) { return .redundant }
        self[register] = value
        var effect = StatementEffect(exit: exit)
        if exit == .never, let k = constant(value, table: table), instruction != .loadImmediate(register, k) {
            effect.replacement = .loadImmediate(register, k)
        }
        return effect
    }

    /// Runs one statement (not a jump or return) symbolically, updating the state.
    mutating func execute(_ instruction: Instruction, table: inout ValueTable, target: AttachTarget) -> StatementEffect {
        switch instruction {
        case .loadAbsolute(let size, let k):
            let requirement = Self.requirement(absolute: k, size: size.byteCount, target: target)
            return load(.packet(size, offset: k), requirement: requirement, into: .a, table: &table)

        case .loadIndirect(let size, let k):
            if let x = constant(index, table: table), x &+ k < SpecialOffset.ancillary {
                // With X known, `[x + k]` is the absolute load `[x + k]`: the kernel maps both the
                // same way, including the negative offsets of SKF_NET_OFF and SKF_LL_OFF.
                let absolute = Instruction.loadAbsolute(size, offset: x &+ k)
                var effect = execute(absolute, table: &table, target: target)
                if !effect.isRedundant, effect.exit != .always { effect.replacement = absolute }
                return effect
            }
            let extent = PacketExtent(base: .indirect(index), start: k, end: UInt64(k) + UInt64(size.byteCount))
            var requirement = LoadRequirement.extent(extent)
            let range = facts(of: index, table: table)
            // X + k below 2^31 for every X in range: a direct load somewhere in a known window.
            if UInt64(range.maximum) + UInt64(k) < 0x8000_0000 {
                requirement = .indexed(
                    extent, earliestEnd: UInt64(range.minimum) + extent.end, latestEnd: UInt64(range.maximum) + extent.end)
            }
            return load(
                .packetIndirect(size, offset: k, index: index), requirement: requirement, into: .a, table: &table)

        case .loadIPv4HeaderLength(let k):
            let requirement = Self.requirement(absolute: k, size: 1, target: target)
            return load(.ipv4HeaderLength(offset: k), requirement: requirement, into: .x, table: &table)

        case .loadAncillary(let field, _):
            switch field {
            case .interfaceIndex, .hardwareType:
                let value = table.number(.ancillary(field))
                if hasDevice {
                    return assign(value, to: .a, from: instruction, exit: .never, table: &table)
                }
                let exit: ExitBehavior = constant(accumulator, table: table) == 0 ? .maybeWithZero : .maybeWithAccumulator
                accumulator = value
                hasDevice = true
                return StatementEffect(exit: exit)
            case .random:
                accumulator = table.opaque()
                return StatementEffect(exit: .never)
            case .netlinkAttribute, .netlinkAttributeNested:
                let value = table.number(.netlinkAttribute(
                    nested: field == .netlinkAttributeNested, start: resolved(accumulator, table: &table),
                    type: resolved(index, table: &table)))
                return assign(value, to: .a, from: instruction, exit: .never, table: &table)
            case .xorX:
                let value = table.arithmetic(.xor, resolved(accumulator, table: &table), resolved(index, table: &table))
                return assign(value, to: .a, from: instruction, exit: .never, table: &table)
            default:
                let value = table.number(.ancillary(field))
                if sameValue(accumulator, value, table: table) { return .redundant }
                accumulator = value
                return StatementEffect(exit: .never)
            }

        case .loadImmediate(let register, let k):
            return assign(table.constant(k), to: register, from: instruction, exit: .never, table: &table)

        case .loadLength(let register):
            let value = target == .seccomp ? table.constant(Limits.seccompDataSize) : table.number(.length)
            if sameValue(self[register], value, table: table) { return .redundant }
            self[register] = value
            return StatementEffect(exit: .never)

        case .loadScratch(let register, let slot):
            let value = scratch[Int(slot)]
            var effect = assign(value, to: register, from: instruction, exit: .never, table: &table)
            if effect.replacement == nil, !effect.isRedundant {
                // Copying from the other register leaves the scratch slot free to die.
                let other: Register = register == .a ? .x : .a
                if sameValue(self[other], value, table: table) {
                    effect.replacement = register == .a ? .txa : .tax
                }
            }
            return effect

        case .store(let register, let slot):
            let value = self[register]
            if sameValue(scratch[Int(slot)], value, table: table) { return .redundant }
            scratch[Int(slot)] = value
            return StatementEffect(exit: .never)

        case .arithmetic(let operation, let operand):
            var rewritten = instruction
            var exit = ExitBehavior.never
            let right: ValueNumber
            switch operand {
            case .constant(let k):
                right = table.constant(k)
            case .x:
                if let k = constant(index, table: table) {
                    if operation == .divide || operation == .modulo {
                        if k == 0 { return StatementEffect(exit: .always) }
                        rewritten = .arithmetic(operation, .constant(k))
                    } else if operation == .shiftLeft || operation == .shiftRight {
                        rewritten = .arithmetic(operation, .constant(k & 31))
                    } else {
                        rewritten = .arithmetic(operation, .constant(k))
                    }
                    right = table.constant(k)
                } else {
                    right = index
                    if operation == .divide || operation == .modulo, facts(of: index, table: table).allows(0) {
                        exit = .maybeWithZero
                    }
                }
            }
            let left = resolved(accumulator, table: &table)
            let leftFacts = facts(of: left, table: table)
            let rightFacts = facts(of: right, table: table)
            let value = table.arithmetic(operation, left, resolved(right, table: &table), leftFacts: leftFacts)
            learn(ValueFacts.arithmetic(operation, leftFacts, rightFacts), about: value, table: table)
            var effect = assign(value, to: .a, from: instruction, exit: exit, table: &table)
            if effect.replacement == nil, !effect.isRedundant, rewritten != instruction {
                effect.replacement = rewritten
            }
            return effect

        case .negate:
            let value = table.number(.negate(resolved(accumulator, table: &table)))
            return assign(value, to: .a, from: instruction, exit: .never, table: &table)

        case .tax:
            return assign(accumulator, to: .x, from: instruction, exit: .never, table: &table)

        case .txa:
            return assign(index, to: .a, from: instruction, exit: .never, table: &table)

        case .jump, .conditionalJump, .returnA, .returnConstant:
            preconditionFailure("terminators are not statements")
        }
    }

    /// The value compared by a branch: a constant or X.
    func operandValue(_ operand: Operand, table: inout ValueTable) -> ValueNumber {
        switch operand {
        case .constant(let k): table.constant(k)
        case .x: index
        }
    }

    /// Uses, for liveness: the locations an instruction reads.
    static func locationsRead(by instruction: Instruction) -> LocationSet {
        switch instruction {
        case .loadAbsolute, .loadImmediate, .loadLength, .loadIPv4HeaderLength, .returnConstant, .jump:
            []
        case .loadIndirect:
            .x
        case .loadAncillary(let field, _):
            switch field {
            // Without a device these end the program and return A.
            case .interfaceIndex, .hardwareType: .a
            case .netlinkAttribute, .netlinkAttributeNested, .xorX: [.a, .x]
            default: []
            }
        case .loadScratch(_, let slot):
            .scratch(slot)
        case .store(let register, _):
            .register(register)
        case .arithmetic(_, .constant), .negate, .tax, .returnA:
            .a
        case .arithmetic(_, .x):
            [.a, .x]
        case .txa:
            .x
        case .conditionalJump(_, .constant, _, _):
            .a
        case .conditionalJump(_, .x, _, _):
            [.a, .x]
        }
    }

    /// Definitions, for liveness: the locations an instruction writes.
    static func locationsWritten(by instruction: Instruction) -> LocationSet {
        switch instruction {
        case .loadAbsolute, .loadIndirect, .loadAncillary, .loadImmediate(.a, _), .loadScratch(.a, _),
             .loadLength(.a), .arithmetic, .negate, .txa:
            .a
        case .loadImmediate(.x, _), .loadScratch(.x, _), .loadLength(.x), .loadIPv4HeaderLength, .tax:
            .x
        case .store(_, let slot):
            .scratch(slot)
        case .jump, .conditionalJump, .returnA, .returnConstant:
            []
        }
    }
}
