import ArgumentParser
import CBPF

/// `MAJ:MIN` on the command line, in hexadecimal as tc reads it (`1:10`, `ffff:fff2`, `1:`).
extension TrafficControlHandle: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}
