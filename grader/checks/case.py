"""What a check is: a small declarative spec, and helpers its ``run`` function uses.

A :class:`Case` names the student function under test, builds its inputs from a seed, runs
it through ``mods`` (the student's modules behind the sandbox proxy while grading, the
reference modules while ``python -m grader.golden.generate`` stores the correct outputs) and
declares how each output is judged: against the stored expected output within a tolerance
(``outputs``/``tolerance``/``split``), or by a property (``judge``) when there is no single
right answer (dropout masks, training).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class ShapeError(Exception):
    """The student function returned something of the wrong form (raised in the parent)."""


@dataclass
class Part:
    """One judged part of a property check: ``(name, passed, error, threshold, message)``."""

    name: str
    passed: bool
    error: float | None = None
    threshold: float | None = None
    message: str = ""


@dataclass
class Case:
    """One check of the rubric.

    Attributes
    ----------
    id : str
        Stable id, ``"<function>.<variant>"`` e.g. ``"conv_forward_naive.public"``.
    name : str
        One-line title shown in reports.
    function : str
        ``"module.function"`` under test (``"cnn.ThreeLayerConvNet"`` for the model).
    points : float
    make_inputs : callable () -> dict
        Seeded inputs (``np.random.default_rng(seed)``; no global RNG).
    run : callable (mods, inputs) -> dict of str to value
        Calls the function(s) through ``mods`` and returns named outputs.
    outputs : tuple of str
        Outputs compared with the stored expected values (empty for property checks).
    tolerance : float or dict of str to float
        Largest accepted error per output.
    metric : str
        ``"rel"``: the notebooks' ``max(|x - y| / max(1e-8, |x| + |y|))``; ``"scaled"``:
        ``max|x - y| / max|y|`` (float32 inputs, where single elements near 0 are noisy).
    split : dict of str to float, optional
        Share of the points per output (equal shares by default).
    visibility : str
        ``"public"`` (a notebook check) or ``"hidden"``.
    judge : callable (outputs, inputs) -> list of Part, optional
        For property checks; each part earns an equal share of the points.
    squeeze_ok : tuple of str
        Outputs for which a ``(1, D)`` answer to a ``(D,)`` question is accepted (noted).
    published : dict of str to ndarray, optional
        Expected values printed in the notebook, stored instead of the reference's output
        (the generator checks that the reference agrees with them).
    describe : str
        What the inputs are, for feedback (``"x (2,3,4,4), stride 2, pad 1"``).
    timeout : float
        Seconds allowed per call into student code.
    budget : float
        Seconds allowed for the whole check (all its calls).
    """

    id: str
    name: str
    function: str
    points: float
    make_inputs: Callable[[], dict]
    run: Callable[[Any, dict], dict]
    outputs: tuple = ()
    tolerance: Any = 1e-6
    metric: str = "rel"
    split: dict | None = None
    visibility: str = "public"
    judge: Callable | None = None
    squeeze_ok: tuple = ()
    published: dict | None = None
    describe: str = ""
    timeout: float = 5.0
    budget: float = 15.0
    extra: dict = field(default_factory=dict)

    @property
    def module(self):
        return self.function.split(".")[0]

    def tol(self, output):
        return self.tolerance[output] if isinstance(self.tolerance, dict) else self.tolerance

    def shares(self):
        """Points per output (or per judged part, decided at judging time)."""
        if self.split:
            total = sum(self.split.values())
            return {k: self.points * v / total for k, v in self.split.items()}
        return {k: self.points / len(self.outputs) for k in self.outputs}


def rel_error(x, y, metric="rel"):
    """The error of ``x`` against the expected ``y`` (see :class:`Case` ``metric``)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    if metric == "scaled":
        return float(np.max(np.abs(x - y)) / max(1e-12, float(np.max(np.abs(y)))))
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def pair(value, what):
    """Unpack an ``(a, b)`` return value, or explain what came back instead."""
    if value is None:
        raise ShapeError(f"{what} returned None: not implemented")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ShapeError(f"{what} should return a pair (out, cache); it returned "
                         f"{_kind(value)}")
    return value


def triple(value, what):
    """Unpack an ``(dx, dw, db)``-style return value."""
    if value is None:
        raise ShapeError(f"{what} returned None: not implemented")
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise ShapeError(f"{what} should return three gradients; it returned {_kind(value)}")
    return value


def _kind(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def seeded(seed):
    """A local generator (never the global numpy RNG)."""
    return np.random.default_rng(seed)
