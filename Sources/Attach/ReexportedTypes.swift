// The types Attach's API takes and throws, so that `import Attach` is enough to name them.
@_exported import struct CBPF.Program
@_exported import struct CBPF.RawInstruction
@_exported import struct CBPF.VerificationError
@_exported import struct SystemCalls.OwnedFileDescriptor
@_exported import struct SystemCalls.SystemCallError
@_exported import struct SystemPackage.Errno
@_exported import struct SystemPackage.FileDescriptor
