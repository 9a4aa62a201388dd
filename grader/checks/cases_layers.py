"""Checks of ``layers.py``: affine, ReLU, batch normalisation, dropout, losses."""

import numpy as np

from .case import Case, Failed, Part, pair, rel_error, seeded
from .stages import backward, pass_pair

F64 = 1e-6  # float64 layers agree with the reference to ~1e-12; known bugs are off by >1e-2


def _affine(seed, shape=(2, 4, 5, 6), m=3):
    r = seeded(seed)
    d = int(np.prod(shape[1:]))
    return {"x": r.standard_normal(shape), "w": r.standard_normal((d, m)),
            "b": r.standard_normal(m), "dout": r.standard_normal((shape[0], m))}


AF, AB = "layers.affine_forward", "layers.affine_backward"
RF, RB = "layers.relu_forward", "layers.relu_backward"
GRADS = ("dx", "dw", "db")


def _run_affine(mods, i):
    return pass_pair(lambda: mods.layers.affine_forward(i["x"], i["w"], i["b"]), AF,
                     lambda cache: mods.layers.affine_backward(i["dout"], cache), AB, GRADS)


def _affine_documented(mods, i):
    """affine_backward on the documented cache ``(x, w, b)``."""
    return backward(lambda c: mods.layers.affine_backward(i["dout"], c), AB, GRADS,
                    (i["x"], i["w"], i["b"]))


def _relu(seed):
    r = seeded(seed)
    return {"x": r.standard_normal((3, 4, 5)), "dout": r.standard_normal((3, 4, 5))}


def _run_relu(mods, i):
    return pass_pair(lambda: mods.layers.relu_forward(i["x"]), RF,
                     lambda cache: mods.layers.relu_backward(i["dout"], cache), RB, ("dx",))


def _relu_documented(mods, i):
    """relu_backward on the documented cache: x itself."""
    return backward(lambda c: mods.layers.relu_backward(i["dout"], c), RB, ("dx",), i["x"])


def _bn(seed, n=20, d=5):
    r = seeded(seed)
    return {"x": 4 * r.standard_normal((n, d)) + 10, "gamma": r.standard_normal(d) + 1,
            "beta": r.standard_normal(d), "dout": r.standard_normal((n, d)),
            "x_test": r.standard_normal((n, d)) + 3}


def _run_bn_train(mods, i):
    bn = {"mode": "train", "momentum": 0.8, "running_mean": np.ones(i["x"].shape[1]),
          "running_var": np.ones(i["x"].shape[1])}
    out, cache = pair(mods.layers.batchnorm_forward(i["x"], i["gamma"], i["beta"], bn),
                      "batchnorm_forward")
    ones = np.ones(i["x"].shape[1])
    # A running average still equal to what was passed in was never stored: None, which
    # ``missing`` then names.
    return dict({"out": out}, **{k: None if _same(bn.get(k), ones) else bn.get(k)
                                 for k in ("running_mean", "running_var")})


def _same(value, initial):
    return isinstance(value, np.ndarray) and value.shape == initial.shape and \
        bool(np.array_equal(value, initial))


def _run_bn_test(mods, i):
    bn = {"mode": "train"}
    for k in range(3):
        pair(mods.layers.batchnorm_forward(i["x"] + k, i["gamma"], i["beta"], bn),
             "batchnorm_forward")
    bn["mode"] = "test"
    out, _ = pair(mods.layers.batchnorm_forward(i["x_test"], i["gamma"], i["beta"], bn),
                  "batchnorm_forward")
    return {"out": out}


BN_UNJUDGED = ("batchnorm_backward could not be judged apart from batchnorm_forward (the "
               "skeleton leaves the cache to you, so there is no documented one to try): "
               "batchnorm_forward failed ({}). Charged here once; the spatial checks built on "
               "batchnorm are not charged again")


def _run_bn_backward(mods, i):
    bn = {"mode": "train"}
    outs = pass_pair(lambda: mods.layers.batchnorm_forward(i["x"], i["gamma"], i["beta"], bn),
                     "layers.batchnorm_forward",
                     lambda cache: mods.layers.batchnorm_backward(i["dout"], cache),
                     "layers.batchnorm_backward", ("dx", "dgamma", "dbeta"))
    if isinstance(outs["out"], Failed):
        why = Failed("upstream", BN_UNJUDGED.format(outs["out"].message),
                     "layers.batchnorm_backward", cause=outs["out"])
        outs.update(dict.fromkeys(("dx", "dgamma", "dbeta"), why))
    return outs


