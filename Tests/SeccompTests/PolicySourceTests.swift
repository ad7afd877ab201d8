import Seccomp
import Testing

/// Loading policies and profiles as tools do: errors at their place in the input, the
/// architecture override checked at the rules' lines, capability and architecture lists.
@Suite("Policy sources")
struct PolicySourceTests {
    @Test func policyTextErrorsPointAtTheirLine() {
        let source = SeccompPolicySource(policyText: "default allow\nalow read\n", name: "my.policy")
        #expect(throws: SeccompPolicySourceError(
            source: "my.policy", line: 2, column: 1, message: "unknown action \"alow\": " + Self.whyOfUnknownAction)
        ) { try source.load() }
    }

    /// `open` does not exist on aarch64 (libseccomp says so): the error is at the rule's line,
    /// not at the `arch` line that the override replaced.
    @Test func architectureOverrideIsCheckedAtTheRulesLine() throws {
        var source = SeccompPolicySource(
            policyText: "default errno(EPERM)\narch x86_64\n# files\nallow read open\n", name: "open.policy")
        _ = try source.load()
        source.architectures = [.aarch64]
        #expect {
            try source.load()
        } throws: { error in
            let error = error as! SeccompPolicySourceError
            return error.line == 4 && error.column == 12 && error.message.contains("open")
                && error.description.hasPrefix("open.policy:4:12: ") && !error.concernsArchitectures
        }
        // One architecture that has the call is enough, as in libseccomp.
        source.architectures = [.x86_64, .aarch64]
        #expect(try source.load().policy.architectures == [.x86_64, .aarch64])
    }

    @Test func profileErrorsPointAtTheirLineAndColumn() {
        let json = "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOPE\"}]\n}"
        #expect {
            try SeccompPolicySource(ociProfile: json, name: "p.json").load()
        } throws: { error in
            let error = error as! SeccompPolicySourceError
            return error.line == 3 && error.description.hasPrefix("p.json:3:") && error.message.contains("SCMP_ACT_NOPE")
        }
    }

    @Test func warningsComeWithThePolicy() throws {
        let (_, warnings) = try SeccompPolicySource(policyText: "default allow\nforeign-arch allow\n", name: "p").load()
        #expect(warnings.count == 1)
        #expect(warnings.first?.description.contains("foreign-arch allow") == true)
    }

    @Test func capabilityLists() throws {
        #expect(try LinuxCapabilities.parse("docker-default") == OCIProfileImportOptions.dockerDefaultCapabilities)
        #expect(try LinuxCapabilities.parse("none").isEmpty)
        #expect(try LinuxCapabilities.parse("all").count == 41)
        #expect(try LinuxCapabilities.parse("sys_admin, CAP_NET_ADMIN") == ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"])
        #expect {
            try LinuxCapabilities.parse("SYS_ADMN,frob")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("unknown capabilities \"SYS_ADMN\" (did you mean CAP_SYS_ADMIN?), \"frob\":")
        }
    }

    @Test func architectureLists() throws {
        #expect(try SeccompArchitecture.list(parsing: "x86_64,i386,x32") == [.x86_64, .x86, .x32])
        #expect(throws: ArchitectureListError.empty) { try SeccompArchitecture.list(parsing: " , ") }
        #expect(throws: ArchitectureListError.unknown("sparc")) { try SeccompArchitecture.list(parsing: "x86_64,sparc") }
        #expect(throws: ArchitectureListError.repeated(.x86_64, list: "amd64,x86_64")) {
            try SeccompArchitecture.list(parsing: "amd64,x86_64")
        }
    }

    /// What the parser says after "unknown action": the list of actions.
    static var whyOfUnknownAction: String {
        do {
            _ = try SeccompPolicy(parsing: "alow read")
            return "parsed"
        } catch {
            return error.why
        }
    }
}
