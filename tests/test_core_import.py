"""Importing: from the repository root `from minigrad import nn` finds the repo's
nn/ (however minigrad was installed), and `import minigrad` leaves Numba unloaded
(it is imported lazily, when a kernel first runs)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()


def test_nn_and_optim_resolve_to_the_repository_from_its_root():
    mg_file, nn_file, optim_file, f_file = _run(
        "import minigrad, minigrad.nn.functional as F; from minigrad import nn, optim; "
        "print(minigrad.__file__); print(nn.__file__); print(optim.__file__); "
        "print(F.__file__)")
    assert mg_file == os.path.join(ROOT, "minigrad", "__init__.py")
    assert nn_file == os.path.join(ROOT, "nn", "__init__.py")
    assert optim_file == os.path.join(ROOT, "optim", "__init__.py")
    assert f_file == os.path.join(ROOT, "nn", "functional.py")


def test_subpackages_are_attributes_right_after_import():
    (line,) = _run(
        "import minigrad as mg; "
        "print(all(hasattr(o, n) for o, n in [(mg, 'nn'), (mg, 'optim'), (mg, 'viz'), (mg, 'utils'), "
        "(mg.nn, 'functional'), (mg.nn, 'init'), (mg.nn, 'utils'), "
        "(mg.optim, 'lr_scheduler')]))")
    assert line == "True"


def test_import_does_not_load_numba():
    (line,) = _run("import sys, minigrad; from minigrad import nn, optim; "
                   "print('numba' in sys.modules)")
    assert line == "False"


_NOT_PACKAGES = ("tests", "benchmarks", "examples")
_PROBE = ("import importlib\n"
          "for name in {names!r}:\n"
          "    try:\n"
          "        importlib.import_module('minigrad.' + name)\n"
          "        print('imported', name)\n"
          "    except ImportError:\n"
          "        print('ImportError', name)\n"
          "from minigrad import nn, optim\n"
          "import minigrad.nn.utils\n"
          "print(nn.__file__); print(optim.__file__); print(minigrad.nn.utils.__file__)\n")
# Drop the finders an editable install adds, so the import sees only the source tree
# (as with no install, or with a non-editable install shadowed by the source).
_NO_EDITABLE = ("import sys\n"
                "sys.meta_path[:] = [f for f in sys.meta_path\n"
                "                    if 'editable' not in getattr(f, '__module__', '')]\n")


def _check_only_nn_and_optim_resolve(lines):
    assert lines[:3] == [f"ImportError {n}" for n in _NOT_PACKAGES]
    assert lines[3:] == [os.path.join(ROOT, "nn", "__init__.py"),
                         os.path.join(ROOT, "optim", "__init__.py"),
                         os.path.join(ROOT, "nn", "utils", "__init__.py")]


def test_only_nn_and_optim_resolve_to_top_level_folders():
    _check_only_nn_and_optim_resolve(_run(_PROBE.format(names=_NOT_PACKAGES)))


def test_only_nn_and_optim_resolve_without_an_editable_install():
    _check_only_nn_and_optim_resolve(_run(_NO_EDITABLE + _PROBE.format(names=_NOT_PACKAGES)))
