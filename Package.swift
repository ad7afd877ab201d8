// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-cbpf",
    products: [
        .library(name: "CBPF", targets: ["CBPF"]),
        .library(name: "Attach", targets: ["Attach"]),
        .library(name: "Seccomp", targets: ["Seccomp"]),
        .library(name: "PacketFilter", targets: ["PacketFilter"]),
        .executable(name: "cbpf", targets: ["cbpf"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        // `swift package generate-documentation`: the DocC catalogs in Sources/*/*.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C wrappers for macros and variadic calls that do not import into Swift.
        .target(name: "CLinuxShims"),
        // The C side of CBPFFuzz's kernel oracles (the seccomp helper process). Only CBPFFuzz uses it.
        .target(name: "CBPFFuzzShims", dependencies: ["CLinuxShims"]),
        // libpcap, used only by the benchmark and tests as a reference implementation.
        .systemLibrary(
            name: "CPcap",
            path: "Sources/CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // The one thin system-call layer every module, the CLI and the samples use: SystemCallError,
        // the EINTR retry, OwnedFileDescriptor and the whole-file reader. Knows nothing of BPF
        // (CLinuxShims only for pipe2, which Glibc's module does not export).
        .target(name: "SystemCalls", dependencies: ["CLinuxShims", .product(name: "SystemPackage", package: "swift-system")]),
        // The core: instruction model, encodings, text formats, verifier, interpreter, optimizer.
        .target(name: "CBPF", dependencies: ["CLinuxShims"]),
        // Thin attach points: socket filters, AF_PACKET capture and fanout, tc, xt_bpf.
        .target(
            name: "Attach",
            dependencies: ["CBPF", "CLinuxShims", "SystemCalls", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // libseccomp, used by Seccomp to resolve system-call names and numbers per architecture.
        .systemLibrary(
            name: "CSeccomp",
            path: "Sources/CSeccomp",
            pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]
        ),
        // seccomp(2): installing filters and answering user notifications.
        .target(
            name: "Seccomp",
            dependencies: [
                "CBPF", "CLinuxShims", "CSeccomp", "SystemCalls",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The packet-filter front end: pcap-filter language, Swift DSL, code generation, captures.
        .target(
            name: "PacketFilter",
            dependencies: [
                "CBPF", "CLinuxShims", "SystemCalls", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // libpcap as the reference for packet filters: its compiler, its verdicts and the packet
        // mutations that compare them. Tests and benchmarks only.
        .target(name: "LibpcapOracle", dependencies: ["CBPF", "PacketFilter", "CPcap", "CBPFFuzz"]),
        // libseccomp as the reference for seccomp filters: the same policy built by libseccomp.
        // Tests, benchmarks and the launcher's comparison only.
        .target(name: "LibseccompReference", dependencies: ["CBPF", "Seccomp", "CSeccomp", "SystemCalls"]),
        // Helpers that several test targets share (processes, files, threads, network namespaces).
        .target(name: "TestSupport", dependencies: ["Attach"]),
        // Random program generation and kernel oracles for differential testing. Tests, benchmarks
        // and cbpf-differential only; no product contains it.
        .target(name: "CBPFFuzz", dependencies: ["CBPF", "CLinuxShims", "CBPFFuzzShims", "SystemCalls"]),
        .executableTarget(
            name: "cbpf",
            dependencies: [
                "CBPF", "Seccomp", "PacketFilter", "Attach", "SystemCalls",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Differential campaigns against the running kernel (what `cbpf fuzz` was). Not a product:
        // `swift run cbpf-differential verify` in the development tree.
        .executableTarget(
            name: "cbpf-differential",
            dependencies: ["CBPFFuzz", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // A launcher that runs a command under a seccomp policy: the README's main job.
        .executableTarget(
            name: "sandbox-launch",
            dependencies: [
                "CBPF", "Seccomp", "CLinuxShims", "LibseccompReference", "SystemCalls",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Samples/SandboxedLauncher"
        ),
        // Drops DNS queries for names with iptables xt_bpf rules (issue 10's xt_bpf sample).
        .executableTarget(
            name: "dns-firewall",
            dependencies: ["PacketFilter", "Attach", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Samples/DNSFirewall",
            exclude: ["README.md"]
        ),
        .target(name: "BenchmarkSupport", path: "Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "InterpreterBenchmark",
            dependencies: [
                "CBPF", "CBPFFuzz", "CPcap", "BenchmarkSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/InterpreterBenchmark"
        ),
        .executableTarget(
            name: "PacketFilterComparison",
            dependencies: ["PacketFilter", "CBPF", "CBPFFuzz", "LibpcapOracle", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/PacketFilterComparison"
        ),
        // cbpf capture -w against tcpdump -w on the same veth traffic (needs root, tcpdump, cbpf).
        .executableTarget(
            name: "CaptureBenchmark",
            dependencies: [
                "CLinuxShims", "SystemCalls", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Benchmarks/CaptureBenchmark"
        ),
        // cbpf filter -r -w against tcpdump -r -w on a large capture that it writes itself.
        .executableTarget(
            name: "FilterFileBenchmark",
            dependencies: ["PacketFilter", "SystemCalls", "BenchmarkSupport", "CBPFFuzz", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/FilterFileBenchmark"
        ),
        .executableTarget(
            name: "SeccompBenchmark",
            dependencies: [
                "CBPF", "Seccomp", "CSeccomp", "CLinuxShims", "LibseccompReference", "BenchmarkSupport", "SystemCalls", "CBPFFuzz",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/SeccompBenchmark"
        ),
        .testTarget(
            name: "SystemCallsTests",
            dependencies: ["SystemCalls", "TestSupport", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .testTarget(name: "CBPFTests", dependencies: ["CBPF", "CBPFFuzz", "Attach", "CPcap"]),
        .testTarget(
            name: "SeccompTests",
            dependencies: [
                "Seccomp", "CBPF", "CBPFFuzz", "CLinuxShims", "LibseccompReference", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "PacketFilterTests",
            dependencies: [
                "PacketFilter", "CBPF", "CBPFFuzz", "Attach", "CPcap", "LibpcapOracle", "SystemCalls", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(name: "SandboxedLauncherTests", dependencies: ["sandbox-launch", "TestSupport"]),
        .testTarget(name: "DNSFirewallTests", dependencies: ["dns-firewall", "PacketFilter", "Attach", "CBPF", "SystemCalls", "TestSupport"]),
        // Runs the built `cbpf` and `cbpf-differential` executables as a user would.
        .testTarget(name: "CLITests", dependencies: ["cbpf", "cbpf-differential", "TestSupport", "PacketFilter", "SystemCalls"]),
    ]
)

// Coverage-guided fuzz targets for libFuzzer, built only by scripts/fuzz (which sets CBPF_FUZZ
// and -sanitize=fuzzer): no ordinary build, test run or product contains them.
if Context.environment["CBPF_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(name: "cbpf-fuzz", dependencies: ["CBPF", "PacketFilter", "Seccomp"], path: "Fuzz"))
}
