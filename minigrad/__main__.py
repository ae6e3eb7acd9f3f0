"""``python -m minigrad NAME [args]`` (or ``minigrad NAME [args]``): run a demo.

Without a name, or with ``--help``, lists the demos with their descriptions;
``python -m minigrad NAME --help`` shows a demo's own options.
"""
from __future__ import annotations

import sys

__all__ = ["main"]


def _usage() -> str:
    from minigrad.demos import available, describe
    names = available()
    width = max(map(len, names), default=0)
    lines = ["usage: python -m minigrad NAME [--quick] [--out DIR] [--seed N] "
             "[--no-progress] [demo options]",
             "", "Runs one of minigrad's demos. NAME --help shows its options.", "",
             "demos:"]
    lines += [f"  {n:<{width}}  {describe(n)}" for n in names]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line: list the demos or run one; returns the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help", "list"):
        print(_usage())
        return 0
    from minigrad.demos import available, run
    name, rest = args[0], args[1:]
    if name not in available():
        print(f"minigrad: unknown demo {name!r}; the demos are: "
              f"{', '.join(available())}\n(python -m minigrad --help describes them)",
              file=sys.stderr)
        return 2
    run(name, rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
