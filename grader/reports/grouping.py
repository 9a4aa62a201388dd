"""Checks grouped the way a student reads them: by file, then by the function they judge.

One unwritten function fails every check that judges it; a report that lists checks one by
one repeats the same "not implemented" for each. The console and HTML reports show one row
per student function instead (its points, how many of its checks passed, and the first
failing check's feedback), with the checks folded under it; JSON, JUnit and Gradescope keep
one entry per check.

A check belongs to its primary function: the first of ``CheckResult.functions`` (every
function the check judges). Checks of something else (notebooks) are their own row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.result import CheckResult, total


def functions_of(check: CheckResult) -> list[str]:
    """Every function ``check`` judges, as ``"module.function"`` (may be empty)."""
    found = getattr(check, "functions", None) or check.details.get("functions") or []
    return [f for f in found if isinstance(f, str) and f]


def short(function: str) -> str:
    """``"conv_layers.conv_forward_naive"`` -> ``"conv_forward_naive"``."""
    return function.rsplit(".", 1)[-1]


def failing_error(check: CheckResult) -> tuple[float | None, float | None]:
    """The measured error and threshold to show for ``check``.

    For a check that did not pass, the error of a part that failed (never that of a part
    that passed, which would read as "error below the limit, yet failed"); ``(None, None)``
    when what failed was not an error measurement (a wrong shape, an exception).
    """
    if check.status == "passed":
        return check.error, check.threshold
    parts = check.details.get("parts")
    if isinstance(parts, dict) and parts:
        for part in parts.values():
            if isinstance(part, dict) and not part.get("passed") and \
                    part.get("error") is not None:
                return part["error"], part.get("threshold")
        return None, None
    return check.error, check.threshold


@dataclass
class FunctionRow:
    """The checks of one student function (or one notebook)."""

    key: str
    file: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The function's name, followed by the others its checks also judge (a row that
        is no function's, such as a notebook's, takes its check's name)."""
        if not functions_of(self.checks[0]):
            return self.checks[0].name or self.key
        names = [short(self.key)]
        for check in self.checks:
            names += [short(f) for f in functions_of(check)[1:] if short(f) not in names]
        return " / ".join(names)

    @property
    def score(self) -> float:
        return total(self.checks)

    @property
    def max_score(self) -> float:
        return total(self.checks, "max_score")

    @property
    def passed(self) -> int:
        return sum(c.status == "passed" for c in self.checks)

    @property
    def first_failure(self) -> CheckResult | None:
        """The first check that did not pass, a public one (inputs the student can see)
        before a hidden one."""
        failing = [c for c in self.checks if c.status != "passed"]
        return next((c for c in failing if c.visibility != "hidden"),
                    failing[0] if failing else None)

    @property
    def status(self) -> str:
        first = self.first_failure
        return "passed" if first is None else first.status

    @property
    def hidden(self) -> bool:
        return all(c.visibility == "hidden" for c in self.checks)

    def error(self) -> tuple[float | None, float | None]:
        """The first failing check's failing error, else the passed check closest to its
        threshold."""
        first = self.first_failure
        if first is not None:
            return failing_error(first)
        measured = [c for c in self.checks if c.error is not None and c.threshold]
        if not measured:
            return None, None
        worst = max(measured, key=lambda c: c.error / c.threshold)
        return worst.error, worst.threshold


@dataclass
class FileGroup:
    """The function rows of one file (``"conv_layers"``) or of the notebooks."""

    name: str
    rows: list[FunctionRow] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.name if self.name in ("notebooks", "other") else f"{self.name}.py"

    @property
    def score(self) -> float:
        return total(self.rows)

    @property
    def max_score(self) -> float:
        return total(self.rows, "max_score")


def group(checks: list[CheckResult]) -> list[FileGroup]:
    """Files in order of first appearance, each with its function rows in the same order."""
    files: dict[str, FileGroup] = {}
    rows: dict[tuple[str, str], FunctionRow] = {}
    for check in checks:
        fns = functions_of(check)
        key = fns[0] if fns else check.id
        name = check.group or (key.split(".")[0] if fns else "other")
        file = files.setdefault(name, FileGroup(name))
        row = rows.get((name, key))
        if row is None:
            row = rows[(name, key)] = FunctionRow(key, name)
            file.rows.append(row)
        row.checks.append(check)
    return list(files.values())
