"""Demos run by ``python -m minigrad NAME``: one module per demo, NAME.py, each with a
one-line docstring and ``main(argv=None) -> dict`` of its headline figures."""
