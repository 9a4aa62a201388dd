"""Grade a submission with its notebooks: :func:`grader.api.grade` plus notebook checks.

The batch (:mod:`grader.batch`) and the benchmark use :func:`grade_with_notebooks` as their
grade function until :func:`grader.api.grade` runs :func:`grader.notebooks.notebook_checks`
itself; from then on it is a plain pass-through.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath

from grader.notebooks import MAX_NOTEBOOK_BYTES, RUBRIC, find_notebook, notebook_checks


def _notebook_sources(path: Path, names) -> dict[str, bytes]:
    """The rubric's notebooks in a folder or zip (top level or one folder down), as bytes."""
    wanted, found = {f"{n}.ipynb" for n in names}, {}
    if path.is_dir():
        for name in wanted:
            nb = find_notebook(path, name[:-6])
            if nb is not None and nb.stat().st_size <= MAX_NOTEBOOK_BYTES:
                found[name] = nb.read_bytes()
        return found
    with zipfile.ZipFile(path) as zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if (parts and parts[-1] in wanted and len(parts) <= 2 and ".." not in parts
                    and info.file_size <= MAX_NOTEBOOK_BYTES and parts[-1] not in found):
                found[parts[-1]] = zf.read(info)
    return found


def grade_with_notebooks(submission_path, rubric=None, notebook_options=None, **options):
    """:func:`grader.api.grade` plus one ``notebooks`` check per rubric notebook.

    A no-op wrapper once :func:`grader.api.grade` grades notebooks itself (the result then
    already holds checks of group ``"notebooks"``). The submission's modules come from the
    validated :class:`grader.submission.Submission`, the notebooks from the folder or zip.
    """
    from grader import submission as submission_mod
    from grader.api import grade

    result = grade(submission_path, **options)
    if any(c.group == "notebooks" for c in result.checks):
        return result
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
