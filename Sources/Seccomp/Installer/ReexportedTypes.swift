// The system-call types Seccomp's API takes, returns and throws, so that `import Seccomp` is
// enough to name them.
@_exported import struct SystemCalls.OwnedFileDescriptor
@_exported import struct SystemCalls.SystemCallError
@_exported import struct SystemPackage.Errno
@_exported import struct SystemPackage.FileDescriptor
