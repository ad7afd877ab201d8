import CBPF
import CBPFFuzz
import Foundation
import Seccomp
import Testing

/// Docker's default profile from the shared corpus, `../shared/corpus/seccomp/docker-default.json`
/// next to the package, or `nil` when that directory is absent.
let dockerDefaultProfileText: String? = {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("shared/corpus/seccomp/docker-default.json")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        print("OCIProfileTests: \(url.path) is absent; skipping the tests that use Docker's default profile")
        return nil
    }
    return text
}()


/// A fixed kernel, so the `minKernel` entries do not depend on the machine.
let ociTestKernel = OCISeccompProfile.KernelVersion(kernel: 6, major: 18)

@Suite("OCI profiles")
struct OCIProfileTests {
    // MARK: Docker's default profile

    func dockerProfile() throws -> OCISeccompProfile {
        try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
    }

    func importDocker(
        _ architecture: SeccompArchitecture, capabilities: Set<String> = OCIProfileImportOptions.dockerDefaultCapabilities,
        kernel: OCISeccompProfile.KernelVersion = ociTestKernel, subArchitectures: Bool = true
    ) throws -> OCIProfileImport {
        try dockerProfile().policy(
            options: OCIProfileImportOptions(
                architecture: architecture, includesSubArchitectures: subArchitectures, capabilities: capabilities,
                kernelVersion: kernel))
    }

