import CBPF
import CBPFFuzz
import Foundation
import Glibc
import LibseccompReference
import Seccomp
import Testing

/// Docker's profile as runc installs it: libseccomp's filter behind runc's ENOSYS stub. The
/// stub is built here from runc's source (`RuncEnosysStub`), and, where runc is installed, read
/// back from a container runc started, which must decide every call as ours does.
@Suite("runc's ENOSYS stub", .serialized,
       .enabled(if: dockerDefaultProfileText != nil, "skipped: ../shared/corpus/seccomp/docker-default.json is absent"))
struct RuncFilterTests {
    static let conventions: [SeccompArchitecture] = [.x86_64, .x86, .x32]

    /// The runtime profile, libseccomp's filter for it as runc has it built, and the largest
    /// number the profile names per convention.
    static func dockerFilter() throws -> (runtime: [String: Any], libseccomp: Program, largest: [(SeccompArchitecture, UInt32)]) {
        let text = try #require(dockerDefaultProfileText)
        let runtime = try DockerRuntimeSeccomp.object(profile: text, kernel: ociTestKernel)
        let libseccomp = try LibseccompOracle.runcProgram(
            try OCISeccompProfile(json: text), target: .x86_64, architectures: conventions,
            capabilities: OCIProfileImportOptions.dockerDefaultCapabilities, kernel: ociTestKernel,
            foreignAction: .killThread, optimization: 1)
        let names = DockerRuntimeSeccomp.names(runtime)
        let largest = try conventions.map { ($0, try #require(RuncEnosysStub.largestNumber(named: names, on: $0))) }
        return (runtime, libseccomp, largest)
    }

    /// The numbers the stub answers with ENOSYS, by audit architecture and convention.
    static func stubbedNumbers(_ largest: [(SeccompArchitecture, UInt32)]) -> [(audit: UInt32, numbers: ClosedRange<UInt32>)] {
        largest.map { architecture, number in
            if architecture == .x86_64 {
                return (architecture.auditArchitecture.rawValue, number + 1 ... SeccompArchitecture.x32SyscallBit - 1)
            }
            return (architecture.auditArchitecture.rawValue, number + 1 ... .max)
        }
    }

    /// The stub's cells are exactly the difference from libseccomp's filter alone, the
    /// analysis finds the stub's ENOSYS, the audit flags only x32's new numbers, and the
    /// kernel runs the filter as the table says.
    @Test func theStubIsExplainedAndAuditedExactly() throws {
        let (_, libseccomp, largest) = try Self.dockerFilter()
        let stubbed = RuncEnosysStub.prepended(to: libseccomp, largest: largest)
        let analysis = try SeccompFilterAnalysis(stubbed)
        #expect(analysis.isComplete)
        let ranges = Self.stubbedNumbers(largest)
        let enosys = SeccompDecisionOutcome.action(.errno(UInt16(ENOSYS)))
        // Each stubbed range fails with ENOSYS, at both ends.
        for (audit, numbers) in ranges {
            for number in [numbers.lowerBound, numbers.upperBound] {
                #expect(analysis.decision(architecture: audit, number: number).outcome == enosys, "arch \(audit) nr \(number)")
            }
        }
        // Every difference from the filter without the stub is a stubbed number now failing with ENOSYS.
        let comparison = SeccompFilterComparison(try SeccompFilterAnalysis(libseccomp), analysis)
        #expect(!comparison.differences.isEmpty && !comparison.limitReached)
        for difference in comparison.differences {
            let inStub = ranges.contains { audit, numbers in
                difference.auditValues.allSatisfy { $0 == audit ... audit } && numbers.contains(difference.numbers.lowerBound)
                    && numbers.contains(difference.numbers.upperBound)
            }
            #expect(inStub && difference.second == enosys && difference.first != enosys, "\(difference)")
        }
        // x86 and x86_64 fall back from new calls; x32's new calls (457 and on) are below its
        // largest, 547, and still get EPERM; clone3 is ENOSYS by the profile's own rule.
        let findings = SeccompFilterAudit.findings(for: analysis)
        let unknown = findings.filter { $0.check == "unknown-calls-not-enosys" }
        #expect(unknown.count == 1 && unknown.first?.summary.hasPrefix("x32: numbers 457-511 (after 456") == true, "\(unknown)")
        #expect(!findings.contains { $0.check == "clone3-not-enosys" })
        let plain = SeccompFilterAudit.findings(for: try SeccompFilterAnalysis(libseccomp))
        #expect(plain.filter { $0.check == "unknown-calls-not-enosys" }.count == 3, "\(plain)")
        // The stub's `ja` that no section falls into is reported, with libseccomp's own.
        let deadJump = stubbed.instructions.count - libseccomp.instructions.count - 2
        #expect(analysis.unreachableInstructions.contains { $0.contains(deadJump) })
        // In the kernel.
        if let oracle = try? SeccompActionOracle() {
            let probes = sample(analysisProbes(analysis, seed: 13, randomPerRange: 1), atMost: 600)
            let (count, undetermined, disagreements) = FilterStackTests.compareInKernel(
                oracle, stack: [stubbed], combined: analysis, probes: probes)
            print("forensics: runc's stub on Docker's filter: \(count) kernel probes, \(disagreements.count) disagreements")
            #expect(undetermined == 0 && disagreements.isEmpty, "\(disagreements.prefix(3))")
        }
    }

    static let runc = ["/usr/sbin/runc", "/usr/bin/runc"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let runcUnavailableReason: String? = {
        if runc == nil { return "runc is not installed" }
        if geteuid() != 0 { return "runc and reading seccomp filters need root" }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        if !status.contains("\nSeccomp:\t0") { return "this process runs under seccomp itself, so it may not read filters" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/sleep") { return "/usr/bin/sleep is missing" }
        return nil
    }()

    @discardableResult
    static func runRunc(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(runc))
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // A file, not a pipe: a detached container keeps the descriptors it was given.
        let log = directory.appendingPathComponent("runc-\(arguments[0]).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// A container runc starts with Docker's profile (`/usr/bin/sleep` from the host's `/usr`,
    /// bound read-only): its one filter, read back, decides every call as our stub in front of
    /// libseccomp's filter does.
    @Test(.enabled(if: runcUnavailableReason == nil, "skipped: \(runcUnavailableReason ?? "")"))
    func runcInstallsWhatTheStubDescribes() throws {
        let (runtime, libseccomp, largest) = try Self.dockerFilter()
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("cbpf-runc-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        let rootfs = bundle.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bundle) }
        for directory in ["usr", "proc", "dev", "sys", "tmp"] {
            try FileManager.default.createDirectory(at: rootfs.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        for link in ["bin", "lib", "lib64"] {
            try FileManager.default.createSymbolicLink(atPath: rootfs.appendingPathComponent(link).path, withDestinationPath: "usr/" + link)
        }
        let spec = try Self.runRunc(["spec"], in: bundle)
        try #require(spec.status == 0, "runc spec: \(spec.output)")
        let configURL = bundle.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        var process = try #require(config["process"] as? [String: Any])
        process["args"] = ["/usr/bin/sleep", "30"]
        process["terminal"] = false
        config["process"] = process
        config["mounts"] = (config["mounts"] as? [[String: Any]] ?? [])
            + [["destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]]]
        var linux = try #require(config["linux"] as? [String: Any])
        linux["seccomp"] = runtime
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let name = bundle.lastPathComponent
        let pidFile = bundle.appendingPathComponent("pid")
        let run = try Self.runRunc(["run", "--detach", "--pid-file", pidFile.path, name], in: bundle)
        defer { _ = try? Self.runRunc(["delete", "--force", name], in: bundle) }
        if run.status != 0 {
            // runc needs cgroups and mounts that a machine may not give: not ours to test then.
            try Test.cancel("skipped: runc could not start a container here: \(run.output.prefix(300))")
        }
        let pid = try #require(Int32(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // runc's init is not dumpable until it runs the container's program.
        for _ in 0 ..< 500 {
            if let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm.hasPrefix("sleep") { break }
            usleep(10_000)
        }
        let filters = try SeccompFilterReader.filters(ofProcess: pid)
        try #require(filters.count == 1, "\(filters.count) filters")
        let installed = try SeccompFilterAnalysis(filters[0])
        let ours = try SeccompFilterAnalysis(RuncEnosysStub.prepended(to: libseccomp, largest: largest))
        let comparison = SeccompFilterComparison(ours, installed)
        #expect(comparison.isEquivalent, "\(comparison.differences.prefix(5))")
        // And it is not libseccomp's filter alone.
        #expect(!SeccompFilterComparison(try SeccompFilterAnalysis(libseccomp), installed).isEquivalent)
        // The same findings (where dead code is depends on the instructions).
        func findings(_ analysis: SeccompFilterAnalysis) -> [String] {
            SeccompFilterAudit.findings(for: analysis).filter { $0.check != "unreachable-instructions" }.map(\.summary)
        }
        #expect(findings(installed) == findings(ours))
        print("forensics: runc \(Self.runc ?? ""): container \(pid)'s filter, \(filters[0].count) instructions, decides every call as "
            + "the stub built from runc's source in front of libseccomp's filter")
    }
}
