import CBPF
import Foundation
import LibseccompReference
import Seccomp
import Testing

/// `SeccompFilterComparison` and `SeccompFilterAudit` on policies whose differences and
/// weaknesses are known.
@Suite("seccomp filter comparison and audit")
struct FilterComparisonAuditTests {
    func analysis(_ text: String) throws -> SeccompFilterAnalysis {
        try SeccompFilterAnalysis(try SeccompCompiler().compile(try SeccompPolicy(parsing: text)))
    }

    func findings(_ text: String) throws -> [SeccompAuditFinding] {
        SeccompFilterAudit.findings(for: try analysis(text))
    }

    func findings(_ instructions: [Instruction]) throws -> [SeccompAuditFinding] {
        SeccompFilterAudit.findings(for: try SeccompFilterAnalysis(Program(instructions)))
    }

    /// One changed rule gives exactly its cells, with examples on which the filters really differ.
    @Test func differencesAreTheChangedCells() throws {
        let base = """
            default errno(EPERM)
            arch x86_64
            allow read write
            allow socket arg0 == 1
            """
        let first = try SeccompCompiler().compile(try SeccompPolicy(parsing: base))
        let second = try LibseccompFilter.program(
            for: try SeccompPolicy(parsing: base.replacingOccurrences(of: "arg0 == 1", with: "arg0 <= 2") + "\nallow close"),
            optimization: 2)
        let comparison = SeccompFilterComparison(try SeccompFilterAnalysis(first), try SeccompFilterAnalysis(second))
        #expect(!comparison.isEquivalent)
        // close (3) on x86_64, and socket (41) with arg0 0 or 2.
        let x86_64 = AuditArchitecture.x86_64.rawValue
        #expect(Set(comparison.differences.map(\.numbers)) == [3 ... 3, 41 ... 41], "\(comparison.differences)")
        #expect(comparison.differences.allSatisfy { $0.auditValues == [x86_64 ... x86_64] })
        let a = try Interpreter(first, for: .seccomp)
        let b = try Interpreter(second, for: .seccomp)
        for difference in comparison.differences {
            let example = try #require(difference.example)
            #expect(SeccompAction(returnValue: a.run(seccomp: example)) == difference.first.action)
            #expect(SeccompAction(returnValue: b.run(seccomp: example)) == difference.second.action)
            #expect(difference.first.action != difference.second.action)
        }
        #expect(SeccompFilterComparison(try SeccompFilterAnalysis(first), try SeccompFilterAnalysis(first)).isEquivalent)
    }

