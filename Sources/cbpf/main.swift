import CBPF
print("cbpf")
