// Shared libpcap reference code lands here.
