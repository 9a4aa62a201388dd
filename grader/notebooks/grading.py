"""Grade a submission with its notebooks: :func:`grader.api.grade` plus notebook checks.

:func:`grader.api.grade` grades the ``.py`` files only (the rubric's pytest checks, in
seconds, with no Jupyter needed, as in the Gradescope bundle's fast path and the
benchmark); :func:`grade_with_notebooks` adds one ``notebooks`` check per rubric notebook,
executed in a confined kernel. The batch (:mod:`grader.batch`) uses it by default, and so
does ``python -m grader grade`` when the submission holds any rubric notebook.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from pathlib import Path

from .rubric import RUBRIC
from .scoring import notebook_checks
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


def grade_with_notebooks(submission_path, rubric=None, notebook_options=None, **options):
    """:func:`grader.api.grade` plus one ``notebooks`` check per rubric notebook.

    The submission's modules come from the validated :class:`grader.submission.Submission`,
    the notebooks from the folder or zip.
    """
    from grader import submission as submission_mod
    from grader.api import grade

    result = grade(submission_path, **options)
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
        start = time.monotonic()
        result.checks += notebook_checks(folder, rubric, **(notebook_options or {}))
        result.extra["notebooks_seconds"] = round(time.monotonic() - start, 3)
    return result
