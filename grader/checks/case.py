"""What a check is: a small declarative spec, and helpers its ``run`` function uses.

A :class:`Case` names the student function under test, builds its inputs from a seed, runs
it through ``mods`` (the student's modules behind the sandbox proxy while grading, the
reference modules while ``python -m grader.golden.generate`` stores the correct outputs) and
declares how each output is judged: against the stored expected output within a tolerance
(``outputs``/``tolerance``/``split``), or by a property (``judge``) when there is no single
right answer (dropout masks, training).

One mistake, one charge (DESIGN property 8): every output belongs to one student function
(``owners``), and a check's points are the sum of its functions' shares. A call that fails
does not end the check: :func:`attempt` turns the failure into a :class:`Failed` value that
stands in for the outputs it did not produce, so the other function's parts are still
judged. ``fallback`` re-runs a backward pass on the cache the skeleton documents (when the
student's forward failed), and ``composite`` recomputes a composite function's outputs from
the student's own building blocks (when a block is wrong); see :mod:`.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class ShapeError(Exception):
    """The student function returned something of the wrong form (raised in the parent)."""


STATUS_OF_KIND = {"timeout": "timeout", "missing": "missing", "crash": "error",
                  "protocol": "error", "import_error": "error", "missing_function": "error",
                  "exception": "error", "error": "error", "not_implemented": "failed",
                  "shape": "failed", "upstream": "failed"}


@dataclass
class Failed:
    """Stands in for the outputs of a call into student code that produced none.

    ``kind`` is a :class:`~grader.sandbox.StudentError` kind, ``"shape"`` (the value came
    back in the wrong form) or ``"upstream"`` (not run: the call it needs failed);
    ``function`` is the ``"module.function"`` that failed.
    """

    kind: str
    message: str
    function: str = ""
    cause: Failed | None = None  # for "upstream": the failure of the call it needed

    @property
    def root(self):
        """The first failure of the chain (the forward's, for an upstream failure)."""
        return self.cause.root if self.cause is not None else self

    @property
    def status(self):
        return STATUS_OF_KIND.get(self.kind, "error")


def attempt(call, function):
    """``call()``, or a :class:`Failed` naming ``function`` when student code fails.

    Only failures of student code are caught (:class:`StudentError` from the sandbox and
    :class:`ShapeError` from unpacking); a trusted module (the reference, while the
    expected outputs are generated) raising is a bug and propagates.
    """
    from ..sandbox import StudentError
    try:
        return call()
    except StudentError as exc:
        return Failed(exc.kind, exc.message, function)
    except ShapeError as exc:
        return Failed("shape", str(exc), function)


def short(function):
    """``"layers.affine_forward"`` -> ``"affine_forward"``."""
    return function.rpartition(".")[2]


@dataclass
class Part:
    """One judged part of a property check: ``(name, passed, error, threshold, message)``."""

    name: str
    passed: bool
    error: float | None = None
    threshold: float | None = None
    message: str = ""
    function: str = ""  # the student function this part judges ("" = the case's)
    rescued: bool = False  # passed on a second opinion (documented cache, composite)


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
        What the inputs are, for feedback (``"x (2,3,4,4), stride 2, pad 1"``): every
        array's shape, and stride and pad wherever they apply.
    owners : dict of str to str, optional
        The student function (``"module.function"``) each output or judged part belongs
        to; unlisted ones belong to ``function``. Each function earns its outputs' shares.
    fallback : callable (mods, inputs) -> dict, optional
        Runs the backward pass on the cache the skeleton documents, built from the inputs
        (never the student forward's). Used for the outputs it returns when the student's
        own forward/backward pair failed them.
    fallback_judge : callable (outputs, inputs) -> list of Part, optional
        Judges ``fallback``'s outputs, for property checks.
    documented : str
        The documented cache ``fallback`` uses, for feedback (``"(x, pool_param)"``).
    composite : callable (mods, inputs) -> dict, optional
        The outputs the function's own logic gives with the student's building blocks
        (computed here, from the blocks' outputs obtained in the worker).
    blocks : tuple of str
        The student functions ``composite`` is built on; without a ``composite``, the forward
        pass whose own (undocumented) cache the backward needs, named in the feedback when it
        lost points too.
    missing : dict of str to str
        What to say when an output comes back as ``None`` (``"train mode did not store
        running_mean in bn_param"``).
    whole : bool
        A function earns its share of this check only when all its outputs are right (the
        hidden geometry checks: a layer wrong on that class of inputs earns nothing there).
    follows : str
        For a property check of a composite (the network's initial loss, training): the id of
        the check that judges the composite's logic against its blocks. When that check kept
        points because a block is charged, the parts named in ``follows_parts`` (all when
        empty) keep theirs too: they cannot succeed with a wrong block, which is charged once.
    follows_parts : tuple of str
    twin : bool, optional
        Also run a hidden twin input of the same shapes (:func:`twin_inputs`); an output
        earns its share only when right on both. Default: public compared cases.
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
    owners: dict = field(default_factory=dict)
    fallback: Callable | None = None
    fallback_judge: Callable | None = None
    documented: str = ""
    composite: Callable | None = None
    blocks: tuple = ()
    missing: dict = field(default_factory=dict)
    whole: bool = False
    follows: str = ""
    follows_parts: tuple = ()
    twin: bool | None = None

    @property
    def module(self):
        return self.function.split(".")[0]

    @property
    def functions(self):
        """Every student function this check judges, ``case.function`` first."""
        return tuple(dict.fromkeys((self.function, *self.owners.values())))

    def owner(self, output):
        """The student function that output (or judged part) ``output`` belongs to."""
        return self.owners.get(output, self.function)

    @property
    def twinned(self):
        return self.twin if self.twin is not None else (
            self.visibility == "public" and bool(self.outputs))

    def function_points(self):
        """Points per judged function (``{"layers.affine_backward": 2.25, ...}``); for a
        property check, all points go to ``function`` unless its parts name an owner."""
        if not self.outputs:
            return {self.function: float(self.points)}
        points = {}
        for name, share in self.shares().items():
            fn = self.owner(name)
            points[fn] = points.get(fn, 0.0) + share
        return points

    def tol(self, output):
        return self.tolerance[output] if isinstance(self.tolerance, dict) else self.tolerance

    def shares(self):
        """Points per output (or per judged part, decided at judging time)."""
        if self.split:
            total = sum(self.split.values())
            return {k: self.points * v / total for k, v in self.split.items()}
        return {k: self.points / len(self.outputs) for k in self.outputs}


def twin_inputs(case):
    """A hidden twin of ``case``'s inputs: same shapes, dtypes, labels and parameters, other
    values (each float array gets seeded noise of half its spread), so an answer copied from
    the notebook's printed table is wrong on it."""
    import zlib
    r = seeded(zlib.crc32(case.id.encode()))

    def shift(v):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            spread = float(np.std(v)) or 1.0
            return (v + 0.5 * spread * r.standard_normal(v.shape)).astype(v.dtype)
        if isinstance(v, dict):
            return {k: shift(x) for k, x in v.items()}
        return v

    return {k: shift(v) for k, v in case.make_inputs().items()}


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
        raise ShapeError(f"{what} returned None instead of a pair (out, cache)")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ShapeError(f"{what} should return a pair (out, cache); it returned "
                         f"{_kind(value)}")
    return value


def triple(value, what):
    """Unpack an ``(dx, dw, db)``-style return value."""
    if value is None:
        raise ShapeError(f"{what} returned None instead of three gradients")
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
