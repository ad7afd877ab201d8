// Shared libseccomp reference code lands here.