def _dropout(seed):
    r = seeded(seed)
    return {"x": r.standard_normal((100, 100)) + 10, "dout": r.standard_normal((100, 100))}


KEEP_PS = (0.25, 0.4, 0.7)


def _run_dropout_train(mods, i):
    outs = {}
    for p in KEEP_PS:
        out, _ = pair(mods.layers.dropout_forward(i["x"], {"p": p, "mode": "train"}),
                      "dropout_forward")
        outs[f"out_p{p}"] = out
    return outs


def _judge_dropout_train(outs, i):
    """Per p, one part: the kept fraction, its spread over the array, and the kept values."""
    parts, x = [], i["x"]
    for p in KEEP_PS:
        out = np.asarray(outs[f"out_p{p}"], dtype=np.float64)
        if out.shape != x.shape:
            parts.append(Part(f"p={p}", False, message=f"out has shape {out.shape}, expected "
                              f"{x.shape}"))
            continue
        kept = out != 0
        frac = float(kept.mean())
        blocks = [float(b.mean()) for b in np.array_split(kept.ravel(), 4)]
        spread = max(abs(b - p) for b in blocks)
        err = rel_error(out[kept], x[kept] / p) if kept.any() else 1.0
        problems = []
        if abs(frac - p) > 0.03:
            problems.append(f"with p={p} (probability of KEEPING a unit) {frac:.3f} of the "
                            "units were kept")
        elif spread > 0.05:
            problems.append(f"with p={p} the kept units are not spread at random (quarters of "
                            f"the array keep {', '.join(f'{b:.2f}' for b in blocks)})")
        # the measurement shown is the one that failed: the kept fraction, else the values
        measured = (max(abs(frac - p), spread), 0.05)
        if err > F64:
            problems.append(f"with p={p} the kept units should equal x / p (inverted "
                            f"dropout): relative error {err:.1e}")
            if measured[0] <= measured[1]:
                measured = (err, F64)
        parts.append(Part(f"p={p}", not problems, *measured, "; ".join(problems)))
    return parts


def _run_dropout_test(mods, i):
    out, _ = pair(mods.layers.dropout_forward(i["x"], {"p": 0.4, "mode": "test"}),
                  "dropout_forward")
    return {"out": out}


def _run_dropout_seed(mods, i):
    a, _ = pair(mods.layers.dropout_forward(i["x"], {"p": 0.5, "mode": "train", "seed": 7}),
             "dropout_forward")
    b, _ = pair(mods.layers.dropout_forward(i["x"], {"p": 0.5, "mode": "train", "seed": 7}),
             "dropout_forward")
    c, _ = pair(mods.layers.dropout_forward(i["x"], {"p": 0.5, "mode": "train", "seed": 8}),
             "dropout_forward")
    return {"a": a, "b": b, "c": c}


def _judge_dropout_seed(outs, i):
    a, b, c = (np.asarray(outs[k], dtype=np.float64) for k in "abc")
    same = a.shape == b.shape and bool(np.array_equal(a, b))
    differ = a.shape == c.shape and not np.array_equal(a, c)
    return [Part("same seed, same mask", same, message="two calls with dropout_param['seed'] "
                 "= 7 gave different outputs: seed the mask with it"),
            Part("other seed, other mask", differ, message="seeds 7 and 8 gave the same mask")]


DROPOUT_BACKWARD_P = 0.2
DF, DB = "layers.dropout_forward", "layers.dropout_backward"


def _run_dropout_backward(mods, i):
    """The student's own pair; dx is left unjudged (``upstream``) when the forward pass
    produced no mask to be consistent with, and is then judged on the grader's mask."""
    param = {"p": DROPOUT_BACKWARD_P, "mode": "train", "seed": 123}
    outs = pass_pair(lambda: mods.layers.dropout_forward(i["x"], param), DF,
                     lambda cache: mods.layers.dropout_backward(i["dout"], cache), DB, ("dx",))
    why = _no_mask(outs["out"], i["x"])
    if why and not isinstance(outs["dx"], Failed):
        outs["dx"] = Failed("upstream", f"dropout_backward could not be judged on your "
                            f"forward pass's mask: {why}", DB)
    return outs


