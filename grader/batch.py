"""Grade a folder of submissions: parallel workers, gradebook, per-student reports, cache.

``python -m grader batch DIR [--jobs N] [--out DIR] [--scheduler ADDRESS]``

Every entry of ``DIR`` (a folder or a ``.zip``) is one student's submission, named after the
entry (:func:`student_names`: unique even when ``alice/`` and ``alice.zip`` both exist). Each
is graded in its own ``python -m grader.batch`` subprocess (which calls
:func:`grader.api.grade`, and that runs the student code in its sandbox worker), so a
submission that crashes, hangs or exhausts memory costs only its own row. ``--scheduler``
sends the same job to a Dask cluster instead (:mod:`grader.batch_dask`). Outputs in
``--out``::

    gradebook.csv        one row per student (grader.reports.csv)
    summary.html         plots over the batch (grader.reports.summary)
    students/NAME.json   JSON report of each graded student (grader.reports.json_report)
    students/NAME.html   per-student report (grader.reports.html)
    cache.json           content hash + grader version per entry of DIR: unchanged ones are
                         skipped
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import grader
from grader.reports import csv as csv_report
from grader.reports import html as html_report
from grader.reports import json_report
from grader.reports import summary as summary_report
from grader.reports.csv import GradebookRow
from grader.result import Result

DEFAULT_GRADE = "grader.notebook_grading:grade_with_notebooks"  # api.grade + notebook checks
NO_NOTEBOOKS_GRADE = "grader.api:grade"
DEFAULT_TIMEOUT = 900.0
EXIT_INVALID = 2  # grader exit status for "not a usable submission" (cached, not retried)
_THREAD_PINS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ----------------------------------------------------------------------------- discovery
def discover(directory: Path, exclude: Path | None = None) -> list[Path]:
    """The submissions in ``directory``: every visible entry, sorted by name.

    Folders and zips are graded; any other file still gets a row (with a reason) so that
    no student silently disappears from the gradebook.
    """
    exclude = exclude.resolve() if exclude else None
    return sorted(
        p for p in Path(directory).iterdir()
        if not p.name.startswith((".", "_")) and p.resolve() != exclude
    )


def student_name(path: Path) -> str:
    """The gradebook name of a submission: folder name or zip stem."""
    return path.stem if path.suffix.lower() == ".zip" and path.is_file() else path.name


def student_names(paths) -> dict[Path, str]:
    """A unique gradebook name for every submission, stable from one run to the next.

    Usually :func:`student_name`. When two entries would share a name (``alice/`` and
    ``alice.zip``), or their report files would (``alice bob`` and ``alice_bob`` are both
    ``alice_bob.json``; ``Alice`` and ``alice`` on a case-insensitive disk), a zip keeps its
    ``.zip`` suffix, and any entry still clashing gets ``-2``, ``-3``... in name order, so
    no row, report or cache entry of one submission can stand for another's.
    """
    paths = sorted(paths, key=lambda p: p.name)

    def clash_key(name):
        return safe_filename(name).lower()

    names = {p: student_name(p) for p in paths}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[clash_key(name)] = counts.get(clash_key(name), 0) + 1
    for p in paths:
        if counts[clash_key(names[p])] > 1 and names[p] != p.name:
            names[p] = p.name
    taken: set[str] = set()
    for p in paths:  # the first in name order keeps its name
        name, n = names[p], 1
        while clash_key(name) in taken:
            n += 1
            name = f"{names[p]}-{n}"
        names[p] = name
        taken.add(clash_key(name))
    return names


def safe_filename(name: str) -> str:
    """A file name for a student's reports (no separators, no leading dots)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "_"


def content_hash(path: Path) -> str:
    """SHA-256 over a submission's file names and bytes (a zip: over its bytes)."""
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
            h.update(f.relative_to(path).as_posix().encode() + b"\0")
            h.update(os.readlink(f).encode() if f.is_symlink() else f.read_bytes())
            h.update(b"\0")
    elif path.is_file():
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(digest: str, options: dict, grade_func: str = DEFAULT_GRADE) -> str:
    """What must be unchanged for a cached grade to be reused: the submission, the grader's
    version, code and stored outputs (:func:`grader.api.grader_fingerprint`), the options."""
    from .api import grader_fingerprint

    opts = json.dumps([options, grade_func], sort_keys=True)
    return (f"{digest}:{grader.__version__}:{grader_fingerprint()[:16]}:"
            f"{hashlib.sha256(opts.encode()).hexdigest()[:12]}")


