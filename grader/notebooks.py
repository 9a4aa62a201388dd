"""Execute submitted notebooks headless in a sandboxed kernel and grade that they run clean.

Stored outputs are never trusted: every code cell is cleared and re-executed (nbclient) in a
fresh kernel whose import path holds only the submission (as ``assignment.student``) and the
provided utilities (never ``assignment.reference`` nor the grader); the kernel confines itself
(:mod:`grader.nb_kernel`), each cell has a timeout and the whole notebook a budget, and the
kernel is killed at the end. Data-heavy cells run in small-data mode
(``ASSIGNMENT_SMALL_DATA=1``). Per-cell errors and ``image/png`` figures are kept for the
HTML report. The notebooks of one submission share a kernel (reset between them, replaced
after a death or timeout); two submissions never do.

:func:`run_notebook` returns plain data; :func:`notebook_checks` turns it into
:class:`~grader.result.CheckResult` objects of group ``"notebooks"``.
"""

from __future__ import annotations

import atexit
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
from grader.sandbox import secret_paths

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent / "assignment"
PROVIDED = ("__init__.py", "implementation.py", "solver.py", "gradient_check.py",
            "data_utils.py", "vis_utils.py")
STUDENT_MODULES = ("layers.py", "conv_layers.py", "layer_utils.py", "cnn.py", "optim.py")
MAX_NOTEBOOK_BYTES = 20 << 20
MAX_OUTPUT_BYTES = 8 << 20  # outputs kept per notebook; the rest is dropped
MAX_FIGURES = 12
MAX_FIGURE_BYTES = 2 << 20
# What the notebooks' report() prints when a value misses its bound. Such a line does not
# cost the notebook's points (they are for running clean; the graded checks judge the
# values) but is quoted in the feedback, so the student sees it.
FLAG = "TOO LARGE"
MAX_FLAGGED = 10
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
    import importlib.util

    paths = {str(stage_dir), sys.prefix, sys.base_prefix, sys.exec_prefix,
             "/usr/lib", "/usr/share/fonts", "/usr/share/datasets", "/etc/fonts", "/etc/localtime", "/dev/null",
             "/dev/urandom", "/lib", "/lib64", "/usr/lib64", "/proc/self", "/proc/cpuinfo",
             "/sys/devices/system/cpu", "/etc/ld.so.cache"}
    mpl = importlib.util.find_spec("matplotlib")  # located, not imported (~0.2 s)
    if mpl is not None and mpl.origin:
        paths.add(str(Path(mpl.origin).parent))
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


