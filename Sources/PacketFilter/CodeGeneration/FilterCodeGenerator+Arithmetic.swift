import CBPF

/// Relations between arithmetic expressions and the loads they make (libpcap's `gen_relation`, `gen_arth`, `gen_load`).
extension FilterCodeGenerator {
    /// A value computed into A, and the tests that must hold first (the protocol of a load).
    struct Value {
        var guards: [Condition] = []
        var statements: [Instruction]
        /// `k` when libpcap's code for this value starts with `ld #k`: the constant itself, or the
        /// first constant of its leftmost operand or index, whatever follows. libpcap's `gen_arth`
        /// checks only that statement of a divisor or shift amount (`len / ip[0]` is a "division
        /// by zero" to it, `len << tcp[40:2]` a "shift by more than 31 bits").
        var leadingConstant: UInt32? = nil
        /// The value, when it is known without running the statements (guards may remain).
        var constant: UInt32? {
            guard statements.count == 1, case .loadImmediate(.a, let k) = statements[0] else { return nil }
            return k
        }
    }

    func comparison(_ left: FilterArithmetic, _ relation: FilterRelation, _ right: FilterArithmetic) throws(FilterSyntaxError) -> Condition {
        let a = try value(left, depth: 0)
        let b = try value(right, depth: 1)
        var statements = a.statements
        let operand: Operand
        if let k = b.constant {
            operand = .constant(k)
        } else {
            statements += [.store(.a, slot: 0)] + b.statements + [.tax, .loadScratch(.a, slot: 0)]
            operand = .x
        }
        let test: Condition
        switch relation {
        case .equal: test = .test(statements, .equal, operand)
        case .notEqual: test = .not(.test(statements, .equal, operand))
        case .greater: test = .test(statements, .greaterThan, operand)
        case .greaterOrEqual: test = .test(statements, .greaterOrEqual, operand)
        case .less: test = .not(.test(statements, .greaterOrEqual, operand))
        case .lessOrEqual: test = .not(.test(statements, .greaterThan, operand))
        }
        let guards = a.guards + b.guards
        return guards.isEmpty ? test : .and(.all(guards), test)
    }

    func value(_ expression: FilterArithmetic, depth: Int) throws(FilterSyntaxError) -> Value {
        // Tunnels keep their offsets in the top slots for the rest of the program.
        guard depth < Self.scratchSlots - link.reservedSlots else {
            throw FilterSyntaxError("arithmetic expression too deeply nested")
        }
        switch expression {
        case .constant(let k):
            return Value(statements: [.loadImmediate(.a, k)], leadingConstant: k)
        case .length:
            if link.isInetSocket { throw Self.lengthRefusal("len") }
            return Value(statements: [.loadLength(.a)])
        case .negate(let inner):
            var result = try value(inner, depth: depth)
            if let k = result.constant {
                result.statements = [.loadImmediate(.a, 0 &- k)]
            } else {
                result.statements.append(.negate)
            }
            return result
        case .binary(let op, let left, let right):
            var result = try value(left, depth: depth)
            let rhs = try value(right, depth: depth + 1)
            let operation = Self.operation(op)
            if let k = rhs.leadingConstant {
                if op == .divide && k == 0 { throw FilterSyntaxError("division by zero") }
                if op == .modulo && k == 0 { throw FilterSyntaxError("modulus by zero") }
                if (op == .shiftLeft || op == .shiftRight) && k > 31 { throw FilterSyntaxError("shift by more than 31 bits") }
            }
            if let k = rhs.constant {
                // libpcap folds constants as it generates code and checks the folded value.
                if op == .divide && k == 0 { throw FilterSyntaxError("division by zero") }
                if op == .modulo && k == 0 { throw FilterSyntaxError("modulus by zero") }
                if (op == .shiftLeft || op == .shiftRight) && k > 31 { throw FilterSyntaxError("shift by more than 31 bits") }
                if let left = result.constant {
                    // Both known: fold, as libpcap's optimizer does.
                    result.statements = [.loadImmediate(.a, operation.apply(left, k))]
                } else if k == 0 && (op == .and || op == .multiply) && !keepsEveryLoad {
                    // The value is 0 whatever was loaded; libpcap's optimizer drops those loads.
                    result.statements = [.loadImmediate(.a, 0)]
                } else {
                    result.statements.append(.arithmetic(operation, .constant(k)))
                }
            } else {
                result.statements += [.store(.a, slot: UInt32(depth))] + rhs.statements
                result.statements += [.tax, .loadScratch(.a, slot: UInt32(depth)), .arithmetic(operation, .x)]
            }
            // libpcap's gen_arth keeps the left operand's protocol tests and drops the right
            // one's: `len + ip[0] > 1` tests no EtherType. Its verdicts follow, so ours do too.
            return result
        case .load(let proto, let index, let size):
            return try load(proto, index: index, size: size, depth: depth)
        }
    }

    static func operation(_ op: FilterArithmeticOperator) -> ArithmeticOperation {
        switch op {
        case .add: .add
        case .subtract: .subtract
        case .multiply: .multiply
        case .divide: .divide
        case .modulo: .modulo
        case .and: .and
        case .or: .or
        case .xor: .xor
        case .shiftLeft: .shiftLeft
        case .shiftRight: .shiftRight
        }
    }

    /// libpcap's `gen_load`: `proto[index:size]`, relative to the start of `proto`'s header.
    func load(_ proto: FilterProtocol, index: FilterArithmetic, size: Int, depth: Int) throws(FilterSyntaxError) -> Value {
        let loadSize: LoadSize = size == 1 ? .byte : size == 2 ? .halfword : .word
        var result = try value(index, depth: depth)
        if link.isInetSocket {
            let header = try inetSocketHeader(proto)
            result.guards = header.guards + result.guards
            result.statements += header.base.indexInX + [.loadIndirect(loadSize, offset: header.base.constant)]
            return result
        }
        switch proto {
        case .link:
            let header = link.headerOffset
            result.statements += header.indexInX + [.loadIndirect(loadSize, offset: header.constant)]
        case .ip, .arp, .rarp, .ip6, .atalk, .decnet, .sca, .lat, .moprc, .mopdl:
            result.guards.append(try abbreviation(proto))
            result.statements += net.indexInX + [.loadIndirect(loadSize, offset: net.constant)]
        case .tcp, .udp, .sctp, .icmp, .igmp, .igrp, .pim, .vrrp, .carp:
            let notLaterFragment = Condition.notLaterIPv4Fragment(networkOffset: net)
            result.guards = [try abbreviation(.ip)] + result.guards + [try abbreviation(proto), notLaterFragment]
            let slot = UInt32(depth)
            result.statements += [.store(.a, slot: slot)] + loadIPv4HeaderLength + [
                .loadScratch(.a, slot: slot), .arithmetic(.add, .x), .tax, .loadIndirect(loadSize, offset: net.constant),
            ]
        case .radio:
            // Radiotap's fields, from the start of the packet.
            guard link.type == .ieee802_11Radio else { throw FilterSyntaxError("radio information not present in capture") }
            result.statements += [.tax, .loadIndirect(loadSize, offset: 0)]
        case .icmp6:
            result.guards = [try abbreviation(.ip6)] + result.guards + [.compare(.byte, at: net + 6, 58)]
            result.statements += net.indexInX + [.loadIndirect(loadSize, offset: net.constant + 40)]
        default:
            throw FilterSyntaxError("'\(proto.rawValue)[...]' is not supported by this compiler")
        }
        return result
    }
}
