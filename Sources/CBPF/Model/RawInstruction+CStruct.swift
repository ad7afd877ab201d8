import CLinuxShims

extension RawInstruction {
    /// Creates an instruction from the C `struct sock_filter`.
    public init(_ filter: sock_filter) {
        self.init(code: filter.code, jt: filter.jt, jf: filter.jf, k: filter.k)
    }

    /// The instruction as the C `struct sock_filter`.
    public var sockFilter: sock_filter {
        sock_filter(code: code, jt: jt, jf: jf, k: k)
    }
}
