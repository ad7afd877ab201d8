import ArgumentParser
import CBPF
import CLinuxShims
import Glibc
import Seccomp

/// Makes one raw system call and reports what the kernel returned, so that the demo and the
/// tests can ask for any call, whether or not a command-line tool exists for it.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Make one raw system call and print the kernel's answer, as strace shows it.",
        discussion: """
            Exits with the call's errno, or 0 when it succeeded. A number argument (decimal, 0x, 0o or 0b, \
            optionally negative) is passed as it is; any other word as a pointer to that string.

            Example: sandbox-launch -- sandbox-launch probe mount none /nonexistent tmpfs 0 0
            """
    )

    @Argument(help: ArgumentHelp("The system call, by name or number.", valueName: "syscall"))
    var syscall: String

    // Taken as they are, so that negative numbers are not read as options.
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Up to six arguments.", valueName: "argument"))
    var arguments: [String] = []

    func validate() throws {
        guard arguments.count <= 6 else { throw ValidationError("a system call takes at most six arguments") }
        _ = try number()
    }

    /// The call's number on this machine.
    func number() throws -> Int {
        if let number = Int(syscall), number >= 0 { return number }
        let resolution: SyscallResolution
        do {
            resolution = try SeccompArchitecture.native.resolve(syscall)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let number = resolution.numbers.first else {
            throw ValidationError("\(SeccompArchitecture.native) has no system call \"\(syscall)\"")
        }
        return Int(number)
    }

    func run() throws {
        let number = try number()
        // Strings stay allocated until the call returns.
        var strings = [UnsafeMutablePointer<CChar>]()
        defer { strings.forEach { free($0) } }
        var values = [UInt](repeating: 0, count: 6)
        var shown = [String]()
        for (index, argument) in arguments.enumerated() {
            if let value = try Self.integer(argument) {
                values[index] = value
                shown.append(argument)
            } else {
                let pointer = strdup(argument)!
                strings.append(pointer)
                values[index] = UInt(bitPattern: pointer)
                shown.append("\"\(argument)\"")
            }
        }
        errno = 0
        let result = cbpf_syscall6(number, values[0], values[1], values[2], values[3], values[4], values[5])
        let code = errno
        let call = "\(syscall)(\(shown.joined(separator: ", ")))"
        if result == -1 {
            print("\(call) = -1 \(errnoName(code)) (\(errorMessage(code)))")
            flushStandardOutput()
            throw ExitCode(code)
        }
        print("\(call) = \(result)")
    }

    /// A number as the kernel receives it, read as the policy format reads numbers (`0x`, `0o`,
    /// `0b` or decimal, a leading `-` for two's complement); nil for any other word.
    /// A word that looks like a number but is not one (`010`, too large) is an error, never a string.
    static func integer(_ text: String) throws -> UInt? {
        do {
            return try parseInteger(text, style: .prefixed, as: UInt.self)
        } catch .notANumber {
            return nil
        } catch .leadingZero {
            guard text.allSatisfy(\.isNumber) else { return nil }
            throw ValidationError("\(text): a leading 0 is ambiguous (octal in C); write 0o\(text.drop { $0 == "0" }) or \(text.drop { $0 == "0" })")
        } catch {
            throw ValidationError("\(text): not a number that fits in 64 bits")
        }
    }
}
