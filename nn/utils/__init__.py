"""minigrad.nn.utils: gradient clipping and truncated BPTT."""
