"""Recognisers for batch normalisation and spatial batch normalisation.

Train mode: the output against per-position and reshaped-without-transpose normalisation;
the running statistics against "never stored" and wrong update formulas, the check's own
momentum and starting values read off its stored answer. Test mode: the output against
batch statistics, a missing gamma/beta and running statistics left at their start. (Other
wrong running statistics are named from the train-mode check only: in test mode they could
come from any earlier mistake, e.g. per-position statistics.)
"""

from __future__ import annotations

import numpy as np

from . import models
from .behaviour import register, same

EPS = 1e-5
MOMENTA = (0.9, 0.8, 0.99, 0.95, 0.5, 0.1)


def _flat(ctx, a):
    """(M, D) rows of a 2-D or (N, C, H, W) array; ``None`` stays None."""
    if a is None:
        return None
    a = np.asarray(a, np.float64)
    return models.channels_last(a) if a.ndim == 4 else a


def _affine(out, gamma, beta):
    return np.asarray(gamma) * out + np.asarray(beta)


# ------------------------------------------------------------------------- train mode
def _spatial_layout(ctx):
    x = np.asarray(ctx.inputs["x"], np.float64)
    if x.ndim != 4:
        return None
    n, c, h, w = x.shape
    g, b = ctx.inputs["gamma"], ctx.inputs["beta"]
    per_position = _affine(models.normalise(x, 0, EPS), g[None, :, None, None],
                           b[None, :, None, None])
    if ctx.agrees("out", per_position):
        return "sbn_per_position"
    wrong_rows = _affine(models.normalise(x.reshape(-1, c), 0, EPS), g, b)
    right_rows = _affine(models.normalise(models.channels_last(x), 0, EPS), g, b)
    for flat in (wrong_rows, right_rows):
        if ctx.agrees("out", flat.reshape(n, c, h, w)):
            return "sbn_reshape_without_transpose"
    return None


def _calibrate(mu, var, want_mean, want_var):
    """The ``(start mean, start var, momentum)`` the check used, read off its answer."""
    d = mu.shape[0]
    for start in (np.zeros(d), np.ones(d)):
        for m in MOMENTA:
            if same(m * start + (1 - m) * mu, want_mean) and \
                    same(m * start + (1 - m) * var, want_var):
                return start, m
    return None


def _running(ctx):
    x = _flat(ctx, ctx.inputs["x"])
    mean, var = ctx.out("running_mean"), ctx.out("running_var")
    if "running_mean" not in ctx.expected:
        return None
    if mean is None and var is None:
        out = ctx.out("out")
        want = ctx.expected.get("out")
        # returned an output (right or not) but left bn_param without running statistics
        return "bn_running_not_stored" if out is not None and want is not None and \
            out.shape == want.shape else None
    mu, sigma2 = x.mean(axis=0), x.var(axis=0)
    found = _calibrate(mu, sigma2, ctx.expected["running_mean"], ctx.expected["running_var"])
    if found is None or mean is None or var is None:
        return None
    start, m = found
    if (same(mean, start) or same(mean, np.zeros_like(start))) and \
            (same(var, start) or same(var, np.zeros_like(start)) or same(var, np.ones_like(start))):
        return "bn_running_not_stored"

    def formulas(stat):
        other = tuple(k * start + (1 - k) * stat for k in MOMENTA if k != m)  # not bn_param's
        return ((1 - m) * start + m * stat, stat, m * start + stat, start + (1 - m) * stat,
                *other)

    right_mean = ctx.expected["running_mean"]
    wrong_mean = not same(mean, right_mean) and any(same(mean, f) for f in formulas(mu))
    var_ok = same(var, ctx.expected["running_var"]) or \
        any(same(var, f) for f in formulas(sigma2))
    return "bn_momentum_formula" if wrong_mean and var_ok else None


@register("spatial_batchnorm_forward", "batchnorm_forward")
def train_mode(ctx):
    if "running_mean" not in ctx.expected:
        return None  # a test-mode check
    return _spatial_layout(ctx) or _running(ctx)


# ------------------------------------------------------------------------- test mode
@register("spatial_batchnorm_forward", "batchnorm_forward")
def test_mode(ctx):
    if "running_mean" in ctx.expected or ctx.inputs.get("x_test") is None:
        return None
    raw = ctx.expected.get("out")
    if raw is not None and np.ndim(raw) == 4 and ctx.agrees(
            "out", models.channels_last(raw).reshape(np.shape(raw))):
        return "sbn_reshape_without_transpose"  # right values, rows put back without transpose
    x = _flat(ctx, ctx.inputs["x_test"])
    got, want = _flat(ctx, ctx.out("out")), _flat(ctx, raw)
    if got is None or want is None or got.shape != want.shape:
        return None
    g, b = np.asarray(ctx.inputs["gamma"], np.float64), np.asarray(ctx.inputs["beta"], np.float64)

    def agrees(pred):
        return same(got, pred) and not same(pred, want)

    if agrees(_affine(models.normalise(x, 0, EPS), g, b)):
        return "bn_test_batch_stats"
    plain = (want - b) / g
    if any(agrees(p) for p in (plain, want - b, plain + b)):
        return "bn_test_no_affine"
    for m0, v0 in ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0)):
        if agrees(_affine((x - m0) / np.sqrt(v0 + EPS), g, b)):
            return "bn_running_not_stored"
    return None
