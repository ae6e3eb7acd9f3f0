"""The package type-checks: mypy over what pyproject.toml's [tool.mypy] names.

Three checks: mypy finds no error in the package; mypy reports misuse of the
public API in user code (so the annotations are seen, not read as Any); and the
operators and methods Tensor declares for type checkers are the ones
minigrad.ops installs at import, with the same parameters.

mypy cannot follow the editable install's import hook, and in the repository
``nn/`` and ``optim/`` sit beside ``minigrad/`` (setuptools maps them to
``minigrad.nn`` / ``minigrad.optim``). So the check runs on a tree of symlinks
laid out as installed: ``.mypy_cache/tree/minigrad/{*, nn, optim}``. The tree and
mypy's cache live under ``.mypy_cache/`` (gitignored), so a second run only
re-checks changed files.

Run by hand with ``python -m pytest tests/test_types.py`` (or
``python tests/test_types.py`` to print mypy's report).
"""
import ast
import inspect
import os
import shutil
from pathlib import Path

from mypy import api

import minigrad  # noqa: F401  (installs the ops on Tensor)
from minigrad.tensor import Tensor

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


def run_mypy(*extra, config=ROOT / "pyproject.toml", cache=CACHE):
    """mypy's (report, errors, exit status): by default for the configured modules."""
    pkg = _installed_layout()
    old = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(TREE)
    try:
        out, err, status = api.run(["--config-file", str(config),
                                    "--cache-dir", str(cache), *extra])
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
               "n: int = mg.zeros(2, 3)\n"
               "m: int = (mg.ones(2) * 2).sum()\n")
    out, err, status = run_mypy("-c", program, config=user_config, cache=CACHE / "as_user")
    assert status == 1, out + err
    for line, want in ((3, '"Linear" has incompatible type "str"'),
                       (4, '"SGD" has incompatible type "str"'),
                       (5, 'expression has type "Tensor", variable has type "int"'),
                       (6, 'expression has type "Tensor", variable has type "int"')):
        assert any(f"<string>:{line}:" in x and want in x for x in out.splitlines()), \
            f"expected {want!r} at line {line}:\n{out}"


# ------------------------------------------- Tensor's declared op methods
def _declared():
    """The methods Tensor declares under ``if TYPE_CHECKING:`` in tensor.py, by name."""
    tree = ast.parse((ROOT / "minigrad" / "tensor.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    blocks = [n for n in cls.body
              if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    return {f.name: f for b in blocks for f in b.body if isinstance(f, ast.FunctionDef)}


def _installed():
    """What minigrad.ops sets on Tensor at import, by name (a property by its getter)."""
    found = {}
    for name, value in vars(Tensor).items():
        f = value.fget if isinstance(value, property) else value
        if (getattr(f, "__module__", None) or "").startswith("minigrad.ops"):
            found[name] = f
    return found


def _declared_params(f):
    """[(kind, name, default)] of an ast function, as inspect names kinds."""
    a, P = f.args, inspect.Parameter
    pos = a.posonlyargs + a.args
    defaults = [P.empty] * (len(pos) - len(a.defaults)) + [ast.literal_eval(d)
                                                           for d in a.defaults]
    params = [(P.POSITIONAL_OR_KEYWORD, p.arg, d) for p, d in zip(pos, defaults)]
    if a.vararg:
        params.append((P.VAR_POSITIONAL, a.vararg.arg, P.empty))
    params += [(P.KEYWORD_ONLY, p.arg, P.empty if d is None else ast.literal_eval(d))
               for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        params.append((P.VAR_KEYWORD, a.kwarg.arg, P.empty))
    return params


def _installed_params(f):
    P = inspect.Parameter
    return [(P.POSITIONAL_OR_KEYWORD if p.kind == P.POSITIONAL_ONLY else p.kind, p.name,
             p.default) for p in inspect.signature(f).parameters.values()]


def test_declared_tensor_methods_are_the_installed_ones():
    declared, installed = set(_declared()), set(_installed())
    assert declared == installed, (f"installed by minigrad.ops but not declared on Tensor: "
                                   f"{sorted(installed - declared)}; declared but not "
                                   f"installed: {sorted(declared - installed)}")


def test_declared_tensor_methods_match_the_installed_signatures():
    """Parameter kinds and defaults agree (and names, past ``self``, for named methods:
    an operator's are the op's ``a, b``)."""
    declared, installed = _declared(), _installed()
    for name in sorted(declared.keys() & installed.keys()):
        want, got = _declared_params(declared[name]), _installed_params(installed[name])
        if name.startswith("__"):
            want, got = [(k, d) for k, _, d in want], [(k, d) for k, _, d in got]
        else:
            want, got = want[1:], got[1:]
        assert want == got, f"Tensor.{name}: declared {want}, installed {got}"


if __name__ == "__main__":
    out, err, status = run_mypy()
    print(out + err, end="")
    raise SystemExit(status)
