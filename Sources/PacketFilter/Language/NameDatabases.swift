import CBPF
import Foundation

/// Service names for ports, read from `/etc/services` as libpcap's `pcap_nametoport` reads them
/// through `getservbyname`.
struct ServiceDatabase: Sendable {
    /// Port numbers by name (and alias), for tcp, udp and sctp.
    var ports: [String: [FilterProtocol: UInt32]]

    init(servicesFile text: String) {
        var ports: [String: [FilterProtocol: UInt32]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { continue }
            let portAndProtocol = fields[1].split(separator: "/")
            guard portAndProtocol.count == 2, let port = UInt32(portAndProtocol[0]),
                let proto = FilterProtocol(rawValue: String(portAndProtocol[1])), [.tcp, .udp, .sctp].contains(proto)
            else { continue }
            for name in [fields[0]] + fields.dropFirst(2) {
                ports[String(name), default: [:]][proto] = ports[String(name)]?[proto] ?? port
            }
        }
        self.ports = ports
    }

    /// The machine's `/etc/services`, or no names if it has none.
    static let system = ServiceDatabase(
        servicesFile: (try? String(contentsOfFile: "/etc/services", encoding: .utf8)) ?? "")

    /// libpcap's rule: a name known for tcp means tcp, unless udp has the same number (then
    /// any of tcp/udp/sctp); otherwise udp; otherwise sctp. A protocol qualifier must agree.
    func port(
        named name: String, protocol qualifier: FilterProtocol?, at location: SourcePosition?
    ) throws(FilterSyntaxError) -> (port: UInt32, protocol: FilterProtocol?) {
        guard let entry = ports[name] else {
            throw FilterSyntaxError("unknown port \(quotedExcerpt(name, quote: "'")) (not in /etc/services)", at: location)
        }
        var result: (port: UInt32, protocol: FilterProtocol?)
        if let tcp = entry[.tcp] {
            result = (tcp, entry[.udp] == tcp ? nil : .tcp)
        } else if let udp = entry[.udp] {
            result = (udp, .udp)
        } else {
            result = (entry[.sctp]!, .sctp)
        }
        if let qualifier {
            if let found = result.protocol, found != qualifier {
                throw FilterSyntaxError("port \(quotedExcerpt(name, quote: "'")) is \(found.rawValue)", at: location)
            }
            result.protocol = qualifier
        }
        return result
    }

    /// A `portrange` argument written as a name: `low-high`, each a number or a service.
    func portRange(
        _ text: String, protocol qualifier: FilterProtocol?, at location: SourcePosition?
    ) throws(FilterSyntaxError) -> (FilterPort, FilterPort) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw FilterSyntaxError("expected a port range such as 1024-2048, found \"\(text)\"", at: location)
        }
        var ends: [FilterPort] = []
        for part in parts {
            if let number = UInt32(part) {
                guard number <= 65535 else {
                    throw FilterSyntaxError("illegal port number \(number) > 65535", at: location)
                }
                ends.append(.number(number))
            } else {
                _ = try port(named: String(part), protocol: qualifier, at: location)
                ends.append(.service(String(part)))
            }
        }
        return (ends[0], ends[1])
    }

    /// A port endpoint's number, and the transport it implies (nil: tcp, udp and sctp).
    func resolve(_ port: FilterPort, protocol qualifier: FilterProtocol?) throws(FilterSyntaxError) -> (port: UInt32, protocol: FilterProtocol?) {
        switch port {
        case .number(let value): (value, qualifier)
        case .service(let name): try self.port(named: name, protocol: qualifier, at: nil)
        }
    }
}

/// Protocol names for `proto \name` and `ether proto \name`.
enum ProtocolNames {
    /// libpcap's `pcap_nametoeproto` table.
    static let etherTypes: [String: UInt32] = [
        "pup": 0x0200, "ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035, "revarp": 0x8035,
        "sprite": 0x0500, "mopdl": 0x6001, "moprc": 0x6002, "decnet": 0x6003, "lat": 0x6004, "sca": 0x6007,
        "lanbridge": 0x8038, "vexp": 0x805b, "vprod": 0x805c, "atalk": 0x809b, "atalkarp": 0x80f3,
        "loopback": 0x9000, "decdts": 0x803e, "decdns": 0x803c, "aarp": 0x80f3,
        // libpcap's `pcap_nametollc` names, which `ether proto` also takes.
        "iso": 0xfe, "stp": 0x42, "ipx": 0xe0, "netbeui": 0xf0,
    ]

    /// IP protocol numbers from `/etc/protocols`, as `getprotobyname` reads it.
    static let ipProtocols: [String: UInt32] = {
        var table: [String: UInt32] = [:]
        let text = (try? String(contentsOfFile: "/etc/protocols", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let number = UInt32(fields[1]) else { continue }
            for name in [fields[0]] + fields.dropFirst(2) where table[String(name)] == nil {
                table[String(name)] = number
            }
        }
        return table
    }()

    static func number(of name: String, qualifier: FilterProtocol?, at location: SourcePosition?) throws(FilterSyntaxError) -> UInt32 {
        switch qualifier {
        case .link:
            guard let value = etherTypes[name] else {
                throw FilterSyntaxError("unknown ether proto \(quotedExcerpt(name, quote: "'"))", at: location)
            }
            return value
        case nil, .ip, .ip6:
            guard let value = ipProtocols[name] else {
                throw FilterSyntaxError("unknown ip proto \(quotedExcerpt(name, quote: "'")) (not in /etc/protocols)", at: location)
            }
            return value
        case .iso?:
            // libpcap's `pcap_nametoproto` ISO table.
            guard let value = ["clnp": UInt32(0x81), "esis": 0x82, "isis": 0x83][name] else {
                throw FilterSyntaxError("unknown osi proto \(quotedExcerpt(name, quote: "'"))", at: location)
            }
            return value
        case let other?:
            throw FilterSyntaxError("'\(other.rawValue) proto' is not supported by this compiler", at: location)
        }
    }
}