    /// libseccomp's and our filters for the same policy decide alike, cell by cell.
    @Test(arguments: handwrittenPolicies.filter { if case .agrees = $0.libseccomp { true } else { false } }.prefix(12))
    func libseccompAndOurFiltersHaveNoDifferences(_ handwritten: HandwrittenPolicy) throws {
        let filters = try forensicFilters(handwritten)
        let ours = try SeccompFilterAnalysis(try #require(filters.last).program)
        for (name, program) in filters.dropLast() {
            let comparison = SeccompFilterComparison(try SeccompFilterAnalysis(program), ours)
            #expect(comparison.isEquivalent, "\(handwritten.name), \(name): \(comparison.differences.prefix(3))")
        }
    }

    @Test func aFilterWithoutArchitectureCheckIsFound() throws {
        let found = try findings([
            .loadAbsolute(.word, offset: 0), .conditionalJump(.equal, .constant(101), ifTrue: 0, ifFalse: 1),
            .returnConstant(SeccompAction.killProcessValue), .returnConstant(SeccompAction.allowValue),
        ])
        #expect(found.first?.check == "no-architecture-check")
        #expect(found.contains { $0.check == "allow-by-default" })
        #expect(found.contains { $0.check == "dangerous-call" && $0.summary.hasPrefix("bpf") })
    }

    @Test func theX32BypassIsFound() throws {
        let found = try findings([
            .loadAbsolute(.word, offset: 4), .conditionalJump(.equal, .constant(AuditArchitecture.x86_64.rawValue), ifTrue: 1, ifFalse: 0),
            .returnConstant(SeccompAction.killProcessValue), .loadAbsolute(.word, offset: 0),
            .conditionalJump(.equal, .constant(101), ifTrue: 0, ifFalse: 1),
            .returnConstant(SeccompAction.killProcessValue), .returnConstant(SeccompAction.allowValue),
        ])
        let bypass = try #require(found.first { $0.check == "x32-bypass" })
        #expect(bypass.severity == .high && bypass.summary.contains("ptrace"), "\(bypass)")
        // A policy for x86_64 alone gives x32's numbers the foreign action: no bypass.
        #expect(!(try findings("default allow\narch x86_64\nkill-process ptrace")).contains { $0.check == "x32-bypass" })
    }

    @Test func foreignArchitecturesAllowedAreFound() throws {
        let found = try findings("default errno(EPERM)\narch x86_64\nforeign-arch allow\nallow read")
        #expect(found.contains { $0.check == "foreign-architecture-allowed" && $0.severity == .high })
        let covered = try findings("default errno(EPERM)\narch x86_64 x86\nallow read")
        #expect(covered.contains { $0.check == "additional-architecture" && $0.summary.contains("x86 convention") })
    }

    @Test func namespacesAndClone3AreFound() throws {
        let unshare = try findings("default errno(EPERM)\narch x86_64\nallow unshare")
        let finding = try #require(unshare.first { $0.check == "namespace-creation" })
        #expect(finding.summary.contains("CLONE_NEWUSER") && finding.summary.contains("unshare"))
        let checked = try findings("""
            default errno(EPERM)
            arch x86_64
            allow clone arg0 & 0x7e020000 == 0
            allow clone3
            """)
        #expect(!checked.contains { $0.check == "namespace-creation" })
        #expect(checked.contains { $0.check == "clone3-unchecked" })
    }

    @Test func unknownCallsWithoutENOSYSAreFound() throws {
        let eperm = try findings("default errno(EPERM)\narch x86_64\nallow read")
        #expect(eperm.contains { $0.check == "unknown-calls-not-enosys" })
        #expect(eperm.contains { $0.check == "clone3-not-enosys" })
        let enosys = try findings("default errno(EPERM)\narch x86_64\nunknown-syscalls enosys\nerrno(ENOSYS) clone3\nallow read")
        #expect(!enosys.contains { $0.check == "unknown-calls-not-enosys" || $0.check == "clone3-not-enosys" })
    }

    /// systemd's own list of @module (`systemd-analyze syscall-filter @module`) as the peer: a
    /// filter allowing exactly those calls is reported for each of them.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"),
                   "skipped: systemd-analyze is not installed"))
    func systemdModuleGroupIsReported() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["syscall-filter", "@module"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let names = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("@") && !$0.hasPrefix("#") && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }
        try #require(names.contains("init_module"), "\(output)")
        let found = try findings("default errno(EPERM)\narch x86_64\n" + names.map { "allow \($0)" }.joined(separator: "\n"))
        for name in names where ["init_module", "finit_module", "delete_module"].contains(name) {
            #expect(found.contains { $0.check == "dangerous-call" && $0.summary.hasPrefix(name + " ") }, "\(name)")
        }
        let group = try #require(found.first { $0.check == "systemd-group" && $0.summary.contains("@module") })
        #expect(group.summary.contains("\(names.count) of the \(names.count) calls"), "\(group)")
    }

    /// Docker's default profile as libseccomp builds it for runc: none of the structural
    /// weaknesses, but new calls get EPERM (runc adds a stub that answers them with ENOSYS).
    @Test(.enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
    func dockerProfileAudit() throws {
        let profile = try OCISeccompProfile(json: try #require(dockerDefaultProfileText))
        let capabilities = OCIProfileImportOptions.dockerDefaultCapabilities
        let program = try LibseccompOracle.runcProgram(
            profile, target: .x86_64, architectures: [.x86_64, .x86, .x32], capabilities: capabilities,
            kernel: ociTestKernel, foreignAction: .killThread, optimization: 2)
        let found = SeccompFilterAudit.findings(for: try SeccompFilterAnalysis(program))
        let checks = Set(found.map(\.check))
        for absent in ["no-architecture-check", "foreign-architecture-allowed", "x32-bypass", "allow-by-default",
                       "namespace-creation", "clone3-unchecked", "clone3-not-enosys"] {
            #expect(!checks.contains(absent), "\(found.filter { $0.check == absent })")
        }
        #expect(checks.contains("unknown-calls-not-enosys"))
        #expect(checks.contains("additional-architecture"))
        #expect(found.contains { $0.summary.hasPrefix("ptrace ") })  // allowed since kernel 4.8
        // libseccomp 2.5.4 leaves its last instruction, a `ret #0`, unreachable at -O2.
        for finding in found where finding.check == "unreachable-instructions" { #expect(finding.severity == .low) }
    }
}
