"""minigrad's demos: each module NAME here runs as ``python -m minigrad NAME``."""
