import CBPF

/// `EINVAL (22)` and the like, for the oracles' messages; `errno (N)` for a number without a name.
func errorName(_ code: Int32) -> String {
    // ENOTSUPP (524) is the kernel's own, outside the errno names user space has.
    let name = code == 524 ? "ENOTSUPP" : UInt16(exactly: code).flatMap(LinuxErrno.name(of:))
    return "\(name ?? "errno") (\(code))"
}
