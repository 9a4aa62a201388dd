"""The grading API: ``grade(submission_path, **options) -> Result``.

Everything else (CLI, samples, benchmark, batch grading) is built on :func:`grade`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time

import numpy as np

from . import __version__
from . import submission as submission_mod
from .checks import all_cases
from .checks.plugin import Collector, run
from .checks.routing import RoutedModules
from .golden import store as golden
from .result import CheckResult, Result
from .sandbox import STUDENT_MODULES, Sandbox, StudentError
from .submission import SubmissionError

__all__ = ["grade", "GraderError", "SubmissionError"]


class GraderError(Exception):
    """The grader itself failed (exit status 1): a bug or a broken installation."""


def grader_fingerprint():
    """SHA-256 of what decides a grade besides the submission: the grader's code (``*.py``
    of the package, checks included) and its stored data (expected outputs, mistake
    signatures). A version number alone does not change with every edit of a check."""
    from pathlib import Path

    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and (p.suffix == ".py" or "expected" in p.relative_to(root).parts))
    for path in files:
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def environment(confinement):
    """What a regrade needs to explain a score (no timings, so two runs compare equal)."""
    manifest = golden.EXPECTED_DIR / golden.MANIFEST
    return {
        "grader_version": __version__,
        "grader_sha256": grader_fingerprint(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
        # as the worker measured them (OpenBLAS asked directly), not as we meant to set them
        "threads": confinement.get("threads", {}),
        "expected_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest()
        if manifest.exists() else None,
        "sandbox": {k: v for k, v in confinement.items() if k not in ("numpy", "fast_layers")},
    }


def _no_verdict(case):
    return CheckResult(id=case.id, name=case.name, score=0.0, max_score=case.points,
                       status="error", feedback="no verdict was produced for this check",
                       visibility=case.visibility, group=case.module)


def grade(submission_path, *, timeout=None, compare=True, limits=None, expected_dir=None,
          pytest_args=(), budget=300.0):
    """Grade one submission.

    Parameters
    ----------
    submission_path : str or Path
        A folder or ``.zip`` holding the student files.
    timeout : float, optional
        Seconds per call into student code (default: each check's own).
    compare : bool
        Also time the student's naive conv/pool against the fast layers
        (``Result.extra["naive_vs_fast"]``).
    limits : dict, optional
        Worker rlimit overrides (see :data:`grader.sandbox.DEFAULT_LIMITS`).
    expected_dir : str or Path, optional
        Folder of stored expected outputs (default ``grader/golden/expected``).
    pytest_args : sequence of str
        Extra pytest arguments (``-k conv`` grades a subset).
    budget : float
        Seconds of student-code time for the whole submission; once used up, the remaining
        checks are ``timeout`` (so a submission of endless loops still ends in time).

    Returns
    -------
    Result

    Raises
    ------
    SubmissionError
        The input is not a usable submission (exit status 2).
    GraderError
        The grader failed (exit status 1).
    """
    start = time.perf_counter()
    sub = submission_mod.load(submission_path)
    try:
        expected, _ = golden.load(expected_dir or golden.EXPECTED_DIR)
    except (OSError, ValueError) as exc:
        raise GraderError(f"cannot read the stored expected outputs ({exc}); run "
                          "`make expected`") from exc
    with Sandbox(sub.files, limits=limits) as sb, \
            Sandbox(sub.files, limits=limits, fast_layers=False) as naive_sb:
        deadline = time.monotonic() + budget
        for box in (sb, naive_sb):  # one budget for both workers
            box.timeout_override = timeout
            box.total_deadline = deadline
        for box in (naive_sb, sb):  # both workers run student code: both must be confined
            try:
                ready = box.start()
            except StudentError as exc:
                raise GraderError(f"the sandbox worker does not start: {exc.message}") from None
            if ready.get("secrets_readable") and \
                    not os.environ.get("GRADER_ALLOW_VISIBLE_ORACLE"):
                raise GraderError(
                    "the sandbox cannot hide the answers on this machine: student code could "
                    f"read {ready['secrets_readable'][0]} (confinement layers: "
                    f"{', '.join(ready.get('layers', [])) or 'none'}). Grade on Linux with "
                    "Landlock or mount namespaces; GRADER_ALLOW_VISIBLE_ORACLE=1 grades anyway, "
                    "for a student's self-check only")
        if ready.get("fast_layers") != "ok":
            raise GraderError("the provided fast layers do not import in the sandbox ("
                              f"{ready.get('fast_layers')}); rebuild them with `make build`")
        for module in STUDENT_MODULES:  # imports first, in a worker no call has touched
            try:
                sb.ensure_imported(module)
            except StudentError:
                pass  # reported by each of the module's checks
        collector = Collector(RoutedModules(sb, naive_sb), expected)
        code = run(collector, pytest_args)
        if code not in (0, 1) or collector.internal_errors:
            raise GraderError(f"pytest exit code {code}: "
                              + "; ".join(collector.internal_errors)[:2000])
        extra = {}
        if compare:
            from .compare import naive_vs_fast
            extra["naive_vs_fast"] = naive_vs_fast(sb)
        sb._sample_rss()
        extra["sandbox"] = {"calls": sb.calls, "restarts": sb.restarts,
                            "bare_seconds": round(sb.bare_seconds, 4),
                            "peak_rss_mb": round(sb.peak_rss_kb / 1024, 1)}
        confinement = sb.confinement
    declared = {c.id: c for c in all_cases()}
    selected = bool(pytest_args)
    checks = [collector.results.get(i) or (None if selected else _no_verdict(c))
              for i, c in declared.items()]
    checks = [c for c in checks if c is not None]
    checks += [r for i, r in collector.results.items() if i not in declared]
    if sub.ignored:
        extra["ignored_files"] = sub.ignored[:50]
    extra["files"] = sub.taken  # which file was graded as which module, and from where
    if sub.note:
        extra["layout"] = sub.note
    return Result(submission=sub.name, submission_hash=sub.sha256, grader_version=__version__,
                  checks=checks, environment=environment(confinement),
                  seconds=round(time.perf_counter() - start, 3), extra=extra)


def result_json(result):
    """The JSON report text of a result (see :mod:`grader.reports.json_report`)."""
    return json.dumps(result.to_dict(), indent=1, sort_keys=True)


if __name__ == "__main__":  # pragma: no cover - convenience
    print(result_json(grade(sys.argv[1])))
