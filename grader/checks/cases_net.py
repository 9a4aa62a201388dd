"""Checks of ``layer_utils.py`` (sandwich layers) and ``cnn.py`` (ThreeLayerConvNet).

The network checks set the parameters to seeded values before comparing the loss and
gradients, so they do not depend on how a student draws the initial weights; the
initial-loss and overfitting checks use the student's own initialisation.
"""

import math
import time

import numpy as np

from . import composites
from .case import Case, Failed, Part, attempt, pair, rel_error, seeded
from .stages import pass_pair
from .trusted_net import trusted_scores

F64 = 1e-6
CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _sandwich(seed, x_shape, w_shape, out_shape, shift=0.0):
    r = seeded(seed)
    return {"x": r.standard_normal(x_shape), "w": r.standard_normal(w_shape),
            "b": r.standard_normal(w_shape[0] if len(w_shape) == 4 else w_shape[1]) + shift,
            "dout": r.standard_normal(out_shape)}


def _run_sandwich(fwd, bwd, *params):
    def run(mods, i):
        # Fresh copies each run: the sandbox writes a dict argument back with what the
        # student left in it, and these module-level ones serve every submission.
        fresh = [dict(p) for p in params]
        lu = mods.layer_utils
        return pass_pair(lambda: getattr(lu, fwd)(i["x"], i["w"], i["b"], *fresh),
                         f"layer_utils.{fwd}", lambda c: getattr(lu, bwd)(i["dout"], c),
                         f"layer_utils.{bwd}", ("dx", "dw", "db"))
    return run


def _sandwich_case(name, points, make, params, describe, given, blocks, documented):
    """A sandwich layer's check: the forward owns ``out``, the backward the gradients."""
    fwd, bwd = f"{name}_forward", f"{name}_backward"
    return Case(f"{name}.public", f"{fwd} / {bwd}", f"layer_utils.{fwd}", points, make,
                _run_sandwich(fwd, bwd, *params), ("out", "dx", "dw", "db"), F64,
                split=GRAD_SPLIT, describe=describe,
                owners=dict.fromkeys(("dx", "dw", "db"), f"layer_utils.{bwd}"),
                composite=given, blocks=tuple(f"layers.{b}" for b in blocks),
                fallback=documented[0], documented=documented[1])


NET_FN = "cnn.ThreeLayerConvNet"
NET = {"input_dim": (3, 16, 16), "num_filters": 3, "filter_size": 3, "hidden_dim": 7,
       "num_classes": 10, "dtype": np.float64}
PARAM_SHAPES = {"W1": (3, 3, 3, 3), "b1": (3,), "W2": (192, 7), "b2": (7,), "W3": (7, 10),
                "b3": (10,)}


def _net_inputs(seed, n=4):
    r = seeded(seed)
    params = {k: 0.1 * r.standard_normal(s) for k, s in PARAM_SHAPES.items()}
    return {"X": r.standard_normal((n,) + NET["input_dim"]), "y": r.integers(0, 10, n),
            "params": params}


def _model(mods, **kw):
    return mods.cnn.ThreeLayerConvNet(**dict(NET, **kw))


def _run_net_loss(mods, i):
    model = _model(mods, reg=0.1)
    model.params = {k: v.copy() for k, v in i["params"].items()}
    scores = attempt(lambda: model.loss(i["X"]), NET_FN)  # judged even when the backward raises
    got = attempt(lambda: pair(model.loss(i["X"], i["y"]), "ThreeLayerConvNet.loss"), NET_FN)
    if isinstance(got, Failed):
        return dict({"scores": scores, "loss": got}, **{f"d{k}": got for k in PARAM_SHAPES})
    loss, grads = got
    if not isinstance(grads, dict):
        raise TypeError(f"loss should return (loss, grads dict); grads is {type(grads).__name__}")
    return dict({"scores": scores, "loss": loss}, **{f"d{k}": grads.get(k) for k in PARAM_SHAPES})


# Large enough that the true initial loss differs from log(10) by ~5e-3 (so a hard-coded
# log(10) is caught), small enough that it stays well within 0.05 of it.
INIT_SCALE = 0.1


def _run_init(mods, i):
    model = _model(mods, weight_scale=INIT_SCALE)
    params = model.params
    def loss():
        got = attempt(lambda: pair(model.loss(i["X"], i["y"]), "ThreeLayerConvNet.loss"), NET_FN)
        return got if isinstance(got, Failed) else got[0]
    loss0 = loss()  # a loss that raises still leaves the initialisation to be judged
    model.reg = 0.5
    return {"params": params, "loss": loss0, "loss_reg": loss()}


