"""Grade a submission with its notebooks: :func:`grader.api.grade` plus notebook checks.

:func:`grader.api.grade` grades the ``.py`` files only (the rubric's pytest checks, in
seconds, with no Jupyter needed, as in the Gradescope bundle's fast path and the
benchmark); :func:`grade_with_notebooks` adds one ``notebooks`` check per rubric notebook,
rebuilt from its release and executed in confined kernels
(:mod:`grader.notebooks.scoring`). The ``.py`` results go with it: a notebook's check cell
keeps no more of its points than the ``.py`` checks of the functions it calls earned. The
batch (:mod:`grader.batch`) uses it by default, and so does ``python -m grader grade`` when
the submission holds any rubric notebook.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from pathlib import Path

from .rubric import RUBRIC
from .staging import MAX_NOTEBOOK_BYTES


def _notebook_sources(path: Path, names) -> dict[str, bytes]:
    """The rubric's notebooks in a folder or zip, as bytes, found where
    :func:`grader.submission.load` finds the student files (next to them, or in the
    handout's ``notebooks/``)."""
    from grader.submission import notebook_sources

    return notebook_sources(path, {f"{n}.ipynb" for n in names}, MAX_NOTEBOOK_BYTES)


def has_notebooks(submission_path, rubric=None) -> bool:
    """True when the folder or zip holds at least one of the rubric's notebooks."""
    path = Path(submission_path)
    try:
        return bool(_notebook_sources(path, [s.name for s in rubric or RUBRIC]))
    except (OSError, zipfile.BadZipFile, ValueError):
        return False  # an unreadable submission is refused, with its reason, by grade()


def function_points(result) -> dict:
    """``{module.function: [(score, max_score), ...]}``: what each student function earned
    in the ``.py`` checks of ``result`` (its share, ``details["by_function"]``, where a
    check splits its points among functions; the whole check otherwise)."""
    points: dict = {}
    for check in result.checks:
        if check.group == "notebooks":
            continue
        by_fn = (check.details or {}).get("by_function")
        if isinstance(by_fn, dict) and by_fn:
            for fn, v in by_fn.items():
                if isinstance(v, dict):
                    points.setdefault(fn, []).append((float(v.get("score", 0)),
                                                      float(v.get("max_score", 0))))
            continue
        for fn in check.functions or [f"{check.group}.{check.id.split('.')[0]}"]:
            points.setdefault(fn, []).append((check.score, check.max_score))
    return points


def grade_with_notebooks(submission_path, rubric=None, notebook_options=None, **options):
    """:func:`grader.api.grade` plus one ``notebooks`` check per rubric notebook.

    The submission's modules come from the validated :class:`grader.submission.Submission`,
    the notebooks from the folder or zip. The notebooks are rebuilt and their first
    kernel started before the ``.py`` checks run, and executed after them.
    """
    from grader import submission as submission_mod
    from grader.api import grade

    from .scoring import finish, prepare

    rubric = rubric or RUBRIC
    path = Path(submission_path)
    sub = submission_mod.load(path)
    with tempfile.TemporaryDirectory(prefix="grader-nbsub-") as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        for module, data in sub.files.items():
            (folder / f"{module}.py").write_bytes(data)
        for name, data in _notebook_sources(path, [s.name for s in rubric]).items():
            (folder / name).write_bytes(data)
        # The notebooks' kernel template and first kernel start while the .py checks run.
        prepared = prepare(folder, rubric, **(notebook_options or {}))
        try:
            result = grade(submission_path, **options)
        except BaseException:
            finish_quietly(prepared)
            raise
        started = time.monotonic()
        result.checks += finish(prepared, function_points(result))
        result.extra["notebooks_seconds"] = round(time.monotonic() - started, 3)
    return result


def finish_quietly(prepared) -> None:
    """Release the kernels of notebooks that will not be run."""
    if prepared.box is not None:
        prepared.box.close()
