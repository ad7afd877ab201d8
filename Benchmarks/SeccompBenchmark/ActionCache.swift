import CBPF

/// The kernel's seccomp action cache (`seccomp_is_const_allow` in `kernel/seccomp.c`, Linux 5.11
/// and later): when a filter is attached, the kernel emulates it for every number of the native
/// and compat architectures, with the arguments unknown, and marks the numbers for which it
/// returns `SECCOMP_RET_ALLOW` using only loads of `nr` and `arch`, `ja`, `jeq`/`jge`/`jgt`/`jset`
/// with a constant, `and` with a constant and `ret` with a constant. Calls to those numbers then
/// skip the filter. This is the same emulation, for the benchmark's table.
enum ActionCache {
    static func allows(_ program: Program, number: Int32, architecture: UInt32) -> Bool {
        let raw = program.raw
        var value: UInt32 = 0
        var pc = 0
        while pc < raw.count {
            let instruction = raw[pc]
            switch instruction.code {
            case 0x20:  // BPF_LD | BPF_W | BPF_ABS
                switch instruction.k {
                case 0: value = UInt32(bitPattern: number)
                case 4: value = architecture
                default: return false
                }
            case 0x06:  // BPF_RET | BPF_K
                return instruction.k == SeccompAction.allowValue
            case 0x05:  // BPF_JMP | BPF_JA
                pc += Int(instruction.k)
            case 0x15, 0x35, 0x25, 0x45:  // jeq, jge, jgt, jset with a constant
                let k = instruction.k
                let holds =
                    switch instruction.code {
                    case 0x15: value == k
                    case 0x35: value >= k
                    case 0x25: value > k
                    default: value & k != 0
                    }
                pc += Int(holds ? instruction.jt : instruction.jf)
            case 0x54:  // BPF_ALU | BPF_AND | BPF_K
                value &= instruction.k
            default:
                return false
            }
            pc += 1
        }
        return false
    }
}
