import Attach
import CBPF
import Foundation
import PacketFilter
import SystemPackage
import TestSupport
import Testing

/// Programs compiled for `cls_bpf` go into a filter of an HTB qdisc on a veth pair between two
/// network namespaces of the test's own, all made over rtnetlink by `TrafficControl`. The class
/// a filter sends matches to must have sent as many packets as our interpreter accepts of the
/// same frames, by the kernel's counters as both `tc -s class show` and our own listing read them.
@Suite(.enabled(if: TestNamespace.clsBPFUnavailableReason == nil,
                "skipped: needs root, ip, tc, network namespaces, veth, HTB and cls_bpf"))
struct ClsBPFTests {
    /// The UDP datagrams sent from 10.99.0.1 to 10.99.0.2: destination port and payload.
    static let datagrams: [(port: UInt16, payload: String)] = [
        (53, "hi"), (53, "hi"), (53, "hello world"), (54, "hi"), (54, "hello world"), (5353, "hi"),
    ]

    static let expressions = [
        "udp dst port 53", "ether dst 02:00:00:00:00:02 and udp port 5353", "udp[8] == 0x68", "ip6",
        "udp and len >= 53", "udp and not port 54", "vlan",
    ]

    static let matchedClass = TrafficControlHandle(major: 1, minor: 0x10)

    /// How a match reaches class 1:10: the program returns -1 and the filter names the class
    /// (tc's `classid`), or the program returns the class itself and the filter names none.
    enum ClassChoice: CaseIterable, CustomStringConvertible {
        case filtersClassID, programReturnsClass
        var description: String { self == .filtersClassID ? "-1 and the filter's classid" : "the class from the program" }
    }

    @Test(arguments: ClassChoice.allCases)
    func classCountsMatchTheInterpreter(choice: ClassChoice) throws {
        let link = try TestVethPair()
        defer { link.delete() }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let index = try tc.interfaceIndex(named: "veth0")

        var compiler = PacketFilterCompiler(attachTarget: .trafficControl)
        if choice == .programReturnsClass { compiler.classID = Self.matchedClass }
        for expression in Self.expressions {
            let program = try compiler.compile(expression)
            let qdisc = Qdisc.htb(interfaceIndex: index, handle: TrafficControlHandle(major: 1, minor: 0), defaultClass: 0x20)
            try tc.add(qdisc, replacing: true)
            for minor: UInt16 in [0x10, 0x20] {
                try tc.add(HTBClass(interfaceIndex: index, classID: TrafficControlHandle(major: 1, minor: minor),
                                    parent: qdisc.handle, rate: 1_250_000))
            }
            try tc.add(BPFFilter(interfaceIndex: index, parent: qdisc.handle, program: program,
                                 classID: choice == .filtersClassID ? Self.matchedClass : nil))
            try link.send(Self.datagrams)

            let interpreter = try Interpreter(program, for: .trafficControl)
            let accepted = Self.datagrams.filter {
                interpreter.run(packet: link.frame(port: $0.port, payload: $0.payload)) != 0
            }.count
            let byTC = Self.packets(ofClass: "1:10", in: try link.local.run("tc", "-s", "class", "show", "dev", "veth0"))
            let ours = try tc.htbClasses(interfaceIndex: index).first { $0.classID == Self.matchedClass }?.packetsSent
            #expect(byTC == accepted, "\(expression) (\(choice)): tc says \(String(describing: byTC)), our interpreter \(accepted)")
            #expect(ours.map(Int.init) == byTC, "\(expression): our listing says \(String(describing: ours)), tc \(String(describing: byTC))")
            print("[cls_bpf] \(expression) (\(choice)): the kernel classified \(byTC ?? -1) of \(Self.datagrams.count), ours \(accepted)")
            try tc.delete(qdisc)
        }
        #expect(try link.local.run("tc", "qdisc", "show", "dev", "veth0").contains("htb") == false)
    }

    /// The snapshot length a socket program returns would be read as a class: 262144 is 4:0,
    /// which does not exist, so HTB sends every packet to its default class. A cls_bpf program
    /// must not do that.
    @Test func aSocketProgramsReturnValueClassifiesNothing() throws {
        let link = try TestVethPair()
        defer { link.delete() }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let index = try tc.interfaceIndex(named: "veth0")
        let qdisc = Qdisc.htb(interfaceIndex: index, handle: TrafficControlHandle(major: 1, minor: 0), defaultClass: 0x20)
        try tc.add(qdisc)
        for minor: UInt16 in [0x10, 0x20] {
            try tc.add(HTBClass(interfaceIndex: index, classID: TrafficControlHandle(major: 1, minor: minor),
                                parent: qdisc.handle, rate: 1_250_000))
        }
        let socketProgram = try PacketFilterCompiler().compile("udp")
        #expect(socketProgram.instructions.last(where: { $0 != .returnConstant(0) }) == .returnConstant(262_144))
        try tc.add(BPFFilter(interfaceIndex: index, parent: qdisc.handle, priority: 1, program: socketProgram,
                             classID: Self.matchedClass))
        try link.send(Self.datagrams)
        let listing = try link.local.run("tc", "-s", "class", "show", "dev", "veth0")
        // The filter matches every datagram but names class 4:0, which HTB does not find: it
        // sends the packet to its default class.
        #expect(Self.packets(ofClass: "1:10", in: listing) == 0, "\(listing)")
        // (The default class may also have sent an ARP packet or two.)
        #expect(Self.packets(ofClass: "1:20", in: listing).map { $0 >= Self.datagrams.count } == true, "\(listing)")
        let interpreter = try Interpreter(socketProgram, for: .socket)
        #expect(Self.datagrams.allSatisfy { interpreter.run(packet: link.frame(port: $0.port, payload: $0.payload)) != 0 })
    }

    /// The packets `tc -s class show` says a class sent: "class htb 1:10 ..." then " Sent B bytes P pkt".
    static func packets(ofClass classID: String, in listing: String) -> Int? {
        let lines = listing.split(separator: "\n")
        guard let header = lines.firstIndex(where: { $0.hasPrefix("class htb \(classID) ") }),
              header + 1 < lines.count
        else { return nil }
        let words = lines[header + 1].split(separator: " ")
        guard let sent = words.firstIndex(of: "Sent"), sent + 3 < words.count else { return nil }
        return Int(words[sent + 3])
    }
}
