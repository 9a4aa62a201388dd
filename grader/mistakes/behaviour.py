"""Mistakes recognised from behaviour: the student's outputs against hypotheses.

A recogniser receives a :class:`Context` (the failed check, its seeded inputs rebuilt in the
parent, the student's returned outputs and the stored expected ones) and returns a kind of
mistake (:data:`grader.mistakes.kinds.SENTENCES`) or None. It predicts what the output would
be under a mistake ("H used for W", "gradient to the whole window"...) with the grader's own
models (:mod:`.models`) or transforms the expected output, and names the mistake only when
the student's output matches that prediction and the prediction differs from the right
answer. So it recognises the mistake in code written in any style, not one stored output.

Recognisers are registered per student function (``case.function``) with :func:`register`.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field

import numpy as np

RECOGNISERS = {}


def register(*functions):
    """Decorator: run this recogniser for failed checks of these student functions."""
    def wrap(fn):
        for f in functions:
            RECOGNISERS.setdefault(f, []).append(fn)
        return fn
    return wrap


@functools.lru_cache(maxsize=1)
def _expected_store():
    from grader.golden import store

    try:
        return store.load()[0]
    except FileNotFoundError:
        return {}


@dataclass
class Context:
    """What a recogniser may look at: all of it trusted or already returned data."""

    case: object
    inputs: dict
    outputs: dict
    expected: dict = field(default_factory=dict)

    @property
    def check_id(self):
        return self.case.id

    @property
    def loose(self):
        """Float32 checks compare loosely."""
        return self.case.metric == "scaled"

    def out(self, name):
        """The student's output ``name`` as float64, or None when absent or not numeric."""
        v = self.outputs.get(name)
        if v is None:
            return None
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            return None
        return a.astype(np.float64)

    def agrees(self, name, predicted):
        """The student's ``name`` equals ``predicted`` (and ``predicted`` is not the answer)."""
        got = self.out(name)
        return got is not None and same(got, predicted, self.loose) and \
            not same(predicted, self.expected.get(name), self.loose)

    def explained(self, name, *predictions):
        """``name`` is right, or equals one of the predictions."""
        got = self.out(name)
        if got is None:
            return False
        want = self.expected.get(name)
        return (want is not None and same(got, want, self.loose)) or \
            any(same(got, p, self.loose) for p in predictions)


def same(a, b, loose=False):
    """Equal shapes and values within a tight tolerance (looser for float32 checks)."""
    if a is None or b is None:
        return False
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape:
        if a.size == b.size and np.squeeze(a).shape == np.squeeze(b).shape:
            a = a.reshape(b.shape)
        else:
            return False
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.size == 0:
        return True
    scale = max(float(np.max(np.abs(b))), 1e-12)
    return float(np.max(np.abs(a - b))) / scale <= (1e-4 if loose else 1e-7)


def context(check_id, outputs):
    """The :class:`Context` of a failed check (None for an unknown check)."""
    from grader.checks import case_by_id

    try:
        case = case_by_id(check_id)
    except KeyError:
        return None
    return Context(case, case.make_inputs(), outputs, _expected_store().get(check_id, {}))


def recognise(check_id, outputs):
    """The kind of mistake ``outputs`` of this failed check show, or None."""
    ctx = context(check_id, outputs)
    if ctx is None:
        return None
    compared = {k: v for k, v in ctx.expected.items() if not k.startswith("twin:")}
    if compared and all(same(ctx.out(k), v, ctx.loose) for k, v in compared.items()):
        return None  # nothing differs from the answer: no mistake to name
    names = [check_id.split(".")[0], ctx.case.function,
             *(getattr(ctx.case, "functions", None) or ())]
    seen = []
    for name in names:
        for recogniser in RECOGNISERS.get(str(name).split(".")[-1], ()):
            if recogniser not in seen:
                seen.append(recogniser)
    for recogniser in seen:
        try:
            with np.errstate(all="ignore"):
                kind = recogniser(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken recogniser must not stop the rest
            print(f"grader: internal error in {recogniser.__module__}.{recogniser.__name__}"
                  f"({check_id}): {exc!r}", file=sys.stderr)
            continue
        if kind:
            return kind
    return None