def _judge_init(outs, i):
    params = outs["params"]
    if not isinstance(params, dict):
        return [Part("params", False, message="model.params should be a dict of arrays")]
    parts = []
    shapes = {k: tuple(np.shape(params.get(k))) for k in PARAM_SHAPES}
    bad = [f"{k} {shapes[k]} (expected {s})" for k, s in PARAM_SHAPES.items() if shapes[k] != s]
    parts.append(Part("parameter shapes", not bad, message="wrong parameter shapes: "
                      + ", ".join(bad)))
    if bad:
        return parts + [Part("initial loss", False, message="skipped: wrong shapes"),
                        Part("regularisation", False, message="skipped: wrong shapes")]
    w_std = float(np.std(params["W2"]))
    zero_b = all(not np.any(params[b]) for b in ("b1", "b2", "b3"))
    parts[0] = Part("initialisation", abs(w_std / INIT_SCALE - 1) < 0.15 and zero_b,
                    abs(w_std / INIT_SCALE - 1), 0.15, f"weights should be normal with std "
                    f"weight_scale ({INIT_SCALE:g}), biases zero; W2 std is {w_std:.2e}"
                    + ("" if zero_b else ", biases are not zero"))
    failed = next((outs[k] for k in ("loss", "loss_reg") if isinstance(outs[k], Failed)), None)
    if failed is not None:
        return parts + [Part(n, False, message=f"model.loss failed: {failed.message}") for n in
                        ("initial loss ~ log(10)", "regularisation 0.5 * reg * sum(W^2)")]
    true_loss = trusted_loss(params, i["X"], i["y"])
    loss = float(outs["loss"])
    err = abs(loss - math.log(10))
    honest = rel_error(loss, true_loss) < F64
    parts.append(Part("initial loss ~ log(10)", err < 0.05 and honest, err, 0.05,
                      f"with small weights the loss should be near log(10) = 2.3026; got "
                      f"{loss:.4f}" if err >= 0.05 else f"the loss {loss:.6f} is not the "
                      f"softmax loss of the model's own weights ({true_loss:.6f})"))
    reg_term = 0.5 * 0.5 * sum(float(np.sum(np.asarray(params[w]) ** 2))
                               for w in ("W1", "W2", "W3"))
    want = true_loss + reg_term
    err = rel_error(float(outs["loss_reg"]), want)
    parts.append(Part("regularisation 0.5 * reg * sum(W^2)", err < F64, err, F64,
                      f"with reg=0.5 the loss should grow by 0.5 * reg * (|W1|^2 + |W2|^2 + "
                      f"|W3|^2); got {float(outs['loss_reg']):.6f}, expected {want:.6f}"))
    return parts


