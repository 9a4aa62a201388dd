"""Judging one output against its expected value: validation first, then the error.

Everything that comes back from the worker is validated here before any comparison: type
(an array or a number, not a handle to an arbitrary object), dtype (real numbers), shape
(the expected one; ``(1, D)`` for ``(D,)`` only where the case allows it, with a note) and
finiteness. A :class:`~.case.Failed` stand-in (the call raised, timed out, or a call it
needed failed) is a failed part carrying that failure's message.
"""

from __future__ import annotations

import numpy as np

from ..mistakes.numpy_api import hint  # a removed numpy API, named with its replacement
from ..sandbox import RemoteObject
from ..sandbox.protocol import Handle
from .case import Failed, Part, ShapeError, rel_error, short


def failure_text(failed):
    """What a student reads about a failed call."""
    if failed.kind == "not_implemented":
        return f"{short(failed.function)}: {failed.message}"
    return failed.message + hint(failed.message)


def _type_name(value):
    handle = getattr(value, "_handle", None) if isinstance(value, RemoteObject) else value
    if isinstance(handle, Handle):
        return handle.type
    return type(value).__name__


def as_array(value, expected, name, case):
    """Validate one output; returns ``(array, note)`` or raises ``ShapeError``."""
    if value is None:
        said = case.missing.get(name) or (f"{short(case.owner(name))} returned None as "
                                          f"{name} (it was never assigned)")
        raise ShapeError(said)
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


def compare(case, outs, expected, names=None):
    """Parts of an expected-value case, one per output (``names``: a subset)."""
    parts = []
    for name in names or case.outputs:
        value = outs.get(name)
        if isinstance(value, Failed):
            parts.append(Part(name, False, message=failure_text(value)))
            continue
        if name not in expected:
            parts.append(Part(name, False, message=f"no stored expected {name}: run "
                              "`make expected`"))
            continue
        try:
            arr, note = as_array(value, expected[name], name, case)
        except ShapeError as exc:
            parts.append(Part(name, False, message=str(exc)))
            continue
        err = rel_error(arr, expected[name], case.metric)
        tol = case.tol(name)
        parts.append(Part(name, err <= tol, err, tol,
                          f"{name}: error {err:.1e} > {tol:.0e}{note}" if err > tol else note))
    return parts


def agree(value, other, case, name):
    """Whether two untrusted outputs (the student's composite and the composition of the
    student's blocks) are the same numbers within the output's tolerance."""
    if isinstance(value, Failed) or isinstance(other, Failed) or value is None or other is None:
        return False
    try:
        a, b = (np.asarray(v, dtype=np.float64) for v in (value, other))
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape or a.size == 0 or not (np.all(np.isfinite(a))
                                                 and np.all(np.isfinite(b))):
        return False
    return rel_error(a, b, case.metric) <= case.tol(name)


def unusable_output(outs):
    """Why the outputs cannot be judged (a property check's precondition), else ``None``.

    Numbers, arrays and lists of numbers must be real and finite: a judge compares with
    ``>`` and ``<``, and ``NaN > tol`` is False, so a NaN would pass where it is not caught
    here. Other values (handles, dicts, ``None``, failures) are left to the judge.
    """
    for name, value in outs.items():
        if value is None or isinstance(value, (bool, dict, str, RemoteObject, Handle, Failed)):
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
