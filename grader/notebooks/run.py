"""Execute submitted notebooks headless in a sandboxed kernel and grade that they run clean.

Stored outputs are never trusted: every code cell is cleared and re-executed (nbclient) in a
fresh kernel whose import path holds only the submission (as ``assignment.student``) and the
provided utilities (never ``assignment.reference`` nor the grader); the kernel confines itself
(:mod:`grader.sandbox.nb_kernel`), each cell has a timeout and the whole notebook a budget, and the
kernel is killed at the end. Data-heavy cells run in small-data mode
(``ASSIGNMENT_SMALL_DATA=1``). Per-cell errors and ``image/png`` figures are kept for the
HTML report. The notebooks of one submission share a kernel (reset between them, replaced
after a death or timeout); two submissions never do.

:func:`run_notebook` returns plain data; :func:`grader.notebooks.scoring.notebook_checks`
turns it into :class:`~grader.result.CheckResult` objects of group ``"notebooks"``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .kernel import KernelBox, stop_channels, reset_namespace
from .rubric import NotebookSpec
from .staging import MAX_NOTEBOOK_BYTES

MAX_OUTPUT_BYTES = 8 << 20  # outputs kept per notebook; the rest is dropped
MAX_FIGURES = 12
MAX_FIGURE_BYTES = 2 << 20
# What the notebooks' report() prints when a value misses its bound. Such a line does not
# cost the notebook's points (they are for running clean; the graded checks judge the
# values) but is quoted in the feedback, so the student sees it.
FLAG = "TOO LARGE"
MAX_FLAGGED = 10


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
                    box = KernelBox(tmp, Path(submission_dir), memory_mb, landlock)
                if km is not None and (kc is None or not reset_namespace(kc)):
                    stop_channels(kc)
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
                stop_channels(kc if kc is not None else getattr(client, "kc", None))
                if box is not None:
                    box.stop(km)
                km, kc = None, None
            elif out["cell_errors"]:
                out["status"] = "failed"
            out["seconds"] = round(time.monotonic() - start, 3)
    finally:
        stop_channels(kc)
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
