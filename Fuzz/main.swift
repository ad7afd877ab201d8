// Coverage-guided fuzzing of every parser and decoder, with libFuzzer. Built only by
// scripts/fuzz (CBPF_FUZZ=1, -sanitize=fuzzer), so no ordinary build or product contains it.
//
//     cbpf-fuzz TARGET [libFuzzer flags] [CORPUS_DIR ...]
//     cbpf-fuzz seeds OUTPUT_DIR [SHARED_CORPUS_DIR]
//     cbpf-fuzz list
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// libFuzzer's entry point for a program with its own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzCallback
) -> CInt

/// The target the driver runs; set once before the driver starts.
nonisolated(unsafe) var selectedTarget: FuzzTarget?

/// libFuzzer's link-time requirement; the driver above is given the same function.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget?.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

func usage() -> Never {
    let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
    print("usage: cbpf-fuzz TARGET [libFuzzer flags] [CORPUS ...] | seeds DIR [SHARED_CORPUS] | list")
    print("targets: \(names)")
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { usage() }
switch arguments[1] {
case "list":
    for target in FuzzTarget.all { print(target.name, target.maximumLength) }
case "seeds":
    guard arguments.count >= 3 else { usage() }
    SeedWriter(output: arguments[2], sharedCorpus: arguments.count > 3 ? arguments[3] : nil).writeAll()
default:
    guard let target = FuzzTarget.all.first(where: { $0.name == arguments[1] }) else { usage() }
    selectedTarget = target
    // libFuzzer sees the program name and the flags after the target's name.
    var driverArguments = [arguments[0]] + arguments.dropFirst(2)
    var argc = CInt(driverArguments.count)
    var pointers = driverArguments.map { strdup($0) } + [nil]
    let status = pointers.withUnsafeMutableBufferPointer { buffer in
        var argv = buffer.baseAddress!
        return runFuzzerDriver(&argc, &argv, testOneInput)
    }
    driverArguments.removeAll()
    exit(status)
}
