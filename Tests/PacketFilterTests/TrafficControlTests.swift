import Attach
import CBPF
import Foundation
import PacketFilter
import SystemPackage
import TestSupport
import Testing

/// `TrafficControl`, the rtnetlink client, against the kernel, with iproute2's `tc` as the peer
/// that reads back what it made: qdiscs, HTB classes and cls_bpf filters in a test namespace.
@Suite(.enabled(if: TestNamespace.clsBPFUnavailableReason == nil,
                "skipped: needs root, ip, tc, network namespaces, veth, HTB and cls_bpf"))
struct TrafficControlTests {
    /// One filter as `tc -j filter show` describes it.
    struct ListedFilter: Equatable, CustomStringConvertible {
        var priority: Int
        var protocolName: String
        var handle: UInt32
        var flowID: String?
        var program: [RawInstruction]
        var description: String { "pref \(priority) \(protocolName) handle \(handle) flowid \(flowID ?? "-") \(program.count) instructions" }
    }

    /// The filters `tc -j filter show dev DEV parent P` lists, with their bytecode.
    static func listedByTC(_ namespace: TestNamespace, device: String, parent: String) throws -> [ListedFilter] {
        let output = try namespace.run("tc", "-j", "filter", "show", "dev", device, "parent", parent)
        guard !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        return try entries.compactMap { entry -> ListedFilter? in
            guard let options = entry["options"] as? [String: Any] else { return nil }  // a priority's header
            let handleText = try #require(options["handle"] as? String)
            let bytecode = try #require(options["bytecode"] as? [String: Any])
            let instructions = try #require(bytecode["insns"] as? [[String: Any]])
            let program = try instructions.map { instruction in
                RawInstruction(code: try #require((instruction["code"] as? NSNumber)?.uint16Value),
                               jt: try #require((instruction["jt"] as? NSNumber)?.uint8Value),
                               jf: try #require((instruction["jf"] as? NSNumber)?.uint8Value),
                               k: try #require((instruction["k"] as? NSNumber)?.uint32Value))
            }
            #expect((bytecode["length"] as? NSNumber)?.intValue == program.count)
            return ListedFilter(
                priority: try #require((entry["pref"] as? NSNumber)?.intValue),
                protocolName: try #require(entry["protocol"] as? String),
                handle: try #require(UInt32(handleText.dropFirst(2), radix: 16)),
                flowID: options["flowid"] as? String, program: program)
        }
    }

    @Test func tcListsExactlyWhatWasAttached() throws {
        let link = try TestVethPair()
        defer { link.delete() }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let index = try tc.interfaceIndex(named: "veth0")
        try tc.add(Qdisc.clsact(interfaceIndex: index))
        #expect(try tc.qdiscs(interfaceIndex: index).contains(Qdisc.clsact(interfaceIndex: index)))
        #expect(try link.local.run("tc", "qdisc", "show", "dev", "veth0").contains("qdisc clsact ffff: parent ffff:fff1"))

        let compiler = PacketFilterCompiler(attachTarget: .trafficControl)
        let attached = [
            try BPFFilter(interfaceIndex: index, parent: .ingress, priority: 10, handle: 1,
                          program: compiler.compile("udp dst port 53")),
            try BPFFilter(interfaceIndex: index, parent: .ingress, priority: 20, protocolNumber: 0x0800, handle: 0x2a,
                          program: compiler.compile("ip and tcp[13] & 2 != 0"), classID: TrafficControlHandle(major: 1, minor: 0x10)),
            try BPFFilter(interfaceIndex: index, parent: .egress, priority: 5, handle: 0xcbf00001,
                          program: compiler.compile("arp or vlan")),
        ]
        for filter in attached { try tc.add(filter) }

        for (parent, name) in [(TrafficControlHandle.ingress, "ffff:fff2"), (.egress, "ffff:fff3")] {
            let ours = attached.filter { $0.parent == parent }
            #expect(try tc.bpfFilters(interfaceIndex: index, parent: parent) == ours)
            let expected = ours.map {
                ListedFilter(priority: Int($0.priority), protocolName: $0.protocolNumber == 0x0800 ? "ip" : "all",
                             handle: $0.handle, flowID: $0.classID.map { "\($0)" }, program: $0.program)
            }
            let listed = try Self.listedByTC(link.local, device: "veth0", parent: name)
            #expect(listed.sorted { $0.priority < $1.priority } == expected, "tc lists \(listed)")
        }

        // Replacing keeps the place and changes the program.
        var replaced = attached[0]
        replaced.program = try compiler.compile("udp dst port 5353").raw
        try tc.add(replaced, replacing: true)
        #expect(try Self.listedByTC(link.local, device: "veth0", parent: "ffff:fff2").first?.program == replaced.program)

        for filter in attached { try tc.delete(filter) }
        #expect(try tc.bpfFilters(interfaceIndex: index, parent: .ingress).isEmpty)
        #expect(try link.local.run("tc", "filter", "show", "dev", "veth0", "ingress").isEmpty)
        #expect(try link.local.run("tc", "filter", "show", "dev", "veth0", "egress").isEmpty)
        try tc.delete(Qdisc.clsact(interfaceIndex: index))
        #expect(try !tc.qdiscs(interfaceIndex: index).contains { $0.kind == .clsact })
        #expect(try !link.local.run("tc", "qdisc", "show", "dev", "veth0").contains("clsact"))
    }

    @Test func htbQdiscsAndClassesReadBackAsTCShowsThem() throws {
        let link = try TestVethPair()
        defer { link.delete() }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let index = try tc.interfaceIndex(named: "veth0")
        let qdisc = Qdisc.htb(interfaceIndex: index, handle: TrafficControlHandle(major: 1, minor: 0), defaultClass: 0x20)
        try tc.add(qdisc)
        let classes = [
            HTBClass(interfaceIndex: index, classID: TrafficControlHandle(major: 1, minor: 0x10), parent: qdisc.handle,
                     rate: 1_250_000),
            HTBClass(interfaceIndex: index, classID: TrafficControlHandle(major: 1, minor: 0x20), parent: qdisc.handle,
                     rate: 125_000, ceiling: 1_250_000, burst: 3200),
            // Beyond 32 bits of bytes per second: TCA_HTB_RATE64.
            HTBClass(interfaceIndex: index, classID: TrafficControlHandle(major: 1, minor: 0x30), parent: qdisc.handle,
                     rate: 5_000_000_000),
        ]
        for htbClass in classes { try tc.add(htbClass) }
        #expect(try tc.qdiscs(interfaceIndex: index).contains(qdisc))
        let listed = try tc.htbClasses(interfaceIndex: index).sorted { $0.classID < $1.classID }
        #expect(listed == classes, "listed \(listed)")
        let shown = try link.local.run("tc", "qdisc", "show", "dev", "veth0")
        #expect(shown.contains("qdisc htb 1: root") && shown.contains("default 0x20"), "\(shown)")
        let listing = try link.local.run("tc", "class", "show", "dev", "veth0")
        for line in ["class htb 1:10 root prio 0 rate 10Mbit ceil 10Mbit burst 1600b cburst 1600b",
                     "class htb 1:20 root prio 0 rate 1Mbit ceil 10Mbit burst 3200b cburst 3200b",
                     "class htb 1:30 root prio 0 rate 40Gbit ceil 40Gbit"] {
            #expect(listing.contains(line), "tc class show: \(listing)")
        }
        try tc.delete(classes[2])
        #expect(try !link.local.run("tc", "class", "show", "dev", "veth0").contains("1:30"))
        try tc.delete(qdisc)
        #expect(try !link.local.run("tc", "qdisc", "show", "dev", "veth0").contains("htb"))
    }

    @Test func kernelRefusalsSayWhatTheKernelSaid() throws {
        let link = try TestVethPair()
        defer { link.delete() }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let index = try tc.interfaceIndex(named: "veth0")
        let program = try PacketFilterCompiler(attachTarget: .trafficControl).compile("udp")

        // What tc itself prints for the same request: its "Error: ..." line is the kernel's ext ack.
        let tcRun = try ProcessRun.run("/usr/sbin/ip", ["netns", "exec", link.local.name, "tc", "filter", "add", "dev", "veth0",
                                                         "parent", "9:", "bpf", "bytecode", BytecodeString.format(program)])
        let tcMessage = try #require(tcRun.standardError.split(separator: "\n").first { $0.hasPrefix("Error: ") })
            .dropFirst("Error: ".count).trimmingCharacters(in: CharacterSet(charactersIn: ". "))

        let filter = try BPFFilter(interfaceIndex: index, parent: TrafficControlHandle(major: 9, minor: 0), program: program)
        #expect {
            try tc.add(filter)
        } throws: { error in
            guard case .refused(let request, let errno, let message?) = error as? TrafficControlError else { return false }
            let description = "\(error)"
            print("[tc] \(description)")
            return request.hasPrefix("RTM_NEWTFILTER") && errno == .invalidArgument && message.contains(tcMessage)
                && description.contains(tcMessage) && description.contains("Invalid argument")
        }

        // A program the kernel's checker refuses: a jump past the end.
        try tc.add(Qdisc.clsact(interfaceIndex: index))
        let broken = BPFFilter(interfaceIndex: index, parent: .ingress, raw: [RawInstruction(code: 0x05, k: 5)])
        #expect {
            try tc.add(broken)
        } throws: { error in
            guard case .refused(_, let errno, _) = error as? TrafficControlError else { return false }
            return errno == .invalidArgument
        }
        #expect(try tc.bpfFilters(interfaceIndex: index, parent: .ingress).isEmpty)