def _no_mask(out, x):
    """Why the forward's output holds no usable mask (``None`` when it does)."""
    if isinstance(out, Failed):
        return f"dropout_forward failed ({out.message})"
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return "dropout_forward's output is not an array"
    if out.shape != x.shape or not np.all(np.isfinite(out)):
        return f"dropout_forward's output has shape {out.shape}, not {x.shape}, or NaNs"
    kept = float(np.mean(out != 0))  # x = randn + 10 is never 0: a zero is a dropped unit
    if kept in (0.0, 1.0):
        return f"in train mode it kept {kept:.0%} of the units"
    return None


def _judge_dropout_backward(outs, i):
    """dx must be dout * mask * scale with whatever mask and scale the student's own forward
    pass used (one mask for the whole batch, p read as the drop probability...: the forward
    checks judge those). A forward that dropped nothing or everything leaves no mask to be
    consistent with: ``_run_dropout_backward`` then marks dx ``upstream``."""
    dx = outs["dx"]
    if isinstance(dx, Failed):
        return [Part("dx", False, message=dx.message)]
    if dx is None:
        return [Part("dx", False, message="dropout_backward returned None as dx (it was never "
                     "assigned)")]
    dx, x = np.asarray(dx, dtype=np.float64), i["x"]
    if dx.shape != x.shape:
        return [Part("dx", False, message=f"dx has shape {dx.shape}; expected {x.shape}")]
    want = i["dout"] * np.asarray(outs["out"], dtype=np.float64) / x  # own mask * scale
    err = rel_error(dx, want)
    return [Part("dx", err <= F64, err, F64, f"dx should be dout * mask / p with the mask "
                 f"your forward pass used; relative error {err:.2e}")]


def _dropout_mask(i):
    return seeded(101).random(i["x"].shape) < DROPOUT_BACKWARD_P


def _dropout_documented(mods, i):
    """dropout_backward on the documented cache ``(dropout_param, mask)`` with a mask the
    grader chose (0/1, keeping about p of the units)."""
    mask = _dropout_mask(i).astype(np.float64)
    param = {"p": DROPOUT_BACKWARD_P, "mode": "train"}
    return backward(lambda c: mods.layers.dropout_backward(i["dout"], c), DB, ("dx",),
                    (param, mask))


def _judge_dropout_documented(outs, i):
    """On the grader's 0/1 mask, ``dout * mask / p`` (the docstring's convention) and
    ``dout * mask`` (a cache that already holds the 1/p, as in the original assignment) are
    both consistent backward passes."""
    dx = outs["dx"]
    if isinstance(dx, Failed):
        return [Part("dx", False, message=dx.message)]
    if dx is None:
        return [Part("dx", False, message="dropout_backward returned None as dx")]
    dx = np.asarray(dx, dtype=np.float64)
    mask = _dropout_mask(i)
    if dx.shape != mask.shape:
        return [Part("dx", False, message=f"dx has shape {dx.shape}; expected {mask.shape}")]
    err = min(rel_error(dx, i["dout"] * mask / DROPOUT_BACKWARD_P),
              rel_error(dx, i["dout"] * mask))
    return [Part("dx", err <= F64, err, F64, f"on the mask of the cache, dx should be dout * "
                 f"mask / p; relative error {err:.2e}")]


def _scores(seed, n=10, c=6):
    r = seeded(seed)
    return {"x": r.standard_normal((n, c)), "y": r.integers(0, c, n)}


def _large_scores(seed, n=10, c=6):
    """Scores around +1000 and -1000 (rows alternate), spread by 10 randn: exp() of them
    overflows or underflows unless each row's maximum is subtracted first, while every
    probability stays far above underflow once it is, so a shifted softmax that then takes
    log(probs) (the classic CS231n solution) is right here too."""
    r = seeded(seed)
    offset = np.where(np.arange(n) % 2 == 0, 1000.0, -1000.0)[:, None]
    return {"x": offset + 10.0 * r.standard_normal((n, c)), "y": r.integers(0, c, n)}


def _run_loss(fn):
    def run(mods, i):
        loss, dx = pair(getattr(mods.layers, fn)(i["x"], i["y"]), fn)
        return {"loss": loss, "dx": dx}
    return run