# ----------------------------------------------------------------------------- one job
def grade_in_subprocess(path: Path, options: dict, timeout: float = DEFAULT_TIMEOUT,
                        grade_func: str = DEFAULT_GRADE) -> dict:
    """Grade one submission in a fresh ``python -m grader.batch`` process.

    Returns
    -------
    dict
        ``{"result": Result.to_dict()}`` or ``{"reason": str, "invalid": bool}``; never raises.
    """
    path = Path(path)
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")):
        return {"reason": "not a submission: expected a folder or a .zip file", "invalid": True}
    env = dict(os.environ)
    for var in _THREAD_PINS:
        env.setdefault(var, "1")
    env.setdefault("ASSIGNMENT_SMALL_DATA", "1")
    # the grading process imports this very grader, whatever the current folder
    package_root = str(Path(grader.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "grader.batch", "--worker", str(path), str(out),
               "--grade-func", grade_func, "--options", json.dumps(options)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"reason": f"grading timed out after {timeout:g} s", "invalid": False}
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return {"reason": f"grader exited with status {proc.returncode}: {tail[0][:300]}",
                    "invalid": False}
    return data


def _worker_main(argv: list[str]) -> int:
    """Body of the grading subprocess: grade, write JSON, exit 0/2/1."""
    p = argparse.ArgumentParser(prog="python -m grader.batch --worker")
    p.add_argument("--worker", nargs=2, metavar=("SUBMISSION", "OUT_JSON"), required=True)
    p.add_argument("--grade-func", default=DEFAULT_GRADE)
    p.add_argument("--options", default="{}")
    a = p.parse_args(argv)
    sub, out = a.worker
    module, _, func = a.grade_func.partition(":")
    try:
        grade = getattr(__import__(module, fromlist=[func]), func)
    except (ImportError, AttributeError) as exc:
        data, status = {"reason": f"grader unavailable: {exc}", "invalid": False}, 1
    else:
        try:
            result = grade(sub, **json.loads(a.options))
            data, status = {"result": result.to_dict()}, 0
        except Exception as exc:  # noqa: BLE001 -- every failure becomes the row's reason
            invalid = _is_invalid_submission(exc)
            data = {"reason": f"{type(exc).__name__}: {exc}"[:500], "invalid": invalid}
            status = EXIT_INVALID if invalid else 1
    tmp = Path(out + ".part")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(out)
    return status


def _is_invalid_submission(exc: BaseException) -> bool:
    """True when the grader refused the input itself (bad zip, empty folder...)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"SubmissionError", "InvalidSubmission", "BadZipFile"})


# ----------------------------------------------------------------------------- batch
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


def _load_cache(out: Path) -> dict:
    try:
        return json.loads((out / "cache.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _cached_row(entry_name: str, name: str, key: str, cache: dict,
                out: Path) -> GradebookRow | None:
    """The cached row of the submission ``entry_name`` (its file or folder name in DIR),
    when its content, grader and options are unchanged and it still has the same student
    name (hence the same report files)."""
    entry = cache.get(entry_name)
    if not entry or entry.get("key") != key or entry.get("student", name) != name:
        return None
    if entry.get("reason") is not None:
        return GradebookRow(name, None, entry["reason"])
    try:
        text = (out / "students" / f"{safe_filename(name)}.json").read_text(encoding="utf-8")
        return GradebookRow(name, Result.from_dict(json.loads(text)))
    except (OSError, ValueError, TypeError):
        return None


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
    cache = _load_cache(out) if use_cache else {}
    new_cache: dict = {}
    rows: list[GradebookRow] = []
    bar = Progress(len(subs)) if progress else None
    todo: list[tuple[str, Path, str]] = []
    names = student_names(subs)
    entries = {names[p]: p.name for p in subs}  # cache.json is keyed by the entry in DIR
    for path in subs:
        name = names[path]
        key = cache_key(content_hash(path), options, grade_func)
        row = _cached_row(path.name, name, key, cache, out)
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
        from grader.batch_dask import grade_on_cluster

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


# ----------------------------------------------------------------------------- CLI
def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``batch`` subcommand on an argparse subparsers object."""
    p = subparsers.add_parser("batch", help="grade a folder of submissions into a gradebook",
                              description=__doc__.split("\n\n")[1])
    p.add_argument("directory", metavar="DIR", help="folder of submissions (folders or zips)")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="parallel grading processes (default: CPU count)")
    p.add_argument("--out", "-o", default=None, help="output folder (default: DIR/_grades)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address: grade on that cluster instead")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="wall-time limit per submission in seconds (default: %(default)s)")
    p.add_argument("--no-cache", action="store_true", help="regrade every submission")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-notebooks", dest="grade_func", action="store_const",
                   const=NO_NOTEBOOKS_GRADE, default=DEFAULT_GRADE,
                   help="do not execute the submitted notebooks")
    p.add_argument("--grade-func", dest="grade_func", help=argparse.SUPPRESS)
    p.set_defaults(func=lambda a: _run_from_args(a))
    return p


def _run_from_args(a: argparse.Namespace) -> int:
    directory = Path(a.directory)
    if not directory.is_dir():
        print(f"error: {directory} is not a folder of submissions", file=sys.stderr)
        return 2
    out = Path(a.out) if a.out else directory / "_grades"
    rows = run_batch(directory, out, jobs=a.jobs, scheduler=a.scheduler, timeout=a.timeout,
                     progress=not a.no_progress, use_cache=not a.no_cache,
                     grade_func=a.grade_func)
    graded = sum(r.graded for r in rows)
    print(f"{graded}/{len(rows)} submissions graded; gradebook: {out / 'gradebook.csv'}; "
          f"summary: {out / 'summary.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m grader.batch DIR ...`` (same options as ``grader batch``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--worker"] or "--worker" in argv:
        return _worker_main(argv)
    parser = argparse.ArgumentParser(prog="python -m grader")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["batch", *argv])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