        // Adding what exists.
        #expect {
            try tc.add(Qdisc.clsact(interfaceIndex: index))
        } throws: { error in
            guard case .refused(_, let errno, _) = error as? TrafficControlError else { return false }
            return errno == .fileExists
        }

        #expect(throws: TrafficControlError.noSuchInterface("veth9")) { try tc.interfaceIndex(named: "veth9") }
        #expect(throws: TrafficControlError.noSuchInterface("an-interface-name-too-long")) {
            try tc.interfaceIndex(named: "an-interface-name-too-long")
        }
        #expect(throws: TrafficControlError.self) {
            try tc.add(HTBClass(interfaceIndex: index, classID: TrafficControlHandle(major: 1, minor: 1),
                                parent: TrafficControlHandle(major: 1, minor: 0), rate: 0))
        }
    }

    /// The kernel keeps `TCA_BPF_NAME` only for eBPF programs: a classic filter lists without it.
    @Test func theKernelDropsAClassicFiltersName() throws {
        let link = try TestVethPair()
        defer { link.delete() }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let index = try tc.interfaceIndex(named: "veth0")
        try tc.add(Qdisc.clsact(interfaceIndex: index))
        var filter = try BPFFilter(interfaceIndex: index, parent: .ingress, priority: 1, handle: 1,
                                   program: Program([.returnConstant(0)]), name: "named")
        try tc.add(filter)
        filter.name = nil
        #expect(try tc.bpfFilters(interfaceIndex: index, parent: .ingress) == [filter])
        #expect(try !link.local.run("tc", "filter", "show", "dev", "veth0", "ingress").contains("named"))
    }

    /// The class ids tc writes, read by tc into filters and listed back by us from the kernel,
    /// are what `TrafficControlHandle` reads from the same text.
    @Test func handlesReadAsTCReadsThem() throws {
        let link = try TestVethPair()
        defer { link.delete() }
        try link.local.run("tc", "qdisc", "add", "dev", "veth0", "clsact")
        let texts = ["1:10", "1:", ":10", "A:b", "ffff:fff2", "10:ffff", "beef:1"]
        for (priority, text) in texts.enumerated() {
            try link.local.run("tc", "filter", "add", "dev", "veth0", "ingress", "prio", "\(priority + 1)", "bpf",
                               "bytecode", "1,6 0 0 0", "classid", text)
        }
        let tc = try TrafficControl(networkNamespace: FilePath(link.local.path))
        let listed = try tc.bpfFilters(interfaceIndex: tc.interfaceIndex(named: "veth0"), parent: .ingress)
            .sorted { $0.priority < $1.priority }
        #expect(listed.map(\.classID) == texts.map { TrafficControlHandle($0) })
    }
}
