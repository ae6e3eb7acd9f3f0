"""The public surface type-checks: mypy over the modules pyproject.toml's [tool.mypy] lists.

mypy cannot follow the editable install's import hook, and in the repository
``nn/`` and ``optim/`` sit beside ``minigrad/`` (setuptools maps them to
``minigrad.nn`` / ``minigrad.optim``). So the check runs on a tree of symlinks
laid out as installed: ``.mypy_cache/tree/minigrad/{*, nn, optim}``. The tree and
mypy's cache live under ``.mypy_cache/`` (gitignored), so a second run only
re-checks changed files.

Run by hand with ``python -m pytest tests/test_types.py`` (or
``python tests/test_types.py`` to print mypy's report).
"""
import os
import shutil
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".mypy_cache"
TREE = CACHE / "tree"


def _installed_layout():
    """Rebuild TREE: minigrad/'s entries, plus nn/ and optim/ as its subpackages."""
    pkg = TREE / "minigrad"
    if TREE.exists():
        shutil.rmtree(TREE)
    pkg.mkdir(parents=True)
    links = {p.name: p for p in (ROOT / "minigrad").iterdir() if p.name != "__pycache__"}
    links.update(nn=ROOT / "nn", optim=ROOT / "optim")
    for name, target in links.items():
        os.symlink(target, pkg / name, target_is_directory=target.is_dir())
    return pkg


def run_mypy(*extra, config=ROOT / "pyproject.toml"):
    """mypy's (report, errors, exit status): by default for the configured modules."""
    pkg = _installed_layout()
    old = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(TREE)
    try:
        out, err, status = api.run(["--config-file", str(config),
                                    "--cache-dir", str(CACHE), *extra])
    finally:
        if old is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = old
    # report repository paths, not the tree's (mypy prints them relative to the cwd)
    for base in (str(pkg), os.path.relpath(pkg)):
        for sub in ("nn", "optim"):
            out = out.replace(os.path.join(base, sub, ""), os.path.join(ROOT, sub, ""))
        out = out.replace(os.path.join(base, ""), os.path.join(ROOT, "minigrad", ""))
    return out, err, status


def test_public_modules_type_check():
    out, err, status = run_mypy()
    assert status == 0 and not err, f"mypy found errors:\n{out}{err}"
    assert "Success" in out, out


def test_misuse_of_the_public_api_is_reported(tmp_path):
    """The annotations reach user code: mypy rejects wrong calls into minigrad."""
    user_config = tmp_path / "mypy.ini"      # a user's: minigrad's own errors not shown
    user_config.write_text("[mypy]\nfollow_imports = silent\nignore_missing_imports = True\n")
    program = ("import minigrad as mg\n"
               "from minigrad import nn, optim\n"
               "layer = nn.Linear('4', 8)\n"
               "opt = optim.SGD(layer.parameters(), lr='fast')\n"
               "n: int = mg.zeros(2, 3)\n")
    out, err, status = run_mypy("-c", program, config=user_config)
    assert status == 1, out + err
    for line, want in ((3, '"Linear" has incompatible type "str"'),
                       (4, '"SGD" has incompatible type "str"'),
                       (5, 'expression has type "Tensor", variable has type "int"')):
        assert any(f"<string>:{line}:" in x and want in x for x in out.splitlines()), \
            f"expected {want!r} at line {line}:\n{out}"


if __name__ == "__main__":
    out, err, status = run_mypy()
    print(out + err, end="")
    raise SystemExit(status)
