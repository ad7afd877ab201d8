import SystemPackage

/// An errno value for ``SeccompAction/errno(_:)``, named as in C: `.EPERM`, `.ENOSYS`.
///
/// Names and numbers are Linux's generic ones (`asm-generic/errno.h`), which x86, arm, aarch64,
/// riscv, s390, ppc (except `EDEADLOCK`) and loongarch use. MIPS and PA-RISC number many errors
/// differently; the number is what a filter returns, so write it for the architecture the
/// policy is for (``SeccompArchitecture/enosys`` gives `ENOSYS` for each).
///
/// The static members keep the C spelling, which swift-system's `Errno` marks unavailable in
/// favour of descriptive names; `ErrnoCode(Errno.notPermitted)` converts from it.
public struct ErrnoCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: UInt16) {
        rawValue = value
    }

    /// The same error as swift-system's `Errno`.
    public init(_ errno: Errno) {
        rawValue = UInt16(truncatingIfNeeded: errno.rawValue)
    }

    /// Looks up a C name (`EPERM`, case-insensitive, aliases like `EWOULDBLOCK` included).
    public init?(name: String) {
        let upper = name.uppercased()
        if let match = Self.names.first(where: { $0.name == upper }) ?? Self.aliases.first(where: { $0.name == upper }) {
            rawValue = match.value
        } else {
            return nil
        }
    }

    /// The C name (`EPERM`), or `nil` for a number without one.
    public var name: String? {
        Self.names.first(where: { $0.value == rawValue })?.name
    }

    /// The C name, or the number.
    public var description: String { name ?? String(rawValue) }

    public static let EPERM = ErrnoCode(rawValue: 1)
    public static let ENOENT = ErrnoCode(rawValue: 2)
    public static let ESRCH = ErrnoCode(rawValue: 3)
    public static let EINTR = ErrnoCode(rawValue: 4)
    public static let EIO = ErrnoCode(rawValue: 5)
    public static let ENXIO = ErrnoCode(rawValue: 6)
    public static let E2BIG = ErrnoCode(rawValue: 7)
    public static let ENOEXEC = ErrnoCode(rawValue: 8)
    public static let EBADF = ErrnoCode(rawValue: 9)
    public static let ECHILD = ErrnoCode(rawValue: 10)
    public static let EAGAIN = ErrnoCode(rawValue: 11)
    public static let ENOMEM = ErrnoCode(rawValue: 12)
    public static let EACCES = ErrnoCode(rawValue: 13)
    public static let EFAULT = ErrnoCode(rawValue: 14)
    public static let ENOTBLK = ErrnoCode(rawValue: 15)
    public static let EBUSY = ErrnoCode(rawValue: 16)
    public static let EEXIST = ErrnoCode(rawValue: 17)
    public static let EXDEV = ErrnoCode(rawValue: 18)
    public static let ENODEV = ErrnoCode(rawValue: 19)
    public static let ENOTDIR = ErrnoCode(rawValue: 20)
    public static let EISDIR = ErrnoCode(rawValue: 21)
    public static let EINVAL = ErrnoCode(rawValue: 22)
    public static let ENFILE = ErrnoCode(rawValue: 23)
    public static let EMFILE = ErrnoCode(rawValue: 24)
    public static let ENOTTY = ErrnoCode(rawValue: 25)
    public static let ETXTBSY = ErrnoCode(rawValue: 26)
    public static let EFBIG = ErrnoCode(rawValue: 27)
    public static let ENOSPC = ErrnoCode(rawValue: 28)
    public static let ESPIPE = ErrnoCode(rawValue: 29)
    public static let EROFS = ErrnoCode(rawValue: 30)
    public static let EMLINK = ErrnoCode(rawValue: 31)
    public static let EPIPE = ErrnoCode(rawValue: 32)
    public static let EDOM = ErrnoCode(rawValue: 33)
    public static let ERANGE = ErrnoCode(rawValue: 34)
    public static let EDEADLK = ErrnoCode(rawValue: 35)
    public static let ENAMETOOLONG = ErrnoCode(rawValue: 36)
    public static let ENOLCK = ErrnoCode(rawValue: 37)
    public static let ENOSYS = ErrnoCode(rawValue: 38)
    public static let ENOTEMPTY = ErrnoCode(rawValue: 39)
    public static let ELOOP = ErrnoCode(rawValue: 40)
    public static let ENOMSG = ErrnoCode(rawValue: 42)
    public static let EIDRM = ErrnoCode(rawValue: 43)
    public static let ECHRNG = ErrnoCode(rawValue: 44)
    public static let EL2NSYNC = ErrnoCode(rawValue: 45)
    public static let EL3HLT = ErrnoCode(rawValue: 46)
    public static let EL3RST = ErrnoCode(rawValue: 47)
    public static let ELNRNG = ErrnoCode(rawValue: 48)
    public static let EUNATCH = ErrnoCode(rawValue: 49)
    public static let ENOCSI = ErrnoCode(rawValue: 50)
    public static let EL2HLT = ErrnoCode(rawValue: 51)
    public static let EBADE = ErrnoCode(rawValue: 52)
    public static let EBADR = ErrnoCode(rawValue: 53)
    public static let EXFULL = ErrnoCode(rawValue: 54)
    public static let ENOANO = ErrnoCode(rawValue: 55)
    public static let EBADRQC = ErrnoCode(rawValue: 56)
    public static let EBADSLT = ErrnoCode(rawValue: 57)
    public static let EBFONT = ErrnoCode(rawValue: 59)
    public static let ENOSTR = ErrnoCode(rawValue: 60)
    public static let ENODATA = ErrnoCode(rawValue: 61)
    public static let ETIME = ErrnoCode(rawValue: 62)
    public static let ENOSR = ErrnoCode(rawValue: 63)
    public static let ENONET = ErrnoCode(rawValue: 64)
    public static let ENOPKG = ErrnoCode(rawValue: 65)
    public static let EREMOTE = ErrnoCode(rawValue: 66)
    public static let ENOLINK = ErrnoCode(rawValue: 67)
    public static let EADV = ErrnoCode(rawValue: 68)
    public static let ESRMNT = ErrnoCode(rawValue: 69)
    public static let ECOMM = ErrnoCode(rawValue: 70)
    public static let EPROTO = ErrnoCode(rawValue: 71)
    public static let EMULTIHOP = ErrnoCode(rawValue: 72)
    public static let EDOTDOT = ErrnoCode(rawValue: 73)
    public static let EBADMSG = ErrnoCode(rawValue: 74)
    public static let EOVERFLOW = ErrnoCode(rawValue: 75)
    public static let ENOTUNIQ = ErrnoCode(rawValue: 76)
    public static let EBADFD = ErrnoCode(rawValue: 77)
    public static let EREMCHG = ErrnoCode(rawValue: 78)
    public static let ELIBACC = ErrnoCode(rawValue: 79)
    public static let ELIBBAD = ErrnoCode(rawValue: 80)
    public static let ELIBSCN = ErrnoCode(rawValue: 81)
    public static let ELIBMAX = ErrnoCode(rawValue: 82)
    public static let ELIBEXEC = ErrnoCode(rawValue: 83)
    public static let EILSEQ = ErrnoCode(rawValue: 84)
    public static let ERESTART = ErrnoCode(rawValue: 85)
    public static let ESTRPIPE = ErrnoCode(rawValue: 86)
    public static let EUSERS = ErrnoCode(rawValue: 87)
    public static let ENOTSOCK = ErrnoCode(rawValue: 88)
    public static let EDESTADDRREQ = ErrnoCode(rawValue: 89)
    public static let EMSGSIZE = ErrnoCode(rawValue: 90)
    public static let EPROTOTYPE = ErrnoCode(rawValue: 91)
    public static let ENOPROTOOPT = ErrnoCode(rawValue: 92)
    public static let EPROTONOSUPPORT = ErrnoCode(rawValue: 93)
    public static let ESOCKTNOSUPPORT = ErrnoCode(rawValue: 94)
    public static let EOPNOTSUPP = ErrnoCode(rawValue: 95)
    public static let EPFNOSUPPORT = ErrnoCode(rawValue: 96)
    public static let EAFNOSUPPORT = ErrnoCode(rawValue: 97)
    public static let EADDRINUSE = ErrnoCode(rawValue: 98)
    public static let EADDRNOTAVAIL = ErrnoCode(rawValue: 99)
    public static let ENETDOWN = ErrnoCode(rawValue: 100)
    public static let ENETUNREACH = ErrnoCode(rawValue: 101)
    public static let ENETRESET = ErrnoCode(rawValue: 102)
    public static let ECONNABORTED = ErrnoCode(rawValue: 103)
    public static let ECONNRESET = ErrnoCode(rawValue: 104)
    public static let ENOBUFS = ErrnoCode(rawValue: 105)
    public static let EISCONN = ErrnoCode(rawValue: 106)
    public static let ENOTCONN = ErrnoCode(rawValue: 107)
    public static let ESHUTDOWN = ErrnoCode(rawValue: 108)
    public static let ETOOMANYREFS = ErrnoCode(rawValue: 109)
    public static let ETIMEDOUT = ErrnoCode(rawValue: 110)
    public static let ECONNREFUSED = ErrnoCode(rawValue: 111)
    public static let EHOSTDOWN = ErrnoCode(rawValue: 112)
    public static let EHOSTUNREACH = ErrnoCode(rawValue: 113)
    public static let EALREADY = ErrnoCode(rawValue: 114)
    public static let EINPROGRESS = ErrnoCode(rawValue: 115)
    public static let ESTALE = ErrnoCode(rawValue: 116)
    public static let EUCLEAN = ErrnoCode(rawValue: 117)
    public static let ENOTNAM = ErrnoCode(rawValue: 118)
    public static let ENAVAIL = ErrnoCode(rawValue: 119)
    public static let EISNAM = ErrnoCode(rawValue: 120)
    public static let EREMOTEIO = ErrnoCode(rawValue: 121)
    public static let EDQUOT = ErrnoCode(rawValue: 122)
    public static let ENOMEDIUM = ErrnoCode(rawValue: 123)
    public static let EMEDIUMTYPE = ErrnoCode(rawValue: 124)
    public static let ECANCELED = ErrnoCode(rawValue: 125)
    public static let ENOKEY = ErrnoCode(rawValue: 126)
    public static let EKEYEXPIRED = ErrnoCode(rawValue: 127)
    public static let EKEYREVOKED = ErrnoCode(rawValue: 128)
    public static let EKEYREJECTED = ErrnoCode(rawValue: 129)
    public static let EOWNERDEAD = ErrnoCode(rawValue: 130)
    public static let ENOTRECOVERABLE = ErrnoCode(rawValue: 131)
    public static let ERFKILL = ErrnoCode(rawValue: 132)
    public static let EHWPOISON = ErrnoCode(rawValue: 133)
    /// Another name for ``EAGAIN``.
    public static let EWOULDBLOCK = ErrnoCode.EAGAIN
    /// Another name for ``EDEADLK``.
    public static let EDEADLOCK = ErrnoCode.EDEADLK
    /// Another name for ``EOPNOTSUPP``.
    public static let ENOTSUP = ErrnoCode.EOPNOTSUPP

    static let names: [(name: String, value: UInt16)] = [
        ("EPERM", 1),
        ("ENOENT", 2),
        ("ESRCH", 3),
        ("EINTR", 4),
        ("EIO", 5),
        ("ENXIO", 6),
        ("E2BIG", 7),
        ("ENOEXEC", 8),
        ("EBADF", 9),
        ("ECHILD", 10),
        ("EAGAIN", 11),
        ("ENOMEM", 12),
        ("EACCES", 13),
        ("EFAULT", 14),
        ("ENOTBLK", 15),
        ("EBUSY", 16),
        ("EEXIST", 17),
        ("EXDEV", 18),
        ("ENODEV", 19),
        ("ENOTDIR", 20),
        ("EISDIR", 21),
        ("EINVAL", 22),
        ("ENFILE", 23),
        ("EMFILE", 24),
        ("ENOTTY", 25),
        ("ETXTBSY", 26),
        ("EFBIG", 27),
        ("ENOSPC", 28),
        ("ESPIPE", 29),
        ("EROFS", 30),
        ("EMLINK", 31),
        ("EPIPE", 32),
        ("EDOM", 33),
        ("ERANGE", 34),
        ("EDEADLK", 35),
        ("ENAMETOOLONG", 36),
        ("ENOLCK", 37),
        ("ENOSYS", 38),
        ("ENOTEMPTY", 39),
        ("ELOOP", 40),
        ("ENOMSG", 42),
        ("EIDRM", 43),
        ("ECHRNG", 44),
        ("EL2NSYNC", 45),
        ("EL3HLT", 46),
        ("EL3RST", 47),
        ("ELNRNG", 48),
        ("EUNATCH", 49),
        ("ENOCSI", 50),
        ("EL2HLT", 51),
        ("EBADE", 52),
        ("EBADR", 53),
        ("EXFULL", 54),
        ("ENOANO", 55),
        ("EBADRQC", 56),
        ("EBADSLT", 57),
        ("EBFONT", 59),
        ("ENOSTR", 60),
        ("ENODATA", 61),
        ("ETIME", 62),
        ("ENOSR", 63),
        ("ENONET", 64),
        ("ENOPKG", 65),
        ("EREMOTE", 66),
        ("ENOLINK", 67),
        ("EADV", 68),
        ("ESRMNT", 69),
        ("ECOMM", 70),
        ("EPROTO", 71),
        ("EMULTIHOP", 72),
        ("EDOTDOT", 73),
        ("EBADMSG", 74),
        ("EOVERFLOW", 75),
        ("ENOTUNIQ", 76),
        ("EBADFD", 77),
        ("EREMCHG", 78),
        ("ELIBACC", 79),
        ("ELIBBAD", 80),
        ("ELIBSCN", 81),
        ("ELIBMAX", 82),
        ("ELIBEXEC", 83),
        ("EILSEQ", 84),
        ("ERESTART", 85),
        ("ESTRPIPE", 86),
        ("EUSERS", 87),
        ("ENOTSOCK", 88),
        ("EDESTADDRREQ", 89),
        ("EMSGSIZE", 90),
        ("EPROTOTYPE", 91),
        ("ENOPROTOOPT", 92),
        ("EPROTONOSUPPORT", 93),
        ("ESOCKTNOSUPPORT", 94),
        ("EOPNOTSUPP", 95),
        ("EPFNOSUPPORT", 96),
        ("EAFNOSUPPORT", 97),
        ("EADDRINUSE", 98),
        ("EADDRNOTAVAIL", 99),
        ("ENETDOWN", 100),
        ("ENETUNREACH", 101),
        ("ENETRESET", 102),
        ("ECONNABORTED", 103),
        ("ECONNRESET", 104),
        ("ENOBUFS", 105),
        ("EISCONN", 106),
        ("ENOTCONN", 107),
        ("ESHUTDOWN", 108),
        ("ETOOMANYREFS", 109),
        ("ETIMEDOUT", 110),
        ("ECONNREFUSED", 111),
        ("EHOSTDOWN", 112),
        ("EHOSTUNREACH", 113),
        ("EALREADY", 114),
        ("EINPROGRESS", 115),
        ("ESTALE", 116),
        ("EUCLEAN", 117),
        ("ENOTNAM", 118),
        ("ENAVAIL", 119),
        ("EISNAM", 120),
        ("EREMOTEIO", 121),
        ("EDQUOT", 122),
        ("ENOMEDIUM", 123),
        ("EMEDIUMTYPE", 124),
        ("ECANCELED", 125),
        ("ENOKEY", 126),
        ("EKEYEXPIRED", 127),
        ("EKEYREVOKED", 128),
        ("EKEYREJECTED", 129),
        ("EOWNERDEAD", 130),
        ("ENOTRECOVERABLE", 131),
        ("ERFKILL", 132),
        ("EHWPOISON", 133),
    ]

    static let aliases: [(name: String, value: UInt16)] = [("EWOULDBLOCK", 11), ("EDEADLOCK", 35), ("ENOTSUP", 95)]
}
