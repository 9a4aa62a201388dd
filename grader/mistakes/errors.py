"""Mistakes recognised from the exception a check raised, read with the check's geometry.

The worker reports a failure as ``"{type}: {message} (file.py, line N, in function)"``. Some
real mistakes raise rather than return a wrong value, and the message with the check's
inputs names them: a broadcast between a ``kh x kw`` and a ``kh x kh`` window on a
non-square filter (height used for width), a window emptied by a stride applied twice, an
empty ``dx[..., pad:-pad, pad:-pad]`` when pad is 0. Removed numpy APIs come first
(:mod:`.numpy_api`).
"""

from __future__ import annotations

import re
import sys

from . import numpy_api
from .kinds import SENTENCES

_SHAPE = re.compile(r"\(((?:\d+,\s*)*\d+),?\)")
_WHERE = re.compile(r"\(\w+\.py, line \d+, in (\w+)\)")
_EMPTY = ("argmax of an empty sequence", "zero-size array to reduction operation")


def _shapes(message):
    return [tuple(int(v) for v in m.split(",") if v.strip()) for m in _SHAPE.findall(message)]


def _geometry(inputs):
    """``(H, W, kh, kw, stride, pad)`` of a conv or pool check, else None."""
    x = inputs.get("x")
    if getattr(x, "ndim", 0) != 4:
        return None
    if isinstance(inputs.get("conv_param"), dict) and getattr(inputs.get("w"), "ndim", 0) == 4:
        cp = inputs["conv_param"]
        return (*x.shape[2:], *inputs["w"].shape[2:], cp.get("stride"), cp.get("pad"))
    if isinstance(inputs.get("pool_param"), dict):
        pp = inputs["pool_param"]
        return (*x.shape[2:], pp.get("pool_height"), pp.get("pool_width"), pp.get("stride"), 0)
    return None


def kind_of_exception(message, check_id):
    """The kind of mistake a check's exception shows, or None."""
    try:
        return _kind_of_exception(str(message), check_id)
    except Exception as exc:  # noqa: BLE001 - a diagnosis bug must never stop grading
        print(f"grader: internal error in mistakes.errors({check_id}): {exc!r}",
              file=sys.stderr)
        return None


def _kind_of_exception(message, check_id):
    from grader.checks import case_by_id

    try:
        case = case_by_id(check_id)
    except KeyError:
        return None
    geometry = _geometry(case.make_inputs())
    if geometry is None:
        return None
    _, _, kh, kw, stride, pad = geometry
    where = _WHERE.findall(message)
    function = where[-1] if where else check_id.split(".")[0]
    backward = "backward" in function
    shapes = [s for s in _shapes(message) if len(s) >= 2]
    if "broadcast" in message and pad == 0 and backward and \
            any(s[-2:] == (0, 0) for s in shapes):
        return "dx_negative_crop"
    pairs = {s[-2:] for s in shapes}
    windows = {(kh, kw), (kh, kh), (kw, kw), (kw, kh)}
    if kh != kw and len(pairs) >= 2 and pairs <= windows and (kh, kw) in pairs:
        return "height_for_width"
    if stride and stride > 1 and backward and (
            any(e in message for e in _EMPTY)
            or ("broadcast" in message and any(0 in s[-2:] for s in shapes))):
        return "stride_backward"
    return None


def explain(message, check_id=None):
    """Feedback suffix for a check that raised: ``" (sentence)"`` or ``""``."""
    found = numpy_api.explain(message)
    if not found and check_id:
        found = SENTENCES.get(kind_of_exception(message, check_id), "")
    return f" ({found})" if found else ""
