import CBPF
import CPcap
print("bench")
