import CBPF

/// The seccomp program with the number and architecture it reads replaced by constants
/// (`ld [0]` and `ld [4]` become `ld #number` and `ld #arch`), so that the kernel can run it for
/// any call, on any architecture, during one harmless call: the jumps and everything else stay.
package func bakingIn(_ program: Program, number: UInt32, architecture: UInt32) -> Program {
    Program(program.instructions.map { instruction in
        switch instruction {
        case .loadAbsolute(.word, 0): .loadImmediate(.a, number)
        case .loadAbsolute(.word, 4): .loadImmediate(.a, architecture)
        default: instruction
        }
    })
}
