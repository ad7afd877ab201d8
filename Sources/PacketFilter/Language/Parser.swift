import CBPF

/// A recursive-descent parser for libpcap's grammar (`grammar.y`): `and` and `or` have equal
/// precedence and group to the left, a bare address after `and`/`or` inherits the qualifiers of
/// the primitive before it, and `%` and `^` take everything to their right as their right
/// operand, as libpcap's yacc precedence table (which leaves them out) makes it.
///
/// Nesting is bounded by ``FilterExpression/maximumDepth``: checked on the way down before each
/// recursion (so the parser's own stack stays small) and on the way up for the tree it builds
/// (so a long `and` chain, which the parser reads in a loop, cannot make a tree that the later
/// passes recurse too deeply into).
struct FilterParser {
    /// libpcap's `struct qual`: what a bare address means in the current position.
    struct Qualifiers {
        enum Address: Equatable { case unspecified, host, net, port, portrange, proto, protochain, gateway, none }
        var proto: FilterProtocol?
        var direction: FilterDirection?
        var address: Address

        /// Before any primitive, and after one that isn't an address (`tcp`, `len > 2`): a bare
        /// address here is an error.
        static let none = Qualifiers(proto: nil, direction: nil, address: .none)
    }

    /// An expression parsed so far: the tree, what a bare address after it inherits, and how many
    /// levels it nests.
    private struct Parsed {
        var expression: FilterExpression
        var qualifiers: Qualifiers
        var depth: Int

        init(_ expression: FilterExpression, _ qualifiers: Qualifiers, depth: Int = 0) {
            self.expression = expression
            self.qualifiers = qualifiers
            self.depth = depth
        }
    }

    /// An arithmetic expression parsed so far and how many levels it nests.
    private struct ParsedArithmetic {
        var arithmetic: FilterArithmetic
        var depth: Int
    }

    private let tokens: [Token]
    private var position = 0
    private let services: ServiceDatabase
    private let addressNames: AddressNameLookup
    /// The levels open around the current token: parentheses, `not`, unary minus, indexes and
    /// right operands.
    private var nesting = 0

    init(_ text: String, services: ServiceDatabase = .system, addressNames: AddressNameLookup = .system) throws(FilterSyntaxError) {
        tokens = try Lexer.tokens(text)
        self.services = services
        self.addressNames = addressNames
    }

    /// At least as many levels as the text can nest: each level takes a token that can open one
    /// (`and`, `or`, `not`, `(`, `[`, an operator or a relation).
    var levelBound: Int {
        let opening = tokens.count { token in
            switch token.kind {
            case .keyword(.and), .keyword(.or), .keyword(.not): true
            case .punctuation(let mark): mark != ")" && mark != "]" && mark != ":"
            default: false
            }
        }
        return min(opening + 1, FilterExpression.maximumDepth + 1)
    }

    /// Parses the whole text; nil for an empty expression, which accepts every packet.
    /// Recurses up to ``levelBound`` deep: see ``StackSpace``.
    mutating func parse() throws(FilterSyntaxError) -> FilterExpression? {
        if peek.kind == .end { return nil }
        let parsed = try parseExpression(.none)
        guard peek.kind == .end else { throw unexpected(peek) }
        return parsed.expression
    }

    // MARK: Tokens

    private var peek: Token { tokens[position] }
    private func peek(_ offset: Int) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func isKeyword(_ token: Token, _ keywords: Keyword...) -> Bool {
        if case .keyword(let keyword) = token.kind { return keywords.contains(keyword) }
        return false
    }

    private func isPunctuation(_ token: Token, _ marks: String...) -> Bool {
        if case .punctuation(let mark) = token.kind { return marks.contains(mark) }
        return false
    }

    private mutating func expect(_ mark: String, after what: String) throws(FilterSyntaxError) {
        guard isPunctuation(peek, mark) else {
            throw FilterSyntaxError("expected \"\(mark)\" \(what), found \(describe(peek))", at: peek.location)
        }
        advance()
    }

    private func describe(_ token: Token) -> String {
        token.kind == .end ? "the end of the expression" : quotedExcerpt(token.text)
    }

    private func unexpected(_ token: Token) -> FilterSyntaxError {
        if token.kind == .end { return FilterSyntaxError("unexpected end of expression", at: token.location) }
        return FilterSyntaxError("syntax error at \"\(token.text)\"", at: token.location)
    }

    /// Runs `body`; if it throws, rewinds to where it started and returns the error, so that
    /// another reading of the same tokens can be tried (libpcap's LALR parser needs no such thing).
    private mutating func attempt<T>(
        _ body: (inout FilterParser) throws(FilterSyntaxError) -> T
    ) -> Result<T, FilterSyntaxError> {
        let saved = position
        do {
            return .success(try body(&self))
        } catch {
            position = saved
            return .failure(error)
        }
    }

    /// Opens one more level at `token`, which must be closed with `nesting -= 1` (a `defer`).
    private mutating func enterLevel(at token: Token) throws(FilterSyntaxError) {
        guard nesting < FilterExpression.maximumDepth else { throw .nestedTooDeeply(at: token.location) }
        nesting += 1
    }

