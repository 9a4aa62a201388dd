"""The one result object every report writer consumes.

A :class:`Result` is plain data (JSON-serialisable through :meth:`Result.to_dict`), built by
the grading API and never by student code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("passed", "failed", "error", "timeout", "missing")
VISIBILITIES = ("public", "hidden")


@dataclass
class CheckResult:
    """The verdict of one declared check.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"conv_forward.public"``.
    name : str
        Human-readable title.
    score, max_score : float
        Points earned and available.
    status : str
        One of :data:`STATUSES`.
    feedback : str
        One or two sentences a student can act on.
    error : float or None
        Measured relative error (the largest over the check's outputs), when measured.
    threshold : float or None
        The tolerance the error is compared with.
    visibility : str
        ``"public"`` or ``"hidden"`` (hidden checks are shown after grades are published).
    seconds : float
        Wall time spent on the check.
    group : str
        What the check belongs to (a file such as ``"conv_layers"`` or ``"notebooks"``).
    details : dict
        Extra structured data (per-output errors, mistake names, speed-ups...);
        ``details["by_function"]`` gives each judged function's ``score`` and ``max_score``
        within the check.
    functions : list of str
        Every student function the check judges (``"layers.affine_forward"``); empty for
        checks of something else (notebooks).
    """

    id: str
    name: str
    score: float
    max_score: float
    status: str
    feedback: str = ""
    error: float | None = None
    threshold: float | None = None
    visibility: str = "public"
    seconds: float = 0.0
    group: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    functions: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of {STATUSES}")
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"unknown visibility {self.visibility!r}")


def total(items, attr: str = "score") -> float:
    """Sum of ``attr`` over checks (or groups of them), rounded as every total we report is."""
    return round(sum(getattr(item, attr) for item in items), 6)


@dataclass
class Result:
    """The grade of one submission.

    Attributes
    ----------
    submission : str
        Name of the submission (folder or zip file name).
    submission_hash : str
        SHA-256 over the submitted files' names and contents.
    grader_version : str
    checks : list of CheckResult
    environment : dict
        Python, numpy and platform versions, thread pins: what a regrade needs to explain.
    seconds : float
        Wall time of the whole grading.
    extra : dict
        Other sections, e.g. ``"naive_vs_fast"`` agreement and speed-ups.
    """

    submission: str
    submission_hash: str
    grader_version: str
    checks: list[CheckResult] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return total(self.checks)

    @property
    def max_score(self) -> float:
        return total(self.checks, "max_score")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: ``score``, ``max_score``, ``checks`` and metadata."""
        d = dataclasses.asdict(self)
        d["score"] = self.score
        d["max_score"] = self.max_score
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        checks = [CheckResult(**c) for c in d.get("checks", [])]
        keys = {f.name for f in dataclasses.fields(cls)} - {"checks"}
        return cls(checks=checks, **{k: v for k, v in d.items() if k in keys})
