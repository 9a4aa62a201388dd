"""Notebook checks: one :class:`~grader.result.CheckResult` per graded notebook."""

from __future__ import annotations

from pathlib import Path

from grader.result import CheckResult

from .rubric import RUBRIC, NotebookSpec
from .run import run_notebooks
from .staging import find_notebook


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
