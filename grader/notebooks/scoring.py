"""Notebook checks: one :class:`~grader.result.CheckResult` per graded notebook.

A notebook's points follow the work it shows, never the absence of errors:

1. the submitted notebook is rebuilt from its release (:mod:`grader.notebooks.release`):
   locked cells restored, the student's own cells taken from the submission, added cells
   left out;
2. the rebuilt notebook runs in a fresh confined kernel, with the integrity probe
   between cells (:mod:`grader.notebooks.run`, :mod:`grader.notebooks.integrity`);
3. the notebook's points are shared equally among its **locked checks** (the locked code
   cells that call the student's functions). A check earns its share when

   - the submission shows the cell as handed out (an edited or deleted locked cell is
     restored and run, but earns nothing);
   - the kernel's reply for the cell is ``ok``, the cell printed no error, and each
     bound it prints (``report(...)``) says ``ok``, none ``TOO LARGE``;
   - scaled by what the trusted ``.py`` checks of the functions it calls earned: a cell
     whose functions lost half of their ``.py`` points keeps at most half of its share
     (the kernel runs student code, so its verdict can only take points away);

4. a notebook whose code reached into the interpreter's error handling (a static match in
   any submitted cell, run or not, or a change seen by the probe) earns nothing, and the
   check is flagged (``details["flags"]``, which the gradebook shows).
"""

from __future__ import annotations

from pathlib import Path

from grader.result import CheckResult
from grader.sandbox.protocol import clean_text

from .release import MAX_CELLS, ReleaseError, load_release, rebuild, static_tampering
from .rubric import RUBRIC, NotebookSpec
from .run import read_notebook, run_notebooks
from .staging import find_notebook

EPS = 1e-9


def _title(spec: NotebookSpec) -> str:
    return f"{spec.name}.ipynb: its locked checks"


def _result(spec, score, status, feedback, seconds=0.0, details=None) -> CheckResult:
    return CheckResult(f"notebooks.{spec.name}", _title(spec), round(score, 6), spec.points,
                       status, feedback, visibility=spec.visibility, seconds=seconds,
                       group="notebooks", details=details or {})


def py_factor(functions, py_points) -> tuple[float, list[str]]:
    """The share of their ``.py`` points the ``functions`` earned (the lowest of them) and
    the functions that lost some. ``py_points``: ``{function: [(score, max_score), ...]}``
    (:func:`grader.notebooks.grading.function_points`)."""
    factor, short = 1.0, []
    for function in functions:
        entries = (py_points or {}).get(function) or []
        total = sum(m for _, m in entries)
        if total <= 0:
            continue
        share = sum(s for s, _ in entries) / total
        if share < 1 - EPS:
            short.append(function.split(".")[-1])
        factor = min(factor, share)
    return factor, short


def _cell_verdict(rc, run) -> str:
    """Empty when the locked check ``rc`` passed in the kernel, else why not."""
    rec = (run.get("cell_results") or {}).get(rc.index)
    if rec is None or rec.get("reply") is None:
        return "did not run"
    if rec["reply"] != "ok" or rec["errors"]:
        ename, evalue = rec.get("ename"), rec.get("evalue")
        if ename in (None, "None"):
            return "raised an error"
        return f"{ename}: {evalue}"[:300]
    if rec["large"]:
        return rec["large"][0]
    if "report(" in rc.source and not rec["ok"]:
        return "printed none of its checks"
    return ""


