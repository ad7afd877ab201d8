import CBPF

extension SeccompArchitecture {
    /// The architectures of a comma-separated list such as `x86_64,x86,x32` (names as
    /// ``init(name:)`` reads them), in order.
    ///
    /// - Throws: for an empty list, an unknown name (with the known ones), a name given twice,
    ///   or an architecture the installed libseccomp does not support.
    public static func list(parsing list: String) throws(ArchitectureListError) -> [SeccompArchitecture] {
        let names = list.split(separator: ",").map(\.trimmedOfBlanks).filter { !$0.isEmpty }
        guard !names.isEmpty else { throw .empty }
        var architectures = [SeccompArchitecture]()
        for name in names {
            guard let architecture = SeccompArchitecture(name: name) else { throw .unknown(name) }
            guard !architectures.contains(architecture) else { throw .repeated(architecture, list: list) }
            guard architecture.isSupportedByLibseccomp else { throw .unsupported(architecture) }
            architectures.append(architecture)
        }
        return architectures
    }
}

/// Why a list of architectures cannot be read.
public enum ArchitectureListError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The list names no architecture.
    case empty
    /// A name libseccomp does not know.
    case unknown(String)
    /// An architecture named twice.
    case repeated(SeccompArchitecture, list: String)
    /// An architecture the installed libseccomp cannot resolve names for.
    case unsupported(SeccompArchitecture)

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        switch self {
        case .empty:
            "no architecture named: give one or more names, such as x86_64,x86,x32"
        case .unknown(let name):
            "unknown architecture \(quotedExcerpt(name)): expected one of "
                + (["native"] + SeccompArchitecture.all.map(\.name)).joined(separator: ", ") + " (or amd64, arm64, i386)"
        case .repeated(let architecture, let list):
            "\(architecture.name) is named twice (\(quotedExcerpt(list)))"
        case .unsupported(let architecture):
            "the installed libseccomp \(LibseccompVersion.current) does not support \(architecture)"
        }
    }
}
