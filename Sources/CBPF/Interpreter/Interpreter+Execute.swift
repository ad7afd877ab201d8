// The two entry points are free functions: as static methods, each would be reached through a
// thunk that drops the unused metatype.

/// Runs any program.
@usableFromInline
func executeInterpreter(
    _ code: UnsafePointer<Interpreter.Step>, bytes: UnsafeRawPointer?, count: Int, wireLength: UInt32,
    metadata: PacketMetadata
) -> UInt32 {
    // With metadata, the loop never gives up.
    Interpreter.loop(code, bytes: bytes, count: count, wireLength: wireLength, metadata: metadata, scratch: true)
        .unsafelyUnwrapped
}

/// Runs a program that is `Interpreter.isSimple`, without metadata or scratch memory; nil when
/// it needs metadata after all (an indirect load at a negative offset), and must run again
/// with it.
@usableFromInline
func executeSimpleInterpreter(
    _ code: UnsafePointer<Interpreter.Step>, bytes: UnsafeRawPointer?, count: Int, wireLength: UInt32
) -> UInt32? {
    Interpreter.loop(code, bytes: bytes, count: count, wireLength: wireLength, metadata: nil, scratch: false)
}

extension Interpreter {
    /// The main loop over the steps from `base`. The program is verified, so every jump target is
    /// in range and it ends with a return. Without `metadata`, a step that reads it returns nil;
    /// without `scratch`, the program must not use scratch memory.
    ///
    /// Common steps run inline; header-relative and ancillary loads run in `executeRare`, which
    /// keeps this loop's registers free for A, X and the packet.
    @inline(__always)
    static func loop(
        _ base: UnsafePointer<Step>, bytes start: UnsafeRawPointer?, count length: Int, wireLength: UInt32,
        metadata: PacketMetadata?, scratch: Bool
    ) -> UInt32? {
        var a: UInt32 = 0
        var x: UInt32 = 0
        var memory = Scratch()
        var current = base
        // Never read when the packet is empty: every load checks the length first.
        let bytes = start ?? UnsafeRawPointer(bitPattern: 1).unsafelyUnwrapped
        // For the rare steps, built only there.
        @inline(__always) func packet() -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: start, count: length)
        }

        @inline(__always) func read(_ offset: Int, _ size: Int) -> UInt32 {
            switch size {
            case 4: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian
            case 2: UInt32(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).bigEndian)
            default: UInt32(bytes.load(fromByteOffset: offset, as: UInt8.self))
            }
        }
        // An absolute offset below 2^31 (see `Step.classify`), so the sum cannot overflow.
        @inline(__always) func absolute(_ k: UInt32, _ size: Int) -> UInt32? {
            let offset = Int(k)
            guard offset &+ size <= length else { return nil }
            return read(offset, size)
        }
        // An indirect offset is X + k in 32 bits, read as signed; below zero, it is relative to a
        // header that the metadata places.
        var missingMetadata = false
        @inline(__always) func indirect(_ k: UInt32, _ x: UInt32, _ size: Int) -> UInt32? {
            let offset = Int(Int32(bitPattern: x &+ k))
            if _fastPath(offset >= 0) {
                guard offset &+ size <= length else { return nil }
                return read(offset, size)
            }
            guard let metadata else {
                missingMetadata = true
                return nil
            }
            return loadBelowZero(offset, size, packet: packet(), metadata: metadata)
        }
        // What a failed indirect load returns.
        @inline(__always) func failed() -> UInt32? { missingMetadata ? nil : 0 }

        // A fall-through jump: to `ifTrue` when `taken`, else `skip` steps on. When the step there
        // is a `ret #k` (see `Step.targetReturns`), it returns true and the program's result is
        // `exit`. `_fastPath` only keeps the test a branch: a select would make the next step
        // wait for the packet load and the test.
        var exit: UInt32 = 0
        @inline(__always) func branch(_ taken: Bool, _ step: UnsafePointer<Step>, _ skip: Int) -> Bool {
            if _fastPath(taken) {
                let target = base + Int(step.pointee.ifTrue)
                if step.pointee.ifFalse & Step.targetReturns != 0 {
                    exit = target.pointee.k
                    return true
                }
                current = target
            } else {
                let next = current + skip
                if step.pointee.ifFalse & Step.nextReturns != 0 {
                    exit = next.pointee.k
                    return true
                }
                current = next
            }
            return false
        }

        while true {
            // Each step reads only the fields it needs, which keeps this dispatch short.
            let step = current
            switch step.pointee.operation {
            case .loadWord:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                current += 1
            case .loadHalfword:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                current += 1
            case .loadByte:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                current += 1
            case .loadIndirectWord:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                current += 1
            case .loadIndirectHalfword:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                current += 1
            case .loadIndirectByte:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                current += 1
            case .loadHeaderLength:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                x = (value & 0xf) << 2
                current += 1
            case .loadImmediateA: a = step.pointee.k; current += 1
            case .loadImmediateX: x = step.pointee.k; current += 1
            case .loadScratchA:
                guard scratch else { preconditionFailure("scratch memory in a simple program") }
                a = memory[Int(step.pointee.k)]
                current += 1
            case .loadScratchX:
                guard scratch else { preconditionFailure("scratch memory in a simple program") }
                x = memory[Int(step.pointee.k)]
                current += 1
            case .loadLengthA: a = wireLength; current += 1
            case .loadLengthX: x = wireLength; current += 1
            case .storeA:
                guard scratch else { preconditionFailure("scratch memory in a simple program") }
                memory[Int(step.pointee.k)] = a
                current += 1
            case .storeX:
                guard scratch else { preconditionFailure("scratch memory in a simple program") }
                memory[Int(step.pointee.k)] = x
                current += 1
            case .addK: a &+= step.pointee.k; current += 1
            case .subK: a &-= step.pointee.k; current += 1
            case .mulK: a &*= step.pointee.k; current += 1
            case .divK: a /= step.pointee.k; current += 1  // the verifier rejects div #0
            case .modK: a %= step.pointee.k; current += 1
            case .andK: a &= step.pointee.k; current += 1
            case .orK: a |= step.pointee.k; current += 1
            case .xorK: a ^= step.pointee.k; current += 1
            case .lshK: a = a << (step.pointee.k & 31); current += 1
            case .rshK: a = a >> (step.pointee.k & 31); current += 1
            case .addX: a &+= x; current += 1
            case .subX: a &-= x; current += 1
            case .mulX: a &*= x; current += 1
            case .divX:
                if x == 0 { return 0 }
                a /= x
                current += 1
            case .modX:
                if x == 0 { return 0 }
                a %= x
                current += 1
            case .andX: a &= x; current += 1
            case .orX: a |= x; current += 1
            case .xorX: a ^= x; current += 1
            case .lshX: a = a << (x & 31); current += 1
            case .rshX: a = a >> (x & 31); current += 1
            case .negate: a = 0 &- a; current += 1
            case .tax: x = a; current += 1
            case .txa: a = x; current += 1
            case .returnK: return step.pointee.k
            case .returnA: return a
            case .jump: current = base + Int(step.pointee.ifTrue)
            case .jeqK: current = base + Int(a == step.pointee.k ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jgtK: current = base + Int(a > step.pointee.k ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jgeK: current = base + Int(a >= step.pointee.k ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jsetK: current = base + Int(a & step.pointee.k != 0 ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jeqX: current = base + Int(a == x ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jgtX: current = base + Int(a > x ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jgeX: current = base + Int(a >= x ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .jsetX: current = base + Int(a & x != 0 ? step.pointee.ifTrue : step.pointee.ifFalse)

            // A load, then `jeq` with two targets.
            case .wordBranchEq:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                current = base + Int(a == step.pointee.operand ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .halfwordBranchEq:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                current = base + Int(a == step.pointee.operand ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .byteBranchEq:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                current = base + Int(a == step.pointee.operand ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .indirectWordBranchEq:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                current = base + Int(a == step.pointee.operand ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .indirectHalfwordBranchEq:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                current = base + Int(a == step.pointee.operand ? step.pointee.ifTrue : step.pointee.ifFalse)
            case .indirectByteBranchEq:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                current = base + Int(a == step.pointee.operand ? step.pointee.ifTrue : step.pointee.ifFalse)

            // A load, `and` with the mask in `ifFalse`, then a fall-through `jeq` or `jne`.
            case .halfwordAndJumpEq:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value & UInt32(step.pointee.ifFalse)
                if _fastPath(a == step.pointee.operand) {
                    current = base + Int(step.pointee.ifTrue)
                } else {
                    current += 3
                }
            case .halfwordAndJumpNe:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value & UInt32(step.pointee.ifFalse)
                if _fastPath(a != step.pointee.operand) {
                    current = base + Int(step.pointee.ifTrue)
                } else {
                    current += 3
                }
            case .byteAndJumpEq:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value & UInt32(step.pointee.ifFalse)
                if _fastPath(a == step.pointee.operand) {
                    current = base + Int(step.pointee.ifTrue)
                } else {
                    current += 3
                }
            case .byteAndJumpNe:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value & UInt32(step.pointee.ifFalse)
                if _fastPath(a != step.pointee.operand) {
                    current = base + Int(step.pointee.ifTrue)
                } else {
                    current += 3
                }

            // Fall-through jumps, on the constant `k`.
            case .jumpEq:
                if branch(a == step.pointee.k, step, 1) { return exit }
            case .jumpNe:
                if branch(a != step.pointee.k, step, 1) { return exit }
            case .jumpGe:
                if branch(a >= step.pointee.k, step, 1) { return exit }
            case .jumpLt:
                if branch(a < step.pointee.k, step, 1) { return exit }
            case .jumpSet:
                if branch(a & step.pointee.k != 0, step, 1) { return exit }
            case .jumpClear:
                if branch(a & step.pointee.k == 0, step, 1) { return exit }

            // Superinstructions: a load into A, then a fall-through jump on `operand` that goes on
            // past the jump.
            case .wordJumpEq:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                if branch(a == step.pointee.operand, step, 2) { return exit }
            case .wordJumpNe:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                if branch(a != step.pointee.operand, step, 2) { return exit }
            case .wordJumpGe:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                if branch(a >= step.pointee.operand, step, 2) { return exit }
            case .wordJumpLt:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                if branch(a < step.pointee.operand, step, 2) { return exit }
            case .wordJumpSet:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                if branch(a & step.pointee.operand != 0, step, 2) { return exit }
            case .wordJumpClear:
                guard let value = absolute(step.pointee.k, 4) else { return 0 }
                a = value
                if branch(a & step.pointee.operand == 0, step, 2) { return exit }
            case .halfwordJumpEq:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                if branch(a == step.pointee.operand, step, 2) { return exit }
            case .halfwordJumpNe:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                if branch(a != step.pointee.operand, step, 2) { return exit }
            case .halfwordJumpGe:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                if branch(a >= step.pointee.operand, step, 2) { return exit }
            case .halfwordJumpLt:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                if branch(a < step.pointee.operand, step, 2) { return exit }
            case .halfwordJumpSet:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                if branch(a & step.pointee.operand != 0, step, 2) { return exit }
            case .halfwordJumpClear:
                guard let value = absolute(step.pointee.k, 2) else { return 0 }
                a = value
                if branch(a & step.pointee.operand == 0, step, 2) { return exit }
            case .byteJumpEq:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                if branch(a == step.pointee.operand, step, 2) { return exit }
            case .byteJumpNe:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                if branch(a != step.pointee.operand, step, 2) { return exit }
            case .byteJumpGe:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                if branch(a >= step.pointee.operand, step, 2) { return exit }
            case .byteJumpLt:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                if branch(a < step.pointee.operand, step, 2) { return exit }
            case .byteJumpSet:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                if branch(a & step.pointee.operand != 0, step, 2) { return exit }
            case .byteJumpClear:
                guard let value = absolute(step.pointee.k, 1) else { return 0 }
                a = value
                if branch(a & step.pointee.operand == 0, step, 2) { return exit }
            case .indirectWordJumpEq:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a == step.pointee.operand, step, 2) { return exit }
            case .indirectWordJumpNe:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a != step.pointee.operand, step, 2) { return exit }
            case .indirectWordJumpGe:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a >= step.pointee.operand, step, 2) { return exit }
            case .indirectWordJumpLt:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a < step.pointee.operand, step, 2) { return exit }
            case .indirectWordJumpSet:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a & step.pointee.operand != 0, step, 2) { return exit }
            case .indirectWordJumpClear:
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a & step.pointee.operand == 0, step, 2) { return exit }
            case .indirectHalfwordJumpEq:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a == step.pointee.operand, step, 2) { return exit }
            case .indirectHalfwordJumpNe:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a != step.pointee.operand, step, 2) { return exit }
            case .indirectHalfwordJumpGe:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a >= step.pointee.operand, step, 2) { return exit }
            case .indirectHalfwordJumpLt:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a < step.pointee.operand, step, 2) { return exit }
            case .indirectHalfwordJumpSet:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a & step.pointee.operand != 0, step, 2) { return exit }
            case .indirectHalfwordJumpClear:
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a & step.pointee.operand == 0, step, 2) { return exit }
            case .indirectByteJumpEq:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a == step.pointee.operand, step, 2) { return exit }
            case .indirectByteJumpNe:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a != step.pointee.operand, step, 2) { return exit }
            case .indirectByteJumpGe:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a >= step.pointee.operand, step, 2) { return exit }
            case .indirectByteJumpLt:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a < step.pointee.operand, step, 2) { return exit }
            case .indirectByteJumpSet:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a & step.pointee.operand != 0, step, 2) { return exit }
            case .indirectByteJumpClear:
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a & step.pointee.operand == 0, step, 2) { return exit }

            // `ldxb 4*([ifFalse >> 2]&0xf)`, then an indirect superinstruction, three steps in all.
            case .headerWordJumpEq:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a == step.pointee.operand, step, 3) { return exit }
            case .headerWordJumpNe:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a != step.pointee.operand, step, 3) { return exit }
            case .headerWordJumpGe:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a >= step.pointee.operand, step, 3) { return exit }
            case .headerWordJumpLt:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a < step.pointee.operand, step, 3) { return exit }
            case .headerWordJumpSet:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a & step.pointee.operand != 0, step, 3) { return exit }
            case .headerWordJumpClear:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 4) else { return failed() }
                a = value
                if branch(a & step.pointee.operand == 0, step, 3) { return exit }
            case .headerHalfwordJumpEq:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a == step.pointee.operand, step, 3) { return exit }
            case .headerHalfwordJumpNe:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a != step.pointee.operand, step, 3) { return exit }
            case .headerHalfwordJumpGe:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a >= step.pointee.operand, step, 3) { return exit }
            case .headerHalfwordJumpLt:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a < step.pointee.operand, step, 3) { return exit }
            case .headerHalfwordJumpSet:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a & step.pointee.operand != 0, step, 3) { return exit }
            case .headerHalfwordJumpClear:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 2) else { return failed() }
                a = value
                if branch(a & step.pointee.operand == 0, step, 3) { return exit }
            case .headerByteJumpEq:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a == step.pointee.operand, step, 3) { return exit }
            case .headerByteJumpNe:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a != step.pointee.operand, step, 3) { return exit }
            case .headerByteJumpGe:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a >= step.pointee.operand, step, 3) { return exit }
            case .headerByteJumpLt:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a < step.pointee.operand, step, 3) { return exit }
            case .headerByteJumpSet:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a & step.pointee.operand != 0, step, 3) { return exit }
            case .headerByteJumpClear:
                guard let header = absolute(UInt32(step.pointee.ifFalse >> 2), 1) else { return 0 }
                x = (header & 0xf) << 2
                guard let value = indirect(step.pointee.k, x, 1) else { return failed() }
                a = value
                if branch(a & step.pointee.operand == 0, step, 3) { return exit }

            case .loadHostWord:  // seccomp_data, host byte order
                let offset = Int(step.pointee.k)
                guard offset &+ 4 <= length else { return 0 }
                a = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                current += 1
            case .failLoad:
                return 0
            case .loadNetworkWord, .loadNetworkHalfword, .loadNetworkByte, .loadLinkWord, .loadLinkHalfword,
                .loadLinkByte, .loadHeaderLengthNetwork, .loadHeaderLengthLink,
                .ancillaryProtocol, .ancillaryPacketType, .ancillaryInterfaceIndex, .ancillaryHardwareType,
                .ancillaryNetlinkAttribute, .ancillaryNetlinkAttributeNested, .ancillaryMark, .ancillaryQueue,
                .ancillaryRxHash, .ancillaryCPU, .ancillaryXorX, .ancillaryVLANTag, .ancillaryVLANTagPresent,
                .ancillaryPayloadOffset, .ancillaryRandom, .ancillaryVLANProtocol:
                guard let metadata else { return nil }
                let result = executeRare(step.pointee, a: a, x: x, packet: packet(), metadata: metadata)
                if result.finished { return result.a }
                a = result.a
                x = result.x
                current += 1
            }
        }
    }

    /// The scratch memory M[0] to M[15], on the stack. The verifier rejects reads of slots that
    /// may be unwritten, so its initial zeros are never observed.
    @usableFromInline struct Scratch {
        @usableFromInline var words: (
            UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
            UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        // `slot` is below 16 (the verifier checks). The unprotected form spares every run a stack
        // protector check, which the address of a local array otherwise brings.
        @inline(__always)
        subscript(slot: Int) -> UInt32 {
            mutating get {
                _withUnprotectedUnsafeMutablePointer(to: &words) {
                    UnsafeRawPointer($0).load(fromByteOffset: slot &* 4, as: UInt32.self)
                }
            }
            set {
                _withUnprotectedUnsafeMutablePointer(to: &words) {
                    UnsafeMutableRawPointer($0).storeBytes(of: newValue, toByteOffset: slot &* 4, as: UInt32.self)
                }
            }
        }
    }

    /// An indirect load at a negative offset: `bpf_internal_load_pointer_neg_helper`.
    @inline(never)
    static func loadBelowZero(_ offset: Int, _ size: Int, packet: UnsafeRawBufferPointer, metadata: PacketMetadata)
        -> UInt32?
    {
        if offset >= -0x10_0000 {
            return loadAround(packet, metadata.networkHeaderOffset &+ offset + 0x10_0000, size, metadata)
        }
        if offset >= -0x20_0000, let header = metadata.linkLayerHeaderOffset {
            return loadAround(packet, header &+ offset + 0x20_0000, size, metadata)
        }
        return nil
    }

    /// A header-relative load, which may start in `metadata.bytesBeforePacket` (offsets below 0)
    /// and run on into the packet, as the kernel's check from `skb->head` to the tail allows.
    static func loadAround(_ packet: UnsafeRawBufferPointer, _ offset: Int, _ size: Int, _ metadata: PacketMetadata)
        -> UInt32?
    {
        if offset >= 0 { return load(packet, offset, size) }
        let before = metadata.bytesBeforePacket
        guard offset >= -before.count, offset <= packet.count &- size else { return nil }
        var value: UInt32 = 0
        for index in offset..<(offset + size) {
            value = value << 8 | UInt32(index < 0 ? before[before.count + index] : packet[index])
        }
        return value
    }

    /// A big-endian load of 1, 2 or 4 bytes, or nil outside the packet.
    @inline(__always)
    static func load(_ packet: UnsafeRawBufferPointer, _ offset: Int, _ size: Int) -> UInt32? {
        guard offset >= 0, offset <= packet.count &- size else { return nil }
        switch size {
        case 4: return packet.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian
        case 2: return UInt32(packet.loadUnaligned(fromByteOffset: offset, as: UInt16.self).bigEndian)
        default: return UInt32(packet[offset])
        }
    }

    /// The steps the main loop leaves out: header-relative and ancillary loads. None
    /// jumps; `finished` means the program ends and returns `a`.
    @inline(never)
    static func executeRare(
        _ step: Step, a: UInt32, x: UInt32, packet: UnsafeRawBufferPointer, metadata: PacketMetadata
    ) -> (a: UInt32, x: UInt32, finished: Bool) {
        // bpf_internal_load_pointer_neg_helper: header-relative loads.
        func network(_ size: Int) -> UInt32? {
            loadAround(packet, metadata.networkHeaderOffset &+ Int(step.k), size, metadata)
        }
        func link(_ size: Int) -> UInt32? {
            guard let header = metadata.linkLayerHeaderOffset else { return nil }
            return loadAround(packet, header &+ Int(step.k), size, metadata)
        }
        let failed = (a: UInt32(0), x: x, finished: true)
        func loaded(_ value: UInt32?) -> (a: UInt32, x: UInt32, finished: Bool) {
            guard let value else { return failed }
            return (value, x, false)
        }
        func loadedX(_ value: UInt32?) -> (a: UInt32, x: UInt32, finished: Bool) {
            guard let value else { return failed }
            return (a, (value & 0xf) << 2, false)
        }
        func set(_ value: UInt32) -> (a: UInt32, x: UInt32, finished: Bool) { (value, x, false) }

        switch step.operation {
        case .loadNetworkWord: return loaded(network(4))
        case .loadNetworkHalfword: return loaded(network(2))
        case .loadNetworkByte: return loaded(network(1))
        case .loadLinkWord: return loaded(link(4))
        case .loadLinkHalfword: return loaded(link(2))
        case .loadLinkByte: return loaded(link(1))
        case .loadHeaderLengthNetwork: return loadedX(network(1))
        case .loadHeaderLengthLink: return loadedX(link(1))
        case .ancillaryProtocol: return set(UInt32(metadata.protocol))
        case .ancillaryPacketType: return set(UInt32(metadata.packetType & 7))
        case .ancillaryInterfaceIndex:
            guard let device = metadata.device else { return (a, x, true) }
            return set(device.index)
        case .ancillaryHardwareType:
            guard let device = metadata.device else { return (a, x, true) }
            return set(UInt32(device.hardwareType))
        case .ancillaryNetlinkAttribute:
            return set(NetlinkAttributes.find(in: packet, from: a, type: x, nested: false))
        case .ancillaryNetlinkAttributeNested:
            return set(NetlinkAttributes.find(in: packet, from: a, type: x, nested: true))
        case .ancillaryMark: return set(metadata.mark)
        case .ancillaryQueue: return set(UInt32(metadata.queue))
        case .ancillaryRxHash: return set(metadata.rxHash)
        case .ancillaryCPU: return set(metadata.cpu)
        case .ancillaryXorX: return set(a ^ x)
        case .ancillaryVLANTag: return set(UInt32(metadata.vlanTag))
        case .ancillaryVLANTagPresent: return set(metadata.vlanTagPresent ? 1 : 0)
        case .ancillaryPayloadOffset: return set(metadata.payloadOffset)
        case .ancillaryRandom: return set(metadata.random)
        case .ancillaryVLANProtocol: return set(UInt32(metadata.vlanProtocol))
        default: preconditionFailure("\(step.operation) runs in the main loop")
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