    /// `depth`, if it is within the limit: the depth of a node that `token` built.
    private func checked(_ depth: Int, at token: Token) throws(FilterSyntaxError) -> Int {
        guard depth <= FilterExpression.maximumDepth else { throw .nestedTooDeeply(at: token.location) }
        return depth
    }

    /// The error of whichever attempt got further into the text.
    private func furthest(_ errors: FilterSyntaxError...) -> FilterSyntaxError {
        errors.max { ($0.location ?? SourcePosition(line: 0, column: 0)) < ($1.location ?? SourcePosition(line: 0, column: 0)) }!
    }

    // MARK: Expressions

    private mutating func parseExpression(_ inherited: Qualifiers) throws(FilterSyntaxError) -> Parsed {
        var parsed = try parseTerm(inherited)
        var chainOperator: Keyword? = nil
        while isKeyword(peek, .and, .or) {
            let operatorToken = advance()
            let right = try parseTermOrID(parsed.qualifiers)
            // A chain of one operator is one level above its operands; another operator joins
            // the chain so far as its left operand, one level further up.
            let keyword: Keyword = isKeyword(operatorToken, .and) ? .and : .or
            let continuesChain = keyword == chainOperator
            chainOperator = keyword
            let depth = try checked(
                continuesChain ? max(parsed.depth, right.depth + 1) : max(parsed.depth, right.depth) + 1, at: operatorToken)
            let joined: FilterExpression =
                isKeyword(operatorToken, .and) ? .and(parsed.expression, right.expression) : .or(parsed.expression, right.expression)
            parsed = Parsed(joined, right.qualifiers, depth: depth)
        }
        return parsed
    }

    /// After `and`/`or`: a full term, or a bare address that inherits `qualifiers`.
    private mutating func parseTermOrID(_ qualifiers: Qualifiers) throws(FilterSyntaxError) -> Parsed {
        if startsID() {
            switch attempt({ (parser: inout FilterParser) throws(FilterSyntaxError) in try parser.parseID(qualifiers) }) {
            case .success(let result): return result
            case .failure(let idError):
                switch attempt({ (parser: inout FilterParser) throws(FilterSyntaxError) in try parser.parseTerm(qualifiers) }) {
                case .success(let result): return result
                case .failure(let termError): throw furthest(idError, termError)
                }
            }
        }
        return try parseTerm(qualifiers)
    }

    /// Whether the next tokens can begin libpcap's `id`.
    private func startsID() -> Bool {
        var offset = 0
        while isKeyword(peek(offset), .not) { offset += 1 }
        let token = peek(offset)
        switch token.kind {
        case .identifier, .ipv4, .ipv6, .mac: return true
        case .number: return !startsArithmeticContinuation(peek(offset + 1))
        case .punctuation("("): return true
        default: return false
        }
    }