def trusted_loss(params, X, y):
    """Softmax loss of :func:`trusted_scores` (the grader's own computation)."""
    s = trusted_scores({k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, X)
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


OVERFIT = {"n": 50, "steps": 60, "lr": 2e-2, "budget": 20.0, "accuracy": 0.9}


def _overfit_inputs(seed=61):
    r = seeded(seed)
    return {"X": r.standard_normal((OVERFIT["n"], 3, 8, 8)),
            "y": r.integers(0, 10, OVERFIT["n"])}


def _run_overfit(mods, i):
    """Train with Adam (implemented here, in the grader) on 50 samples, full batch."""
    start = time.perf_counter()
    model = _model(mods, input_dim=(3, 8, 8), num_filters=8, hidden_dim=64, weight_scale=5e-2)
    params = {k: np.asarray(v, dtype=np.float64) for k, v in model.params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for t in range(1, OVERFIT["steps"] + 1):
        loss, grads = pair(model.loss(i["X"], i["y"]), "ThreeLayerConvNet.loss")
        losses.append(float(loss))
        for k in params:
            g = np.asarray(grads[k], dtype=np.float64).reshape(params[k].shape)
            m[k] = 0.9 * m[k] + 0.1 * g
            v2[k] = 0.999 * v2[k] + 0.001 * g * g
            params[k] = params[k] - OVERFIT["lr"] * (m[k] / (1 - 0.9**t)) / (
                np.sqrt(v2[k] / (1 - 0.999**t)) + 1e-8)
        model.params = params
    scores = np.asarray(model.loss(i["X"]), dtype=np.float64)
    return {"scores": scores, "losses": np.array(losses), "params": params,
            "seconds": time.perf_counter() - start}


def _judge_overfit(outs, i):
    params = outs["params"]
    try:
        ours = trusted_scores(params, i["X"])
    except (ValueError, KeyError) as exc:
        return [Part("train accuracy", False, message=f"unusable parameters: {exc}")]
    scores = outs["scores"]
    acc = float(np.mean(np.argmax(ours, axis=1) == i["y"]))
    secs = float(outs["seconds"])
    agree = scores.shape == ours.shape and rel_error(scores, ours, "scaled") < 1e-6
    problems = []
    if acc < OVERFIT["accuracy"]:
        problems.append(f"after {OVERFIT['steps']} Adam steps on {OVERFIT['n']} samples the "
                        f"weights reach a training accuracy of {acc:.2f} (needs "
                        f"{OVERFIT['accuracy']}): check the gradients")
    if not agree:
        problems.append("the model's scores are not those of its own weights")
    if secs > OVERFIT["budget"]:
        problems.append(f"training took {secs:.1f} s (budget {OVERFIT['budget']:g} s)")
    # One part: points only for weights that really learned, in time.
    return [Part("train accuracy", not problems, 1 - acc, round(1 - OVERFIT["accuracy"], 6),
                 "; ".join(problems))]


GRAD_SPLIT = {"out": 1, "dx": 1, "dw": 1, "db": 1}
NET_SPLIT = {"scores": 1, "loss": 1, **{f"d{k}": 1 for k in PARAM_SHAPES}}

RELU = ("relu_forward", "relu_backward")
NET_BLOCKS = tuple(f"layer_utils.{n}_{d}" for n in ("conv_relu_pool", "affine_relu")
                   for d in ("forward", "backward")) + tuple(
    f"layers.{n}" for n in ("affine_forward", "affine_backward", "softmax_loss", *RELU))

CASES = [
    _sandwich_case("affine_relu", 2, lambda: _sandwich(51, (2, 3, 4), (12, 10), (2, 10)), (),
                   "x (2,3,4), w (12,10), b (10,), dout (2,10)", composites.affine_relu,
                   ("affine_forward", "affine_backward") + RELU,
                   (composites.affine_relu_documented, "(fc_cache, relu_cache)")),
    _sandwich_case("conv_relu", 2, lambda: _sandwich(52, (2, 3, 8, 8), (3, 3, 3, 3),
                                                     (2, 3, 8, 8)), (CONV,),
                   "x (2,3,8,8), w (3,3,3,3), b (3,), dout (2,3,8,8), stride 1, pad 1",
                   composites.conv_relu, RELU,
                   (composites.conv_relu_documented, "(conv_cache, relu_cache)")),
    _sandwich_case("conv_relu_pool", 3, lambda: _sandwich(53, (2, 3, 16, 16), (3, 3, 3, 3),
                                                          (2, 3, 8, 8), shift=2.0),
                   (CONV, POOL), "x (2,3,16,16), w (3,3,3,3), b (3,), dout (2,3,8,8), conv "
                   "stride 1, pad 1, 2x2 pool windows, stride 2", composites.conv_relu_pool,
                   RELU, (composites.conv_relu_pool_documented,
                          "(conv_cache, relu_cache, pool_cache)")),
    Case("three_layer_convnet.loss", "ThreeLayerConvNet: scores, loss and gradients",
         "cnn.ThreeLayerConvNet", 6, lambda: _net_inputs(55), _run_net_loss,
         tuple(NET_SPLIT), F64, split=NET_SPLIT, visibility="hidden",
         describe="fixed parameters, reg 0.1, X (4,3,16,16), 3 filters 3x3 (stride 1, pad "
         "1), 2x2 pool windows, stride 2, hidden 7",
         composite=composites.three_layer_net(0.1, CONV, POOL), blocks=NET_BLOCKS,
         missing={f"d{k}": f"loss(X, y) returned no grads['{k}']" for k in PARAM_SHAPES}),
    Case("three_layer_convnet.init", "ThreeLayerConvNet: initialisation, initial loss, reg",
         "cnn.ThreeLayerConvNet", 3, lambda: _net_inputs(54, n=50), _run_init,
         judge=_judge_init, follows="three_layer_convnet.loss",
         follows_parts=("initial loss ~ log(10)", "regularisation 0.5 * reg * sum(W^2)"),
         describe="X (50,3,16,16) random, 10 classes, 3 filters 3x3 (stride 1, pad 1), "
         "2x2 pool windows, stride 2, weight_scale 0.1"),
    Case("three_layer_convnet.overfit", "ThreeLayerConvNet overfits 50 samples",
         "cnn.ThreeLayerConvNet", 4, _overfit_inputs, _run_overfit, judge=_judge_overfit,
         visibility="hidden", timeout=10.0, budget=OVERFIT["budget"] + 10,
         follows="three_layer_convnet.loss",
         describe=f"X ({OVERFIT['n']},3,8,8) random, 8 filters 3x3 (stride 1, pad 1), 2x2 "
         f"pool windows, stride 2, {OVERFIT['steps']} Adam steps"),
]
