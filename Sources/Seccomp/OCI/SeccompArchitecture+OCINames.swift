import CBPF

extension SeccompArchitecture {
    /// The name moby gives this architecture when it is the native one (`goToNative` in
    /// moby's `profiles/seccomp`), which `includes.arches` and `excludes.arches` are compared
    /// with: `amd64`, `arm64`, `x86`, `mipsel64`, and `mips3l64n32` (sic) for little-endian n32.
    /// x32 and MIPS o32 big-endian are never native to Go; they answer to `x32` and `mips`.
    public var mobyName: String {
        switch self {
        case .x86_64: "amd64"
        case .aarch64: "arm64"
        case .mipsel64n32: "mips3l64n32"
        default: name
        }
    }

    /// The runtime-spec name, `SCMP_ARCH_X86_64`.
    public var ociName: String { "SCMP_ARCH_" + name.uppercased() }

    /// Looks up a runtime-spec name (`SCMP_ARCH_AARCH64`).
    public init?(ociName: String) {
        guard ociName.hasPrefix("SCMP_ARCH_"), ociName != "SCMP_ARCH_NATIVE",
            let architecture = SeccompArchitecture(name: String(ociName.dropFirst("SCMP_ARCH_".count)))
        else { return nil }
        self = architecture
    }

    /// Whether a name in `includes.arches` or `excludes.arches` means this architecture.
    func matchesMobyName(_ name: String) -> Bool {
        name == mobyName || (self == .mipsel64n32 && name == "mipsel64n32")
    }
}

