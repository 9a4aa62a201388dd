"""Execute notebooks headless, each in a fresh confined kernel, and record every cell.

Stored outputs are never trusted: every code cell is cleared and re-executed (nbclient) in
a kernel whose import path holds only the submission (as ``assignment.student``) and the
provided utilities (never ``assignment.reference`` nor the grader); the kernel confines
itself (:mod:`grader.sandbox.nb_kernel`), each cell has a timeout and the whole notebook a
budget, and the kernel is killed at the end. Data-heavy cells run in small-data mode
(``ASSIGNMENT_SMALL_DATA=1``).

**No state crosses notebooks**: each notebook gets a kernel of its own, never reused.
A kernel is forked, already holding the heavy imports, from a template process that ran no
student code (:mod:`grader.notebooks.kernel`), and every notebook's kernel is started at
once (while the ``.py`` checks run, when :mod:`grader.notebooks.grading` prepared them), so
each initialises while others work and the isolation costs little time.

**The result channel.** What a cell did is read, per cell, from the kernel's
``execute_reply`` (its ``status``, ``ename``, ``evalue``) on the shell channel, and not only
from the error outputs on iopub: a custom exception handler (``set_custom_exc``) can
silence the error output, but the reply still says ``error``. With ``probe=True`` a silent
:data:`grader.notebooks.integrity.PROBE` runs before the first cell and after each code
cell, so that what a cell did to the kernel's error handling is seen and attributed to it.
The outputs the grader reads (printed check verdicts, figures) are taken per cell, capped,
and only used for the cells the caller trusts (:mod:`grader.notebooks.scoring` reads the
locked cells only).

Why this channel and not a marker printed by a locked-cell epilogue: everything in the
kernel, a marker's secret included, is readable and forgeable by code that ran earlier in
the same process (a student cell, or the student's modules while a locked cell calls
them). The reply status comes from ipykernel's own code: forging it means replacing the
kernel's or the shell's methods, event callbacks or transformers, which is exactly what the
probe compares between cells. And the kernel's verdict only ever takes points away: a
check cell earns no more than the trusted ``.py`` checks of the functions it calls granted
(:mod:`grader.notebooks.scoring`), so a forgery that escaped every layer would gain nothing
those checks refused.

:func:`run_notebooks` returns plain data; :func:`grader.notebooks.scoring.notebook_checks`
turns it into :class:`~grader.result.CheckResult` objects of group ``"notebooks"``.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import integrity
from .kernel import KernelBox
from .rubric import NotebookSpec
from .staging import MAX_NOTEBOOK_BYTES

MAX_OUTPUT_BYTES = 8 << 20  # outputs kept per notebook; the rest is dropped
MAX_FIGURES = 12
MAX_FIGURE_BYTES = 2 << 20
MAX_CELL_TEXT = 64 << 10  # stream text read per cell for verdict lines
# What the notebooks' report() prints: "<name>: <value>   ok" or "... TOO LARGE: ...".
FLAG = "TOO LARGE"
MAX_FLAGGED = 10
VERDICT = re.compile(r"^\s*(?P<name>.{1,80}?):\s+(?P<value>[-+0-9.eE]+|nan|inf|-inf)\s+(?P<verdict>ok|TOO LARGE)\b")
PROBE_TIMEOUT = 15.0


class ProbeFailed(Exception):
    """The kernel could not be probed between two cells: execution stops there."""


def _client_class():
    from nbclient import NotebookClient

    class GraderClient(NotebookClient):
        """nbclient, plus: outputs capped, each code cell's reply kept, integrity probes."""

        kept_bytes = 0

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {}), default=str))
            if self.kept_bytes + size > MAX_OUTPUT_BYTES:
                return None
            self.kept_bytes += size
            return super().output(outs, msg, display_id, cell_index)

        async def async_start_new_kernel_client(self):
            """nbclient's, without jupyter_client's 0.2 s of iopub silence at the end (the
            cells' outputs are matched to their request, so nothing stale can mix in)."""
            from queue import Empty

            from jupyter_core.utils import ensure_async

            self.kc = self.km.client()
            await ensure_async(self.kc.start_channels())
            deadline = time.monotonic() + self.startup_timeout
            while True:
                await ensure_async(self.kc.kernel_info())
                try:
                    reply = await self.kc.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply.get("msg_type") == "kernel_info_reply":
                    try:  # a message on iopub: it is connected, no output will be lost
                        await self.kc.iopub_channel.get_msg(timeout=0.2)
                        break
                    except Empty:
                        pass
                if not await self.kc.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {self.startup_timeout} s")
            self.kc.allow_stdin = False
            return self.kc

        async def async_execute_cell(self, cell, cell_index, **kwargs):
            runs = cell.cell_type == "code" and cell.source.strip()
            if runs and self.grader_probe and self.grader_probes == []:
                await self._probe("start")
            cell = await super().async_execute_cell(cell, cell_index, **kwargs)
            if runs and self.grader_probe:
                await self._probe(cell_index)
            return cell

        async def _probe(self, where):
            probe, why, answered = await self._ask_probe()
            self.grader_probes.append((where, (probe, why, answered)))
            if probe is None:  # nothing after this point can be vouched for: stop here
                raise ProbeFailed(why)

        async def _ask_probe(self):
            """The kernel's answer to the integrity probe: (probe or None, why, answered)."""
            msg_id = self.kc.execute("", silent=True, store_history=False,
                                     user_expressions={"p": integrity.PROBE},
                                     allow_stdin=False)
            deadline = time.monotonic() + PROBE_TIMEOUT
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, "the kernel did not answer the grader's probe in time", False
                try:
                    msg = await self.kc.shell_channel.get_msg(timeout=min(left, 1.0))
                except Exception:  # noqa: BLE001 -- queue.Empty: check the kernel, go on
                    if not await self.kc.is_alive():
                        return None, "the kernel died", False
                    continue
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return (*integrity.parse(msg.get("content")), True)

    return GraderClient


