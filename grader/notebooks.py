"""Execute submitted notebooks headless in a sandboxed kernel and grade that they run clean.

Stored outputs are never trusted: every code cell is cleared and re-executed (nbclient) in a
fresh kernel whose import path holds only the submission (as ``assignment.student``) and the
provided utilities (never ``assignment.reference`` nor the grader); the kernel confines itself
(:mod:`grader.nb_kernel`), each cell has a timeout and the whole notebook a budget, and the
kernel is killed at the end. Data-heavy cells run in small-data mode
(``ASSIGNMENT_SMALL_DATA=1``). Per-cell errors and ``image/png`` figures are kept for the
HTML report.

:func:`run_notebook` returns plain data; :func:`notebook_checks` turns it into
:class:`~grader.result.CheckResult` objects of group ``"notebooks"``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.result import CheckResult

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent / "assignment"
PROVIDED = ("__init__.py", "implementation.py", "solver.py", "gradient_check.py",
            "data_utils.py", "vis_utils.py")
STUDENT_MODULES = ("layers.py", "conv_layers.py", "layer_utils.py", "cnn.py", "optim.py")
MAX_NOTEBOOK_BYTES = 20 << 20
MAX_OUTPUT_BYTES = 8 << 20  # outputs kept per notebook; the rest is dropped
MAX_FIGURES = 12
MAX_FIGURE_BYTES = 2 << 20
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "CIFAR10_DIR", "FASHION_MNIST_DIR")


@dataclass(frozen=True)
class NotebookSpec:
    """One graded notebook: run clean for ``points``.

    Attributes
    ----------
    name : str
        File stem, e.g. ``"ConvolutionalNetworks"`` (looked up as ``NAME.ipynb``).
    points : float
    visibility : str
        ``"public"`` or ``"hidden"``.
    cell_timeout : float
        Seconds allowed per cell.
    budget : float
        Seconds allowed for the whole notebook (kernel start included).
    """

    name: str
    points: float = 2.0
    visibility: str = "public"
    cell_timeout: float = 60.0
    budget: float = 180.0


RUBRIC = (NotebookSpec("ConvolutionalNetworks"), NotebookSpec("SpatialBatchNorm"),
          NotebookSpec("CNN"))


# ----------------------------------------------------------------------------- staging
def find_notebook(submission_dir: Path, name: str) -> Path | None:
    """``NAME.ipynb`` at the submission's top level or inside one top-level folder."""
    submission_dir = Path(submission_dir)
    hits = [submission_dir / f"{name}.ipynb", *sorted(submission_dir.glob(f"*/{name}.ipynb"))]
    return next((p for p in hits if p.is_file() and not p.is_symlink()), None)


def stage(submission_dir: Path, dest: Path) -> Path:
    """Build the kernel's import root: ``assignment/`` with the provided utilities and the
    submission's modules as ``assignment.student``; the reference is never copied.
    """
    pkg = dest / "assignment"
    (pkg / "student").mkdir(parents=True)
    for name in PROVIDED:
        if (ASSIGNMENT_DIR / name).is_file():
            shutil.copy2(ASSIGNMENT_DIR / name, pkg / name)
    fast = ASSIGNMENT_DIR / "fast_layers"
    if fast.is_dir():
        shutil.copytree(fast, pkg / "fast_layers",
                        ignore=shutil.ignore_patterns("*.c", "*.pyx", "__pycache__"))
    (pkg / "student" / "__init__.py").write_text('"""The submission under grading."""\n')
    src = Path(submission_dir)
    if not any((src / m).is_file() for m in STUDENT_MODULES):
        inner = [d for d in src.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))]
        src = inner[0] if len(inner) == 1 else src
    for module in STUDENT_MODULES:
        f = src / module
        if f.is_file() and not f.is_symlink():
            shutil.copyfile(f, pkg / "student" / module)
    return dest


def _read_paths(stage_dir: Path) -> list[str]:
    """What the kernel may read: the stage, the Python installation, data, system libs."""
    import matplotlib

    paths = {str(stage_dir), sys.prefix, sys.base_prefix, sys.exec_prefix,
             str(Path(matplotlib.__file__).parent), "/usr/lib", "/usr/share/fonts",
             "/usr/share/datasets", "/etc/fonts", "/etc/localtime", "/dev/null",
             "/dev/urandom", "/lib", "/lib64", "/usr/lib64", "/proc/self", "/proc/cpuinfo",
             "/sys/devices/system/cpu", "/etc/ld.so.cache"}
    for var in ("CIFAR10_DIR", "FASHION_MNIST_DIR"):
        if os.environ.get(var):
            paths.add(os.environ[var])
    if (ASSIGNMENT_DIR / "datasets").is_dir():
        paths.add(str(ASSIGNMENT_DIR / "datasets"))
    return sorted(paths)