CASES = [
    Case("affine.public", "affine_forward / affine_backward", AF, 3,
         lambda: _affine(1), _run_affine, ("out", "dx", "dw", "db"), F64,
         describe="x (2,4,5,6), w (120,3), b (3,), dout (2,3)", owners=dict.fromkeys(GRADS, AB),
         fallback=_affine_documented, documented="(x, w, b)"),
    Case("affine.n1", "affine layer with N=1, 2-D input", AF, 2,
         lambda: _affine(2, shape=(1, 7), m=4), _run_affine, ("out", "dx", "dw", "db"), F64,
         visibility="hidden", describe="N=1: x (1,7), w (7,4), b (4,), dout (1,4)",
         owners=dict.fromkeys(GRADS, AB), fallback=_affine_documented,
         documented="(x, w, b)"),
    Case("relu.public", "relu_forward / relu_backward", RF, 2,
         lambda: _relu(3), _run_relu, ("out", "dx"), F64, describe="x (3,4,5), dout (3,4,5)",
         owners={"dx": RB}, fallback=_relu_documented, documented="x"),
    Case("batchnorm_forward.train", "batchnorm_forward, train mode and running averages",
         "layers.batchnorm_forward", 3, lambda: _bn(4), _run_bn_train,
         ("out", "running_mean", "running_var"), F64, split={"out": 2, "running_mean": 0.5,
         "running_var": 0.5}, squeeze_ok=("running_mean", "running_var"),
         describe="x (20,5) = 4 randn + 10, gamma (5,), beta (5,), momentum 0.8, running "
         "stats from ones", missing={k: f"train mode did not store {k} in bn_param" for k in
                                    ("running_mean", "running_var")}),
    Case("batchnorm_forward.test", "batchnorm_forward, test mode after 3 train passes",
         "layers.batchnorm_forward", 2, lambda: _bn(5), _run_bn_test, ("out",), F64,
         visibility="hidden", describe="x (20,5), gamma (5,), beta (5,), 3 train passes "
         "then test mode"),
    Case("batchnorm_backward.public", "batchnorm_backward", "layers.batchnorm_backward", 3,
         lambda: _bn(6), _run_bn_backward, ("dx", "dgamma", "dbeta"), F64,
         squeeze_ok=("dgamma", "dbeta"), describe="x (20,5) = 4 randn + 10, gamma (5,), "
         "dout (20,5)", blocks=("layers.batchnorm_forward",)),
    Case("dropout_forward.train", "dropout_forward statistics (p = keep probability)",
         "layers.dropout_forward", 3, lambda: _dropout(7), _run_dropout_train,
         judge=_judge_dropout_train, describe="x (100,100) = randn + 10, p in 0.25/0.4/0.7"),
    Case("dropout_forward.test", "dropout_forward in test mode is the identity",
         "layers.dropout_forward", 1, lambda: _dropout(8), _run_dropout_test, ("out",), 1e-12,
         describe="x (100,100), p 0.4, test mode"),
    Case("dropout_forward.seed", "dropout_forward is deterministic with a seed",
         "layers.dropout_forward", 1, lambda: _dropout(9), _run_dropout_seed,
         judge=_judge_dropout_seed, visibility="hidden",
         describe="x (100,100), p 0.5, seeds 7, 7, 8"),
    Case("dropout_backward.public", "dropout_backward", "layers.dropout_backward", 2,
         lambda: _dropout(10), _run_dropout_backward, judge=_judge_dropout_backward,
         describe="x (100,100) = randn + 10, dout (100,100), p 0.2, seed 123",
         owners={"dx": DB}, fallback=_dropout_documented,
         fallback_judge=_judge_dropout_documented,
         documented="(dropout_param, mask) with a mask chosen by the grader"),
    Case("svm_loss.public", "svm_loss", "layers.svm_loss", 2, lambda: _scores(11),
         _run_loss("svm_loss"), ("loss", "dx"), F64, describe="scores (10,6)"),
    Case("softmax_loss.public", "softmax_loss", "layers.softmax_loss", 2, lambda: _scores(12),
         _run_loss("softmax_loss"), ("loss", "dx"), F64, describe="scores (10,6)"),
    Case("softmax_loss.large", "softmax_loss is stable for large scores",
         "layers.softmax_loss", 1, lambda: _large_scores(13), _run_loss("softmax_loss"),
         ("loss", "dx"), F64, visibility="hidden",
         describe="scores (10,6) = 10 randn + 1000 or - 1000 (rows alternate)"),
]
