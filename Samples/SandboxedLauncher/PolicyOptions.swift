import ArgumentParser
import CBPF
import Glibc
import Seccomp

extension Preset: ExpressibleByArgument {}

/// What a call that the policy does not allow gets: `--deny-action`.
struct DenyAction: ExpressibleByArgument, Sendable {
    var action: SeccompAction

    init(_ action: SeccompAction) {
        self.action = action
    }

    /// `errno:EPERM`, `errno:13`, `kill`, `log` or `trap`.
    init?(argument: String) {
        let lowered = argument.lowercased()
        switch lowered {
        case "kill", "kill-process": action = .killProcess
        case "log": action = .log
        case "trap": action = .trap(0)
        case "errno": action = .errno(ErrnoCode.EPERM.rawValue)
        default:
            guard lowered.hasPrefix("errno:") || lowered.hasPrefix("errno=") else { return nil }
            let value = String(argument.dropFirst(6))
            if let code = ErrnoCode(name: value) {
                action = .errno(code.rawValue)
            } else if let number = UInt16(value), number > 0, number <= 4095 {
                action = .errno(number)
            } else {
                return nil
            }
        }
    }
}

/// Where the policy comes from and how it is changed: the options shared by the launcher and
/// its demo.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        """
        A built-in policy: service (systemd's SystemCallFilter=@system-service with \
        RestrictNamespaces=yes and LockPersonality=yes). The default without --policy or --profile.
        """, valueName: "name"))
    var preset: Preset?

    @Option(help: ArgumentHelp(
        "A policy in the native text format (docs/seccomp-policy-format.md).", valueName: "file"))
    var policy: String?

    @Option(help: ArgumentHelp(
        """
        A Docker/OCI seccomp profile (JSON), imported as runc would with Docker's default \
        capabilities. docker-default names Docker's profile: the file $SANDBOX_LAUNCH_DOCKER_PROFILE \
        names, else the development corpus's copy; this repository ships none (a local file of that \
        name is ./docker-default).
        """, valueName: "file.json|docker-default"))
    var profile: String?

    @Option(name: .customLong("allow"), parsing: .singleValue, help: ArgumentHelp(
        """
        Also allow a system call or a group (@network-io), or a comma-separated list; may be \
        repeated. These rules come first and replace the policy's own rules for the calls they name.
        """, valueName: "@group|syscall"))
    var allow: [String] = []

    @Option(name: .customLong("deny-action"), help: ArgumentHelp(
        """
        What a call the policy does not allow gets: errno:NAME or errno:N, kill (SIGSYS, the whole \
        process), log (allowed, and logged by the kernel) or trap (SIGSYS the process may catch). \
        Replaces the default action of --policy and --profile; errno:EPERM for the preset.
        """, valueName: "action"))
    var denyAction: DenyAction?

    @Option(help: ArgumentHelp(
        """
        The architectures the filter covers, comma-separated (native, x86_64, x86, x32, aarch64, ...). \
        Calls of any other convention get the policy's foreign-architecture action (KILL_PROCESS \
        unless the policy says otherwise). Must include this machine's.
        """, valueName: "arch"))
    var arch: String?

    func validate() throws {
        let sources = [preset != nil, policy != nil, profile != nil].filter { $0 }.count
        if sources > 1 {
            throw ValidationError("give at most one of --preset, --policy and --profile")
        }
        _ = try architectures()
        _ = try allowedTargets()
    }

    /// The architectures of `--arch`, or `nil` when it is not given.
    func architectures() throws -> [SeccompArchitecture]? {
        guard let arch else { return nil }
        let result: [SeccompArchitecture]
        do {
            result = try SeccompArchitecture.list(parsing: arch)
        } catch {
            throw ValidationError("--arch: \(error)")
        }
        let native = SeccompArchitecture.native
        guard result.contains(native) else {
            throw ValidationError(
                "--arch \(arch) leaves out this machine's architecture, \(native): the command's own "
                    + "system calls would get the foreign-architecture action (KILL_PROCESS unless the policy says otherwise) "
                    + "and it could not even start")
        }
        return result
    }

    /// The targets of `--allow`, in order.
    func allowedTargets() throws -> [SyscallTarget] {
        var targets = [SyscallTarget]()
        for item in allow.flatMap({ $0.split(separator: ",") }) {
            let word = item.trimmed
            guard !word.isEmpty else { continue }
            if word.hasPrefix("@") {
                guard let group = SyscallGroup(named: word) else {
                    let known = SyscallGroup.all.map(\.description).joined(separator: " ")
                    throw ValidationError("--allow: unknown group \(quotedExcerpt(word)): systemd's groups are \(known)")
                }
                targets.append(.group(group))
            } else if let number = Int32(word) {
                guard number >= 0 else { throw ValidationError("--allow: invalid system call number \(number)") }
                targets.append(.number(number))
            } else {
                // Checked here, so that the message names the option rather than a rule number.
                do {
                    _ = try SeccompArchitecture.native.resolve(word)
                } catch {
                    throw ValidationError("--allow: \(error)")
                }
                targets.append(SyscallTarget(syscallName: word))
            }
        }
        return targets
    }

    /// Builds the policy from its source, applies `--deny-action`, `--arch` and `--allow`, and
    /// compiles it.
    func build() throws(LaunchError) -> CompiledPolicy {
        let architectures: [SeccompArchitecture]?
        let allowed: [SyscallTarget]
        do {
            architectures = try self.architectures()
            allowed = try allowedTargets()
        } catch {
            throw LaunchError("\(error)", exitCode: 64)
        }
        var base = try basePolicy(architectures: architectures)
        if let denyAction { base.defaultAction = denyAction.action }
        let policy = Self.prepending(allowed, to: base)
        let filter: VerifiedProgram
        let resolved: ResolvedSeccompPolicy
        do {
            resolved = try policy.resolve()
            filter = try SeccompCompiler().compileVerified(resolved)
        } catch let error as SeccompPolicyError {
            let note = allowed.isEmpty ? "" : " (rules 1 to \(allowed.count) are the --allow options)"
            throw LaunchError("invalid policy\(note): \(error)")
        } catch {
            throw LaunchError("\(error)")
        }
        return CompiledPolicy(policy: policy, resolved: resolved, filter: filter)
    }

    /// The policy before `--deny-action` and `--allow`.
    func basePolicy(architectures: [SeccompArchitecture]?) throws(LaunchError) -> SeccompPolicy {
        var source: SeccompPolicySource
        if let path = policy {
            source = SeccompPolicySource(policyText: try readTextFile(path), name: path)
        } else if let name = profile {
            let path = try Self.profilePath(name)
            source = SeccompPolicySource(ociProfile: try readTextFile(path), name: path)
            // As runc does: calls newer than libseccomp's table fail with ENOSYS, not EPERM.
            source.unknownSyscallsFailWithENOSYS = true
        } else {
            let deny = denyAction?.action ?? .errno(ErrnoCode.EPERM.rawValue)
            return (preset ?? .service).policy(deny: deny, architectures: architectures ?? [.native])
        }
        source.architectures = architectures
        do {
            let (policy, warnings) = try source.load()
            for warning in warnings { printError("sandbox-launch: \(source.name): warning: \(warning)") }
            return policy
        } catch where error.concernsArchitectures {
            throw LaunchError("--arch \(arch ?? ""): \(error.message)", exitCode: 64)
        } catch {
            throw LaunchError("\(error)")
        }
    }

    /// The path of `--profile`: a file, or for `docker-default` a copy of Docker's profile (the
    /// repository ships none, so that its licence and version stay Docker's):
    /// `$SANDBOX_LAUNCH_DOCKER_PROFILE` when set, which must then be readable, else the development
    /// corpus next to the checkout. A file named `docker-default` in the working directory is
    /// `./docker-default`; the bare name never means it.
    static func profilePath(_ name: String) throws(LaunchError) -> String {
        guard name == "docker-default" else { return name }
        let hint = access(name, F_OK) == 0 ? " (for the file in this directory, pass ./docker-default)" : ""
        if let variable = getenv("SANDBOX_LAUNCH_DOCKER_PROFILE") {
            let path = String(cString: variable)
            guard !path.isEmpty, access(path, R_OK) == 0 else {
                let reason = path.isEmpty ? "it is empty" : errorMessage(errno)
                throw LaunchError(
                    "--profile docker-default: SANDBOX_LAUNCH_DOCKER_PROFILE=\(path) cannot be read: \(reason); "
                        + "set it to a readable copy of Docker's profile, or unset it\(hint)")
            }
            return path
        }
        // The development corpus next to the checkout this sample was built from.
        let checkout = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let corpus = "/" + checkout + "/../shared/corpus/seccomp/docker-default.json"
        if access(corpus, R_OK) == 0 { return corpus }
        throw LaunchError(
            "--profile docker-default: no copy of Docker's default profile was found (SANDBOX_LAUNCH_DOCKER_PROFILE "
                + "is not set, and \(corpus) cannot be read); this repository ships none. Pass the JSON file "
                + "(moby's profiles/seccomp/default.json), set SANDBOX_LAUNCH_DOCKER_PROFILE, or use the built-in "
                + "--preset service\(hint)")
    }

    /// `policy` with an `allow` rule for each target first, and without its own rules that name
    /// those calls directly: they could never decide, and the policy would call them
    /// contradictions.
    static func prepending(_ targets: [SyscallTarget], to policy: SeccompPolicy) -> SeccompPolicy {
        guard !targets.isEmpty else { return policy }
        var names = Set<String>()
        var numbers = Set<Int32>()
        for target in targets {
            switch target {
            case .group(let group): names.formUnion(group.syscallNames)
            case .syscall(let syscall):
                if let name = syscall.name { names.insert(name) }
                if let number = syscall.number { numbers.insert(number) }
            }
        }
        var result = policy
        result.rules = targets.map { SeccompRule(.allow, $0) } + policy.rules.filter { rule in
            guard case .syscall(let syscall) = rule.target else { return true }
            if let name = syscall.name { return !names.contains(name) }
            return !numbers.contains(syscall.number ?? -1)
        }
        return result
    }
}

/// A policy with its resolved form and its filter.
struct CompiledPolicy: Sendable {
    var policy: SeccompPolicy
    var resolved: ResolvedSeccompPolicy
    /// The filter, verified for seccomp: the installer does not check it again.
    var filter: VerifiedProgram
    var program: Program { filter.program }

    /// `N instructions` and, per architecture, the mean and maximum executed per call.
    var statistics: String {
        guard let statistics = try? SeccompFilterStatistics(program: program, policy: resolved) else {
            return "\(program.count) instructions"
        }
        return statistics.description
    }
}
