#include <pcap/pcap.h>
#include <pcap/bpf.h>
