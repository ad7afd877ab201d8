import CBPF

extension PacketFilterCompiler {
    /// What a program returns for a packet it accepts. A socket keeps that many bytes (the
    /// snapshot length). `cls_bpf` reads the value as a class instead: 0 is no match, -1 the
    /// filter's own class (`classid` in tc), anything else the class `major:minor` itself. So a
    /// `cls_bpf` program returns -1, or ``classID`` when one is asked for; the snapshot length
    /// would name a class that does not exist (262144 is 4:0).
    public var acceptValue: UInt32 {
        guard attachTarget == .trafficControl else { return snapshotLength }
        return classID?.rawValue ?? TrafficControlHandle.root.rawValue
    }

    /// A class applies to `cls_bpf` alone, and neither 0 (no match) nor -1 (the filter's class)
    /// names one.
    func checkClassID() throws(FilterSyntaxError) {
        guard let classID else { return }
        guard attachTarget == .trafficControl else {
            throw FilterSyntaxError("a class id (\(classID)) applies to cls_bpf programs only, not to \(attachTarget.rawValue)")
        }
        if classID.minor == 0 && classID.major == 0 {
            throw FilterSyntaxError("class id 0:0 is what cls_bpf reads as \"no match\"; give a class such as 1:10")
        }
        if classID == .root {
            throw FilterSyntaxError(
                "class id ffff:ffff (-1) is what cls_bpf reads as \"the filter's own class\"; leave the class id out for that")
        }
    }
}
