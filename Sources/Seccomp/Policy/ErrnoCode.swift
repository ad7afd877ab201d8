import CBPF
import SystemPackage

/// An errno value for `SeccompAction.errno(_:)`, named as in C: `.EPERM`, `.ENOSYS`.
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
    /// The error's number.
    public var rawValue: UInt16

    /// The error with this number.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// The error with this number, written as an integer literal: `Fail(13, .open)`.
    public init(integerLiteral value: UInt16) {
        rawValue = value
    }

    /// The same error as swift-system's `Errno`.
    public init(_ errno: Errno) {
        rawValue = UInt16(truncatingIfNeeded: errno.rawValue)
    }

    /// Looks up a C name (`EPERM`, case-insensitive, aliases like `EWOULDBLOCK` included).
    public init?(name: String) {
        guard let value = LinuxErrno.value(named: name) else { return nil }
        rawValue = value
    }

    /// The C name (`EPERM`), or `nil` for a number without one.
    public var name: String? {
        LinuxErrno.name(of: rawValue)
    }

    /// The C name, or the number.
    public var description: String { name ?? String(rawValue) }

    /// `EPERM` (1): Operation not permitted.
    public static let EPERM = ErrnoCode(rawValue: 1)
    /// `ENOENT` (2): No such file or directory.
    public static let ENOENT = ErrnoCode(rawValue: 2)
    /// `ESRCH` (3): No such process.
    public static let ESRCH = ErrnoCode(rawValue: 3)
    /// `EINTR` (4): Interrupted system call.
    public static let EINTR = ErrnoCode(rawValue: 4)
    /// `EIO` (5): Input/output error.
    public static let EIO = ErrnoCode(rawValue: 5)
    /// `ENXIO` (6): No such device or address.
    public static let ENXIO = ErrnoCode(rawValue: 6)
    /// `E2BIG` (7): Argument list too long.
    public static let E2BIG = ErrnoCode(rawValue: 7)
    /// `ENOEXEC` (8): Exec format error.
    public static let ENOEXEC = ErrnoCode(rawValue: 8)
    /// `EBADF` (9): Bad file descriptor.
    public static let EBADF = ErrnoCode(rawValue: 9)
    /// `ECHILD` (10): No child processes.
    public static let ECHILD = ErrnoCode(rawValue: 10)
    /// `EAGAIN` (11): Resource temporarily unavailable.
    public static let EAGAIN = ErrnoCode(rawValue: 11)
    /// `ENOMEM` (12): Cannot allocate memory.
    public static let ENOMEM = ErrnoCode(rawValue: 12)
    /// `EACCES` (13): Permission denied.
    public static let EACCES = ErrnoCode(rawValue: 13)
    /// `EFAULT` (14): Bad address.
    public static let EFAULT = ErrnoCode(rawValue: 14)
    /// `ENOTBLK` (15): Block device required.
    public static let ENOTBLK = ErrnoCode(rawValue: 15)
    /// `EBUSY` (16): Device or resource busy.
    public static let EBUSY = ErrnoCode(rawValue: 16)
    /// `EEXIST` (17): File exists.
    public static let EEXIST = ErrnoCode(rawValue: 17)
    /// `EXDEV` (18): Invalid cross-device link.
    public static let EXDEV = ErrnoCode(rawValue: 18)
    /// `ENODEV` (19): No such device.
    public static let ENODEV = ErrnoCode(rawValue: 19)
    /// `ENOTDIR` (20): Not a directory.
    public static let ENOTDIR = ErrnoCode(rawValue: 20)
    /// `EISDIR` (21): Is a directory.
    public static let EISDIR = ErrnoCode(rawValue: 21)
    /// `EINVAL` (22): Invalid argument.
    public static let EINVAL = ErrnoCode(rawValue: 22)
    /// `ENFILE` (23): Too many open files in system.
    public static let ENFILE = ErrnoCode(rawValue: 23)
    /// `EMFILE` (24): Too many open files.
    public static let EMFILE = ErrnoCode(rawValue: 24)
    /// `ENOTTY` (25): Inappropriate ioctl for device.
    public static let ENOTTY = ErrnoCode(rawValue: 25)
    /// `ETXTBSY` (26): Text file busy.
    public static let ETXTBSY = ErrnoCode(rawValue: 26)
    /// `EFBIG` (27): File too large.
    public static let EFBIG = ErrnoCode(rawValue: 27)
    /// `ENOSPC` (28): No space left on device.
    public static let ENOSPC = ErrnoCode(rawValue: 28)
    /// `ESPIPE` (29): Illegal seek.
    public static let ESPIPE = ErrnoCode(rawValue: 29)
    /// `EROFS` (30): Read-only file system.
    public static let EROFS = ErrnoCode(rawValue: 30)
    /// `EMLINK` (31): Too many links.
    public static let EMLINK = ErrnoCode(rawValue: 31)
    /// `EPIPE` (32): Broken pipe.
    public static let EPIPE = ErrnoCode(rawValue: 32)
    /// `EDOM` (33): Numerical argument out of domain.
    public static let EDOM = ErrnoCode(rawValue: 33)
    /// `ERANGE` (34): Numerical result out of range.
    public static let ERANGE = ErrnoCode(rawValue: 34)
    /// `EDEADLK` (35): Resource deadlock avoided.
    public static let EDEADLK = ErrnoCode(rawValue: 35)
    /// `ENAMETOOLONG` (36): File name too long.
    public static let ENAMETOOLONG = ErrnoCode(rawValue: 36)
    /// `ENOLCK` (37): No locks available.
    public static let ENOLCK = ErrnoCode(rawValue: 37)
    /// `ENOSYS` (38): Function not implemented.
    public static let ENOSYS = ErrnoCode(rawValue: 38)
    /// `ENOTEMPTY` (39): Directory not empty.
    public static let ENOTEMPTY = ErrnoCode(rawValue: 39)
    /// `ELOOP` (40): Too many levels of symbolic links.
    public static let ELOOP = ErrnoCode(rawValue: 40)
    /// `ENOMSG` (42): No message of desired type.
    public static let ENOMSG = ErrnoCode(rawValue: 42)
    /// `EIDRM` (43): Identifier removed.
    public static let EIDRM = ErrnoCode(rawValue: 43)
    /// `ECHRNG` (44): Channel number out of range.
    public static let ECHRNG = ErrnoCode(rawValue: 44)
    /// `EL2NSYNC` (45): Level 2 not synchronized.
    public static let EL2NSYNC = ErrnoCode(rawValue: 45)
    /// `EL3HLT` (46): Level 3 halted.
    public static let EL3HLT = ErrnoCode(rawValue: 46)
    /// `EL3RST` (47): Level 3 reset.
    public static let EL3RST = ErrnoCode(rawValue: 47)
    /// `ELNRNG` (48): Link number out of range.
    public static let ELNRNG = ErrnoCode(rawValue: 48)
    /// `EUNATCH` (49): Protocol driver not attached.
    public static let EUNATCH = ErrnoCode(rawValue: 49)
    /// `ENOCSI` (50): No CSI structure available.
    public static let ENOCSI = ErrnoCode(rawValue: 50)
    /// `EL2HLT` (51): Level 2 halted.
    public static let EL2HLT = ErrnoCode(rawValue: 51)
    /// `EBADE` (52): Invalid exchange.
    public static let EBADE = ErrnoCode(rawValue: 52)
    /// `EBADR` (53): Invalid request descriptor.
    public static let EBADR = ErrnoCode(rawValue: 53)
    /// `EXFULL` (54): Exchange full.
    public static let EXFULL = ErrnoCode(rawValue: 54)
    /// `ENOANO` (55): No anode.
    public static let ENOANO = ErrnoCode(rawValue: 55)
    /// `EBADRQC` (56): Invalid request code.
    public static let EBADRQC = ErrnoCode(rawValue: 56)
    /// `EBADSLT` (57): Invalid slot.
    public static let EBADSLT = ErrnoCode(rawValue: 57)
    /// `EBFONT` (59): Bad font file format.
    public static let EBFONT = ErrnoCode(rawValue: 59)
    /// `ENOSTR` (60): Device not a stream.
    public static let ENOSTR = ErrnoCode(rawValue: 60)
    /// `ENODATA` (61): No data available.
    public static let ENODATA = ErrnoCode(rawValue: 61)
    /// `ETIME` (62): Timer expired.
    public static let ETIME = ErrnoCode(rawValue: 62)
    /// `ENOSR` (63): Out of streams resources.
    public static let ENOSR = ErrnoCode(rawValue: 63)
    /// `ENONET` (64): Machine is not on the network.
    public static let ENONET = ErrnoCode(rawValue: 64)
    /// `ENOPKG` (65): Package not installed.
    public static let ENOPKG = ErrnoCode(rawValue: 65)
    /// `EREMOTE` (66): Object is remote.
    public static let EREMOTE = ErrnoCode(rawValue: 66)
    /// `ENOLINK` (67): Link has been severed.
    public static let ENOLINK = ErrnoCode(rawValue: 67)
    /// `EADV` (68): Advertise error.
    public static let EADV = ErrnoCode(rawValue: 68)
    /// `ESRMNT` (69): Srmount error.
    public static let ESRMNT = ErrnoCode(rawValue: 69)
    /// `ECOMM` (70): Communication error on send.
    public static let ECOMM = ErrnoCode(rawValue: 70)
    /// `EPROTO` (71): Protocol error.
    public static let EPROTO = ErrnoCode(rawValue: 71)
    /// `EMULTIHOP` (72): Multihop attempted.
    public static let EMULTIHOP = ErrnoCode(rawValue: 72)
    /// `EDOTDOT` (73): RFS specific error.
    public static let EDOTDOT = ErrnoCode(rawValue: 73)
    /// `EBADMSG` (74): Bad message.
    public static let EBADMSG = ErrnoCode(rawValue: 74)
    /// `EOVERFLOW` (75): Value too large for defined data type.
    public static let EOVERFLOW = ErrnoCode(rawValue: 75)
    /// `ENOTUNIQ` (76): Name not unique on network.
    public static let ENOTUNIQ = ErrnoCode(rawValue: 76)
    /// `EBADFD` (77): File descriptor in bad state.
    public static let EBADFD = ErrnoCode(rawValue: 77)
    /// `EREMCHG` (78): Remote address changed.
    public static let EREMCHG = ErrnoCode(rawValue: 78)
    /// `ELIBACC` (79): Can not access a needed shared library.
    public static let ELIBACC = ErrnoCode(rawValue: 79)
    /// `ELIBBAD` (80): Accessing a corrupted shared library.
    public static let ELIBBAD = ErrnoCode(rawValue: 80)
    /// `ELIBSCN` (81): .lib section in a.out corrupted.
    public static let ELIBSCN = ErrnoCode(rawValue: 81)
    /// `ELIBMAX` (82): Attempting to link in too many shared libraries.
    public static let ELIBMAX = ErrnoCode(rawValue: 82)
    /// `ELIBEXEC` (83): Cannot exec a shared library directly.
    public static let ELIBEXEC = ErrnoCode(rawValue: 83)
    /// `EILSEQ` (84): Invalid or incomplete multibyte or wide character.
    public static let EILSEQ = ErrnoCode(rawValue: 84)
    /// `ERESTART` (85): Interrupted system call should be restarted.
    public static let ERESTART = ErrnoCode(rawValue: 85)
    /// `ESTRPIPE` (86): Streams pipe error.
    public static let ESTRPIPE = ErrnoCode(rawValue: 86)
    /// `EUSERS` (87): Too many users.
    public static let EUSERS = ErrnoCode(rawValue: 87)
    /// `ENOTSOCK` (88): Socket operation on non-socket.
    public static let ENOTSOCK = ErrnoCode(rawValue: 88)
    /// `EDESTADDRREQ` (89): Destination address required.
    public static let EDESTADDRREQ = ErrnoCode(rawValue: 89)
    /// `EMSGSIZE` (90): Message too long.
    public static let EMSGSIZE = ErrnoCode(rawValue: 90)
    /// `EPROTOTYPE` (91): Protocol wrong type for socket.
    public static let EPROTOTYPE = ErrnoCode(rawValue: 91)
    /// `ENOPROTOOPT` (92): Protocol not available.
    public static let ENOPROTOOPT = ErrnoCode(rawValue: 92)
    /// `EPROTONOSUPPORT` (93): Protocol not supported.
    public static let EPROTONOSUPPORT = ErrnoCode(rawValue: 93)
    /// `ESOCKTNOSUPPORT` (94): Socket type not supported.
    public static let ESOCKTNOSUPPORT = ErrnoCode(rawValue: 94)
    /// `EOPNOTSUPP` (95): Operation not supported.
    public static let EOPNOTSUPP = ErrnoCode(rawValue: 95)
    /// `EPFNOSUPPORT` (96): Protocol family not supported.
    public static let EPFNOSUPPORT = ErrnoCode(rawValue: 96)
    /// `EAFNOSUPPORT` (97): Address family not supported by protocol.
    public static let EAFNOSUPPORT = ErrnoCode(rawValue: 97)
    /// `EADDRINUSE` (98): Address already in use.
    public static let EADDRINUSE = ErrnoCode(rawValue: 98)
    /// `EADDRNOTAVAIL` (99): Cannot assign requested address.
    public static let EADDRNOTAVAIL = ErrnoCode(rawValue: 99)
    /// `ENETDOWN` (100): Network is down.
    public static let ENETDOWN = ErrnoCode(rawValue: 100)
    /// `ENETUNREACH` (101): Network is unreachable.
    public static let ENETUNREACH = ErrnoCode(rawValue: 101)
    /// `ENETRESET` (102): Network dropped connection on reset.
    public static let ENETRESET = ErrnoCode(rawValue: 102)
    /// `ECONNABORTED` (103): Software caused connection abort.
    public static let ECONNABORTED = ErrnoCode(rawValue: 103)
    /// `ECONNRESET` (104): Connection reset by peer.
    public static let ECONNRESET = ErrnoCode(rawValue: 104)
    /// `ENOBUFS` (105): No buffer space available.
    public static let ENOBUFS = ErrnoCode(rawValue: 105)
    /// `EISCONN` (106): Transport endpoint is already connected.
    public static let EISCONN = ErrnoCode(rawValue: 106)
    /// `ENOTCONN` (107): Transport endpoint is not connected.
    public static let ENOTCONN = ErrnoCode(rawValue: 107)
    /// `ESHUTDOWN` (108): Cannot send after transport endpoint shutdown.
    public static let ESHUTDOWN = ErrnoCode(rawValue: 108)
    /// `ETOOMANYREFS` (109): Too many references: cannot splice.
    public static let ETOOMANYREFS = ErrnoCode(rawValue: 109)
    /// `ETIMEDOUT` (110): Connection timed out.
    public static let ETIMEDOUT = ErrnoCode(rawValue: 110)
    /// `ECONNREFUSED` (111): Connection refused.
    public static let ECONNREFUSED = ErrnoCode(rawValue: 111)
    /// `EHOSTDOWN` (112): Host is down.
    public static let EHOSTDOWN = ErrnoCode(rawValue: 112)
    /// `EHOSTUNREACH` (113): No route to host.
    public static let EHOSTUNREACH = ErrnoCode(rawValue: 113)
    /// `EALREADY` (114): Operation already in progress.
    public static let EALREADY = ErrnoCode(rawValue: 114)
    /// `EINPROGRESS` (115): Operation now in progress.
    public static let EINPROGRESS = ErrnoCode(rawValue: 115)
    /// `ESTALE` (116): Stale file handle.
    public static let ESTALE = ErrnoCode(rawValue: 116)
    /// `EUCLEAN` (117): Structure needs cleaning.
    public static let EUCLEAN = ErrnoCode(rawValue: 117)
    /// `ENOTNAM` (118): Not a XENIX named type file.
    public static let ENOTNAM = ErrnoCode(rawValue: 118)
    /// `ENAVAIL` (119): No XENIX semaphores available.
    public static let ENAVAIL = ErrnoCode(rawValue: 119)
    /// `EISNAM` (120): Is a named type file.
    public static let EISNAM = ErrnoCode(rawValue: 120)
    /// `EREMOTEIO` (121): Remote I/O error.
    public static let EREMOTEIO = ErrnoCode(rawValue: 121)
    /// `EDQUOT` (122): Disk quota exceeded.
    public static let EDQUOT = ErrnoCode(rawValue: 122)
    /// `ENOMEDIUM` (123): No medium found.
    public static let ENOMEDIUM = ErrnoCode(rawValue: 123)
    /// `EMEDIUMTYPE` (124): Wrong medium type.
    public static let EMEDIUMTYPE = ErrnoCode(rawValue: 124)
    /// `ECANCELED` (125): Operation canceled.
    public static let ECANCELED = ErrnoCode(rawValue: 125)
    /// `ENOKEY` (126): Required key not available.
    public static let ENOKEY = ErrnoCode(rawValue: 126)
    /// `EKEYEXPIRED` (127): Key has expired.
    public static let EKEYEXPIRED = ErrnoCode(rawValue: 127)
    /// `EKEYREVOKED` (128): Key has been revoked.
    public static let EKEYREVOKED = ErrnoCode(rawValue: 128)
    /// `EKEYREJECTED` (129): Key was rejected by service.
    public static let EKEYREJECTED = ErrnoCode(rawValue: 129)
    /// `EOWNERDEAD` (130): Owner died.
    public static let EOWNERDEAD = ErrnoCode(rawValue: 130)
    /// `ENOTRECOVERABLE` (131): State not recoverable.
    public static let ENOTRECOVERABLE = ErrnoCode(rawValue: 131)
    /// `ERFKILL` (132): Operation not possible due to RF-kill.
    public static let ERFKILL = ErrnoCode(rawValue: 132)
    /// `EHWPOISON` (133): Memory page has hardware error.
    public static let EHWPOISON = ErrnoCode(rawValue: 133)
    /// Another name for ``EAGAIN``.
    public static let EWOULDBLOCK = ErrnoCode.EAGAIN
    /// Another name for ``EDEADLK``.
    public static let EDEADLOCK = ErrnoCode.EDEADLK
    /// Another name for ``EOPNOTSUPP``.
    public static let ENOTSUP = ErrnoCode.EOPNOTSUPP
}