def read_notebook(path: Path, out: dict):
    """The notebook with its stored outputs cleared, or None (``out['message']`` says why)."""
    import nbformat

    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            out["message"] = f"notebook larger than {MAX_NOTEBOOK_BYTES >> 20} MB"
            return None
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 -- any unreadable notebook is the student's error
        out["message"] = f"not a valid notebook: {type(exc).__name__}: {str(exc)[:200]}"
        return None
    for cell in nb.cells:  # never trust stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _new_record() -> dict:
    return {"status": "error", "cells": 0, "executed": 0, "cell_errors": [], "figures": [],
            "seconds": 0.0, "message": "", "landlock": None, "seccomp": None, "flagged": [],
            "cell_results": {}, "integrity": []}


def run_notebooks(items, submission_dir, *, memory_mb: int = 3072, landlock: bool = True,
                  probe: bool = False, box: KernelBox | None = None) -> list[dict]:
    """Re-execute the notebooks of one submission, in order, each in a fresh kernel.

    Parameters
    ----------
    items : sequence of (path or NotebookNode, NotebookSpec)
        The notebooks (a path is read and its outputs cleared; a notebook object, such as a
        rebuilt one, is run as it is) with their timeouts and budgets.
    submission_dir : path
        The submission folder (its modules become ``assignment.student``).
    memory_mb : int
        Address-space limit of each kernel.
    landlock : bool
        Apply Landlock (tests of the rest of the machinery may turn it off).
    probe : bool
        Run the integrity probe before the first cell and after every code cell.
    box : KernelBox, optional
        A box made (and its first kernel launched) ahead of time, e.g. while the ``.py``
        checks ran; closed here like one made here.

    Returns
    -------
    list of dict
        One per item, as :func:`run_notebook` describes.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    results = [_new_record() for _ in items]
    notebooks = []
    for (item, _), out in zip(items, results):
        nb = item if not isinstance(item, (str, Path)) else read_notebook(Path(item), out)
        if nb is not None:
            out["cells"] = sum(c.cell_type == "code" for c in nb.cells)
        notebooks.append(nb)
    runnable = [i for i, nb in enumerate(notebooks) if nb is not None]
    if not runnable:
        if box is not None:
            box.close()
        return results
    tmp = None
    try:
        if box is None:
            tmp = Path(tempfile.mkdtemp(prefix="grader-nb-"))
            box = KernelBox(tmp, Path(submission_dir), memory_mb, landlock)
        for index in runnable:  # all at once: each initialises while others run
            box.launch(index, items[index][1].budget)
        for index in runnable:
            nb, spec, out = notebooks[index], items[index][1], results[index]
            start = time.monotonic()
            deadline = start + spec.budget
            client, replies = None, {}
            try:
                km = box.manager(index)

                def timeout_func(cell, spec=spec, deadline=deadline):
                    # Asked before each cell: once the budget is spent no cell starts, or
                    # many short cells would each still get their 1 s past it.
                    left = deadline - time.monotonic()
                    if left < 0.5:
                        raise CellTimeoutError(f"the {spec.budget:g} s budget is spent")
                    return max(1, int(min(spec.cell_timeout, left)))

                def executed(cell, cell_index, execute_reply, replies=replies, **_):
                    content = (execute_reply or {}).get("content") or {}
                    replies[cell_index] = {k: str(content.get(k))[:300]
                                           for k in ("status", "ename", "evalue")}

                client = _client_class()(
                    nb, km=km, kernel_name="grader-sandbox", allow_errors=True,
                    timeout_func=timeout_func, startup_timeout=60,
                    shutdown_kernel="immediate", record_timing=True,
                    resources={"metadata": {"path": str(box.work)}}, iopub_timeout=5,
                    on_cell_executed=executed)
                client.grader_probe, client.grader_probes = probe, []
                client.execute(cwd=str(box.work), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                out["status"] = "passed"
            except CellTimeoutError:
                over = time.monotonic() >= deadline - 1
                out["status"] = "timeout"
                out["message"] = (f"the notebook exceeded its {spec.budget:g} s budget" if over
                                  else f"a cell ran longer than {spec.cell_timeout:g} s")
            except DeadKernelError:
                out["message"] = "the kernel died (memory or CPU limit, or the code exited)"
            except ProbeFailed as exc:
                out["message"] = f"stopped: {exc}"
            except Exception as exc:  # noqa: BLE001 -- kernel start failures etc.: recorded
                out["message"] = f"could not execute: {type(exc).__name__}: {str(exc)[:300]}"
            if client is not None:
                # nbclient leaves its exit hook registered when the kernel died while
                # starting; at interpreter exit it would then fail on the missing manager.
                atexit.unregister(client._cleanup_kernel)
                _stop_channels(client)
            _collect(nb, out, replies)
            if client is not None and probe:
                out["integrity"] = integrity.from_probes(nb, client.grader_probes)
            confined = box.confinement(index)
            out["landlock"] = confined.get("landlock_abi")
            out["seccomp"] = bool(confined.get("seccomp")) if confined else None
            if confined.get("secrets_readable"):
                out["status"] = "error"
                out["message"] = ("not run: the notebook kernel could still read the "
                                  "grader's files on this machine (no Landlock), e.g. "
                                  f"{confined['secrets_readable'][0]}")
            box.stop(index)
            if out["status"] == "passed" and out["cell_errors"]:
                out["status"] = "failed"
            out["seconds"] = round(time.monotonic() - start, 3)
    finally:
        if box is not None:
            box.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return results


def _stop_channels(client) -> None:
    try:
        if client.kc is not None:
            client.kc.stop_channels()
    except Exception:  # noqa: BLE001,S110 -- closing is best effort
        pass


def run_notebook(path, submission_dir, spec: NotebookSpec, *, memory_mb: int = 3072,
                 landlock: bool = True, probe: bool = False) -> dict:
    """Re-execute one notebook in a fresh sandboxed kernel.

    Parameters
    ----------
    path : path or NotebookNode
        The notebook (a path: read, stored outputs cleared).
    submission_dir : path
        The submission folder (its modules become ``assignment.student``).
    spec : NotebookSpec
        Timeouts and budget.
    memory_mb : int
        Address-space limit of the kernel.
    landlock : bool
        Apply Landlock (tests of the rest of the machinery may turn it off).
    probe : bool
        Run the integrity probes (``integrity`` in the result).

    Returns
    -------
    dict
        ``status`` (``passed``/``failed``/``error``/``timeout``), ``cells`` (code cells),
        ``executed``, ``cell_errors`` (list of ``{cell, ename, evalue}``, ``cell`` numbering
        code cells from 1), ``figures`` (list of ``{cell, png}``, base64), ``seconds``,
        ``message``, ``landlock`` (ABI), ``seccomp`` (bool), ``flagged`` (list of
        ``{cell, line}``: printed "TOO LARGE" checks), ``cell_results`` (notebook cell
        index -> ``{code, reply, ename, evalue, errors, ok, large, text}``) and
        ``integrity`` (list of ``{cell, problems}``).
    """
    return run_notebooks([(path, spec)], submission_dir, memory_mb=memory_mb,
                         landlock=landlock, probe=probe)[0]


def _seconds(start: str, end: str) -> float:
    from datetime import datetime

    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
        return round(delta.total_seconds(), 3)
    except (TypeError, ValueError):
        return float("nan")


def _collect(nb, out: dict, replies: dict) -> None:
    """Record, per code cell: its reply, error outputs, verdict lines and figures."""
    code_index = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code_index += 1
        reply = replies.get(index)
        rec = {"code": code_index, "reply": reply["status"] if reply else None,
               "ename": reply["ename"] if reply else None,
               "evalue": reply["evalue"] if reply else None,
               "errors": 0, "ok": 0, "large": []}
        out["cell_results"][index] = rec
        if cell.get("execution_count") is not None:
            out["executed"] += 1
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            out.setdefault("cell_seconds", []).append(
                (code_index, _seconds(timing["iopub.execute_input"], timing["shell.execute_reply"])))
        text_left = MAX_CELL_TEXT
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stdout" and text_left > 0:
                text = str(o.get("text", ""))[:text_left]
                text_left -= len(text)
                for line in text.splitlines():
                    m = VERDICT.match(line)
                    if m and m.group("verdict") == "ok":
                        rec["ok"] += 1
                    elif FLAG in line:
                        clean = " ".join(line.split())[:200]
                        if len(rec["large"]) < MAX_FLAGGED:
                            rec["large"].append(clean)
                        if len(out["flagged"]) < MAX_FLAGGED:
                            out["flagged"].append({"cell": code_index, "line": clean})
            if o.get("output_type") == "error":
                rec["errors"] += 1
                out["cell_errors"].append({"cell": code_index, "ename": str(o.get("ename"))[:100],
                                           "evalue": str(o.get("evalue"))[:300]})
            png = (o.get("data") or {}).get("image/png")
            if (isinstance(png, str) and len(png) <= MAX_FIGURE_BYTES
                    and len(out["figures"]) < MAX_FIGURES):
                out["figures"].append({"cell": code_index, "png": png})
        if reply and reply["status"] == "error" and not rec["errors"]:
            # an error the outputs do not show (a handler swallowed its display)
            out["cell_errors"].append({"cell": code_index, "ename": rec["ename"],
                                       "evalue": f"{rec['evalue']} (reported by the kernel; "
                                                 "its display was suppressed)"})