    private func startsArithmeticContinuation(_ token: Token) -> Bool {
        guard case .punctuation(let mark) = token.kind else { return false }
        return ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "=", "!=", "<", "<=", ">", ">="].contains(mark)
    }

    private mutating func parseTerm(_ inherited: Qualifiers) throws(FilterSyntaxError) -> Parsed {
        let token = peek
        switch token.kind {
        case .keyword(.not):
            try enterLevel(at: token)
            defer { nesting -= 1 }
            advance()
            let term = try parseTerm(inherited)
            return Parsed(.not(term.expression), term.qualifiers, depth: try checked(term.depth + 1, at: token))
        case .punctuation("("):
            let asComparison = attempt { (parser: inout FilterParser) throws(FilterSyntaxError) in try parser.parseComparison() }
            if case .success(let comparison) = asComparison { return comparison }
            switch attempt({ (parser: inout FilterParser) throws(FilterSyntaxError) -> Parsed in
                try parser.enterLevel(at: token)
                defer { parser.nesting -= 1 }
                parser.advance()
                let inner = try parser.parseExpression(inherited)
                try parser.expect(")", after: "to close the \"(\" at \(token.location)")
                return Parsed(inner.expression, inherited, depth: try parser.checked(inner.depth + 1, at: token))
            }) {
            case .success(let inner): return inner
            case .failure(let error):
                if case .failure(let comparisonError) = asComparison { throw furthest(error, comparisonError) }
                throw error
            }
        case .punctuation("-"), .number, .keyword(.len):
            return try parseComparison()
        case .keyword(let keyword):
            if let proto = Self.protocolKeyword(keyword) {
                let next = peek(1)
                if isPunctuation(next, "[") { return try parseComparison() }
                if isKeyword(next, .broadcast, .multicast) || startsHead(next) {
                    return try parseQualified(inherited)
                }
                if isKeyword(next, .type, .subtype, .dir) {
                    // libpcap's `pqual p80211`: the protocol qualifier is allowed and ignored.
                    advance()
                    return Parsed(try parseWireless(), .none)
                }
                advance()
                return Parsed(try abbreviation(proto, at: token), .none)
            }
            if startsHead(token) || isKeyword(token, .broadcast, .multicast) {
                return try parseQualified(inherited)
            }
            if isKeyword(token, .type, .subtype, .dir) { return Parsed(try parseWireless(), .none) }
            return Parsed(try parseOther(keyword, token), .none)
        case .identifier("dns") where peek(1).kind == .identifier("qname"):
            advance()
            advance()
            let nameToken = advance()
            guard case .string(let text) = nameToken.kind else {
                throw FilterSyntaxError(
                    "expected a quoted name after \"dns qname\", such as \"example.com\", found \(describe(nameToken))",
                    at: nameToken.location)
            }
            do {
                return Parsed(.primitive(.dnsQueryName(try DNSName(text))), .none)
            } catch {
                throw FilterSyntaxError(error.message, at: nameToken.location)
            }
        case .identifier:
            throw FilterSyntaxError(
                "unknown protocol \"\(token.text)\"; a host or service name needs a qualifier such as host or port before it",
                at: token.location)
        case .ipv4, .ipv6, .mac:
            throw FilterSyntaxError(
                "\(quotedExcerpt(token.text)) needs a qualifier such as host, net or port before it", at: token.location)
        default:
            throw unexpected(token)
        }
    }

    private static func protocolKeyword(_ keyword: Keyword) -> FilterProtocol? {
        keyword == .link ? .link : FilterProtocol(rawValue: keyword.rawValue)
    }

    private func startsHead(_ token: Token) -> Bool {
        isKeyword(token, .src, .dst, .host, .net, .port, .portrange, .proto, .protochain, .gateway)
            || Self.wirelessAddressField(token) != nil
    }

    /// `addr1` ... `addr4`, `ra`, `ta`: libpcap's direction qualifiers for 802.11 addresses.
    private static func wirelessAddressField(_ token: Token) -> FilterDirection? {
        guard case .keyword(let keyword) = token.kind else { return nil }
        switch keyword {
        case .addr1: return .address1
        case .addr2: return .address2
        case .addr3: return .address3
        case .addr4: return .address4
        case .ra: return .receiver
        case .ta: return .transmitter
        default: return nil
        }
    }

    private func abbreviation(_ proto: FilterProtocol, at token: Token) throws(FilterSyntaxError) -> FilterExpression {
        guard FilterProtocol.supportedAbbreviations.contains(proto) else {
            throw FilterSyntaxError("\(quotedExcerpt(token.text)) is not supported by this compiler", at: token.location)
        }
        return .primitive(.protocolAbbreviation(proto))
    }

    /// `[proto] [dir] [aqual] id`, `[proto] broadcast`, `[proto] multicast`.
    private mutating func parseQualified(_ inherited: Qualifiers) throws(FilterSyntaxError) -> Parsed {
        var qualifiers = Qualifiers(proto: nil, direction: nil, address: .unspecified)
        let protoToken = peek
        if case .keyword(let keyword) = peek.kind, let proto = Self.protocolKeyword(keyword) {
            qualifiers.proto = proto
            advance()
        }
        if isKeyword(peek, .broadcast, .multicast) {
            let isBroadcast = isKeyword(advance(), .broadcast)
            return Parsed(.primitive(isBroadcast ? .broadcast(qualifiers.proto) : .multicast(qualifiers.proto)), .none)
        }
        if isKeyword(peek, .src, .dst) {
            let first = isKeyword(advance(), .src)
            if isKeyword(peek, .and, .or), isKeyword(peek(1), first ? .dst : .src) {
                let isAnd = isKeyword(advance(), .and)
                advance()
                qualifiers.direction = isAnd ? .sourceAndDestination : .sourceOrDestination
            } else {
                qualifiers.direction = first ? .source : .destination
            }
        } else if let field = Self.wirelessAddressField(peek) {
            advance()
            qualifiers.direction = field
        }
        let aqualToken = peek
        switch aqualToken.kind {
        case .keyword(.host): qualifiers.address = .host
        case .keyword(.net): qualifiers.address = .net
        case .keyword(.port): qualifiers.address = .port
        case .keyword(.portrange): qualifiers.address = .portrange
        case .keyword(.proto), .keyword(.protochain), .keyword(.gateway):
            guard qualifiers.direction == nil else { throw unexpected(aqualToken) }
            qualifiers.address = isKeyword(aqualToken, .proto) ? .proto : isKeyword(aqualToken, .gateway) ? .gateway : .protochain
        default:
            guard qualifiers.direction != nil else { throw unexpected(aqualToken) }
        }
        if qualifiers.address != .unspecified { advance() }
        if let proto = qualifiers.proto, !FilterProtocol.supportedQualifiers.contains(proto) {
            throw FilterSyntaxError("the '\(proto.rawValue)' qualifier is not supported by this compiler", at: protoToken.location)
        }
        guard startsID() || isKeyword(peek, .not) else {
            let what = qualifiers.address == .port || qualifiers.address == .portrange ? "a port number" : "an address"
            throw FilterSyntaxError(
                "expected \(what) after \"\(tokens[position - 1].text)\", found \(describe(peek))", at: peek.location)
        }
        return try parseID(qualifiers)
    }

    /// libpcap's `id`: an address, `not id`, or a parenthesized list of ids joined by and/or,
    /// all meant with `qualifiers`.
    private mutating func parseID(_ qualifiers: Qualifiers) throws(FilterSyntaxError) -> Parsed {
        let token = advance()
        switch token.kind {
        case .keyword(.not):
            try enterLevel(at: token)
            defer { nesting -= 1 }
            let inner = try parseID(qualifiers)
            return Parsed(.not(inner.expression), inner.qualifiers, depth: try checked(inner.depth + 1, at: token))
        case .punctuation("("):
            try enterLevel(at: token)
            defer { nesting -= 1 }
            var parsed = try parseID(qualifiers)
            while isKeyword(peek, .and, .or) {
                let operatorToken = advance()
                let right = try parseID(qualifiers)
                let depth = try checked(max(parsed.depth, right.depth) + 1, at: operatorToken)
                let joined: FilterExpression = isKeyword(operatorToken, .and)
                    ? .and(parsed.expression, right.expression) : .or(parsed.expression, right.expression)
                parsed = Parsed(joined, qualifiers, depth: depth)
            }
            try expect(")", after: "to close the \"(\" at \(token.location)")
            return Parsed(parsed.expression, qualifiers, depth: try checked(parsed.depth + 1, at: token))
        case .number(let value):
            return Parsed(try numberPrimitive(value, qualifiers, token), qualifiers)
        case .ipv4(let text):
            if qualifiers.proto == .decnet, !isPunctuation(peek, "/"), !isKeyword(peek, .mask) {
                return Parsed(try decnetPrimitive(text, qualifiers, token), qualifiers)
            }
            guard let (value, bits) = parseDottedIPv4(Substring(text)) else {
                throw FilterSyntaxError("invalid IPv4 address \"\(text)\"", at: token.location)
            }
            if isPunctuation(peek, "/") {
                advance()
                let lengthToken = advance()
                guard case .number(let length) = lengthToken.kind else {
                    throw FilterSyntaxError("expected a prefix length after \"/\"", at: lengthToken.location)
                }
                return Parsed(try ipv4Network(value, bits: bits, prefixLength: length, mask: nil, qualifiers, token), qualifiers)
            }
            if isKeyword(peek, .mask) {
                advance()
                let maskToken = advance()
                guard case .ipv4(let maskText) = maskToken.kind, let (mask, maskBits) = parseDottedIPv4(Substring(maskText)) else {
                    throw FilterSyntaxError("expected a dotted netmask after \"mask\"", at: maskToken.location)
                }
                let maskValue = mask << UInt32(32 - maskBits)
                return Parsed(try ipv4Network(value, bits: bits, prefixLength: nil, mask: (maskValue, maskBits), qualifiers, token), qualifiers)
            }
            return Parsed(try addressPrimitive(.ipv4(value, bits: bits), qualifiers, token), qualifiers)
        case .ipv6(let text):
            guard let address = IPv6Address(text) else {
                throw FilterSyntaxError("invalid IPv6 address \(text)", at: token.location)
            }
            var length: UInt32 = 128
            if isPunctuation(peek, "/") {
                advance()
                let lengthToken = advance()
                guard case .number(let value) = lengthToken.kind else {
                    throw FilterSyntaxError("expected a prefix length after \"/\"", at: lengthToken.location)
                }
                length = value
            }
            return Parsed(try ipv6Primitive(address, prefixLength: length, qualifiers, token), qualifiers)
        case .mac(let text):
            guard let bytes = parseEthernetAddress(text) else {
                throw FilterSyntaxError("invalid Ethernet address \(text)", at: token.location)
            }
            guard qualifiers.address == .host || qualifiers.address == .unspecified, qualifiers.proto == .link else {
                throw FilterSyntaxError("ethernet address used in non-ether expression", at: token.location)
            }
            return Parsed(.primitive(.host(.ethernet(bytes), protocol: .link, direction: qualifiers.direction)), qualifiers)
        case .identifier(let name):
            return Parsed(try namePrimitive(name, qualifiers, token), qualifiers)
        default:
            throw unexpected(token)
        }
    }

    // MARK: Primitives from ids (libpcap's gen_ncode, gen_scode, gen_mcode, gen_mcode6)

    private func checkPortProtocol(_ qualifiers: Qualifiers, _ token: Token) throws(FilterSyntaxError) {
        guard qualifiers.proto == nil || [.tcp, .udp, .sctp].contains(qualifiers.proto!) else {
            let name = qualifiers.address == .port ? "port" : "portrange"
            throw FilterSyntaxError("illegal qualifier of \(quotedExcerpt(name, quote: "'")): \(qualifiers.proto!.rawValue)", at: token.location)
        }
    }

    private func checkPort(_ value: UInt32, _ token: Token) throws(FilterSyntaxError) {
        guard value <= 65535 else {
            throw FilterSyntaxError("illegal port number \(value) > 65535", at: token.location)
        }
    }

    private func noQualifier(_ token: Token) -> FilterSyntaxError {
        FilterSyntaxError(
            "\(quotedExcerpt(token.text)) has no qualifier to inherit: write host, net, port or proto before it",
            at: token.location)
    }

    private func numberPrimitive(_ value: UInt32, _ qualifiers: Qualifiers, _ token: Token) throws(FilterSyntaxError) -> FilterExpression {
        switch qualifiers.address {
        case .none: throw noQualifier(token)
        case .unspecified, .host, .net:
            return try addressPrimitive(.number(value), qualifiers, token)
        case .port, .portrange:
            try checkPortProtocol(qualifiers, token)
            try checkPort(value, token)
            if qualifiers.address == .port {
                return .primitive(.port(.number(value), protocol: qualifiers.proto, direction: qualifiers.direction))
            }
            return .primitive(.portRange(.number(value), .number(value), protocol: qualifiers.proto, direction: qualifiers.direction))
        case .proto:
            return .primitive(.protocolNumber(.number(value), protocol: qualifiers.proto))
        case .protochain:
            return .primitive(.protocolChain(.number(value), protocol: qualifiers.proto))
        case .gateway:
            throw FilterSyntaxError("'gateway' requires a name", at: token.location)
        }
    }

    /// `decnet host AREA.NODE`: libpcap reads dotted text after `decnet` as a DECnet address.
    private func decnetPrimitive(_ text: String, _ qualifiers: Qualifiers, _ token: Token) throws(FilterSyntaxError) -> FilterExpression {
        guard let address = parseDECnetAddress(Substring(text)) else {
            throw FilterSyntaxError("malformed decnet address '\(text)'", at: token.location)
        }
        return try addressPrimitive(.decnet(address), qualifiers, token)
    }

    private func addressPrimitive(_ address: FilterAddress, _ qualifiers: Qualifiers, _ token: Token) throws(FilterSyntaxError) -> FilterExpression {
        var address = address
        if qualifiers.proto == .decnet, case .number(let value) = address {
            // A plain number is the 16-bit DECnet address itself (libpcap keeps its low 16 bits).
            address = .decnet(UInt16(truncatingIfNeeded: value))
        }
        switch qualifiers.address {
        case .none: throw noQualifier(token)
        case .unspecified, .host, .net:
            guard qualifiers.proto != .link else {
                throw FilterSyntaxError("illegal link layer address", at: token.location)
            }
            if qualifiers.address == .net {
                return .primitive(.net(address, mask: nil, prefixLength: nil, protocol: qualifiers.proto, direction: qualifiers.direction))
            }
            return .primitive(.host(address, protocol: qualifiers.proto, direction: qualifiers.direction))
        default:
            throw FilterSyntaxError("'\(qualifiers.address)' qualifier applied to IPv4 address", at: token.location)
        }
    }

    private func ipv4Network(
        _ value: UInt32, bits: Int, prefixLength: UInt32?, mask: (UInt32, Int)?, _ qualifiers: Qualifiers, _ token: Token
    ) throws(FilterSyntaxError) -> FilterExpression {
        let network = value << UInt32(32 - bits)
        let netmask: UInt32
        if let prefixLength {
            guard prefixLength <= 32 else { throw FilterSyntaxError("mask length must be <= 32", at: token.location) }
            netmask = prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength)
        } else {
            netmask = mask!.0
        }
        guard qualifiers.address != .none else { throw noQualifier(token) }
        guard ![.port, .portrange, .proto, .protochain, .gateway].contains(qualifiers.address) else {
            throw FilterSyntaxError("'\(qualifiers.address)' qualifier applied to IPv4 address and netmask", at: token.location)
        }
        guard qualifiers.address == .net else {
            throw FilterSyntaxError("Mask syntax for networks only", at: token.location)
        }
        guard network & ~netmask == 0 else {
            throw FilterSyntaxError("non-network bits set in \"\(token.text)\(prefixLength.map { "/\($0)" } ?? " mask ...")\"", at: token.location)
        }
        if let prefixLength {
            return .primitive(.net(.ipv4(value, bits: bits), mask: nil, prefixLength: prefixLength, protocol: qualifiers.proto, direction: qualifiers.direction))
        }
        return .primitive(.net(.ipv4(value, bits: bits), mask: .ipv4(mask!.0 >> UInt32(32 - mask!.1), bits: mask!.1), prefixLength: nil, protocol: qualifiers.proto, direction: qualifiers.direction))
    }

    private func ipv6Primitive(_ address: IPv6Address, prefixLength: UInt32, _ qualifiers: Qualifiers, _ token: Token) throws(FilterSyntaxError) -> FilterExpression {
        guard prefixLength <= 128 else { throw FilterSyntaxError("mask length must be <= 128", at: token.location) }
        switch qualifiers.address {
        case .none: throw noQualifier(token)
        case .unspecified, .host, .net:
            if qualifiers.address != .net && prefixLength != 128 {
                throw FilterSyntaxError("Mask syntax for networks only", at: token.location)
            }
            guard qualifiers.proto == nil || qualifiers.proto == .ip6 else {
                throw FilterSyntaxError("'\(qualifiers.proto!.rawValue)' modifier applied to ip6 host", at: token.location)
            }
            for (index, byte) in address.bytes.enumerated() {
                let keep = max(0, min(8, Int(prefixLength) - 8 * index))
                let mask: UInt8 = keep == 0 ? 0 : UInt8(0xff) << UInt8(8 - keep)
                guard byte & ~mask == 0 else {
                    throw FilterSyntaxError("non-network bits set in \"\(token.text)/\(prefixLength)\"", at: token.location)
                }
            }
            if qualifiers.address == .net {
                return .primitive(.net(.ipv6(address), mask: nil, prefixLength: prefixLength, protocol: qualifiers.proto, direction: qualifiers.direction))
            }
            return .primitive(.host(.ipv6(address), protocol: qualifiers.proto, direction: qualifiers.direction))
        default:
            throw FilterSyntaxError("'\(qualifiers.address)' qualifier applied to IPv6 address", at: token.location)
        }
    }

    private func namePrimitive(_ name: String, _ qualifiers: Qualifiers, _ token: Token) throws(FilterSyntaxError) -> FilterExpression {
        switch qualifiers.address {
        case .none: throw noQualifier(token)
        case .unspecified, .host:
            // Looked up here for the error's place, and again when the code is generated.
            if qualifiers.proto == .link, addressNames.ethernetAddress(name) == nil {
                throw FilterSyntaxError("unknown ether host \(quotedExcerpt(name, quote: "'"))", at: token.location)
            }
            guard qualifiers.proto != .decnet else {
                // libpcap is built without DECnet's name library.
                throw FilterSyntaxError("decnet name support not included, \(quotedExcerpt(name, quote: "'")) cannot be translated", at: token.location)
            }
            return .primitive(.host(.name(name), protocol: qualifiers.proto, direction: qualifiers.direction))
        case .net:
            guard let number = addressNames.network(name), number != 0 else {
                throw FilterSyntaxError("unknown network \(quotedExcerpt(name, quote: "'"))", at: token.location)
            }
            return .primitive(.net(.name(name), mask: nil, prefixLength: nil, protocol: qualifiers.proto, direction: qualifiers.direction))
        case .port:
            try checkPortProtocol(qualifiers, token)
            _ = try services.port(named: name, protocol: qualifiers.proto, at: token.location)
            return .primitive(.port(.service(name), protocol: qualifiers.proto, direction: qualifiers.direction))
        case .portrange:
            try checkPortProtocol(qualifiers, token)
            let (low, high) = try services.portRange(name, protocol: qualifiers.proto, at: token.location)
            return .primitive(.portRange(low, high, protocol: qualifiers.proto, direction: qualifiers.direction))
        case .proto, .protochain:
            _ = try ProtocolNames.number(of: name, qualifier: qualifiers.proto, at: token.location)
            if qualifiers.address == .proto {
                return .primitive(.protocolNumber(.name(name), protocol: qualifiers.proto))
            }
            return .primitive(.protocolChain(.name(name), protocol: qualifiers.proto))
        case .gateway:
            // libpcap 1.10 compiles `gateway` only when built without IPv6, which Linux builds never are.
            throw FilterSyntaxError("'gateway' not supported in this configuration", at: token.location)
        }
    }

    // MARK: Other primitives

    /// libpcap's `pnum`: a number, possibly in parentheses.
    private mutating func optionalNumber() -> UInt32? {
        var depth = 0
        while isPunctuation(peek(depth), "(") { depth += 1 }
        guard case .number(let value) = peek(depth).kind else { return nil }
        for index in stride(from: 1, through: depth, by: 1) where !isPunctuation(peek(depth + index), ")") {
            return nil
        }
        for _ in 0..<(2 * depth + 1) { advance() }
        return value
    }

    /// A plain number (libpcap's `NUM`, which takes no parentheses).
    private mutating func requiredNumber(after token: Token) throws(FilterSyntaxError) -> UInt32 {
        guard case .number(let value) = peek.kind else {
            throw FilterSyntaxError("expected a number after \"\(token.text)\", found \(describe(peek))", at: peek.location)
        }
        advance()
        return value
    }

    private mutating func parseOther(_ keyword: Keyword, _ token: Token) throws(FilterSyntaxError) -> FilterExpression {
        advance()
        switch keyword {
        case .less: return .primitive(.less(try requiredNumber(after: token)))
        case .greater: return .primitive(.greater(try requiredNumber(after: token)))
        case .vlan:
            let id = optionalNumber()
            if let id, id > 4095 { throw FilterSyntaxError("VLAN tag \(id) greater than maximum 4095", at: token.location) }
            return .primitive(.vlan(id))
        case .mpls:
            let label = optionalNumber()
            if let label, label > 0xfffff { throw FilterSyntaxError("MPLS label \(label) greater than maximum 1048575", at: token.location) }
            return .primitive(.mpls(label))
        case .pppoed: return .primitive(.pppoeDiscovery)
        case .pppoes:
            let session = optionalNumber()
            if let session, session > 0xffff { throw FilterSyntaxError("PPPoE session number \(session) greater than maximum 65535", at: token.location) }
            return .primitive(.pppoeSession(session))
        case .geneve, .vxlan:
            let vni = optionalNumber()
            if let vni, vni > FilterPrimitive.maximumVNI {
                let name = keyword == .geneve ? "Geneve" : "VXLAN"
                throw FilterSyntaxError(
                    "\(name) VNI \(vni) greater than maximum \(FilterPrimitive.maximumVNI)", at: token.location)
            }
            return .primitive(keyword == .geneve ? .geneve(vni) : .vxlan(vni))
        case .inbound: return .primitive(.direction(inbound: true))
        case .outbound: return .primitive(.direction(inbound: false))
        case .ifindex: return .primitive(.interfaceIndex(try requiredNumber(after: token)))
        case .llc:
            guard case .identifier(let name) = peek.kind else { return .primitive(.llc(nil)) }
            guard let frame = FilterLLCFrame(rawValue: name.lowercased()) else {
                throw FilterSyntaxError("unknown LLC type name \"\(name)\"", at: peek.location)
            }
            advance()
            return .primitive(.llc(frame))
        case .byte:
            let index = try requiredNumber(after: token)
            let operatorToken = advance()
            guard case .punctuation(let mark) = operatorToken.kind, let op = FilterByteOperator(rawValue: mark) else {
                throw FilterSyntaxError(
                    "expected one of & | < > = after \"byte \(index)\", found \(describe(operatorToken))", at: operatorToken.location)
            }
            return .primitive(.byte(index, op, try requiredNumber(after: operatorToken)))
        default:
            throw FilterSyntaxError("\(quotedExcerpt(token.text)) is not supported by this compiler", at: token.location)
        }
    }

    // MARK: 802.11 frame fields

    /// libpcap's `p80211`: `type T [subtype S]`, `subtype S`, `dir D`, with names or numbers.
    private mutating func parseWireless() throws(FilterSyntaxError) -> FilterExpression {
        let keywordToken = advance()
        let valueToken = advance()
        switch keywordToken.kind {
        case .keyword(.type):
            let type: UInt32
            switch valueToken.kind {
            case .number(let value):
                guard value & ~IEEE80211Names.typeMask == 0 else {
                    throw FilterSyntaxError("invalid 802.11 type value 0x\(String(value, radix: 16)): the type is one of 0, 4, 8, 12 (bits 0x0c)", at: valueToken.location)
                }
                type = value
            case .identifier(let name):
                guard let value = IEEE80211Names.type(named: name) else {
                    throw FilterSyntaxError("unknown 802.11 type name \"\(name)\"; use mgt, ctl, data or a number", at: valueToken.location)
                }
                type = value
            default:
                throw FilterSyntaxError("expected an 802.11 type after \"type\", found \(describe(valueToken))", at: valueToken.location)
            }
            guard isKeyword(peek, .subtype) else { return .primitive(.wirelessFrameType(type: type, subtype: nil)) }
            advance()
            let subtypeToken = advance()
            switch subtypeToken.kind {
            case .number(let value):
                guard value & ~IEEE80211Names.subtypeMask == 0 else {
                    throw FilterSyntaxError("invalid 802.11 subtype value 0x\(String(value, radix: 16)): the subtype is a multiple of 16 up to 0xf0 (bits 0xf0)", at: subtypeToken.location)
                }
                return .primitive(.wirelessFrameType(type: type, subtype: value))
            case .identifier(let name):
                guard let subtype = IEEE80211Names.subtype(named: name, ofType: type) else {
                    throw FilterSyntaxError("unknown 802.11 subtype name \"\(name)\" for type \(IEEE80211Names.typeText(type))", at: subtypeToken.location)
                }
                return .primitive(.wirelessFrameType(type: type, subtype: subtype))
            default:
                throw FilterSyntaxError("expected an 802.11 subtype after \"subtype\", found \(describe(subtypeToken))", at: subtypeToken.location)
            }
        case .keyword(.subtype):
            guard case .identifier(let name) = valueToken.kind else {
                throw FilterSyntaxError("expected an 802.11 subtype name after \"subtype\", such as beacon, found \(describe(valueToken)); a number needs \"type T\" before it", at: valueToken.location)
            }
            guard let (type, subtype) = IEEE80211Names.typeAndSubtype(named: name) else {
                throw FilterSyntaxError("unknown 802.11 subtype name \"\(name)\"", at: valueToken.location)
            }
            return .primitive(.wirelessFrameType(type: type, subtype: subtype))
        default:
            switch valueToken.kind {
            case .number(let value): return .primitive(.wirelessDirection(value))
            case .identifier(let name):
                guard let value = IEEE80211Names.direction(named: name) else {
                    throw FilterSyntaxError("unknown 802.11 direction \"\(name)\"; use nods, tods, fromds, dstods or a number", at: valueToken.location)
                }
                return .primitive(.wirelessDirection(value))
            default:
                throw FilterSyntaxError("expected an 802.11 direction after \"dir\", found \(describe(valueToken))", at: valueToken.location)
            }
        }
    }

    // MARK: Arithmetic

    private mutating func parseComparison() throws(FilterSyntaxError) -> Parsed {
        let left = try parseArithmetic(minimumPrecedence: 0)
        let token = peek
        let relation: FilterRelation
        switch token.kind {
        case .punctuation("="): relation = .equal
        case .punctuation("!="): relation = .notEqual
        case .punctuation("<"): relation = .less
        case .punctuation("<="): relation = .lessOrEqual
        case .punctuation(">"): relation = .greater
        case .punctuation(">="): relation = .greaterOrEqual
        default:
            throw FilterSyntaxError("expected a comparison (=, !=, <, <=, >, >=), found \(describe(token))", at: token.location)
        }
        advance()
        let right = try parseArithmetic(minimumPrecedence: 0)
        let depth = try checked(max(left.depth, right.depth) + 1, at: token)
        return Parsed(.comparison(left.arithmetic, relation, right.arithmetic), .none, depth: depth)
    }

    /// Binding power of each binary operator, libpcap's `%left` lines. `%` is special: see the
    /// type's comment.
    private static let precedence: [String: Int] = [
        "|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": Int.min, "^": Int.min,
    ]

    private mutating func parseArithmetic(minimumPrecedence: Int) throws(FilterSyntaxError) -> ParsedArithmetic {
        var left = try parseArithmeticOperand()
        // `%` and `^` have no precedence in libpcap's grammar, so yacc always shifts them: they
        // bind tightest to their left and take the whole rest as their right operand.
        while case .punctuation(let mark) = peek.kind, let precedence = Self.precedence[mark],
            precedence >= minimumPrecedence || precedence == Int.min
        {
            let operatorToken = advance()
            let right = try parseRightOperand(of: operatorToken)
            left = ParsedArithmetic(
                arithmetic: .binary(FilterArithmeticOperator(rawValue: mark)!, left.arithmetic, right.arithmetic),
                depth: try checked(max(left.depth, right.depth) + 1, at: operatorToken))
        }
        return left
    }

    /// The right operand of a binary operator, one level down.
    private mutating func parseRightOperand(of operatorToken: Token) throws(FilterSyntaxError) -> ParsedArithmetic {
        try enterLevel(at: operatorToken)
        defer { nesting -= 1 }
        let mark = operatorToken.text
        guard mark != "%" && mark != "^", let precedence = Self.precedence[mark] else {
            return try parseArithmetic(minimumPrecedence: 0)
        }
        return try parseArithmetic(minimumPrecedence: precedence + 1)
    }

    private mutating func parseArithmeticOperand() throws(FilterSyntaxError) -> ParsedArithmetic {
        let token = advance()
        switch token.kind {
        case .number(let value): return ParsedArithmetic(arithmetic: .constant(value), depth: 0)
        case .keyword(.len): return ParsedArithmetic(arithmetic: .length, depth: 0)
        case .punctuation("-"):
            try enterLevel(at: token)
            defer { nesting -= 1 }
            // Unary minus binds tighter than every binary operator but `%` and `^`.
            let operand = try parseArithmeticOperand()
            if case .punctuation(let mark) = peek.kind, mark == "%" || mark == "^" {
                let operatorToken = advance()
                let right = try parseRightOperand(of: operatorToken)
                let binary = FilterArithmetic.binary(FilterArithmeticOperator(rawValue: mark)!, operand.arithmetic, right.arithmetic)
                return ParsedArithmetic(arithmetic: .negate(binary), depth: try checked(max(operand.depth, right.depth) + 2, at: token))
            }
            return ParsedArithmetic(arithmetic: .negate(operand.arithmetic), depth: try checked(operand.depth + 1, at: token))
        case .punctuation("("):
            try enterLevel(at: token)
            defer { nesting -= 1 }
            let inner = try parseArithmetic(minimumPrecedence: 0)
            try expect(")", after: "to close the \"(\" at \(token.location)")
            return ParsedArithmetic(arithmetic: inner.arithmetic, depth: try checked(inner.depth + 1, at: token))
        case .keyword(let keyword):
            guard let proto = Self.protocolKeyword(keyword) else { break }
            guard FilterProtocol.loadable.contains(proto) else {
                throw FilterSyntaxError("\(quotedExcerpt(token.text))[...] is not supported by this compiler", at: token.location)
            }
            try expect("[", after: "after \"\(token.text)\"")
            try enterLevel(at: token)
            defer { nesting -= 1 }
            let index = try parseArithmetic(minimumPrecedence: 0)
            var size = 1
            if isPunctuation(peek, ":") {
                advance()
                let sizeToken = advance()
                guard case .number(let value) = sizeToken.kind, [1, 2, 4].contains(value) else {
                    throw FilterSyntaxError("data size must be 1, 2, or 4", at: sizeToken.location)
                }
                size = Int(value)
            }
            try expect("]", after: "to close \"\(token.text)[\"")
            return ParsedArithmetic(
                arithmetic: .load(proto, index: index.arithmetic, size: size), depth: try checked(index.depth + 1, at: token))
        default:
            break
        }
        throw FilterSyntaxError("expected a number, len or a protocol field, found \(describe(token))", at: token.location)
    }
}

extension FilterProtocol {
    /// The protocols that can stand alone as a primitive.
    static let supportedAbbreviations: Set<FilterProtocol> = [
        .link, .ip, .ip6, .arp, .rarp, .tcp, .udp, .icmp, .icmp6, .sctp, .igmp, .igrp, .pim, .vrrp, .carp, .ah, .esp,
        .stp, .netbeui, .iso, .esis, .isis, .clnp, .l1, .l2, .iih, .lsp, .snp, .csnp, .psnp,
        .decnet, .lat, .sca, .mopdl, .moprc, .atalk, .aarp, .ipx,
    ]
    /// The protocols that can qualify an address, a port or `proto`; the code generator gives
    /// libpcap's message for the combinations libpcap refuses.
    static let supportedQualifiers: Set<FilterProtocol> = supportedAbbreviations
    /// The protocols whose bytes `proto[i]` can load.
    static let loadable: Set<FilterProtocol> = [
        .link, .ip, .ip6, .arp, .rarp, .tcp, .udp, .icmp, .icmp6, .sctp, .igmp, .igrp, .pim, .vrrp, .carp, .radio,
        .atalk, .decnet, .sca, .lat, .moprc, .mopdl,
    ]
}
