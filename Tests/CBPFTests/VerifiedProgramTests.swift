import Attach
import CBPF
import CBPFFuzz
import Glibc
import Testing

/// `VerifiedProgram.verified(for:)` skips the checks only where the rules of the new attach
/// point follow from the old; it must decide exactly as verifying again would, and the kernel
/// must take what it calls verified.
struct VerifiedProgramTests {
    static let targets = AttachTarget.allCases

    /// Generated programs (socket and seccomp shapes, many refused): for every pair of attach
    /// points, the proof carries over exactly when ``Verifier`` accepts the program for the new one.
    @Test func carryingTheProofDecidesAsVerifyingAgain() throws {
        var generator = ProgramGenerator(seed: 0x7e21_f1ed)
        var programs = (0..<1500).map { _ in generator.socketCase().program }
        programs += (0..<500).map { _ in
            generator.seccompCase(architecture: AuditArchitecture.x86_64.rawValue, instructionPointer: 0).program
        }
        // Long ones, for xt_bpf's 64-instruction bound.
        programs += [Program(Array(repeating: .loadImmediate(.a, 1), count: 64) + [.returnA]),
                     Program(Array(repeating: .loadImmediate(.a, 1), count: 63) + [.returnA])]
        var carried = 0
        for program in programs {
            for from in Self.targets {
                guard let proof = try? VerifiedProgram(program, for: from) else { continue }
                for to in Self.targets {
                    let expected = (try? Verifier.verify(program, for: to)) != nil
                    let result = try? proof.verified(for: to)
                    #expect((result != nil) == expected, "\(program.raw) verified for \(from), then \(to)")
                    #expect(result.map { $0.target == to && $0.program == program } ?? true)
                    if result != nil && from != to { carried += 1 }
                }
            }
        }
        #expect(carried > 1000, "the generated programs must exercise the carried proofs")
    }

    /// The kernel's checker takes every program whose proof was carried over to a socket from
    /// cls_bpf or xt_bpf, on a real socket.
    @Test func theKernelTakesCarriedProofs() throws {
        var generator = ProgramGenerator(seed: 0xa77ac4)
        let descriptor = FileDescriptor(rawValue: socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0))
        #expect(descriptor.rawValue >= 0)
        defer { try? descriptor.close() }
        var attached = 0
        for _ in 0..<600 {
            let program = generator.socketCase().program
            for from: AttachTarget in [.trafficControl, .iptables] {
                guard let proof = try? VerifiedProgram(program, for: from) else { continue }
                try SocketFilter.attach(proof, to: descriptor)
                #expect(try SocketFilter.attachedFilter(of: descriptor) == program.raw)
                attached += 1
            }
        }
        #expect(attached > 100)
    }

    /// A proof for seccomp is not one for a socket: the socket's rules are checked, and a
    /// program for a socket is checked for seccomp, which refuses packet loads.
    @Test func seccompAndSocketProofsDoNotCarry() throws {
        let packetLoad = Program([.loadAbsolute(.halfword, offset: 12), .returnA])
        let proof = try VerifiedProgram(packetLoad, for: .socket)
        #expect(throws: VerificationError.self) { try proof.verified(for: .seccomp) }
        #expect(try proof.verified(for: .trafficControl).target == .trafficControl)
    }
}
