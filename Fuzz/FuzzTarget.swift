import CBPF
import PacketFilter
import Seccomp

/// One parser or decoder under the fuzzer, with the properties it must keep on any input
/// besides not crashing, not hanging and not exhausting memory.
struct FuzzTarget: Sendable {
    /// The name `scripts/fuzz` and the command line use.
    let name: String
    /// libFuzzer's `-max_len` for the target.
    let maximumLength: Int
    /// Runs one input; a broken property ends the process through `propertyFailed`.
    let run: @Sendable (UnsafeRawBufferPointer) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "filter-language", maximumLength: 4096, run: FilterLanguageTarget.run),
        FuzzTarget(name: "bpf-asm", maximumLength: 8192, run: TextFormatTargets.runBPFAsm),
        FuzzTarget(name: "bytecode-string", maximumLength: 8192, run: TextFormatTargets.runBytecodeString),
        FuzzTarget(name: "tcpdump-text", maximumLength: 8192, run: TextFormatTargets.runTcpdumpText),
        FuzzTarget(name: "seccomp-policy", maximumLength: 8192, run: SeccompTargets.runPolicyText),
        FuzzTarget(name: "oci-profile", maximumLength: 16384, run: SeccompTargets.runOCIProfile),
        FuzzTarget(name: "capture", maximumLength: 65536, run: CaptureTarget.run),
        FuzzTarget(name: "program", maximumLength: 4096, run: ProgramTarget.run),
    ]
}

/// Reports a broken property and aborts, so that libFuzzer saves the input as a crash.
func propertyFailed(_ message: String) -> Never {
    fatalError("property failed: \(message)")
}

/// Text inputs: the bytes as UTF-8, invalid sequences replaced, as the CLI reads files.
func text(_ bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes, as: UTF8.self)
}