def _proc_table():
    """``{pid: (ppid, pgid, sid)}`` of every process visible in ``/proc``."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        try:
            table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))
        except (IndexError, ValueError):
            continue
    return table


def kill_process_tree(pid: int, leader: bool = True) -> int:
    """SIGKILL ``pid``, its descendants and every process of its group or session.

    The processes are stopped first so none can fork while the tree is being read. With
    ``leader=False`` (the kernel already reaped, so its number could in principle belong to
    someone else by now) only the other members of its group or session and their
    descendants are signalled: a group or session id is never reused while a member lives.
    Returns how many processes were signalled (0 where ``/proc`` is missing).
    """
    import signal

    if not os.path.isdir("/proc"):
        return 0
    victims: set[int] = set()
    for _ in range(3):  # stop, re-read (a process forked between two reads), stop again
        table = _proc_table()
        found = {p for p, (_, pgid, sid) in table.items()
                 if pid in (pgid, sid) and (leader or p != pid)}
        if leader and pid in table:
            found.add(pid)
        frontier = list(found)
        while frontier:
            parent = frontier.pop()
            for p, (ppid, _, _) in table.items():
                if ppid == parent and p not in found:
                    found.add(p)
                    frontier.append(p)
        found.discard(os.getpid())
        new = found - victims
        for p in new:
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                pass
        victims |= found
        if not new:
            break
    for p in victims:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return len(victims)


class _Sandbox:
    """The staged submission and the confined kernels that run its notebooks, one at a time.

    The submission is staged once; :meth:`kernel` makes the manager of a fresh confined
    kernel (nbclient starts it), :meth:`stop` kills it with everything it might have started.
    """

    def __init__(self, tmp: Path, submission_dir: Path, memory_mb: int, landlock: bool):
        from jupyter_client.kernelspec import KernelSpecManager

        self.tmp, self.memory_mb, self.landlock = tmp, memory_mb, landlock
        # A kernel that can still read the grader's files runs no student code, unless
        # Landlock was turned off on purpose (tests of the rest) or by the override.
        self.allow_visible_oracle = not landlock or bool(
            os.environ.get("GRADER_ALLOW_VISIBLE_ORACLE"))
        self.stage_dir = stage(submission_dir, tmp / "stage")
        self.work, self.home = tmp / "work", tmp / "home"
        for d in (self.work, self.home):
            d.mkdir()
        spec_dir = tmp / "kernels" / "grader-sandbox"
        spec_dir.mkdir(parents=True)
        launcher = Path(__file__).with_name("nb_kernel.py")
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-I", str(launcher), "-f", "{connection_file}",
                     "--HistoryManager.enabled=False"],
            "display_name": "graded notebook", "language": "python"}))
        self.ksm = KernelSpecManager(kernel_dirs=[str(tmp / "kernels")],
                                     ensure_native_kernel=False)
        self.read_paths = _read_paths(self.stage_dir)
        _warm_matplotlib_cache(self.home)
        self.started = 0
        self.sock: Path | None = None

    def kernel(self, cpu_seconds: float):
        """A new kernel manager (not started) and the kernel's whole environment."""
        from jupyter_client.manager import AsyncKernelManager

        self.started += 1
        self.sock = sock = self.tmp / f"k{self.started}"
        sock.mkdir()
        cfg = {
            "confine_py": str(Path(__file__).with_name("confine.py")),
            "cwd": str(self.work), "sys_path": [str(self.stage_dir)],
            "memory_bytes": self.memory_mb << 20, "cpu_seconds": int(cpu_seconds) + 5,
            "fsize_bytes": 64 << 20, "nofile": 256, "landlock": self.landlock,
            "report_file": str(sock / "confined.json"), "read_paths": self.read_paths,
            "write_paths": [str(sock), str(self.work), str(self.home)],
            "secrets": [] if self.allow_visible_oracle else secret_paths(),
        }
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env.update(HOME=str(self.home), MPLCONFIGDIR=str(self.home),
                   IPYTHONDIR=str(self.home / ".ipython"), JUPYTER_RUNTIME_DIR=str(self.home),
                   ASSIGNMENT_IMPL="student", ASSIGNMENT_SMALL_DATA="1", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0",
                   GRADER_NB_CONFINE=json.dumps(cfg))
        km = AsyncKernelManager(kernel_name="grader-sandbox", transport="ipc",
                                ip=str(sock / "s"), connection_file=str(sock / "connection.json"),
                                kernel_spec_manager=self.ksm)
        return km, env

    def confinement(self) -> dict:
        """What the current kernel reported about its confinement (empty if nothing)."""
        try:
            return json.loads((self.sock / "confined.json").read_text())
        except (OSError, ValueError, TypeError):
            return {}

    def stop(self, km) -> None:
        """Kill the kernel of ``km`` with its descendants, process group and session."""
        from jupyter_core.utils import run_sync

        if km is None:
            return
        kernel_pid = None
        try:
            if km.has_kernel:
                if km.provisioner is not None and km.provisioner.pid:
                    kernel_pid = km.provisioner.pid
                    # the kernel may not fork (seccomp), but whatever it might have
                    # started dies with it: descendants, process group and session
                    kill_process_tree(kernel_pid)
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001,S110 -- already dead is fine
            pass
        kernel_pid = kernel_pid or int(self.confinement().get("pid") or 0) or None
        if kernel_pid:  # group and session members left (the kernel led a new session)
            kill_process_tree(kernel_pid, leader=False)


# Run between two notebooks sharing a kernel: the next one starts from an empty namespace,
# re-imports the submission's modules, and sees no figure of the previous one.
_RESET = """\
import sys as _sys
for _m in [m for m in _sys.modules if m == "assignment" or m.startswith("assignment.")]:
    del _sys.modules[_m]
try:
    import matplotlib.pyplot as _plt
    _plt.close("all")
except Exception:
    pass
get_ipython().run_line_magic("reset", "-f")
"""


