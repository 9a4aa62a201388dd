"""Recognisers for dropout, the softmax loss and the network's L2 regularisation.

Dropout masks are random, so dropout mistakes are read from statistics whatever generator
drew them: the fraction kept against p and 1 - p, the scale of the kept units, whether every
example shares one mask, whether test mode scales x. The softmax and the regularisation are
read from relations between the student's outputs and the stored answer.
"""

from __future__ import annotations

import itertools

import numpy as np

from .behaviour import register, same

FRACTION = 0.03  # kept fraction within this of p (100 x 100 units: a few standard errors)
REGS = (0.1, 0.5, 0.05, 0.01, 1e-3, 1.0, 0.25)


# ------------------------------------------------------------------------- dropout
def _masks(ctx):
    """``[(p, x, out)]`` of every train-mode output of this check that has x's shape."""
    x = np.asarray(ctx.inputs["x"], np.float64)
    found = []
    for key in ctx.outputs:
        out = ctx.out(key)
        if out is None or out.shape != x.shape or not np.all(np.isfinite(out)):
            continue
        if key.startswith("out_p"):
            try:
                found.append((float(key[5:]), x, out))
            except ValueError:
                continue
        elif key == "out" and "dx" in ctx.outputs:
            from grader.checks import cases_layers

            found.append((getattr(cases_layers, "DROPOUT_BACKWARD_P", None), x, out))
    return found


def _one_mask(kept):
    return kept.ndim >= 2 and kept.shape[0] > 1 and 0 < kept.mean() < 1 and \
        bool(np.all(kept == kept[:1]))


def _statistics(p, x, out):
    kept = out != 0
    if not kept.any() or p is None:
        return None
    if _one_mask(kept):
        return "dropout_one_mask"
    frac = float(kept.mean())
    ratio = out[kept] / x[kept]
    scale = float(np.median(ratio))
    if not same(ratio, np.full_like(ratio, scale), loose=True) or abs(p - 0.5) <= 0.05:
        return None
    if abs(frac - p) <= FRACTION and abs(scale - 1) <= 1e-6:
        return "dropout_not_inverted"
    if abs(frac - (1 - p)) <= FRACTION and any(
            abs(scale - s) <= 1e-6 * s for s in (1 / (1 - p), 1 / p, 1.0)):
        return "dropout_p_is_drop"
    return None


@register("dropout_forward", "dropout_backward")
def dropout(ctx):
    seen = {_statistics(p, x, out) for p, x, out in _masks(ctx)}
    if len(seen) == 1 and None not in seen:
        return seen.pop()
    if "dropout_one_mask" in seen:
        return "dropout_one_mask"
    got, x = ctx.out("out"), ctx.inputs.get("x")
    if got is not None and x is not None and not _masks(ctx) and got.shape == np.shape(x):
        # test mode: inverted dropout returns x itself; the old kind scales it by p
        ratio = got / np.asarray(x, np.float64)
        c = float(np.median(ratio))
        if 0 < c < 1 and same(ratio, np.full_like(ratio, c)):
            return "dropout_not_inverted"
    return None


# ------------------------------------------------------------------------- softmax
@register("softmax_loss")
def softmax(ctx):
    x = np.asarray(ctx.inputs["x"], np.float64)
    if np.max(np.abs(x)) < 700:  # exp() overflows only past ~709
        return None
    dx, loss = ctx.out("dx"), ctx.out("loss")
    if dx is not None and not np.all(np.isfinite(dx)):
        return "softmax_no_max_shift"
    if dx is not None and dx.shape == x.shape and loss is not None and \
            not np.all(np.isfinite(loss)):
        y = np.asarray(ctx.inputs["y"])
        onehot = np.zeros_like(x)
        onehot[np.arange(len(y)), y] = 1
        # every probability came out 0: log(sum(exp(x))) overflowed to inf
        if same(dx, -onehot / len(y)) or same(dx, -onehot):
            return "softmax_no_max_shift"
    return None


# ------------------------------------------------------------------------- regularisation
WEIGHTS = ("W1", "W2", "W3")


def _reg_in_loss(extra, sums):
    """``extra`` (the loss the student is short of) is reg * the half-norms of some W's."""
    for r in range(1, len(sums) + 1):
        for subset in itertools.combinations(sums, r):
            total = sum(subset)
            if any(abs(extra - lam * total) <= 1e-7 * max(abs(extra), 1e-12)
                   for lam in REGS):
                return True
    return False


@register("ThreeLayerConvNet")
def regularisation(ctx):
    params = ctx.inputs.get("params")
    if params is not None and "loss" in ctx.expected:
        return _net_loss(ctx, params)
    if "loss_reg" in ctx.outputs:
        return _net_init(ctx)
    return None


def _net_loss(ctx, params):
    missing_grad = []
    for k in WEIGHTS:
        got, want = ctx.out(f"d{k}"), ctx.expected.get(f"d{k}")
        if got is None or want is None or got.shape != want.shape:
            return None
        if same(got, want):
            continue
        w = np.asarray(params[k], np.float64)
        lam = float(np.sum((want - got) * w) / np.sum(w * w))
        if lam <= 0 or not same(got + lam * w, want):
            return None
        missing_grad.append(lam)
    if missing_grad and max(missing_grad) - min(missing_grad) <= 1e-6 * max(missing_grad):
        return "reg_missing_grad"
    loss, want = ctx.out("loss"), ctx.expected.get("loss")
    if missing_grad or loss is None or want is None:
        return None
    sums = [0.5 * float(np.sum(np.asarray(params[k], np.float64) ** 2)) for k in WEIGHTS]
    extra = float(want) - float(loss)
    return "reg_missing_loss" if extra > 0 and _reg_in_loss(extra, sums) else None


def _net_init(ctx):
    """With reg = 0.5 the loss must grow; a loss that does not move lacks the L2 term."""
    loss, loss_reg = ctx.out("loss"), ctx.out("loss_reg")
    if loss is None or loss_reg is None or loss.size != 1 or loss_reg.size != 1:
        return None
    return "reg_missing_loss" if abs(float(loss_reg) - float(loss)) <= 1e-12 else None
