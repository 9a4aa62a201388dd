"""Gradebook CSV: one row per student, one column per check, the total, and a reason.

The file imports into a spreadsheet or an LMS gradebook. Rows are sorted by student and
hold no timings, so the same submissions and grader version give the same bytes, whichever
engine (local processes or Dask) graded them. A submission that could not be graded keeps
its row: empty check cells, ``status`` ``not graded`` and the reason. The ``flags`` column
names what a graded submission's checks flagged for review (``details["flags"]``: a
notebook whose code tampered with error handling).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.result import Result

FIXED_COLUMNS = ("student", "status", "score", "max_score")
TRAILING_COLUMNS = ("submission_hash", "grader_version", "flags", "reason")
# A cell starting with one of these is a formula to Excel/LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class GradebookRow:
    """One student's line: their result, or why there is none.

    Attributes
    ----------
    student : str
        Submission name (folder name or zip file stem).
    result : Result or None
        The grade; None when grading failed.
    reason : str
        Why the submission was not graded (empty when it was).
    """

    student: str
    result: Result | None = None
    reason: str = ""

    @property
    def graded(self) -> bool:
        return self.result is not None


def _num(x: float) -> str:
    """Scores as short stable text: 3, 2.5, 0.3333."""
    return format(round(float(x), 4), "g")


def _text(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (names and reasons are untrusted)."""
    value = " ".join(str(value).split())
    return "'" + value if value.startswith(_FORMULA_START) else value


def _flags(result: Result) -> str:
    """What a check flagged for review (``details["flags"]``: a notebook whose code tampered
    with error handling), as ``check id: first flag``."""
    found = []
    for check in result.checks:
        flags = (check.details or {}).get("flags") if isinstance(check.details, dict) else None
        if isinstance(flags, list) and flags:
            found.append(f"{check.id}: {str(flags[0])[:200]}")
    return "; ".join(found)


def check_columns(rows: list[GradebookRow]) -> list[str]:
    """Every check id seen, in rubric order (order of first appearance)."""
    seen: dict[str, None] = {}
    for row in rows:
        for check in row.result.checks if row.result else []:
            seen.setdefault(check.id, None)
    return list(seen)


def render(rows: list[GradebookRow]) -> str:
    """The gradebook as CSV text (header plus one line per row, sorted by student).

    Parameters
    ----------
    rows : list of GradebookRow

    Returns
    -------
    str
    """
    rows = sorted(rows, key=lambda r: r.student)
    checks = check_columns(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *checks, *TRAILING_COLUMNS])
    for row in rows:
        res = row.result
        if res is None:
            writer.writerow(
                [_text(row.student), "not graded", "", "", *[""] * len(checks), "", "", "",
                 _text(row.reason or "unknown error")]
            )
            continue
        by_id = {c.id: c for c in res.checks}
        writer.writerow(
            [_text(row.student), "graded", _num(res.score), _num(res.max_score)]
            + [_num(by_id[c].score) if c in by_id else "" for c in checks]
            + [res.submission_hash, res.grader_version, _text(_flags(res)), _text(row.reason)]
        )
    return buf.getvalue()


def write(rows, path) -> Path:
    """Write :func:`render` of ``rows`` to ``path`` and return the path.

    ``rows`` is a list of :class:`GradebookRow`, or one :class:`Result` (a one-line gradebook,
    as ``python -m grader grade SUB --csv F`` writes).
    """
    if isinstance(rows, Result):
        rows = [GradebookRow(rows.submission, rows)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(rows), encoding="utf-8", newline="")
    return path