def _reset(kc) -> bool:
    """Run :data:`_RESET` through the kernel client ``kc``; False if it did not answer ok."""
    from jupyter_core.utils import run_sync

    try:
        reply = run_sync(kc.execute_interactive)(
            _RESET, silent=True, store_history=False, timeout=30,
            output_hook=lambda msg: None)
        return reply.get("content", {}).get("status") == "ok"
    except Exception:  # noqa: BLE001 -- a kernel that can't reset is replaced
        return False


def _stop_channels(kc) -> None:
    """Close the ZMQ channels of the kernel client ``kc`` (nbclient leaves them open on a
    kernel it was given rather than started)."""
    try:
        if kc is not None:
            kc.stop_channels()
    except Exception:  # noqa: BLE001,S110 -- closing is best effort
        pass


def _read_notebook(path: Path, out: dict):
    """The notebook with its stored outputs cleared, or None (``out['message']`` says why)."""
    import nbformat

    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        out["message"] = f"notebook larger than {MAX_NOTEBOOK_BYTES >> 20} MB"
        return None
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 -- any unreadable notebook is the student's error
        out["message"] = f"not a valid notebook: {type(exc).__name__}: {str(exc)[:200]}"
        return None
    for cell in nb.cells:  # never trust stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    out["cells"] = sum(c.cell_type == "code" for c in nb.cells)
    return nb


def run_notebooks(items, submission_dir, *, memory_mb: int = 3072,
                  landlock: bool = True) -> list[dict]:
    """Re-execute the notebooks of one submission, in order, in a sandboxed kernel.

    The notebooks of one submission share a kernel, which saves a kernel start and the
    imports per notebook: between two notebooks the kernel's namespace is reset, the
    submission's modules are dropped from ``sys.modules`` (so re-imported) and figures
    closed. A kernel that died, timed out or did not reset cleanly is killed and the next
    notebook gets a fresh one. Kernels are never shared between submissions.

    Parameters
    ----------
    items : sequence of (path, NotebookSpec)
        The submitted ``.ipynb`` files and their timeouts and budgets.
    submission_dir : path
        The submission folder (its modules become ``assignment.student``).
    memory_mb : int
        Address-space limit of the kernel.
    landlock : bool
        Apply Landlock (tests of the rest of the machinery may turn it off).

    Returns
    -------
    list of dict
        One per item, as :func:`run_notebook` describes.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    items = [(Path(p), spec) for p, spec in items]
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="grader-nb-"))
    box, km, env, kc = None, None, None, None  # kc: the client of km, kept between notebooks
    try:
        for index, (path, spec) in enumerate(items):
            start = time.monotonic()
            out = {"status": "error", "cells": 0, "executed": 0, "cell_errors": [],
                   "figures": [], "seconds": 0.0, "message": "", "landlock": None,
                   "seccomp": None, "flagged": []}
            results.append(out)
            client = None
            nb = _read_notebook(path, out)
            if nb is None:
                out["seconds"] = round(time.monotonic() - start, 3)
                continue
            try:
                if box is None:
                    box = _Sandbox(tmp, Path(submission_dir), memory_mb, landlock)
                if km is not None and (kc is None or not _reset(kc)):
                    _stop_channels(kc)
                    box.stop(km)
                    km, kc = None, None
                if km is None:  # CPU seconds: what the notebooks left may use at most
                    km, env = box.kernel(sum(s.budget for _, s in items[index:]))
                deadline = start + spec.budget

                def timeout_func(cell, spec=spec, deadline=deadline):
                    # Asked before each cell: once the budget is spent no cell starts, or
                    # many short cells would each still get their 1 s past it.
                    left = deadline - time.monotonic()
                    if left < 0.5:
                        raise CellTimeoutError(f"the {spec.budget:g} s budget is spent")
                    return max(1, int(min(spec.cell_timeout, left)))

                client = _client_class()(
                    nb, km=km, kernel_name="grader-sandbox", allow_errors=True,
                    timeout_func=timeout_func, startup_timeout=60, shutdown_kernel="immediate",
                    record_timing=True, resources={"metadata": {"path": str(box.work)}},
                    iopub_timeout=5)
                client.kc = kc  # None: nbclient starts the kernel and connects a client
                client.execute(env=env, cwd=str(box.work), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                out["status"] = "passed"
                kc = client.kc
            except CellTimeoutError:
                over = time.monotonic() >= deadline - 1
                out["status"] = "timeout"
                out["message"] = (f"the notebook exceeded its {spec.budget:g} s budget" if over
                                  else f"a cell ran longer than {spec.cell_timeout:g} s")
            except DeadKernelError:
                out["message"] = "the kernel died (memory or CPU limit, or the code exited)"
            except Exception as exc:  # noqa: BLE001 -- kernel start failures etc.: recorded
                out["message"] = f"could not execute: {type(exc).__name__}: {str(exc)[:300]}"
            if client is not None:
                # nbclient leaves its exit hook registered when the kernel died while
                # starting; at interpreter exit it would then fail on the missing manager.
                atexit.unregister(client._cleanup_kernel)
            _collect(nb, out)
            if box is not None:
                confined = box.confinement()
                out["landlock"] = confined.get("landlock_abi")
                out["seccomp"] = bool(confined.get("seccomp")) if confined else None
                if confined.get("secrets_readable"):
                    out["status"] = "error"
                    out["message"] = ("not run: the notebook kernel could still read the "
                                      "grader's files on this machine (no Landlock), e.g. "
                                      f"{confined['secrets_readable'][0]}")
            if out["status"] != "passed":  # busy, dead or broken: the next one gets a new one
                _stop_channels(kc if kc is not None else getattr(client, "kc", None))
                if box is not None:
                    box.stop(km)
                km, kc = None, None
            elif out["cell_errors"]:
                out["status"] = "failed"
            out["seconds"] = round(time.monotonic() - start, 3)
    finally:
        _stop_channels(kc)
        if box is not None:
            box.stop(km)
        shutil.rmtree(tmp, ignore_errors=True)
    return results


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
        (list of ``{cell, png}``, base64), ``seconds`` (kernel start included for the
        first notebook of a kernel), ``message``, ``landlock`` (ABI), ``seccomp`` (bool),
        ``flagged`` (list of ``{cell, line}``: printed "TOO LARGE" checks).
    """
    return run_notebooks([(path, spec)], submission_dir, memory_mb=memory_mb,
                         landlock=landlock)[0]


