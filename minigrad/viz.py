"""Graphviz pictures of the computation graph (see issue: minigrad.viz)."""