    static let is254 = LibseccompVersion.current == LibseccompVersion(major: 2, minor: 5, micro: 4)

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileReads() throws {
        let profile = try dockerProfile()
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.archMap.count == 9)
        #expect(profile.archMap[0] == .init(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]))
        #expect(profile.syscalls.count == 33)
        #expect(profile.syscalls.reduce(0) { $0 + $1.names.count } == 442)
        #expect(profile.unknownMembers.isEmpty)
        // The JSON writer and reader agree.
        #expect(try OCISeccompProfile(json: profile.json) == profile)
    }

    /// `--arch x86_64,x86`: exactly those, in that order; x32 stays out. An architecture the
    /// profile does not list for the target is refused, naming what it covers.
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileCoversExactlyTheArchitecturesAskedFor() throws {
        var options = OCIProfileImportOptions(kernelVersion: ociTestKernel)
        options.cover(exactly: [.x86_64, .x86])
        let imported = try dockerProfile().policy(options: options)
        #expect(imported.policy.architectures == [.x86_64, .x86])
        options.cover(exactly: [.x86, .x86_64])
        #expect(throws: OCIProfileError.self) { try dockerProfile().policy(options: options) }
        options.cover(exactly: [.x86_64, .aarch64])
        do {
            _ = try dockerProfile().policy(options: options)
            Issue.record("aarch64 is no sub-architecture of x86_64 in Docker's archMap")
        } catch {
            #expect("\(error)".contains("does not cover aarch64 for the target x86_64"))
            #expect("\(error)".contains("x86_64, x86, x32"))
        }
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileOnX86_64() throws {
        let imported = try importDocker(.x86_64)
        let policy = imported.policy
        #expect(policy.defaultAction == .errno(1))
        #expect(policy.foreignArchitectureAction == .killThread)
        // archMap gives x86_64, x86 and x32; x86 also reaches socket through socketcall, where the
        // conditions of Docker's socket entries cannot be checked: as libseccomp does, they are
        // checked on socket (359) alone.
        #expect(policy.architectures == [.x86_64, .x86, .x32])
        #expect(imported.warnings.contains(
            .conditionsUncheckedOnMultiplexer(.x86, syscalls: ["socket"], multiplexer: "socketcall")))
        #expect(!imported.warnings.contains { if case .architectureOmitted = $0 { true } else { false } })
        guard case .unknownSyscalls(let unknown, let paths, _)? = imported.warnings.first(where: {
            if case .unknownSyscalls = $0 { true } else { false }
        }) else {
            Issue.record("no warning about unknown names: \(imported.warnings)")
            return
        }
        #expect(paths.count == unknown.count)
        #expect(paths.allSatisfy { $0 == ["syscalls[0]"] })
        if Self.is254 {
            #expect(unknown == [
                "getxattrat", "listmount", "listxattrat", "mseal", "removexattrat", "riscv_hwprobe", "setxattrat",
                "statmount", "uretprobe",
            ])
            // 368 rules for known names, 60 of them only on x86 (recv and send only through socketcall).
            #expect(policy.rules.count == 368)
        }
        #expect(policy.rules.count == imported.entryIndices.count)
        // Every rule is for a name; nothing with the default action.
        #expect(policy.rules.allSatisfy { $0.action != policy.defaultAction })
        #expect(!ruleNames(policy).contains("arm_fadvise64_64"))
        #expect(ruleNames(policy).contains("arch_prctl"))
        #expect(ruleNames(policy).contains("modify_ldt"))
        #expect(!ruleNames(policy).contains("reboot"))
        #expect(!ruleNames(policy).contains("mount"))

        let resolved = try policy.resolve()
        let x86_64 = AuditArchitecture.x86_64
        func action(_ name: String, _ arguments: [UInt64] = []) throws -> SeccompAction {
            guard case .number(let number) = try SeccompArchitecture.x86_64.resolve(name) else {
                throw OCITestError("\(name) has no number on x86_64")
            }
            return resolved.action(for: SeccompData(number: number, architecture: x86_64, arguments: arguments))
        }
        #expect(try action("read") == .allow)
        #expect(try action("ptrace") == .allow)  // minKernel 4.8
        #expect(try action("mount") == .errno(1))
        #expect(try action("clone3") == .errno(38))
        // clone: allowed unless a namespace flag is set (mask 0x7e020000).
        #expect(try action("clone", [0x0111_0011]) == .allow)
        #expect(try action("clone", [0x2000_0000]) == .errno(1))  // CLONE_NEWPID
        #expect(try action("clone", [0x1000_0000]) == .errno(1))  // CLONE_NEWUSER
        #expect(try action("clone", [0x2_0000]) == .errno(1))  // CLONE_NEWNS
        // personality: 0, 8, 0x20000, 0x20008 and 0xffffffff, compared on 64 bits.
        for allowed: UInt64 in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
            #expect(try action("personality", [allowed]) == .allow)
        }
        for refused: UInt64 in [1, 9, 0x2_0009, 0x1_ffff_ffff, .max] {
            #expect(try action("personality", [refused]) == .errno(1))
        }
        // socket: any family but AF_ALG (38) and AF_VSOCK (40).
        for family: UInt64 in [0, 1, 2, 10, 16, 37, 39, 41, 44] {
            #expect(try action("socket", [family]) == .allow)
        }
        for family: UInt64 in [38, 40] {
            #expect(try action("socket", [family]) == .errno(1))
        }
        // x32 numbers carry bit 30.
        #expect(resolved.action(for: SeccompData(number: 0x4000_0000, architecture: x86_64)) == .allow)
        // x86: socket (359) is checked; socketcall(SYS_SOCKET, ...) is allowed whatever the family,
        // as the socket entries allow it and Docker allows socketcall anyway.
        let x86 = AuditArchitecture.x86
        #expect(resolved.action(for: SeccompData(number: 3, architecture: x86)) == .allow)
        #expect(resolved.action(for: SeccompData(number: 359, architecture: x86, arguments: [2])) == .allow)
        #expect(resolved.action(for: SeccompData(number: 359, architecture: x86, arguments: [40])) == .errno(1))
        #expect(resolved.action(for: SeccompData(number: 102, architecture: x86, arguments: [1, 0xbf00_0000])) == .allow)
        // Numbers from 0x40000000 up are x32's, also with bit 30 clear.
        #expect(resolved.action(for: SeccompData(number: Int32(bitPattern: 0x8000_0000), architecture: x86_64))
            == .errno(1))
        #expect(resolved.action(for: SeccompData(number: -1, architecture: x86_64)) == .errno(1))
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func socketConditionsOnMultiplexingArchitectures() throws {
        let profile = try dockerProfile()
        // Refusing names the entry and the architecture.
        let error = try #require(throws: OCIProfileError.self) {
            try profile.policy(options: .init(architecture: .x86_64, kernelVersion: ociTestKernel, multiplexedCallConditions: .refuse))
        }
        #expect(error.path == "syscalls[2]")
        #expect(error.line != nil)
        #expect(error.description.contains("x86 reaches socket through socketcall"))
        // Leaving x86 out, as this import used to.
        let omitted = try profile.policy(
            options: .init(architecture: .x86_64, kernelVersion: ociTestKernel, multiplexedCallConditions: .omitArchitecture))
        #expect(omitted.policy.architectures == [.x86_64, .x32])
        #expect(omitted.warnings.contains(.architectureOmitted(.x86, syscalls: ["socket"], multiplexer: "socketcall")))
        // s390x and ppc64le multiplex socket themselves: imported as libseccomp reads them, and
        // the target cannot be left out.
        for target in [SeccompArchitecture.s390x, .ppc64le] {
            let imported = try importDocker(target)
            #expect(imported.policy.architectures.first == target)
            #expect(imported.warnings.contains(
                .conditionsUncheckedOnMultiplexer(target, syscalls: ["socket"], multiplexer: "socketcall")))
            let error = try #require(throws: OCIProfileError.self) {
                try profile.policy(options: .init(
                    architecture: target, kernelVersion: ociTestKernel, multiplexedCallConditions: .omitArchitecture))
            }
            #expect(error.description.contains("is the target architecture"))
        }
        // Conditions on another argument cannot be imported so: that architecture is left out,
        // or the import fails when it is the target.
        let json = """
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
              {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
            """
        let other = try OCISeccompProfile(json: json).policy(options: .init(architecture: .x86_64))
        #expect(other.policy.architectures == [.x86_64])
        #expect(other.warnings.contains(.architectureOmitted(.x86, syscalls: ["socket"], multiplexer: "socketcall")))
        let onX86 = try #require(throws: OCIProfileError.self) {
            try OCISeccompProfile(json: json).policy(options: .init(architecture: .x86))
        }
        #expect(onX86.path == "syscalls[0]")
        #expect(onX86.description.contains("x86 is the target architecture"))
        // Entries that differ in conditions socketcall cannot check, with other actions: libseccomp
        // refuses the second (EEXIST); the import leaves x86 out, or fails when it is the target.
        let clashing = """
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
              {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
              {"names": ["socket"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}]}
            """
        let clash = try OCISeccompProfile(json: clashing).policy(options: .init(architecture: .x86_64))
        #expect(clash.policy.architectures == [.x86_64])
        #expect(clash.warnings.contains(.architectureOmitted(.x86, syscalls: ["socket"], multiplexer: "socketcall")))
        let clashOnX86 = try #require(throws: OCIProfileError.self) {
            try OCISeccompProfile(json: clashing).policy(options: .init(architecture: .x86))
        }
        #expect(clashOnX86.path == "syscalls[1]")
        #expect(clashOnX86.description.contains("syscalls[1] contradicts syscalls[0] for socket on x86"))
        // Without sub-architectures, x86_64 alone.
        #expect(try importDocker(.x86_64, subArchitectures: false).policy.architectures == [.x86_64])
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func capabilitiesAllowMore() throws {
        let base = try importDocker(.x86_64).policy
        let admin = try importDocker(
            .x86_64, capabilities: OCIProfileImportOptions.dockerDefaultCapabilities.union(["SYS_ADMIN"])).policy
        #expect(admin.rules.count > base.rules.count)
        let added = ruleNames(admin).subtracting(ruleNames(base))
        #expect(added.isSuperset(of: ["mount", "umount2", "unshare", "setns", "bpf", "fanotify_init"]))
        let resolved = try admin.resolve()
        let audit = AuditArchitecture.x86_64
        // clone is allowed whatever the flags, and clone3 no longer fails with ENOSYS.
        #expect(resolved.action(for: SeccompData(number: 56, architecture: audit, arguments: [0x1000_0000])) == .allow)
        #expect(resolved.action(for: SeccompData(number: 435, architecture: audit)) == .allow)
        #expect(resolved.action(for: SeccompData(number: 165, architecture: audit)) == .allow)  // mount
        // Without any capability, the capability entries are all dropped, and clone keeps its mask.
        let none = try importDocker(.x86_64, capabilities: []).policy
        #expect(!ruleNames(none).contains("chroot"))
        #expect(ruleNames(base).contains("chroot"))  // CAP_SYS_CHROOT is a default capability
        // excludes.caps: with CAP_SYS_ADMIN the conditional clone entry and clone3's ENOSYS are gone.
        #expect(admin.rules.filter { $0.target == "clone" }.map(\.conditions) == [[]])
        #expect(!admin.rules.contains { $0.target == "clone3" && $0.action == .errno(38) })
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func minKernelComparesWithTheKernel() throws {
        let old = try importDocker(.x86_64, kernel: .init(kernel: 4, major: 7)).policy
        let new = try importDocker(.x86_64, kernel: .init(kernel: 4, major: 8)).policy
        #expect(!ruleNames(old).contains("ptrace"))
        #expect(ruleNames(new).contains("ptrace"))
        #expect(OCISeccompProfile.KernelVersion(release: "6.18.0-1-amd64") == .init(kernel: 6, major: 18))
        #expect(OCISeccompProfile.KernelVersion(release: "3.12-1-amd64") == .init(kernel: 3, major: 12))
        #expect(OCISeccompProfile.KernelVersion(release: "4.8") == .init(kernel: 4, major: 8))
        #expect(OCISeccompProfile.KernelVersion(release: "linux") == nil)
        #expect(OCISeccompProfile.KernelVersion.running != nil)
        #expect(OCISeccompProfile.KernelVersion(minKernel: "4.8") == .init(kernel: 4, major: 8))
        for bad in ["4", "4.8.1", "0.0", "4.x", "256.1", "-1.2", " 4.8", ""] {
            #expect(OCISeccompProfile.KernelVersion(minKernel: bad) == nil, "\(bad)")
        }
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileOnAarch64() throws {
        let imported = try importDocker(.aarch64)
        let policy = imported.policy
        #expect(policy.architectures == [.aarch64, .arm])
        let listed = ruleNames(policy)
        // x86-only entries (includes.arches amd64, x32, x86) are dropped, arm's are kept.
        for x86Only in ["arch_prctl", "modify_ldt", "iopl", "ioperm", "set_thread_area", "get_thread_area"] {
            #expect(!listed.contains(x86Only), "\(x86Only)")
        }
        for armOnly in ["arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls"] {
            #expect(listed.contains(armOnly), "\(armOnly)")
        }
        // Every name exists on aarch64 or arm.
        for name in listed {
            let somewhere = try [SeccompArchitecture.aarch64, .arm].contains { try $0.resolve(name) != .unavailable }
            #expect(somewhere, "\(name)")
        }
        if Self.is254 { #expect(policy.rules.count == 359) }
        guard case .unavailableSyscalls(let unavailable, _)? = imported.warnings.first(where: {
            if case .unavailableSyscalls = $0 { true } else { false }
        }) else {
            Issue.record("no warning about unavailable names")
            return
        }
        #expect(unavailable.contains("arch_prctl") == false)  // dropped by includes, not unavailable
        #expect(Set(unavailable).isSuperset(of: ["alarm", "time", "socketcall", "ipc", "waitpid"]))
        // Both architectures resolve; arm numbers socket 281 directly.
        let resolved = try policy.resolve()
        let arm = AuditArchitecture.arm
        #expect(resolved.action(for: SeccompData(number: 281, architecture: arm, arguments: [2])) == .allow)
        #expect(resolved.action(for: SeccompData(number: 281, architecture: arm, arguments: [40])) == .errno(1))
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func s390CloneTakesFlagsInTheSecondArgument() throws {
        let profile = try dockerProfile()
        let policy = try profile.policy(options: .init(architecture: .s390x, kernelVersion: ociTestKernel)).policy
        #expect(policy.architectures == [.s390x, .s390])
        let clone = policy.rules.filter { $0.target == "clone" }
        #expect(clone.map(\.conditions) == [[ArgumentCondition(argument: 1, .maskedEqual(mask: 0x7e02_0000), 0)]])
        let x86 = try profile.policy(options: .init(architecture: .x86_64, kernelVersion: ociTestKernel)).policy
        #expect(x86.rules.filter { $0.target == "clone" }.map(\.conditions)
            == [[ArgumentCondition(argument: 0, .maskedEqual(mask: 0x7e02_0000), 0)]])
        #expect(x86.architectures == [.x86_64, .x86, .x32])
    }

    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerPolicyRoundTrips() throws {
        for architecture in [SeccompArchitecture.x86_64, .aarch64, .riscv64] {
            for capabilities in [OCIProfileImportOptions.dockerDefaultCapabilities, ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]] {
                let policy = try importDocker(architecture, capabilities: capabilities).policy
                let json = try policy.ociProfileJSON()
                let back = try OCISeccompProfile(json: json).policy(
                    options: .init(architecture: architecture, foreignArchitectureAction: policy.foreignArchitectureAction))
                #expect(back.policy == policy, "\(architecture)")
                // Only the note that x86 checks socket's conditions on socket alone, as the policy does.
                #expect(back.warnings.allSatisfy {
                    if case .conditionsUncheckedOnMultiplexer(.x86, ["socket"], "socketcall") = $0 { true } else { false }
                }, "\(back.warnings)")
            }
        }
    }

    // MARK: Semantics on small profiles

    @Test func entriesWithTwoConditionsOnOneArgumentBecomeAlternatives() throws {
        let json = """
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GE"}, {"index": 0, "value": 9, "op": "SCMP_CMP_LE"}]},
              {"names": ["close"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GE"}, {"index": 1, "value": 9, "op": "SCMP_CMP_LE"}]}
            ]}
            """
        let policy = try SeccompPolicy(ociProfile: json, options: .init(architecture: .x86_64))
        #expect(policy.defaultAction == .errno(1))
        #expect(policy.rules == [
            SeccompRule(.allow, "read", conditions: [ArgumentCondition(argument: 0, .greaterOrEqual, 3)]),
            SeccompRule(.allow, "read", conditions: [ArgumentCondition(argument: 0, .lessOrEqual, 9)]),
            SeccompRule(.allow, "write", conditions: [ArgumentCondition(argument: 0, .greaterOrEqual, 3)]),
            SeccompRule(.allow, "write", conditions: [ArgumentCondition(argument: 0, .lessOrEqual, 9)]),
            SeccompRule(.allow, "close", conditions: [
                ArgumentCondition(argument: 0, .greaterOrEqual, 3), ArgumentCondition(argument: 1, .lessOrEqual, 9),
            ]),
        ])
    }

    @Test(arguments: [
        ("SCMP_ACT_KILL", nil, SeccompAction.killThread),
        ("SCMP_ACT_KILL_THREAD", nil, .killThread),
        ("SCMP_ACT_KILL_PROCESS", nil, .killProcess),
        ("SCMP_ACT_TRAP", nil, .trap(0)),
        ("SCMP_ACT_ERRNO", nil, .errno(1)),
        ("SCMP_ACT_ERRNO", 13, .errno(13)),
        ("SCMP_ACT_ERRNO", 0, .errno(0)),
        ("SCMP_ACT_TRACE", nil, .trace(1)),
        ("SCMP_ACT_TRACE", 7, .trace(7)),
        ("SCMP_ACT_LOG", nil, .log),
        ("SCMP_ACT_NOTIFY", nil, .userNotification),
    ] as [(String, Int?, SeccompAction)])
    func actionsMapAsRuncMapsThem(name: String, errnoRet: Int?, expected: SeccompAction) throws {
        let ret = errnoRet.map { ", \"errnoRet\": \($0)" } ?? ""
        let defaultRet = errnoRet.map { ", \"defaultErrnoRet\": \($0)" } ?? ""
        let rule = try SeccompPolicy(
            ociProfile: """
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "\(name)"\(ret)}]}
                """, options: .init(architecture: .x86_64))
        #expect(rule.rules.map(\.action) == [expected])
        let asDefault = try SeccompPolicy(
            ociProfile: """
                {"defaultAction": "\(name)"\(defaultRet), "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
                """, options: .init(architecture: .x86_64))
        #expect(asDefault.defaultAction == expected)
    }

    @Test func archesMatchAsMobySpellsThem() throws {
        let json = """
            {"defaultAction": "SCMP_ACT_ERRNO",
             "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                         {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
             "syscalls": [
               {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
               {"names": ["write"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86_64"]}},
               {"names": ["close"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["arm64"]}},
               {"names": ["dup"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64", "arm"]}},
               {"names": ["dup2"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_KILL"]}},
               {"names": ["dup3"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_NICE", "CAP_KILL"]}},
               {"names": ["pipe2"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.19"}},
               {"names": ["uname"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "6.18"}}
             ]}
            """
        func names(_ architecture: SeccompArchitecture, _ capabilities: Set<String>) throws -> [String] {
            try SeccompPolicy(ociProfile: json, options: .init(
                architecture: architecture, capabilities: capabilities, kernelVersion: ociTestKernel
            )).rules.map(\.target.description)
        }
        // moby compares with its own names: amd64 matches, x86_64 never does.
        #expect(try names(.x86_64, []) == ["read", "close", "dup3"])
        #expect(try names(.aarch64, []) == ["dup", "dup3"])
        #expect(try names(.x86_64, ["CAP_SYS_ADMIN", "kill"]) == ["read", "close", "dup2"])
        #expect(try names(.x86_64, ["sys_admin"]) == ["read", "close", "dup3"])
        let arm = try SeccompPolicy(ociProfile: json, options: .init(architecture: .aarch64, kernelVersion: ociTestKernel))
        #expect(arm.architectures == [.aarch64, .arm])
        let riscv = try SeccompPolicy(ociProfile: json, options: .init(architecture: .riscv64, kernelVersion: ociTestKernel))
        #expect(riscv.architectures == [.riscv64])
        #expect(SeccompArchitecture.x86_64.mobyName == "amd64")
        #expect(SeccompArchitecture.mipsel64n32.mobyName == "mips3l64n32")
        #expect(SeccompArchitecture(ociName: "SCMP_ARCH_MIPSEL64N32") == .mipsel64n32)
        #expect(SeccompArchitecture(ociName: "x86_64") == nil)
    }

    @Test func architecturesListIsUsedAsGiven() throws {
        let policy = try SeccompPolicy(ociProfile: """
            {"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
            """, options: .init(architecture: .x86_64))
        #expect(policy.architectures == [.x86_64, .x86])
        let error = try #require(throws: OCIProfileError.self) {
            try SeccompPolicy(ociProfile: """
                {"defaultAction": "SCMP_ACT_KILL", "architectures": ["SCMP_ARCH_X86"],
                 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}], "syscalls": []}
                """)
        }
        #expect(error.description.contains("both architectures and archMap"))
        let unknown = try #require(throws: OCIProfileError.self) {
            try SeccompPolicy(ociProfile: """
                {"defaultAction": "SCMP_ACT_KILL",
                 "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_SPARC"]}
                """, options: .init(architecture: .x86_64))
        }
        #expect(unknown.path == "architectures[1]")
        #expect(unknown.line == 2)
        #expect(unknown.description.contains("unknown architecture \"SCMP_ARCH_SPARC\""))
    }

    @Test func unknownNamesAreSkippedWithOneWarning() throws {
        let imported = try OCISeccompProfile(json: """
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["read", "frobnicate", "write"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["frobnicate", "wibble"], "action": "SCMP_ACT_LOG"},
              {"names": ["open", "close"], "action": "SCMP_ACT_ALLOW"}
            ]}
            """).policy(options: .init(architecture: .aarch64))
        #expect(imported.policy.rules.map(\.target.description) == ["read", "write", "close"])
        #expect(imported.entryIndices == [0, 0, 2])
        #expect(imported.warnings.contains(
            .unknownSyscalls(names: ["frobnicate", "wibble"], paths: [["syscalls[0]", "syscalls[1]"], ["syscalls[1]"]],
                             libseccomp: .current)))
        #expect(imported.warnings.contains(.unavailableSyscalls(names: ["open"], architectures: [.aarch64])))
        let text = imported.warnings.map(\.description).joined(separator: "\n")
        #expect(text.contains("frobnicate (syscalls[0], syscalls[1])"))
    }

    @Test func libseccompRuleMergingIsFollowed() throws {
        // An unconditional entry wins over conditional ones for the same call, whatever the order.
        let imported = try OCISeccompProfile(json: """
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
               "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]},
              {"names": ["socket", "read"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
              {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]},
              {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 4, "op": "SCMP_CMP_EQ"}]},
              {"names": ["close"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}
            ]}
            """).policy(options: .init(architecture: .x86_64))
        #expect(imported.policy.rules == [
            SeccompRule(.allow, "socket"),
            SeccompRule(.allow, "read"),
            SeccompRule(.errno(5), "write", conditions: [ArgumentCondition(argument: 0, .equal, 3)]),
            SeccompRule(.allow, "write", conditions: [ArgumentCondition(argument: 1, .equal, 4)]),
        ])
        #expect(imported.warnings.contains(.entryOverridden(path: "syscalls[0]", syscall: "socket", by: "syscalls[1]")))
        #expect(imported.warnings.contains(.entryWithDefaultActionIgnored(path: "syscalls[5]", names: ["close"])))
        #expect(imported.warnings.contains(
            .overlappingEntries(syscall: "write", first: "syscalls[3]", second: "syscalls[4]", witness: [3, 4, 0, 0, 0, 0])))
        // Two unconditional entries with different actions: libseccomp keeps the first.
        let twice = try OCISeccompProfile(json: """
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["read"], "action": "SCMP_ACT_LOG"}]}
            """).policy(options: .init(architecture: .x86_64))
        #expect(twice.policy.rules == [SeccompRule(.allow, "read")])
        #expect(twice.warnings == [.entryOverridden(path: "syscalls[1]", syscall: "read", by: "syscalls[0]")])
    }

    /// Thousands of entries for one call with different actions: millions of pairs. Before the
    /// check was bounded, 10,000 entries took 15 s and overlapping ones gave 25 million warnings.
    @Test func overlapsAmongThousandsOfEntriesAreCheckedInPart() throws {
        func profile(_ op: String, count: Int) -> String {
            let entries = (0 ..< count).map { index in
                "{\"names\": [\"personality\"], \"action\": \"\(index % 2 == 0 ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW")\", "
                    + "\"args\": [{\"index\": 0, \"value\": \(index), \"op\": \"\(op)\"}]}"
            }
            return "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" + entries.joined(separator: ",\n") + "]}"
        }
        let count = 3_000
        let differingPairs = count * count / 4
        let clock = ContinuousClock()
        let start = clock.now
        // Every pair overlaps: 16 are reported, and the others counted.
        let overlapping = try OCISeccompProfile(json: profile("SCMP_CMP_GT", count: count))
            .policy(options: .init(architecture: .x86_64)).warnings
        #expect(overlapping.count == 17)
        #expect(overlapping.first == .overlappingEntries(
            syscall: "personality", first: "syscalls[0]", second: "syscalls[1]", witness: [.max, 0, 0, 0, 0, 0]))
        #expect(overlapping.last == .overlapsUnchecked(syscall: "personality", pairCount: differingPairs - 16))
        #expect(overlapping.last?.description == "2249984 more pairs of entries for personality with conditions and "
            + "different actions not checked for overlap (too many): libseccomp may decide the ones that overlap "
            + "otherwise than in file order")
        // No pair overlaps: the check stops after its 32,768 pairs, 16,387 of them with different actions.
        let apart = try OCISeccompProfile(json: profile("SCMP_CMP_EQ", count: count))
            .policy(options: .init(architecture: .x86_64)).warnings
        #expect(apart == [.overlapsUnchecked(syscall: "personality", pairCount: differingPairs - 16_387)])
        #expect(clock.now - start < HugePolicyTests.timeLimit)
        // Export cannot promise that such rules do not overlap.
        let rules = (0 ..< 400).map { index in
            SeccompRule(index % 2 == 0 ? .log : .allow, "personality", conditions: [ArgumentCondition(argument: 0, .equal, UInt64(index))])
        }
        #expect {
            try SeccompPolicy(defaultAction: .errno(1), architectures: [.x86_64], rules: rules).ociProfileJSON()
        } throws: { error in
            (error as? OCIProfileExportError)?.problems.map(\.description) == [
                "23593 pairs of rules for personality with other actions were not checked: there are too many to check "
                    + "whether they overlap; the format has no order",
            ]
        }
    }

    @Test func oddArgumentsAreWarnedAbout() throws {
        let imported = try OCISeccompProfile(json: """
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 3,
               "args": [{"index": 0, "value": 5, "valueTwo": 6, "op": "SCMP_CMP_EQ"},
                        {"index": 1, "value": 240, "valueTwo": 19, "op": "SCMP_CMP_MASKED_EQ"}]}],
             "errnoret": 5, "flags": ["SECCOMP_FILTER_FLAG_LOG"]}
            """).policy(options: .init(architecture: .x86_64))
        #expect(imported.policy.rules == [
            SeccompRule(.allow, "read", conditions: [
                ArgumentCondition(argument: 0, .equal, 5), ArgumentCondition(argument: 1, .maskedEqual(mask: 0xf0), 0x10),
            ])
        ])
        #expect(imported.warnings.contains(.unknownMembers(paths: ["errnoret"])))
        #expect(imported.warnings.contains(.errnoRetIgnored(path: "syscalls[0].errnoRet", action: .allow)))
        #expect(imported.warnings.contains(.valueTwoIgnored(path: "syscalls[0].args[0].valueTwo")))
        #expect(imported.warnings.contains(.maskedValueOutsideMask(path: "syscalls[0].args[1]", mask: 0xf0, value: 19)))
    }

    // MARK: Export

    static let expressible: [String] = [
        """
        default errno(EPERM)
        arch x86_64 x32
        allow read
        allow write
        errno(EAFNOSUPPORT) socket arg0 == 10
        allow socket arg0 != 10
        allow mmap arg2 & 0x4 == 0
        allow personality arg0 == 0xffffffff
        allow prctl arg0 < 5 && arg1 >= 0x10000 && arg2 <= 7 && arg3 > 1
        trace(7) ptrace
        log uname
        kill-thread kexec_load
        trap reboot
        user-notif mount
        """,
        """
        default allow
        arch aarch64 arm
        kill-process ptrace
        errno(ENOSYS) clone3
        errno(EPERM) unshare arg0 & 0x10000000 == 0x10000000
        """,
        """
        default kill-process
        arch riscv64
        foreign-arch log
        unknown-syscalls enosys
        allow exit_group
        allow read arg0 == 0
        """,
        """
        default trace(3)
        arch s390x
        allow read arg0 >= 0x100000000
        """,
    ]

    @Test(arguments: expressible)
    func exportRoundTrips(text: String) throws {
        let policy = try SeccompPolicy(parsing: text)
        let json = try policy.ociProfileJSON()
        let back = try OCISeccompProfile(json: json).policy(options: .init(
            architecture: policy.architectures[0], foreignArchitectureAction: policy.foreignArchitectureAction,
            unknownSyscallsFailWithENOSYS: policy.unknownSyscallsFailWithENOSYS))
        #expect(back.policy == policy)
        #expect(back.warnings.isEmpty)
        // Consecutive rules with the same action and conditions share an entry.
        let profile = try OCISeccompProfile(exporting: policy)
        #expect(profile.syscalls.count <= policy.rules.count)
        #expect(try OCISeccompProfile(json: profile.json) == profile)
    }

    /// Random policies: whenever the export succeeds, reading it back gives the same policy; when
    /// it fails, it says which rule and why.
    @Test func randomPoliciesRoundTripOrSayWhy() throws {
        var exported = 0
        var refused = 0
        for policy in randomOCIPolicies(count: 300, seed: 0x0c1_e4) {
            do {
                let json = try policy.ociProfileJSON()
                let back = try OCISeccompProfile(json: json).policy(options: .init(
                    architecture: policy.architectures[0], foreignArchitectureAction: policy.foreignArchitectureAction))
                #expect(back.policy == policy, "\(json)")
                exported += 1
            } catch let error as OCIProfileExportError {
                #expect(!error.problems.isEmpty && error.problems.allSatisfy { !$0.what.isEmpty && !$0.why.isEmpty })
                refused += 1
            }
        }
        print("OCIProfileTests: random policies: \(exported) exported and read back, \(refused) refused with reasons")
        #expect(exported > 50)
        #expect(refused > 20)
    }

    @Test func exportWritesDockerStyleJSON() throws {
        let policy = try SeccompPolicy(parsing: """
            default errno(EPERM)
            arch x86_64
            allow read
            allow write
            allow clone arg0 & 0x7e020000 == 0
            """)
        #expect(try policy.ociProfileJSON() == """
            {
              "defaultAction": "SCMP_ACT_ERRNO",
              "defaultErrnoRet": 1,
              "architectures": ["SCMP_ARCH_X86_64"],
              "syscalls": [
                {
                  "names": ["read", "write"],
                  "action": "SCMP_ACT_ALLOW"
                },
                {
                  "names": ["clone"],
                  "action": "SCMP_ACT_ALLOW",
                  "args": [
                    {
                      "index": 0,
                      "value": 2114060288,
                      "valueTwo": 0,
                      "op": "SCMP_CMP_MASKED_EQ"
                    }
                  ]
                }
              ]
            }

            """)
    }

    @Test(arguments: [
        ("allow @basic-io", "group @basic-io"),
        ("allow 451", "raw number 451"),
        ("allow read arg0.lo32 == 1", "compares 32 bits"),
        ("allow read arg0 > 1 && arg0 < 9", "tests arg0 more than once"),
        ("allow read arg0 & 0xf0 == 0x13", "bits outside its mask"),
        ("trap(5) read", "TRAP(5) has data"),
        ("errno(EPERM) read\nallow read arg0 == 1", "action is the default action"),
        ("allow write arg0 == 1\nerrno(5) write arg1 == 2", "overlaps rule 1 for write"),
        ("errno(5) read arg0 == 1\nallow read", "would never decide"),
        ("allow read\nlog read", "would never decide"),
    ])
    func exportRefusesWhatTheFormatCannotCarry(rules: String, expected: String) throws {
        let policy = try SeccompPolicy(parsing: "default errno(EPERM)\narch x86_64\n" + rules, validate: false)
        let error = try #require(throws: OCIProfileExportError.self) { try policy.ociProfileJSON() }
        #expect(error.description.contains(expected), "\(error)")
        #expect(error.problems.allSatisfy { $0.ruleIndex != nil })
    }

    // MARK: Malformed profiles

    @Test(arguments: [
        ("", 1, 1, "", "empty document"),
        ("[]", 1, 1, "", "the profile is an array"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\",}", 1, 36, "", "trailing comma"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\"", 1, 1, "", "ends inside an object"),
        ("{\"defaultAction\": 'SCMP_ACT_ALLOW'}", 1, 19, "", "unexpected '''"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", 1, 37, "", "after the end"),
        ("{\"syscalls\": []}", 1, 1, "defaultAction", "has no defaultAction"),
        ("{\"defaultAction\": \"SCMP_ACT_ALOW\"}", 1, 19, "defaultAction", "unknown action \"SCMP_ACT_ALOW\""),
        ("{\"defaultAction\": \"scmp_act_allow\"}", 1, 19, "defaultAction", "did you mean SCMP_ACT_ALLOW"),
        ("{\"defaultAction\": 1}", 1, 19, "defaultAction", "the action is a number"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultAction\": \"SCMP_ACT_LOG\"}", 1, 37, "", "duplicate member"),
        ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 70000}", 1, 56, "defaultErrnoRet", "too large"),
        ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}", 1, 56, "defaultErrnoRet", "negative"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", 1, 49, "syscalls", "is an object"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}", 1, 50, "syscalls[0].action", "no action"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"read\", \"action\": \"SCMP_ACT_LOG\"}]}",
         1, 60, "syscalls[0].names", "names is a string"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\",\n  \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
         3, 22, "syscalls[0].args[0].index", "arguments 0 to 5"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\",\n  \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQQ\"}]}]}",
         3, 43, "syscalls[0].args[0].op", "unknown operator \"SCMP_CMP_EQQ\""),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", \"args\": [{\"index\": 0, \"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}]}]}",
         1, 127, "syscalls[0].args[0].value", "fit in 64 bits"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", \"args\": [{\"index\": 0, \"value\": 1.5, \"op\": \"SCMP_CMP_EQ\"}]}]}",
         1, 127, "syscalls[0].args[0].value", "not a whole number"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", \"args\": [{\"index\": 0, \"value\": 0x10, \"op\": \"SCMP_CMP_EQ\"}]}]}",
         1, 128, "", "hexadecimal"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"name\": \"write\", \"action\": \"SCMP_ACT_LOG\"}]}",
         1, 78, "syscalls[0].name", "both name and names"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", \"includes\": {\"minKernel\": \"4\"}}]}",
         1, 122, "syscalls[0].includes.minKernel", "invalid kernel version \"4\""),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"\"], \"action\": \"SCMP_ACT_LOG\"}]}",
         1, 61, "syscalls[0].names[0]", "empty system-call name"),
        // libseccomp would read the C string "read"; Go and runc pass the NUL through.
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"write\", \"read\\u0000garbage\"], \"action\": \"SCMP_ACT_LOG\"}]}",
         1, 70, "syscalls[0].names[1]", "\"read\\u0000garbage\" holds the control character U+0000 at character 5"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"re\\tad\"], \"action\": \"SCMP_ACT_LOG\"}]}",
         1, 61, "syscalls[0].names[0]", "control character U+0009 at character 3"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"read\\u0000\", \"action\": \"SCMP_ACT_LOG\"}]}",
         1, 59, "syscalls[0].name", "control character U+0000"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"a\u{1}\"}", 1, 55, "", "control character"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"\\q\"}", 1, 54, "", "unknown escape"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"\\ud800\"}", 1, 60, "", "unpaired surrogate"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [01]}", 1, 47, "", "leading zero"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [tru]}", 1, 47, "", "unknown word"),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"a\",]}", 1, 51, "", "trailing comma in an array"),
    ] as [(String, Int, Int, String, String)])
    func malformedProfilesSayWhereWhatAndWhy(json: String, line: Int, column: Int, path: String, what: String) {
        do {
            let profile = try OCISeccompProfile(json: json)
            Issue.record("read \(profile) from \(json)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.path == path, "\(error)")
            #expect(error.description.contains(what), "\(error)")
            #expect(!error.why.isEmpty)
        }
    }

    @Test func semanticErrorsNameTheEntry() throws {
        let errnoTooLarge = try #require(throws: OCIProfileError.self) {
            try SeccompPolicy(ociProfile: """
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]}
                """, options: .init(architecture: .x86_64))
        }
        #expect(errnoTooLarge.path == "syscalls[0].errnoRet")
        #expect(errnoTooLarge.line == 2)
        #expect(errnoTooLarge.description.contains("above 4095"))
        let contradiction = try #require(throws: OCIProfileError.self) {
            try SeccompPolicy(ociProfile: """
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                  {"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
                  {"names": ["read"], "action": "SCMP_ACT_KILL",
                   "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
                """, options: .init(architecture: .x86_64))
        }
        #expect(contradiction.path == "syscalls[1]")
        #expect(contradiction.line == 3)
        #expect(contradiction.description.contains("contradicts syscalls[0]"))
    }

    @Test func damagedProfilesNeverTrap() throws {
        // Cut and mangle Docker's profile (or, without it, one of ours) in many ways: every
        // attempt either reads or throws.
        let text = try dockerDefaultProfileText ?? SeccompPolicy(parsing: Self.expressible[0]).ociProfileJSON()
        let bytes = Array(text.utf8)
        var generator = FuzzRandom(seed: 0x5eed)
        var read = 0
        var refused = 0
        for round in 0 ..< 2000 {
            var mangled = bytes
            switch round % 4 {
            case 0: mangled = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            case 1:
                for _ in 0 ..< 1 + Int(generator.next() % 4) {
                    mangled[Int(generator.next() % UInt64(mangled.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            case 2:
                let at = Int(generator.next() % UInt64(mangled.count))
                mangled.insert(contentsOf: Array("\"x\":[{}],".utf8), at: at)
            default:
                let from = Int(generator.next() % UInt64(mangled.count))
                let length = min(Int(generator.next() % 64), mangled.count - from)
                mangled.removeSubrange(from ..< from + length)
            }
            do {
                let profile = try OCISeccompProfile(jsonBytes: mangled)
                if round % 16 == 1 {
                    _ = try? profile.policy(options: .init(architecture: .x86_64, kernelVersion: ociTestKernel))
                }
                read += 1
            } catch {
                #expect(!error.what.isEmpty && !error.why.isEmpty)
                refused += 1
            }
        }
        #expect(read + refused == 2000)
        #expect(refused > 600)
        // Deep nesting is refused, not a stack overflow.
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: OCIProfileError.self) { try OCISeccompProfile(json: deep) }
    }
}

/// The names of a policy's rules.
private func ruleNames(_ policy: SeccompPolicy) -> Set<String> {
    Set(policy.rules.compactMap { rule -> String? in
        if case .syscall(let syscall) = rule.target { syscall.name } else { nil }
    })
}

struct OCITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Valid random policies over a few calls, actions, comparisons and architecture sets, with
/// at most one condition an argument (some export, some do not).
func randomOCIPolicies(count: Int, seed: UInt64) -> [SeccompPolicy] {
    var generator = FuzzRandom(seed: seed)
    func pick<T>(_ values: [T]) -> T { generator.element(of: values) }
    let names = ["read", "write", "close", "openat", "ioctl", "mmap", "socket", "prctl", "kill", "fcntl"]
    let actions: [SeccompAction] = [
        .allow, .log, .killProcess, .killThread, .errno(1), .errno(13), .trace(2), .trap(0), .userNotification,
    ]
    let values: [UInt64] = [0, 1, 5, 0xffff_ffff, 0x1_0000_0000, .max]
    let comparisons: [ArgumentCondition.Comparison] = [
        .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .maskedEqual(mask: 0xff),
        .maskedEqual(mask: .max),
    ]
    let architectureSets: [[SeccompArchitecture]] = [[.x86_64], [.aarch64, .riscv64], [.s390x], [.x86_64, .x86]]
    var policies = [SeccompPolicy]()
    for _ in 0 ..< count {
        var rules = [SeccompRule]()
        for _ in 0 ..< 1 + Int(generator.next() % 6) {
            var conditions = [ArgumentCondition]()
            for argument in 0 ..< 6 where generator.next() % 4 == 0 {
                var condition = ArgumentCondition(argument: argument, pick(comparisons), pick(values))
                if case .maskedEqual(let mask) = condition.comparison { condition.value &= mask }
                conditions.append(condition)
            }
            rules.append(SeccompRule(pick(actions), .syscall(Syscall(pick(names))), conditions: conditions))
        }
        let policy = SeccompPolicy(
            defaultAction: pick(actions), architectures: pick(architectureSets),
            foreignArchitectureAction: pick(actions), rules: rules)
        if (try? policy.validate()) != nil { policies.append(policy) }
    }
    return policies
}