def _warm_matplotlib_cache(home: Path) -> None:
    """Copy the grader's matplotlib font cache so each kernel doesn't rebuild it (~1 s)."""
    try:
        # matplotlib.get_cachedir() without importing matplotlib in the grader
        cache = (Path(os.environ["MPLCONFIGDIR"]) if os.environ.get("MPLCONFIGDIR") else
                 Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib")
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
            if o.get("output_type") == "stream" and len(out["flagged"]) < MAX_FLAGGED:
                for line in str(o.get("text", "")).splitlines():
                    if FLAG in line and len(out["flagged"]) < MAX_FLAGGED:
                        out["flagged"].append({"cell": code_index,
                                               "line": " ".join(line.split())[:200]})
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
        flagged = run.get("flagged") or []
        if flagged:
            first = flagged[0]
            feedback += (f" The notebook's own checks flagged {len(flagged)} value(s) as too "
                         f"large; first: code cell {first['cell']}: {first['line']}")
    elif run["cell_errors"]:
        first = run["cell_errors"][0]
        feedback = (f"{len(run['cell_errors'])} cell(s) raised an error; first: code cell "
                    f"{first['cell']}: {first['ename']}: {first['evalue']}")
        if run["message"]:
            feedback = f"{run['message']}; {feedback}"
    else:
        feedback = run["message"] or "the notebook did not run."
    details = {k: run.get(k) for k in ("cells", "executed", "cell_errors", "figures",
                                       "landlock", "seccomp", "flagged")}
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
    rubric = list(rubric or RUBRIC)
    paths = {spec.name: find_notebook(Path(submission_dir), spec.name) for spec in rubric}
    present = [(paths[spec.name], spec) for spec in rubric if paths[spec.name]]
    runs = dict(zip((spec.name for _, spec in present),
                    run_notebooks(present, submission_dir, **options) if present else []))
    return [to_check(spec, runs.get(spec.name)) for spec in rubric]

