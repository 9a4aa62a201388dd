"""The pytest plugin that turns check outcomes into :class:`~grader.result.CheckResult`.

Registered by :func:`run` (``python -m grader grade``), or by ``conftest.py`` when pytest
is run directly on ``grader/checks``. Rubric tests hand it their verdict through
:meth:`Collector.record`; a free-form test marked ``@pytest.mark.check(...)`` earns its
points when it passes. A free-form test measures through :class:`Measure`, so its feedback
reads like a declared check's: what was compared, the measured error, the threshold, the
inputs (the marker's ``describe``); a plain ``assert`` in it still fails the check, with its
message and no "AssertionError" prefix.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from ..result import CheckResult
from ..sandbox import StudentError
from ..sandbox.protocol import clean_text
from .case import Part, ShapeError, rel_error
from .evaluate import STATUS_OF_KIND

NAME = "grader-collector"
CHECKS_DIR = Path(__file__).parent
PARTS = pytest.StashKey[list]()


class Mismatch(AssertionError):
    """A measured part of a free-form check is over its threshold (the message says so)."""


class Measure:
    """What a free-form check compares, recorded as parts the way declared checks judge.

    ``measure = Measure(request)`` in the test, then ``measure.close("out", got, want,
    1e-8)`` or ``measure.shape("out", got, (3, 2, 5, 5))``: each records a part (name,
    error, threshold) on the test and raises :class:`Mismatch` when it fails, with the
    feedback a declared check would give (``"out: error 1.0e+00 > 1e-08"``).
    """

    def __init__(self, request):
        self.parts = request.node.stash.setdefault(PARTS, [])

    def close(self, name, got, want, tolerance, *, metric="rel", what=""):
        """Compare ``got`` with ``want``; ``what`` says what a failure means."""
        error = rel_error(got, want, metric)
        message = f"{name}: error {error:.1e} > {tolerance:.0e}" + (f" ({what})" if what
                                                                     else "")
        part = Part(name, error <= tolerance, error, tolerance, message)
        self.parts.append(part)
        if not part.passed:
            raise Mismatch(message)
        return error

    def shape(self, name, got, expected):
        """Check the shape of ``got`` (a wrong shape has no error to measure)."""
        shape = tuple(np.shape(got))
        if shape != tuple(expected):
            message = f"{name} has shape {shape}; expected {tuple(expected)}"
            self.parts.append(Part(name, False, message=message))
            raise ShapeError(message)


class Collector:
    """Collects one CheckResult per check; optionally holds a prepared ``student`` proxy."""

    def __init__(self, student=None, expected=None):
        self.student = student
        self.expected = expected
        self.results = {}
        self.order = []
        self.internal_errors = []

    def record(self, result):
        if result.id not in self.results:
            self.order.append(result.id)
        self.results[result.id] = result

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        """Give a free-form check its own time budget (rubric cases set theirs)."""
        sb = getattr(self.student, "sandbox", None)
        mark = item.get_closest_marker("check")
        if sb is not None and mark is not None:
            sb.check_deadline = time.monotonic() + float(mark.kwargs.get("budget", 15.0))
        yield
        if sb is not None:
            sb.check_deadline = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        mark = item.get_closest_marker("check")
        if mark is None or report.when != "call":
            if report.when == "setup" and report.failed:
                self.internal_errors.append(f"{item.nodeid}: {report.longreprtext[-500:]}")
            return
        kw = mark.kwargs
        passed = report.passed
        exc = call.excinfo.value if call.excinfo is not None else None
        status, msg = ("passed", "") if passed else ("failed", _feedback(exc, report))
        if isinstance(exc, StudentError):
            status, msg = STATUS_OF_KIND.get(exc.kind, "error"), exc.message
            if exc.kind == "not_implemented" and kw.get("function"):
                msg = f"{kw['function'].rsplit('.', 1)[-1]}: {msg}"  # as declared checks say
        if not passed and kw.get("describe"):
            msg = f"{msg} [{kw['describe']}]"
        parts = item.stash.get(PARTS, [])
        measured = [p for p in parts if p.error is not None and p.threshold
                    and (passed or not p.passed)]
        worst = max(measured, key=lambda p: p.error / p.threshold, default=None)
        self.record(CheckResult(
            id=kw["id"], name=kw.get("name", item.name), max_score=float(kw["points"]),
            score=float(kw["points"]) if passed else 0.0, status=status,
            feedback=clean_text(msg, 1000),
            error=worst.error if worst else None, threshold=worst.threshold if worst else None,
            visibility=kw.get("visibility", "public"),
            functions=[kw["function"]] if kw.get("function") else [],
            details={"parts": {p.name: {"passed": p.passed, "error": p.error,
                                        "threshold": p.threshold} for p in parts}}
            if parts else {},
            group=kw.get("function", "").split(".")[0], seconds=round(call.duration, 3)))

    def pytest_collectreport(self, report):
        if report.failed:
            self.internal_errors.append(f"collecting {report.nodeid}: "
                                        f"{report.longreprtext[-500:]}")


def _feedback(exc, report):
    """What a failed free-form check tells the student: a measured part's sentence, a
    plain assert's message (without pytest's "AssertionError: ... assert ..." wrapping),
    or the exception."""
    if isinstance(exc, (Mismatch, ShapeError)):
        return str(exc)
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip()
        if text and not text.startswith("assert "):
            return text.splitlines()[0][:300]
        return "a condition of the check does not hold"
    if exc is not None:
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.splitlines()[0][:300] if text else "failed"


def run(collector, extra_args=()):
    """Run the rubric's tests in this process with ``collector`` registered.

    Returns
    -------
    int
        pytest's exit code (the verdicts are in ``collector.results``).
    """
    start = time.perf_counter()
    args = [str(CHECKS_DIR), "-p", "no:cacheprovider", "-p", "no:terminal",
            "--rootdir", str(CHECKS_DIR), "-c", str(CHECKS_DIR / "pytest.ini"),
            "-W", "ignore::pytest.PytestAssertRewriteWarning", *extra_args]
    code = pytest.main(args, plugins=[collector])
    collector.seconds = time.perf_counter() - start
    return int(code)
