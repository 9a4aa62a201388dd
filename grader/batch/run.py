"""Grade a folder of submissions: parallel workers, gradebook, per-student reports, cache.

``python -m grader batch DIR [--jobs N] [--out DIR] [--scheduler ADDRESS]``

Every entry of ``DIR`` (a folder or a ``.zip``) is one student's submission, named after the
entry (:func:`student_names`: unique even when ``alice/`` and ``alice.zip`` both exist). Each
is graded in its own subprocess (:mod:`grader.batch.job`, which calls
:func:`grader.api.grade`, and that runs the student code in its sandbox worker), so a
submission that crashes, hangs or exhausts memory costs only its own row. ``--scheduler``
sends the same job to a Dask cluster instead (:mod:`grader.batch.cluster`). Outputs in
``--out``::

    gradebook.csv        one row per student (grader.reports.csv)
    summary.html         plots over the batch (grader.reports.summary)
    students/NAME.json   JSON report of each graded student (grader.reports.json_report)
    students/NAME.html   per-student report (grader.reports.html)
    cache.json           content hash + grader version per entry of DIR: unchanged ones are
                         skipped
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grader.reports import csv as csv_report
from grader.reports import html as html_report
from grader.reports import json_report
from grader.reports import summary as summary_report
from grader.reports.csv import GradebookRow
from grader.result import Result

from .cache import cache_key, cached_row, content_hash, load_cache
from .job import DEFAULT_GRADE, DEFAULT_TIMEOUT, grade_in_subprocess
from .names import discover, safe_filename, student_names


class Progress:
    """A one-line progress bar on stderr (one line per submission when not a terminal)."""

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.width, self.start = width, time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, name: str, ok: bool, cached: bool = False) -> None:
        self.done += 1
        self.failed += not ok
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        fill = int(self.width * self.done / max(self.total, 1))
        bar = "#" * fill + "." * (self.width - fill)
        tag = "cached" if cached else ("ok" if ok else "FAILED")
        line = (f"[{bar}] {self.done}/{self.total} ({self.failed} not graded) "
                f"{elapsed:.0f}s elapsed, eta {eta:.0f}s  {name}: {tag}")
        if self.tty:
            self.stream.write("\r" + line[:150].ljust(150))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _write_student(out: Path, row: GradebookRow) -> None:
    base = out / "students" / safe_filename(row.student)
    base.parent.mkdir(parents=True, exist_ok=True)
    if row.result is not None:
        # not with_suffix: "alice.zip" must not become "alice.json"
        json_report.write(row.result, base.parent / f"{base.name}.json")
        html_report.write(row.result, base.parent / f"{base.name}.html")


def run_batch(directory, out, jobs: int = 2, scheduler: str | None = None,
              options: dict | None = None, timeout: float = DEFAULT_TIMEOUT,
              grade_func: str = DEFAULT_GRADE, progress: bool = True,
              use_cache: bool = True) -> list[GradebookRow]:
    """Grade every submission in ``directory`` and write the batch outputs to ``out``.

    Parameters
    ----------
    directory : path
        Folder whose entries are submissions (folders or zips).
    out : path
        Output folder (created); may be inside ``directory`` (it is then skipped).
    jobs : int
        Parallel local grading processes (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); grade there instead.
    options : dict, optional
        Keyword options passed to the grade function (JSON-serialisable).
    timeout : float
        Wall-time limit per submission, in seconds.
    grade_func : str
        ``"module:function"`` of the grade function (tests substitute a fake one).
    progress : bool
        Show the progress bar on stderr.
    use_cache : bool
        Skip submissions whose content hash, grader version and options are unchanged.

    Returns
    -------
    list of GradebookRow
        One per submission, sorted by student.
    """
    directory, out = Path(directory), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    options = dict(options or {})
    subs = discover(directory, exclude=out)
    cache = load_cache(out) if use_cache else {}
    new_cache: dict = {}
    rows: list[GradebookRow] = []
    bar = Progress(len(subs)) if progress else None
    todo: list[tuple[str, Path, str]] = []
    names = student_names(subs)
    entries = {names[p]: p.name for p in subs}  # cache.json is keyed by the entry in DIR
    for path in subs:
        name = names[path]
        key = cache_key(content_hash(path), options, grade_func)
        row = cached_row(path.name, name, key, cache, out)
        if row is None:
            todo.append((name, path, key))
            continue
        rows.append(row)
        new_cache[path.name] = cache[path.name]
        if row.result is not None:  # reports follow the current writers
            html_report.write(row.result, out / "students" / f"{safe_filename(name)}.html")
        if bar:
            bar.update(name, row.graded, cached=True)

    def finish(name: str, key: str, data: dict) -> None:
        if "result" in data:
            row = GradebookRow(name, Result.from_dict(data["result"]))
        else:
            row = GradebookRow(name, None, data.get("reason") or "unknown error")
        _write_student(out, row)
        rows.append(row)
        if row.graded or data.get("invalid"):
            new_cache[entries[name]] = {"key": key, "student": name,
                                        "reason": None if row.graded else row.reason}
        if bar:
            bar.update(name, row.graded)

    if scheduler:
        from .cluster import grade_on_cluster

        for name, key, data in grade_on_cluster(scheduler, todo, options, timeout, grade_func):
            finish(name, key, data)
    else:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(grade_in_subprocess, path, options, timeout, grade_func):
                       (name, key) for name, path, key in todo}
            for fut in as_completed(futures):
                finish(*futures[fut], fut.result())

    rows.sort(key=lambda r: r.student)
    csv_report.write(rows, out / "gradebook.csv")
    summary_report.write(rows, out / "summary.html")
    (out / "cache.json").write_text(json.dumps(new_cache, indent=1, sort_keys=True),
                                    encoding="utf-8")
    return rows
