import Testing
import CBPF
@Test func decodesRet() throws { #expect(try Instruction(raw: RawInstruction(code: 6, k: 1)) == .returnConstant(1)) }