def to_check(spec: NotebookSpec, cells, merge, run, *, static_flags=(),
             py_points=None) -> CheckResult:
    """Score one rebuilt and executed notebook (see the module docstring).

    Parameters
    ----------
    spec : NotebookSpec
    cells : list of ReleaseCell
    merge : release.Merge
        What the submission held (:func:`grader.notebooks.release.rebuild`).
    run : dict
        :func:`grader.notebooks.run.run_notebook`'s record of the rebuilt notebook.
    static_flags : list of dict
        :func:`grader.notebooks.release.static_tampering` of the submission.
    py_points : dict, optional
        What each student function earned in the ``.py`` checks (see :func:`py_factor`).
    """
    checks = [c for c in cells if c.check]
    share = spec.points / len(checks) if checks else 0.0
    rows, earned, first_failure, held = [], 0.0, None, []
    for rc in checks:
        state = merge.state.get(rc.key)
        why = _cell_verdict(rc, run)
        factor, short = py_factor(rc.functions, py_points)
        points = 0.0
        if state != "intact":
            reason = ("deleted: restored and run, earns nothing" if state == "missing" else
                      "edited: your edit was not run (the cell ran as handed out) and "
                      "earns nothing")
            if why:
                reason += f"; as handed out it failed: {why}"
        elif why:
            reason = why
        else:
            points = share * factor
            reason = "" if factor >= 1 - EPS else (
                f"passed, but {', '.join(short)} lost points in the .py checks "
                f"({factor:.0%} of the share kept)")
            if factor < 1 - EPS:
                held.append(rc.code_index)
        earned += points
        rows.append({"cell": rc.code_index, "label": rc.label, "points": round(share, 6),
                     "earned": round(points, 6), "state": state,
                     "passed": not why and state == "intact", "reason": reason[:300]})
        if reason and first_failure is None and points < share - EPS:
            first_failure = (rc, reason)
    flags = [f"code cell {f['cell']} of your notebook {f['what']}" for f in static_flags]
    for found in run.get("integrity") or []:
        where = (f"your cell (code cell {found['cell']})" if found.get("student_cell") else
                 f"your functions, while code cell {found['cell']} ran") if found.get(
            "cell") else "the kernel before the first cell"
        flags += [f"{p} by {where}" for p in found["problems"]]
    flags = [clean_text(f, 300) for f in flags]  # names seen in the kernel are untrusted
    # hundredths of a point: totals stay exact in every report (a 12th of 2 points is not)
    earned = 0.0 if flags else round(earned, 2)
    passed = sum(r["passed"] for r in rows)
    parts = []
    if flags:
        parts.append("FLAGGED: the notebook's code tampered with error handling, so it earns "
                     "no points: " + "; ".join(flags[:3]))
    parts.append(f"{passed} of {len(rows)} locked checks passed")
    if first_failure is not None:
        rc, reason = first_failure
        label = f" ({rc.label})" if rc.label else ""
        parts.append(f"first short: code cell {rc.code_index}{label}: {reason}")
    edited, missing = merge.keys("edited"), merge.keys("missing")
    code_of = {c.key: c.code_index for c in cells if c.cell_type == "code"}
    locked = {c.key for c in cells if c.role == "locked"}
    edited = [code_of[k] for k in edited if k in code_of]
    gone = [code_of[k] for k in missing if k in code_of and k in locked]
    if edited:
        parts.append(f"locked code cells {_list(edited)} were edited: restored, your edits "
                     "were not run")
    if gone:
        parts.append(f"locked code cells {_list(gone)} were deleted: restored")
    if merge.added:
        parts.append(f"{len(merge.added)} code cell(s) you added were not run (write your "
                     "code in the cells meant for it)")
    if run.get("message"):
        parts.append(run["message"])
    status = run.get("status", "error")
    if earned >= spec.points - EPS and not flags:
        status = "passed"
    elif status not in ("timeout", "error") or earned > EPS:
        status = "failed"
    details = {k: run.get(k) for k in ("cells", "executed", "cell_errors", "figures",
                                       "landlock", "seccomp", "flagged")}
    details.update(checks=rows, edited=edited, deleted=gone, added=len(merge.added),
                   flags=flags[:10])
    for row in rows:
        row["reason"] = clean_text(row["reason"], 300)
    return _result(spec, earned, status, clean_text(". ".join(parts) + ".", 1500),
                   run.get("seconds", 0.0), details)


