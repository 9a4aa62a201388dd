"""The worker's scratch folder: provided utilities, the submission, nothing else.

Layout::

    scratch/
      assignment/            __init__, solver, gradient_check, data_utils, vis_utils and
                             fast_layers (.py and the compiled .so) -- never reference/,
                             student/ or implementation.py
      submission/            the student files as a package (relative imports work), and
                             _grader_training.py: the training check's driver (grader code
                             that runs the provided Solver on the student's model and optim
                             in the worker; it holds no answer)
      _grader_worker.py      grader/sandbox/worker.py, with _grader_protocol.py,
                             _grader_confine.py and _grader_private_view.py
      _site/numpy            symlinks to numpy (the only third-party package importable)
      work/                  the worker's working folder (read-only under Landlock: the worker
                             may write no file at all, so it cannot fill the disk)
      _root/                 empty: the worker builds its private file tree on it (a tmpfs
                             holding read-only bind mounts of :func:`read_paths` only)

The naive layers' worker (``fast_layers=False``) gets no fast-layer code at all: only the
output-size rule (``_geometry.py``, which the skeleton imports) and, under every other name
of the package, a stand-in whose functions raise :data:`NAIVE_RULE`. Whatever the student's
code does inside that process, the fast layers are not there to be called.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ASSIGNMENT = Path(__file__).resolve().parents[2] / "assignment"
PROVIDED = ("__init__.py", "solver.py", "gradient_check.py", "data_utils.py", "vis_utils.py")
STUDENT_MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")
# Grader modules the worker imports beside the submission (``submission.<name>``), called
# like a student module; none of them holds an expected value.
TRUSTED_MODULES = {"_grader_training": Path(__file__).resolve().parents[1] / "checks"
                   / "training_driver.py"}
# The handout's rule (tools/handout/README.md), quoted when a naive layer breaks it.
NAIVE_RULE = ("the handout's rule: do not import the fast layers inside your naive functions "
              "(assignment.fast_layers, im2col and their helpers are not available to them)")
RULE_MARK = "NaiveLayerRuleBroken"
_STAND_IN = f'''"""Stand-in for the provided fast layers while the naive layers are graded."""


class {RULE_MARK}(Exception):
    pass


class FastLayersNotCompiledWarning(UserWarning):  # names that are data, not code, stay usable
    pass


BACKEND, ENV_VAR = "none (naive layers' worker)", "ASSIGNMENT_FAST_BACKEND"


def _refuse(name):
    def refused(*args, **kwargs):
        raise {RULE_MARK}(f"naive layer called assignment.fast_layers {{name}}: "
                          {NAIVE_RULE!r})
    refused.__name__ = name
    return refused


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    import importlib
    try:  # a submodule's name: its stand-in
        return importlib.import_module(f"{{__name__}}.{{name}}")
    except ImportError:
        return _refuse(name)
'''
_STAND_IN_MODULE = '''"""Stand-in for a module of the provided fast layers (naive layers' worker)."""
from . import _refuse


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _refuse(name)
'''


def build_scratch(files, root=None, fast_layers=True):
    """Lay out the worker's folder.

    Parameters
    ----------
    files : dict of str to bytes
        The submission's student files by module name (``"layers"`` -> source bytes).
    root : str, optional
        Parent folder of the scratch folder (a fresh temporary folder by default).
    fast_layers : bool
        Copy the fast layers (default); False puts stand-ins in their place (the naive
        layers' worker).

    Returns
    -------
    Path
        The scratch folder; the caller removes it.
    """
    scratch = Path(tempfile.mkdtemp(prefix="grader-", dir=root))
    pkg = scratch / "assignment"
    pkg.mkdir()
    for name in PROVIDED:
        if (ASSIGNMENT / name).exists():
            shutil.copy(ASSIGNMENT / name, pkg / name)
    fast = pkg / "fast_layers"
    fast.mkdir()
    for src in (ASSIGNMENT / "fast_layers").iterdir():
        if not (src.suffix in (".py", ".so") and src.is_file()):
            continue
        if fast_layers or src.name == "_geometry.py":
            shutil.copy(src, fast / src.name)
        elif src.suffix == ".py" or not (fast / f"{src.name.split('.')[0]}.py").exists():
            stand_in = _STAND_IN if src.stem == "__init__" else _STAND_IN_MODULE
            (fast / f"{src.name.split('.')[0]}.py").write_text(stand_in)
    sub = scratch / "submission"
    sub.mkdir()
    (sub / "__init__.py").write_text('"""The submission under grading."""\n')
    for name, data in files.items():
        (sub / f"{name}.py").write_bytes(data)
    for name, src in TRUSTED_MODULES.items():
        shutil.copy(src, sub / f"{name}.py")
    here = Path(__file__).parent
    for mod in ("worker", "protocol", "confine", "private_view"):
        shutil.copy(here / f"{mod}.py", scratch / f"_grader_{mod}.py")
    site = scratch / "_site"
    site.mkdir()
    np_dir = Path(np.__file__).parent
    for d in (np_dir, np_dir.parent / "numpy.libs"):
        if d.exists():
            (site / d.name).symlink_to(d)
    (scratch / "work").mkdir()
    (scratch / "_root").mkdir()
    return scratch


def open_to_others(scratch):
    """Let another user (the unprivileged worker) read, never write, the scratch folder."""
    for dirpath, dirnames, filenames in os.walk(scratch):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & 0o755 | 0o444)


def read_paths(scratch):
    """Folders the worker may read below (Landlock), resolved."""
    np_dir = Path(np.__file__).resolve().parent
    paths = [str(scratch), sys.base_prefix, str(np_dir), str(np_dir.parent / "numpy.libs"),
             "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/etc/ld.so.cache",
             "/sys/devices/system/cpu", "/proc/cpuinfo", "/dev/null", "/dev/urandom"]
    return [os.path.realpath(p) for p in paths]


def view_links():
    """Unresolved paths the worker reaches (``/lib -> usr/lib``, a venv's python...): their
    symlinked components are recreated in the worker's private file tree."""
    np_dir = Path(np.__file__).parent
    return [sys.base_prefix, sys.executable, str(np_dir), str(np_dir.parent / "numpy.libs"),
            "/usr/lib", "/usr/lib64", "/lib", "/lib64"]
