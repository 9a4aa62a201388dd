"""Checks of ``conv_layers.py``: naive convolution, max pooling, spatial batchnorm.

The public cases are the notebook's (with its printed ``correct_out`` tables); the hidden
ones cover what those miss: stride 3, pad 0 and 2, non-square images and filters, N=1,
float32 inputs, overlapping pool windows (where ``=`` instead of ``+=`` loses gradient).
Pool inputs are continuous random values, so no window has a tied maximum.
"""

import numpy as np

from .case import Case, Failed, pair, seeded, triple
from .stages import backward, forward

FWD, BWD = "conv_layers.conv_forward_naive", "conv_layers.conv_backward_naive"
PF, PB = "conv_layers.max_pool_forward_naive", "conv_layers.max_pool_backward_naive"
SF, SB = "conv_layers.spatial_batchnorm_forward", "conv_layers.spatial_batchnorm_backward"
GRADS = {"dx": 2, "dw": 2, "db": 1}
F64 = 1e-6
F32 = 1e-5  # "scaled" metric for float32 inputs; float64 answers to them are accepted

CONV_PUBLISHED = np.array([
    [[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
     [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
     [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
    [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
     [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
     [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])
POOL_PUBLISHED = np.array([
    [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
     [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
     [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
    [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
     [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
     [[0.32631579, 0.34105263], [0.38526316, 0.4]]]])


def _conv_public():
    return {"x": np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4),
            "w": np.linspace(-0.2, 0.3, num=144).reshape(3, 3, 4, 4),
            "b": np.linspace(-0.1, 0.2, num=3), "conv_param": {"stride": 2, "pad": 1}}


def _conv(seed, x_shape, w_shape, stride, pad, dtype=np.float64):
    r = seeded(seed)
    x = r.standard_normal(x_shape).astype(dtype)
    w = r.standard_normal(w_shape).astype(dtype)
    b = r.standard_normal(w_shape[0]).astype(dtype)
    hout = (x_shape[2] + 2 * pad - w_shape[2]) // stride + 1
    wout = (x_shape[3] + 2 * pad - w_shape[3]) // stride + 1
    dout = r.standard_normal((x_shape[0], w_shape[0], hout, wout)).astype(dtype)
    return {"x": x, "w": w, "b": b, "dout": dout,
            "conv_param": {"stride": stride, "pad": pad}}


def _run_conv_forward(mods, i):
    out, _ = pair(mods.conv_layers.conv_forward_naive(i["x"], i["w"], i["b"], i["conv_param"]),
                  "conv_forward_naive")
    return {"out": out}


def _run_conv_backward(mods, i):
    _, cache = forward(lambda: mods.conv_layers.conv_forward_naive(
        i["x"], i["w"], i["b"], dict(i["conv_param"])), FWD)
    return backward(lambda c: mods.conv_layers.conv_backward_naive(i["dout"], c), BWD,
                    ("dx", "dw", "db"), cache)


def _conv_documented(mods, i):
    """conv_backward_naive on the documented cache ``(x, w, b, conv_param)``."""
    return backward(lambda c: mods.conv_layers.conv_backward_naive(i["dout"], c), BWD,
                    ("dx", "dw", "db"), (i["x"], i["w"], i["b"], dict(i["conv_param"])))


def _pool(seed, x_shape, ph, pw, stride, dtype=np.float64):
    r = seeded(seed)
    hout, wout = (x_shape[2] - ph) // stride + 1, (x_shape[3] - pw) // stride + 1
    return {"x": r.standard_normal(x_shape).astype(dtype),
            "dout": r.standard_normal(x_shape[:2] + (hout, wout)).astype(dtype),
            "pool_param": {"pool_height": ph, "pool_width": pw, "stride": stride}}


def _run_pool_forward(mods, i):
    out, _ = pair(mods.conv_layers.max_pool_forward_naive(i["x"], i["pool_param"]),
                  "max_pool_forward_naive")
    return {"out": out}


def _run_pool_backward(mods, i):
    _, cache = forward(lambda: mods.conv_layers.max_pool_forward_naive(
        i["x"], dict(i["pool_param"])), PF)
    return backward(lambda c: mods.conv_layers.max_pool_backward_naive(i["dout"], c), PB,
                    ("dx",), cache)


def _pool_documented(mods, i):
    """max_pool_backward_naive on the documented cache ``(x, pool_param)``."""
    return backward(lambda c: mods.conv_layers.max_pool_backward_naive(i["dout"], c), PB,
                    ("dx",), (i["x"], dict(i["pool_param"])))


def _sbn(seed, shape=(2, 3, 4, 5), scale=4.0, shift=10.0):
    r = seeded(seed)
    c = shape[1]
    return {"x": scale * r.standard_normal(shape) + shift, "gamma": np.array([3.0, 4, 5])[:c],
            "beta": np.array([6.0, 7, 8])[:c], "dout": r.standard_normal(shape),
            "x_test": r.standard_normal(shape) + 2}


def _run_sbn_train(mods, i):
    bn = {"mode": "train", "momentum": 0.8}
    out, _ = pair(mods.conv_layers.spatial_batchnorm_forward(i["x"], i["gamma"], i["beta"], bn),
                  "spatial_batchnorm_forward")
    return {"out": out, "running_mean": bn.get("running_mean"),
            "running_var": bn.get("running_var")}


def _run_sbn_test(mods, i):
    bn = {"mode": "train"}
    for k in range(3):
        pair(mods.conv_layers.spatial_batchnorm_forward(i["x"] * (1 + k), i["gamma"],
                                                        i["beta"], bn),
             "spatial_batchnorm_forward")
    bn["mode"] = "test"
    out, _ = pair(mods.conv_layers.spatial_batchnorm_forward(i["x_test"], i["gamma"],
                                                             i["beta"], bn),
                  "spatial_batchnorm_forward")
    return {"out": out}


def _run_sbn_backward(mods, i):
    """Like batchnorm's, the cache is the student's own: a failing forward leaves the backward
    unjudged (README, "One mistake, one charge")."""
    bn = {"mode": "train"}
    _, cache = forward(lambda: mods.conv_layers.spatial_batchnorm_forward(
        i["x"], i["gamma"], i["beta"], bn), SF)
    if isinstance(cache, Failed):
        why = Failed("upstream", f"spatial_batchnorm_backward could not be judged apart from "
                     f"spatial_batchnorm_forward (the skeleton leaves the cache to you), which "
                     f"failed ({cache.message})", SB, cause=cache)
        return dict.fromkeys(("dx", "dgamma", "dbeta"), why)
    return backward(lambda c: mods.conv_layers.spatial_batchnorm_backward(i["dout"], c), SB,
                    ("dx", "dgamma", "dbeta"), cache)


# What spatial batchnorm's own logic gives with the student's batchnorm (``composite``):
# channels last, one row per (n, h, w) position, the student's batchnorm, and back.
def _rows(a):
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def _unrows(a, shape):
    n, c, h, w = shape
    return np.asarray(a, dtype=np.float64).reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _bn_train(mods, x, i, bn):
    out, cache = pair(mods.layers.batchnorm_forward(_rows(x), i["gamma"], i["beta"], bn),
                      "batchnorm_forward")
    return _unrows(out, x.shape), cache


def _sbn_train_given(mods, i):
    bn = {"mode": "train", "momentum": 0.8}
    out, _ = _bn_train(mods, i["x"], i, bn)
    return {"out": out, "running_mean": bn.get("running_mean"),
            "running_var": bn.get("running_var")}


def _sbn_test_given(mods, i):
    bn = {"mode": "train"}
    for k in range(3):
        _bn_train(mods, i["x"] * (1 + k), i, bn)
    bn["mode"] = "test"
    return {"out": _bn_train(mods, i["x_test"], i, bn)[0]}


def _sbn_backward_given(mods, i):
    _, cache = _bn_train(mods, i["x"], i, {"mode": "train"})
    dx, dgamma, dbeta = triple(mods.layers.batchnorm_backward(_rows(i["dout"]), cache),
                               "batchnorm_backward")
    return {"dx": _unrows(dx, i["x"].shape), "dgamma": dgamma, "dbeta": dbeta}


def _geometry(i, grads=False):
    """``"x (2,3,9,12), w (4,3,3,3), stride 3, pad 0"``: what a conv or pool case's inputs are."""
    def shape(a):
        return "(" + ",".join(str(n) for n in a.shape) + ")"
    text = f"x {shape(i['x'])}"
    if "w" in i:
        text += f", w {shape(i['w'])}"
    if "dout" in i and grads:
        text += f", dout {shape(i['dout'])}"
    if "conv_param" in i:
        text += f", stride {i['conv_param']['stride']}, pad {i['conv_param']['pad']}"
    if "pool_param" in i:
        pp = i["pool_param"]
        text += f", {pp['pool_height']}x{pp['pool_width']} windows, stride {pp['stride']}"
    if i["x"].dtype == np.float32:
        text = "float32 " + text
    return text + (", N=1" if i["x"].shape[0] == 1 else "")


def _case(check_id, name, function, points, make, run, outputs, tol=F64, note="", **kw):
    """A conv or pool case whose description is made from its inputs (shapes, stride, pad)."""
    if kw.get("metric") is None and make()["x"].dtype == np.float32:
        kw.update(metric="scaled")
        tol = F32
    kw.setdefault("visibility", "hidden")
    kw.setdefault("whole", kw["visibility"] == "hidden")  # a whole class wrong: no share
    return Case(check_id, name, function, points, make, run, outputs, tol,
                describe=_geometry(make(), "fallback" in kw) + note, **kw)


CONV_BWD = {"split": GRADS, "fallback": _conv_documented, "documented": "(x, w, b, conv_param)"}
POOL_BWD = {"fallback": _pool_documented, "documented": "(x, pool_param)"}

# Weights (README, "How the points are weighed"): every hidden case stands for a whole class
# of inputs (pad 0, stride > 1, non-square, N = 1), and each class holds at least a quarter
# of its function's points, so a layer wrong for a whole class loses a real share.
CASES = [
    _case("conv_forward_naive.public", "conv_forward_naive, the notebook's correct_out", FWD,
          2, _conv_public, _run_conv_forward, ("out",), published={"out": CONV_PUBLISHED},
          visibility="public", note=" (x and w from linspace)"),
    _case("conv_forward_naive.stride3_pad0", "conv_forward_naive, stride 3, pad 0, non-square",
          FWD, 3, lambda: _conv(21, (2, 3, 9, 12), (4, 3, 3, 3), 3, 0), _run_conv_forward,
          ("out",)),
    _case("conv_forward_naive.pad2_rect", "conv_forward_naive, pad 2, non-square filter", FWD,
          3, lambda: _conv(22, (2, 3, 6, 7), (3, 3, 5, 3), 1, 2), _run_conv_forward, ("out",)),
    _case("conv_forward_naive.float32_n1", "conv_forward_naive, N=1, float32", FWD, 3,
          lambda: _conv(23, (1, 2, 5, 5), (3, 2, 3, 3), 2, 1, np.float32), _run_conv_forward,
          ("out",)),
    _case("conv_backward_naive.public", "conv_backward_naive", BWD, 2,
          lambda: _conv(24, (4, 3, 5, 5), (2, 3, 3, 3), 1, 1), _run_conv_backward,
          ("dx", "dw", "db"), visibility="public", **CONV_BWD),
    _case("conv_backward_naive.stride3_pad0", "conv_backward_naive, stride 3, pad 0", BWD, 3,
          lambda: _conv(25, (2, 3, 9, 12), (4, 3, 3, 3), 3, 0), _run_conv_backward,
          ("dx", "dw", "db"), **CONV_BWD),
    _case("conv_backward_naive.pad2_rect", "conv_backward_naive, pad 2, non-square filter", BWD,
          3, lambda: _conv(26, (2, 3, 6, 7), (3, 3, 5, 3), 1, 2), _run_conv_backward,
          ("dx", "dw", "db"), **CONV_BWD),
    _case("conv_backward_naive.float32_n1", "conv_backward_naive, N=1, float32", BWD, 3,
          lambda: _conv(27, (1, 2, 5, 5), (3, 2, 3, 3), 2, 1, np.float32), _run_conv_backward,
          ("dx", "dw", "db"), **CONV_BWD),
    _case("max_pool_forward_naive.public", "max_pool_forward_naive, the notebook's correct_out",
          PF, 2, lambda: {"x": np.linspace(-0.3, 0.4, num=96).reshape(2, 3, 4, 4),
                          "pool_param": {"pool_width": 2, "pool_height": 2, "stride": 2}},
          _run_pool_forward, ("out",), published={"out": POOL_PUBLISHED}, visibility="public",
          note=" (x from linspace)"),
    _case("max_pool_forward_naive.rect_overlap", "max_pool_forward_naive, 3x2 windows, stride 2",
          PF, 2, lambda: _pool(31, (2, 3, 7, 8), 3, 2, 2), _run_pool_forward, ("out",),
          note=" (they overlap in height)"),
    _case("max_pool_forward_naive.float32_n1", "max_pool_forward_naive, N=1, float32, 2x3",
          PF, 2, lambda: _pool(35, (1, 2, 6, 9), 2, 3, 2, np.float32), _run_pool_forward,
          ("out",)),
    _case("max_pool_backward_naive.public", "max_pool_backward_naive", PB, 2,
          lambda: _pool(32, (3, 2, 8, 8), 2, 2, 2), _run_pool_backward, ("dx",),
          visibility="public", **POOL_BWD),
    _case("max_pool_backward_naive.overlap", "max_pool_backward_naive, overlapping windows", PB,
          3, lambda: _pool(33, (2, 3, 7, 7), 3, 3, 2), _run_pool_backward, ("dx",),
          note=" (they overlap)", **POOL_BWD),
    _case("max_pool_backward_naive.float32_n1", "max_pool_backward_naive, N=1, float32, 2x3",
          PB, 3, lambda: _pool(34, (1, 2, 6, 9), 2, 3, 2, np.float32), _run_pool_backward,
          ("dx",), **POOL_BWD),
    Case("spatial_batchnorm_forward.train", "spatial_batchnorm_forward, train mode", SF, 3,
         lambda: _sbn(41), _run_sbn_train, ("out", "running_mean", "running_var"), F64,
         split={"out": 2, "running_mean": 0.5, "running_var": 0.5},
         squeeze_ok=("running_mean", "running_var"),
         describe="x (2,3,4,5) = 4 randn + 10, gamma [3,4,5], beta [6,7,8], momentum 0.8",
         missing={k: f"train mode did not store {k} in bn_param" for k in
                  ("running_mean", "running_var")},
         composite=_sbn_train_given, blocks=("layers.batchnorm_forward",)),
    Case("spatial_batchnorm_forward.test", "spatial_batchnorm_forward, test mode", SF, 2,
         lambda: _sbn(42), _run_sbn_test, ("out",), F64, visibility="hidden",
         describe="x (2,3,4,5), gamma [3,4,5], beta [6,7,8], 3 train passes then test mode",
         composite=_sbn_test_given, blocks=("layers.batchnorm_forward",)),
    Case("spatial_batchnorm_backward.public", "spatial_batchnorm_backward", SB, 3,
         lambda: _sbn(43, scale=5.0, shift=12.0), _run_sbn_backward, ("dx", "dgamma", "dbeta"),
         F64, squeeze_ok=("dgamma", "dbeta"),
         describe="x (2,3,4,5) = 5 randn + 12, gamma [3,4,5], dout (2,3,4,5)",
         composite=_sbn_backward_given,
         blocks=("layers.batchnorm_forward", "layers.batchnorm_backward")),
]