# ----------------------------------------------------------------------------- execution
def _client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """Drops outputs past :data:`MAX_OUTPUT_BYTES` so a chatty notebook can't flood us."""

        kept_bytes = 0

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {}), default=str))
            if self.kept_bytes + size > MAX_OUTPUT_BYTES:
                return None
            self.kept_bytes += size
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _kernel(tmp: Path, submission_dir: Path, spec: NotebookSpec, memory_mb: int,
            landlock: bool):
    """Stage the submission under ``tmp`` and make the kernel manager of a confined kernel.

    Returns
    -------
    km : AsyncKernelManager
        Not started; nbclient starts it with ``env``.
    env : dict
        The kernel's whole environment (nothing inherited but locale and data paths).
    work : Path
        The kernel's working folder.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    stage_dir = stage(submission_dir, tmp / "stage")
    work, home, sock = tmp / "work", tmp / "home", tmp / "k"
    for d in (work, home, sock):
        d.mkdir()
    spec_dir = tmp / "kernels" / "grader-sandbox"
    spec_dir.mkdir(parents=True)
    launcher = Path(__file__).with_name("nb_kernel.py")
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-I", str(launcher), "-f", "{connection_file}",
                 "--HistoryManager.enabled=False"],
        "display_name": "graded notebook", "language": "python"}))
    cfg = {
        "confine_py": str(Path(__file__).with_name("confine.py")),
        "cwd": str(work), "sys_path": [str(stage_dir)],
        "memory_bytes": memory_mb << 20, "cpu_seconds": int(spec.budget) + 5,
        "fsize_bytes": 64 << 20, "nofile": 256, "landlock": landlock,
        "report_file": str(sock / "confined.json"),
        "read_paths": _read_paths(stage_dir), "write_paths": [str(sock), str(work), str(home)],
    }
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env.update(HOME=str(home), MPLCONFIGDIR=str(home), IPYTHONDIR=str(home / ".ipython"),
               JUPYTER_RUNTIME_DIR=str(home), ASSIGNMENT_IMPL="student",
               ASSIGNMENT_SMALL_DATA="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONHASHSEED="0", GRADER_NB_CONFINE=json.dumps(cfg))
    _warm_matplotlib_cache(home)
    ksm = KernelSpecManager(kernel_dirs=[str(tmp / "kernels")], ensure_native_kernel=False)
    km = AsyncKernelManager(kernel_name="grader-sandbox", transport="ipc", ip=str(sock / "s"),
                            connection_file=str(sock / "connection.json"),
                            kernel_spec_manager=ksm)
    return km, env, work


def run_notebook(path, submission_dir, spec: NotebookSpec, *, memory_mb: int = 3072,
                 landlock: bool = True) -> dict:
    """Re-execute one submitted notebook in a fresh sandboxed kernel.

    Parameters
    ----------
    path : path
        The submitted ``.ipynb``.
    submission_dir : path
        The submission folder (its modules become ``assignment.student``).
    spec : NotebookSpec
        Timeouts and budget.
    memory_mb : int
        Address-space limit of the kernel.
    landlock : bool
        Apply Landlock (tests of the rest of the machinery may turn it off).

    Returns
    -------
    dict
        ``status`` (``passed``/``failed``/``error``/``timeout``), ``cells`` (code cells),
        ``executed``, ``cell_errors`` (list of ``{cell, ename, evalue}``), ``figures``
        (list of ``{cell, png}``, base64), ``seconds``, ``message``, ``landlock``.
    """
    import nbformat
    from jupyter_core.utils import run_sync
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    start = time.monotonic()
    out = {"status": "error", "cells": 0, "executed": 0, "cell_errors": [], "figures": [],
           "seconds": 0.0, "message": "", "landlock": None}
    path = Path(path)
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        out["message"] = f"notebook larger than {MAX_NOTEBOOK_BYTES >> 20} MB"
        return out
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 -- any unreadable notebook is the student's error
        out["message"] = f"not a valid notebook: {type(exc).__name__}: {str(exc)[:200]}"
        return out
    for cell in nb.cells:  # never trust stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    out["cells"] = sum(c.cell_type == "code" for c in nb.cells)

    tmp = Path(tempfile.mkdtemp(prefix="grader-nb-"))
    km = None
    try:
        km, env, work = _kernel(tmp, Path(submission_dir), spec, memory_mb, landlock)
        deadline = start + spec.budget
        client = _client_class()(
            nb, km=km, kernel_name="grader-sandbox", allow_errors=True,
            timeout_func=lambda cell: max(1, int(min(spec.cell_timeout,
                                                     deadline - time.monotonic()))),
            startup_timeout=60, shutdown_kernel="immediate", record_timing=True,
            resources={"metadata": {"path": str(work)}}, iopub_timeout=5)
        try:
            client.execute(env=env, cwd=str(work), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            out["status"] = "passed"
        except CellTimeoutError:
            over = time.monotonic() >= deadline - 1
            out["status"] = "timeout"
            out["message"] = (f"the notebook exceeded its {spec.budget:g} s budget" if over
                              else f"a cell ran longer than {spec.cell_timeout:g} s")
        except DeadKernelError:
            out["message"] = "the kernel died (memory or CPU limit, or the code exited)"
        except Exception as exc:  # noqa: BLE001 -- kernel start failures etc.: recorded
            out["message"] = f"could not execute: {type(exc).__name__}: {str(exc)[:300]}"
        _collect(nb, out)
        try:
            out["landlock"] = json.loads((tmp / "k" / "confined.json").read_text())["landlock_abi"]
        except (OSError, ValueError, KeyError, TypeError):
            out["landlock"] = None
        if out["status"] == "passed" and out["cell_errors"]:
            out["status"] = "failed"
    finally:
        if km is not None:
            try:
                if km.has_kernel:
                    run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001,S110 -- already dead is fine
                pass
        shutil.rmtree(tmp, ignore_errors=True)
        out["seconds"] = round(time.monotonic() - start, 3)
    return out


def _warm_matplotlib_cache(home: Path) -> None:
    """Copy the grader's matplotlib font cache so each kernel doesn't rebuild it (~1 s)."""
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
        for f in cache.glob("fontlist-*.json"):
            shutil.copy2(f, home / f.name)
    except Exception:  # noqa: BLE001,S110 -- only an optimisation
        pass


def _seconds(start: str, end: str) -> float:
    from datetime import datetime

    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
        return round(delta.total_seconds(), 3)
    except (TypeError, ValueError):
        return float("nan")


def _collect(nb, out: dict) -> None:
    """Record executed cells, per-cell errors and PNG figures from the executed notebook."""
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        if cell.get("execution_count") is not None:
            out["executed"] += 1
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            out.setdefault("cell_seconds", []).append(
                (code_index, _seconds(timing["iopub.execute_input"], timing["shell.execute_reply"])))
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out["cell_errors"].append({"cell": code_index, "ename": str(o.get("ename"))[:100],
                                           "evalue": str(o.get("evalue"))[:300]})
            png = (o.get("data") or {}).get("image/png")
            if (isinstance(png, str) and len(png) <= MAX_FIGURE_BYTES
                    and len(out["figures"]) < MAX_FIGURES):
                out["figures"].append({"cell": code_index, "png": png})


# ----------------------------------------------------------------------------- checks
def to_check(spec: NotebookSpec, run: dict | None) -> CheckResult:
    """A :class:`CheckResult` (group ``notebooks``) from :func:`run_notebook`'s data."""
    cid, title = f"notebooks.{spec.name}", f"{spec.name}.ipynb runs clean"
    if run is None:
        return CheckResult(cid, title, 0.0, spec.points, "missing",
                           f"{spec.name}.ipynb is not in the submission.",
                           visibility=spec.visibility, group="notebooks")
    status = run["status"]
    if status == "passed":
        feedback = f"all {run['cells']} code cells ran without error."
    elif run["cell_errors"]:
        first = run["cell_errors"][0]
        feedback = (f"{len(run['cell_errors'])} cell(s) raised an error; first: code cell "
                    f"{first['cell']}: {first['ename']}: {first['evalue']}")
        if run["message"]:
            feedback = f"{run['message']}; {feedback}"
    else:
        feedback = run["message"] or "the notebook did not run."
    details = {k: run[k] for k in ("cells", "executed", "cell_errors", "figures", "landlock")}
    return CheckResult(cid, title, spec.points if status == "passed" else 0.0, spec.points,
                       status, feedback, visibility=spec.visibility, seconds=run["seconds"],
                       group="notebooks", details=details)


def notebook_checks(submission_dir, rubric=None, **options) -> list[CheckResult]:
    """Execute every notebook the rubric declares and return one check per notebook.

    Parameters
    ----------
    submission_dir : path
        The (validated, extracted) submission folder.
    rubric : sequence of NotebookSpec, optional
        Defaults to :data:`RUBRIC` (the three assignment notebooks).
    **options
        Passed to :func:`run_notebook` (``memory_mb``, ``landlock``).

    Returns
    -------
    list of CheckResult
    """
    checks = []
    for spec in rubric or RUBRIC:
        path = find_notebook(Path(submission_dir), spec.name)
        run = run_notebook(path, submission_dir, spec, **options) if path else None
        checks.append(to_check(spec, run))
    return checks