def _list(numbers) -> str:
    numbers = list(numbers)
    return ", ".join(str(n) for n in numbers[:8]) + (" ..." if len(numbers) > 8 else "")


class Prepared:
    """Notebooks read and rebuilt, their kernels' box made and the first kernel started:
    :func:`prepare`'s result, scored by :func:`finish`."""

    def __init__(self, rubric):
        self.rubric = rubric
        self.results: dict[str, CheckResult] = {}
        self.items: list = []
        self.pending: list = []
        self.box = None
        self.submission_dir = None


def prepare(submission_dir, rubric=None, *, release_dir=None, memory_mb: int = 3072,
            landlock: bool = True) -> Prepared:
    """Read and rebuild every notebook the rubric declares, and start the first kernel.

    What cannot run (missing, malformed, no release) is scored here already. Call
    :func:`finish` afterwards (it also releases the kernels).
    """
    from .kernel import KernelBox

    prepared = Prepared(list(rubric or RUBRIC))
    prepared.submission_dir = submission_dir
    for spec in prepared.rubric:
        try:
            release_nb, cells = load_release(spec.name, release_dir)
        except ReleaseError as exc:
            prepared.results[spec.name] = _result(spec, 0.0, "error", f"not graded: {exc}")
            continue
        none = {"checks": [], "flags": []}
        path = find_notebook(Path(submission_dir), spec.name)
        if path is None:
            prepared.results[spec.name] = _result(
                spec, 0.0, "missing", f"{spec.name}.ipynb is not in the submission.",
                details=none)
            continue
        out = {}
        submitted = read_notebook(path, out)
        if submitted is not None and len(submitted.cells) > MAX_CELLS:
            submitted, out["message"] = None, f"not a valid notebook: more than {MAX_CELLS} cells"
        if submitted is None:
            prepared.results[spec.name] = _result(
                spec, 0.0, "error", out.get("message") or "not a valid notebook", details=none)
            continue
        nb, merge = rebuild(submitted, release_nb, cells)
        prepared.items.append((nb, spec))
        prepared.pending.append((spec, cells, merge, static_tampering(submitted)))
    if prepared.items:
        prepared.box = KernelBox(None, Path(submission_dir), memory_mb, landlock)
        for index, (_, spec) in enumerate(prepared.items):
            prepared.box.launch(index, spec.budget)
    return prepared


def finish(prepared: Prepared, py_points=None) -> list[CheckResult]:
    """Run the prepared notebooks and score them (``py_points``: see :func:`py_factor`)."""
    runs = run_notebooks(prepared.items, prepared.submission_dir, probe=True,
                         box=prepared.box) if prepared.items else []
    for (spec, cells, merge, flags), run in zip(prepared.pending, runs):
        prepared.results[spec.name] = to_check(spec, cells, merge, run, static_flags=flags,
                                               py_points=py_points)
    return [prepared.results[spec.name] for spec in prepared.rubric]


def notebook_checks(submission_dir, rubric=None, *, py_points=None, release_dir=None,
                    **options) -> list[CheckResult]:
    """Rebuild, execute and score every notebook the rubric declares.

    Parameters
    ----------
    submission_dir : path
        The (validated, extracted) submission folder.
    rubric : sequence of NotebookSpec, optional
        Defaults to :data:`RUBRIC` (the three assignment notebooks).
    py_points : dict, optional
        What each function earned in the ``.py`` checks of the same submission
        (:func:`grader.notebooks.grading.function_points`).
    release_dir : path, optional
        Where the release notebooks are (default: ``notebooks/student``).
    **options
        ``memory_mb``, ``landlock`` (see :func:`grader.notebooks.run.run_notebooks`).

    Returns
    -------
    list of CheckResult
    """
    return finish(prepare(submission_dir, rubric, release_dir=release_dir, **options),
                  py_points)
