"""Naive vs fast: the student's naive conv and pool against the provided fast layers.

Both run in the sandbox worker on the notebook's benchmark shapes (with a smaller batch, see
:data:`SHAPES`); the report gets their agreement (relative error) and the speed-up. The
timings are measured inside the worker and are informational only: nothing here scores.

It costs at most :data:`BUDGET` seconds per submission, whatever the student's speed: every
call's time limit is what is left of the budget, pool (cheap) goes before conv, and a layer
that does not finish in time, or that the budget no longer leaves room for, is reported as
``{"error": "skipped: why"}`` instead of timed.
"""

from __future__ import annotations

import time

import numpy as np

from .checks.case import rel_error
from .sandbox import StudentError

# The notebook uses N=100. N=4 keeps a plain-loop naive layer cheap (the reference's takes
# 0.3 s, about a fifth of grading a submission; N=10 took half of it), while the naive time
# stays large enough to time once and the fast one is timed as the best of FAST_REPEATS.
SHAPES = {"conv": {"x": (4, 3, 31, 31), "w": (25, 3, 3, 3), "conv_param": {"stride": 2,
                                                                         "pad": 1}},
          "pool": {"x": (4, 3, 32, 32), "pool_param": {"pool_height": 2, "pool_width": 2,
                                                       "stride": 2}}}
BUDGET = 2.0  # seconds of wall time for the whole comparison
MIN_LEFT = 0.1  # below this, a layer is skipped rather than started
FAST_REPEATS = 3


def _timed(sb, target, *args):
    # Dicts are copied: the sandbox writes a dict argument back with what the student left
    # in it, and the param dicts of SHAPES serve every submission graded in this process.
    args = [dict(a) if isinstance(a, dict) else a for a in args]
    left = sb.check_deadline - time.monotonic()
    value = sb.call(target, *args, _timeout=max(left, 0.01))
    return value, sb.last_seconds or 0.0


def _best(sb, target, *args):
    """The fast layer's value and its best time of :data:`FAST_REPEATS` calls (a single
    sub-millisecond call is at the mercy of page faults and the scheduler)."""
    runs = [_timed(sb, target, *args) for _ in range(FAST_REPEATS)]
    return runs[-1][0], min(t for _, t in runs)


def _pair(sb, naive, fast, args):
    out_n, t_n = _timed(sb, f"conv_layers.{naive}_forward_naive", *args)
    out_f, t_f = _best(sb, f"fast_layers.{fast}_forward_fast", *args)
    out_n, cache_n = out_n
    out_f, cache_f = out_f
    dout = np.random.default_rng(92).standard_normal(np.shape(out_f))
    d_n, tb_n = _timed(sb, f"conv_layers.{naive}_backward_naive", dout, cache_n)
    d_f, tb_f = _best(sb, f"fast_layers.{fast}_backward_fast", dout, cache_f)
    first = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    return {
        "forward_error": rel_error(np.asarray(out_n), np.asarray(out_f)),
        "backward_dx_error": rel_error(np.asarray(first(d_n)), np.asarray(first(d_f))),
        "forward_speedup": round(t_n / t_f, 1) if t_f > 0 else None,
        "backward_speedup": round(tb_n / tb_f, 1) if tb_f > 0 else None,
        "naive_seconds": round(t_n + tb_n, 3), "fast_seconds": round(t_f + tb_f, 4),
    }


def naive_vs_fast(sb, budget=BUDGET):
    """Agreement and speed-ups of naive vs fast conv and pool, within ``budget`` seconds.

    Returns
    -------
    dict
        ``{"conv": {...}, "pool": {...}, "shapes": {...}, "budget_seconds": float}``; a
        layer that cannot be run says why under ``"error"`` (``"skipped: ..."`` when it did
        not fit in the budget).
    """
    start = time.monotonic()
    sb.check_deadline = start + budget
    r = np.random.default_rng(91)
    sc, sp = SHAPES["conv"], SHAPES["pool"]
    x, w = r.standard_normal(sc["x"]), r.standard_normal(sc["w"])
    b = r.standard_normal(sc["w"][0])
    xp = r.standard_normal(sp["x"])
    report = {"shapes": {"conv": f"x {sc['x']}, w {sc['w']}, stride 2, pad 1",
                         "pool": f"x {sp['x']}, 2x2, stride 2"}, "budget_seconds": budget}
    try:
        for name, naive, fast, args in (
                ("pool", "max_pool", "max_pool", (xp, sp["pool_param"])),
                ("conv", "conv", "conv", (x, w, b, sc["conv_param"]))):
            if sb.check_deadline - time.monotonic() < MIN_LEFT:
                report[name] = {"error": f"skipped: the {budget:g} s this comparison may "
                                         "take were used up"}
                continue
            try:
                report[name] = _pair(sb, naive, fast, args)
            except StudentError as exc:
                report[name] = {"error": f"skipped: the naive {name} layer did not "
                                         f"finish within the comparison's {budget:g} s"} \
                    if exc.kind == "timeout" else {"error": exc.message}
            except Exception as exc:  # noqa: BLE001 - the student's values, informational only
                report[name] = {"error": f"unusable output: {exc}"}
    finally:
        sb.check_deadline = None
    report["seconds"] = round(time.monotonic() - start, 3)
    return report
