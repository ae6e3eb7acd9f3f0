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
        "print(all(hasattr(o, n) for o, n in [(mg, 'nn'), (mg, 'optim'), (mg, 'viz'), "
        "(mg.nn, 'functional'), (mg.nn, 'init'), (mg.nn, 'utils'), "
        "(mg.optim, 'lr_scheduler')]))")
    assert line == "True"


def test_import_does_not_load_numba():
    (line,) = _run("import sys, minigrad; from minigrad import nn, optim; "
                   "print('numba' in sys.modules)")
    assert line == "False"
