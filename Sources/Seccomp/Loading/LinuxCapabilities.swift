import CBPF

/// The Linux capabilities by name, as Docker/OCI profiles write them (`CAP_SYS_ADMIN`), and the
/// lists a tool's `--caps` option takes.
public enum LinuxCapabilities {
    /// `CAP_CHOWN` (0) to `CAP_CHECKPOINT_RESTORE` (40), in bit order (`linux/capability.h`).
    public static let all = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The set a list names: `docker-default` (Docker's default set), `all`, `none` (or empty),
    /// or names such as `CAP_SYS_ADMIN,NET_ADMIN` in any case, the `CAP_` prefix optional.
    ///
    /// - Throws: a message naming each unknown name, with the close one when there is one.
    public static func parse(_ list: String) throws(LinuxCapabilityError) -> Set<String> {
        switch list.lowercased().trimmedOfBlanks {
        case "docker-default": return OCIProfileImportOptions.dockerDefaultCapabilities
        case "none", "": return []
        case "all": return Set(all)
        default: break
        }
        var names = Set<String>()
        var unknown = [String]()
        for item in list.split(separator: ",") {
            let word = item.trimmedOfBlanks
            guard !word.isEmpty else { continue }
            let upper = word.uppercased()
            let name = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
            if all.contains(name) {
                names.insert(name)
            } else {
                let guess = closest(to: name).map { " (did you mean \($0)?)" } ?? ""
                unknown.append("\(quotedExcerpt(word))\(guess)")
            }
        }
        guard unknown.isEmpty else { throw LinuxCapabilityError(unknown: unknown) }
        return names
    }

    /// The capability within two edits of `name`, if exactly one is.
    static func closest(to name: String) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var previous = Array(0 ... b.count)
            for (i, x) in a.enumerated() {
                var current = [i + 1]
                for (j, y) in b.enumerated() {
                    current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
                }
                previous = current
            }
            return previous[b.count]
        }
        let close = all.filter { distance(Array($0), Array(name)) <= 2 }
        return close.count == 1 ? close[0] : nil
    }
}

/// Names in a capability list that are not Linux capabilities.
public struct LinuxCapabilityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Each unknown name, quoted, with a guess where there is one.
    public var unknown: [String]

    /// The text form, as messages and the `cbpf` tool print it.
    public var description: String {
        "unknown capabilit\(unknown.count == 1 ? "y" : "ies") \(unknown.joined(separator: ", ")): "
            + "expected docker-default, all, none, or Linux capability names (capabilities(7)): "
            + LinuxCapabilities.all.joined(separator: ", ")
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmedOfBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
