import CBPF
print("cbpf: the command-line tool is being written")
