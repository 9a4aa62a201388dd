"""The pytest plugin that turns check outcomes into :class:`~grader.result.CheckResult`.

Registered by :func:`run` (``python -m grader grade``), or by ``conftest.py`` when pytest
is run directly on ``grader/checks``. Rubric tests hand it their verdict through
:meth:`Collector.record`; a free-form test marked ``@pytest.mark.check(...)`` earns its
points when it passes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ..result import CheckResult
from ..sandbox import StudentError
from ..sandbox.protocol import clean_text
from .evaluate import STATUS_OF_KIND

NAME = "grader-collector"
CHECKS_DIR = Path(__file__).parent


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
        status, msg = ("passed", "") if passed else ("failed", _short(report))
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, StudentError):
            status, msg = STATUS_OF_KIND.get(exc.kind, "error"), exc.message
        self.record(CheckResult(
            id=kw["id"], name=kw.get("name", item.name), max_score=float(kw["points"]),
            score=float(kw["points"]) if passed else 0.0, status=status,
            feedback=clean_text(msg, 1000),
            visibility=kw.get("visibility", "public"),
            functions=[kw["function"]] if kw.get("function") else [],
            group=kw.get("function", "").split(".")[0], seconds=round(call.duration, 3)))

    def pytest_collectreport(self, report):
        if report.failed:
            self.internal_errors.append(f"collecting {report.nodeid}: "
                                        f"{report.longreprtext[-500:]}")


def _short(report):
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
