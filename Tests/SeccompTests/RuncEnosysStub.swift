import CBPF
import CSeccomp
import Foundation
import Seccomp
import Testing

/// The stub runc puts in front of the filter libseccomp builds for a container
/// (`libcontainer/seccomp/patchbpf`, `generateEnosysStub`), written here after reading runc's
/// source, not copied: numbers above the largest the profile names on each architecture fail
/// with `ENOSYS`, so that programs fall back from calls newer than the profile.
///
/// ```
/// ld [4]
/// jeq #AUDIT_ARCH_..., section      one per architecture
/// ja filter
/// section: ld [0]
///          jgt #largest, enosys      (x86_64 with x32: jset #0x40000000 picks x32's largest)
///          ja filter
/// ja +1                              runc's fall-through, which no section reaches
/// enosys:  ret #ERRNO(ENOSYS)
/// filter:  ...
/// ```
enum RuncEnosysStub {
    /// The largest number the profile's rules name for `architecture`, as runc finds it
    /// (`findLastSyscalls`: libseccomp's `seccomp_syscall_resolve_name_arch`, unknown names
    /// skipped).
    static func largestNumber(named names: [String], on architecture: SeccompArchitecture) -> UInt32? {
        let token = seccomp_arch_resolve_name(architecture.name)
        let numbers = names.map { seccomp_syscall_resolve_name_arch(token, $0) }.filter { $0 >= 0 }
        return numbers.max().map { UInt32(bitPattern: $0) }
    }

    /// `filter` behind the stub, for the architectures and largest numbers given (x86_64 and
    /// x32 share `AUDIT_ARCH_X86_64` and one section).
    static func prepended(to filter: Program, largest: [(SeccompArchitecture, UInt32)]) -> Program {
        let enosys = SeccompAction.errno(UInt16(ENOSYS)).returnValue
        let bit = SeccompArchitecture.x32SyscallBit
        // Sections by audit architecture, in the order given.
        var sections = [(audit: UInt32, body: [Instruction])]()
        var audits = [UInt32]()
        for (architecture, _) in largest where !audits.contains(architecture.auditArchitecture.rawValue) {
            audits.append(architecture.auditArchitecture.rawValue)
        }
        for audit in audits {
            let here = largest.filter { $0.0.auditArchitecture.rawValue == audit }
            let plain = here.first { !$0.0.usesX32SyscallBit && $0.0.auditArchitecture == .x86_64 }?.1
            let x32 = here.first { $0.0.usesX32SyscallBit }?.1
            // Jump targets are filled in below: `ENOSYS` as ifTrue 255 and the filter as ja 0x7fffffff.
            var body: [Instruction] = [.loadAbsolute(.word, offset: 0)]
            switch (plain, x32) {
            case (let plain?, let x32?):
                body += [.conditionalJump(.bitsSet, .constant(bit), ifTrue: 1, ifFalse: 0),
                         .conditionalJump(.greaterThan, .constant(plain), ifTrue: 255, ifFalse: 1),
                         .conditionalJump(.greaterThan, .constant(x32), ifTrue: 255, ifFalse: 0)]
            case (let plain?, nil):
                body += [.conditionalJump(.bitsSet, .constant(bit), ifTrue: 1, ifFalse: 0),
                         .conditionalJump(.greaterThan, .constant(plain), ifTrue: 255, ifFalse: 0)]
            case (nil, let x32?):
                body += [.conditionalJump(.bitsSet, .constant(bit), ifTrue: 0, ifFalse: 1),
                         .conditionalJump(.greaterThan, .constant(x32), ifTrue: 255, ifFalse: 0)]
            case (nil, nil):
                body += [.conditionalJump(.greaterThan, .constant(here[0].1), ifTrue: 255, ifFalse: 0)]
            }
            body.append(.jump(offset: 0x7fff_ffff))
            sections.append((audit, body))
        }
        var stub: [Instruction] = [.loadAbsolute(.word, offset: 4)]
        let dispatchLength = sections.count + 1
        var sectionStart = 1 + dispatchLength
        for (index, section) in sections.enumerated() {
            let pc = 1 + index
            stub.append(.conditionalJump(.equal, .constant(section.audit), ifTrue: UInt8(sectionStart - pc - 1), ifFalse: 0))
            sectionStart += section.body.count
        }
        stub.append(.jump(offset: 0x7fff_ffff))
        for section in sections { stub += section.body }
        stub += [.jump(offset: 1), .returnConstant(enosys)]
        let enosysIndex = stub.count - 1
        let filterStart = stub.count
        for (pc, instruction) in stub.enumerated() {
            switch instruction {
            case .conditionalJump(let test, let operand, 255, let ifFalse):
                stub[pc] = .conditionalJump(test, operand, ifTrue: UInt8(enosysIndex - pc - 1), ifFalse: ifFalse)
            case .jump(offset: 0x7fff_ffff):
                stub[pc] = .jump(offset: UInt32(filterStart - pc - 1))
            default:
                break
            }
        }
        return Program(stub + filter.instructions)
    }
}

/// Docker's default profile as dockerd hands it to runc on x86-64 (the runtime specification's
/// `linux.seccomp`): the entries whose `includes` and `excludes` hold for amd64, the default
/// capabilities and the kernel, without those fields, and the architectures of its `archMap`.
enum DockerRuntimeSeccomp {
    static func object(profile text: String, kernel: OCISeccompProfile.KernelVersion) throws -> [String: Any] {
        let profile = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let capabilities = OCIProfileImportOptions.dockerDefaultCapabilities
        func version(_ text: String) -> OCISeccompProfile.KernelVersion? {
            let parts = text.split(separator: ".").compactMap { UInt8($0) }
            return parts.count >= 2 ? OCISeccompProfile.KernelVersion(kernel: parts[0], major: parts[1]) : nil
        }
        var syscalls = [[String: Any]]()
        for entry in profile["syscalls"] as? [[String: Any]] ?? [] {
            if let excludes = entry["excludes"] as? [String: Any] {
                if (excludes["arches"] as? [String] ?? []).contains("amd64") { continue }
                if (excludes["caps"] as? [String] ?? []).contains(where: capabilities.contains) { continue }
                if let minimum = (excludes["minKernel"] as? String).flatMap(version), kernel >= minimum { continue }
            }
            if let includes = entry["includes"] as? [String: Any] {
                let arches = includes["arches"] as? [String] ?? []
                if !arches.isEmpty, !arches.contains("amd64") { continue }
                if !(includes["caps"] as? [String] ?? []).allSatisfy(capabilities.contains) { continue }
                if let minimum = (includes["minKernel"] as? String).flatMap(version), kernel < minimum { continue }
            }
            syscalls.append(entry.filter { ["names", "action", "args", "errnoRet"].contains($0.key) })
        }
        var object: [String: Any] = [
            "defaultAction": profile["defaultAction"] ?? "SCMP_ACT_ERRNO",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": syscalls,
        ]
        if let errno = profile["defaultErrnoRet"] { object["defaultErrnoRet"] = errno }
        return object
    }

    /// Every name the rules of the runtime profile give.
    static func names(_ object: [String: Any]) -> [String] {
        (object["syscalls"] as? [[String: Any]] ?? []).flatMap { $0["names"] as? [String] ?? [] }
    }
}
