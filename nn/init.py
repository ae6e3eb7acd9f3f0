"""minigrad.nn.init: parameter initialisation (Xavier/Glorot, Kaiming/He, ...)."""
