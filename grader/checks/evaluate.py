"""Turn one case run against the student into a :class:`~grader.result.CheckResult`.

Everything that comes back from the worker is validated here before any comparison: type
(an array or a number, not a handle to an arbitrary object), dtype (real numbers), shape
(the expected one; ``(1, D)`` for ``(D,)`` only where the case allows it, with a note) and
finiteness. ``None`` means "not implemented".
"""

from __future__ import annotations

import sys
import time

import numpy as np

from ..mistakes.errors import explain as _hint  # removed numpy APIs, geometry
from ..result import CheckResult
from ..sandbox import RemoteObject, StudentError
from ..sandbox.protocol import Handle, clean_text
from .case import Part, ShapeError, rel_error

STATUS_OF_KIND = {"timeout": "timeout", "missing": "missing", "crash": "error",
                  "protocol": "error", "import_error": "error", "missing_function": "error",
                  "exception": "error", "error": "error", "not_implemented": "failed"}


def _type_name(value):
    handle = getattr(value, "_handle", None) if isinstance(value, RemoteObject) else value
    if isinstance(handle, Handle):
        return handle.type
    return type(value).__name__


def as_array(value, expected, name, case):
    """Validate one output; returns ``(array, note)`` or raises ``ShapeError``."""
    if value is None:
        raise ShapeError(f"{name} is None: not implemented")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.ndarray, np.generic)):
        raise ShapeError(f"{name} should be an array or a number, got a {_type_name(value)}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ShapeError(f"{name} has dtype {arr.dtype}; expected real numbers")
    note = ""
    if arr.shape != expected.shape:
        if name in case.squeeze_ok and arr.size == expected.size and \
                np.squeeze(arr).shape == np.squeeze(expected).shape:
            arr = arr.reshape(expected.shape)
            note = f" ({name} had shape {np.shape(value)}; {expected.shape} expected, accepted)"
        else:
            raise ShapeError(f"{name} has shape {arr.shape}; expected {expected.shape}")
    if not np.all(np.isfinite(arr)):
        raise ShapeError(f"{name} contains NaN or inf")
    return arr, note


def unusable_output(outs):
    """Why the outputs cannot be judged (a property check's precondition), else ``None``.

    Numbers, arrays and lists of numbers must be real and finite: a judge compares with
    ``>`` and ``<``, and ``NaN > tol`` is False, so a NaN would pass where it is not caught
    here. Other values (handles, dicts, ``None``) are left to the judge.
    """
    for name, value in outs.items():
        if value is None or isinstance(value, (bool, dict, str, RemoteObject, Handle)):
            continue
        try:
            arr = np.asarray(value)
        except Exception:  # noqa: BLE001 - ragged lists and the like: the judge says
            continue
        if arr.dtype.kind == "c":
            return f"{name} has complex values; expected real numbers"
        if arr.dtype.kind not in "biuf":
            continue
        if not np.all(np.isfinite(arr)):
            return f"{name} contains NaN or inf"
    return None


def _compare(case, outs, expected):
    """Parts for an expected-value case."""
    parts = []
    for name in case.outputs:
        if name not in expected:
            parts.append(Part(name, False, message=f"no stored expected {name}: run "
                              "`make expected`"))
            continue
        try:
            arr, note = as_array(outs.get(name), expected[name], name, case)
        except ShapeError as exc:
            parts.append(Part(name, False, message=str(exc)))
            continue
        err = rel_error(arr, expected[name], case.metric)
        tol = case.tol(name)
        parts.append(Part(name, err <= tol, err, tol,
                          f"{name}: error {err:.1e} > {tol:.0e}{note}" if err > tol else note))
    return parts


def _diagnose(case, outs):
    try:
        from ..mistakes import diagnose as mistakes
    except ImportError:
        return None
    try:
        arrays = {k: np.asarray(v) for k, v in outs.items()
                  if isinstance(v, (np.ndarray, int, float, np.generic))
                  and not isinstance(v, bool)}
        return mistakes.diagnose(case.id, arrays)
    except Exception as exc:  # noqa: BLE001 - a diagnosis bug must never stop grading
        print(f"grader: internal error in mistakes.diagnose({case.id}): {exc!r}",
              file=sys.stderr)
        return None


def evaluate(case, student, expected):
    """Run ``case`` against ``student`` and judge it.

    Parameters
    ----------
    case : Case
    student : object
        The student's modules (sandbox proxy).
    expected : dict of str to ndarray
        This case's stored outputs (empty for property checks).

    Returns
    -------
    CheckResult
    """
    start = time.perf_counter()
    base = dict(id=case.id, name=case.name, max_score=case.points, visibility=case.visibility,
                group=case.module)
    sb = getattr(student, "sandbox", None)
    if sb is not None:
        sb.timeout = getattr(sb, "timeout_override", None) or case.timeout
        sb.check_deadline = time.monotonic() + case.budget
    try:
        outs = case.run(student, case.make_inputs())
    except StudentError as exc:
        status = STATUS_OF_KIND.get(exc.kind, "error")
        feedback = exc.message + _hint(exc.message, case.id)
        if exc.kind == "not_implemented":
            feedback = f"{case.function.split('.')[-1]}: {exc.message}"
        return CheckResult(score=0.0, status=status, feedback=clean_text(feedback, 1000),
                           seconds=round(time.perf_counter() - start, 3), **base)
    except ShapeError as exc:
        return CheckResult(score=0.0, status="failed", feedback=clean_text(exc, 300),
                           seconds=round(time.perf_counter() - start, 3), **base)
    except Exception as exc:  # noqa: BLE001 - whatever the student's values made fail
        why = f"unusable result ({type(exc).__name__}: {exc})"
        return CheckResult(score=0.0, status="failed", feedback=clean_text(why, 300),
                           seconds=round(time.perf_counter() - start, 3), **base)
    finally:
        if sb is not None:
            sb.check_deadline = None
    try:
        if case.judge is not None:
            why = unusable_output(outs)
            parts = [Part("output", False, message=why)] if why else \
                case.judge(outs, case.make_inputs())
            shares = {p.name: case.points / len(parts) for p in parts}
        else:
            parts = _compare(case, outs, expected)
            shares = case.shares()
    except Exception as exc:  # noqa: BLE001 - e.g. a judge meeting values it cannot use
        why = f"could not judge the result ({type(exc).__name__}: {exc})"
        return CheckResult(score=0.0, status="failed", feedback=clean_text(why, 300),
                           seconds=round(time.perf_counter() - start, 3), **base)
    score = round(sum(shares[p.name] for p in parts if p.passed), 6)
    failed = [p for p in parts if not p.passed]
    worst = max(parts, key=lambda p: -1 if p.error is None or p.threshold is None
                else p.error / p.threshold) if parts else None
    notes = [p.message for p in parts if p.message] if case.judge is None else []
    feedback = "; ".join(p.message for p in failed) if failed else "; ".join(notes)
    details = {"parts": {p.name: {"passed": p.passed, "error": p.error,
                                  "threshold": p.threshold} for p in parts}}
    if failed:
        feedback = f"{feedback} [{case.describe}]" if case.describe else feedback
        mistake = _diagnose(case, outs)
        if mistake:
            feedback = f"{mistake} {feedback}"
            details["mistake"] = mistake
    return CheckResult(score=score, status="failed" if failed else "passed",
                       feedback=clean_text(feedback.strip(), 1000),
                       error=worst.error if worst else None,
                       threshold=worst.threshold if worst else None, details=details,
                       seconds=round(time.perf_counter() - start, 3), **base)
