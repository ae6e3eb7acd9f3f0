"""minigrad.nn.functional: the functional form of every layer, activation and loss."""
