"""Forward and backward passes run so that each function is judged on its own code.

A case's ``run`` uses these instead of calling the student directly: a failing call becomes
a :class:`~.case.Failed` value standing in for the outputs it did not produce, and a
backward pass whose forward failed is not run (its outputs are ``"upstream"`` failures),
so that :func:`grader.checks.evaluate.evaluate` can judge it on the documented cache
instead (the case's ``fallback``).
"""

from __future__ import annotations

from .case import Failed, ShapeError, attempt, pair, short, triple


def _unpack(value, function, names):
    """Map a backward pass's return value onto ``names`` (one gradient, or three)."""
    if len(names) == 3:
        return dict(zip(names, triple(value, short(function))))
    if len(names) == 1:
        return {names[0]: value}
    if value is None or not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise ShapeError(f"{short(function)} should return {len(names)} values")
    return dict(zip(names, value))


def forward(call, function, output="out"):
    """Run a forward pass ``call() -> (out, cache)``.

    Returns
    -------
    outputs : dict
        ``{output: out}``, or ``{output: Failed}``.
    cache : object or Failed
        The student's cache (a handle into the worker), or the failure.
    """
    got = attempt(lambda: pair(call(), short(function)), function)
    if isinstance(got, Failed):
        return {output: got}, got
    out, cache = got
    return {output: out}, cache


def backward(call, function, names, cache):
    """Run a backward pass ``call(cache) -> gradients`` onto the output ``names``.

    When ``cache`` is a failed forward, nothing runs and every gradient is an ``upstream``
    failure naming that forward.
    """
    if isinstance(cache, Failed):
        why = Failed("upstream", f"{short(function)} was not run: {short(cache.function)} "
                     f"failed ({cache.message})", function, cause=cache)
        return dict.fromkeys(names, why)
    got = attempt(lambda: _unpack(call(cache), function, names), function)
    if isinstance(got, Failed):
        return dict.fromkeys(names, got)
    return got


def pass_pair(fwd_call, fwd, bwd_call, bwd, names, out="out"):
    """Forward then backward on its cache: ``{out: ..., **gradients}``."""
    outs, cache = forward(fwd_call, fwd, out)
    outs.update(backward(bwd_call, bwd, names, cache))
    return outs
