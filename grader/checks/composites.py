"""What a composite function's own logic gives with the student's building blocks.

A sandwich layer is its blocks in sequence; the network is its sandwich layers, an affine
layer and the softmax loss. When a block is wrong, the composite built on it is wrong too,
yet its own logic may be right: these functions recompute the composite's outputs here, in
the grader, from the outputs of the *student's* blocks obtained in the worker (caches stay
there as handles), with the provided fast layers where the handout's composite uses them.
Nothing of the solution or of any expected value goes into the worker.

Each returns the outputs the case compares (``{"out", "dx", "dw", "db"}`` or the network's
``{"scores", "loss", "dW1", ...}``); :mod:`.evaluate` grants a failed part of the composite
its points when the student's composite equals this and a block lost points in its own
checks (that block is charged, not the composite).

The ``*_documented`` functions are the sandwich backward passes' fallbacks: the backward run
on the cache the skeleton documents (``(fc_cache, relu_cache)``, ``(conv_cache, relu_cache)``,
``(conv_cache, relu_cache, pool_cache)``), built from the inputs with the provided fast
layers and the student's own affine and ReLU, never from the student's sandwich forward: no
layer output computed by the grader itself goes into the worker.
"""

from __future__ import annotations

import numpy as np

from .case import pair, triple
from .stages import backward

CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _fast(mods, name, *args):
    """A provided fast layer, run in the main worker (never a student function)."""
    return mods.sandbox.call(f"fast_layers.{name}", *args)


def affine_relu(mods, i):
    """affine_forward then relu_forward; backward in reverse."""
    layers = mods.layers
    a, fc = pair(layers.affine_forward(i["x"], i["w"], i["b"]), "affine_forward")
    out, rc = pair(layers.relu_forward(a), "relu_forward")
    da = layers.relu_backward(i["dout"], rc)
    dx, dw, db = triple(layers.affine_backward(da, fc), "affine_backward")
    return {"out": out, "dx": dx, "dw": dw, "db": db}


def conv_relu(mods, i):
    """conv_forward_fast then the student's relu_forward; backward in reverse."""
    a, cc = pair(_fast(mods, "conv_forward_fast", i["x"], i["w"], i["b"], dict(CONV)), "conv")
    out, rc = pair(mods.layers.relu_forward(a), "relu_forward")
    da = mods.layers.relu_backward(i["dout"], rc)
    dx, dw, db = triple(_fast(mods, "conv_backward_fast", da, cc), "conv_backward_fast")
    return {"out": out, "dx": dx, "dw": dw, "db": db}


def conv_relu_pool(mods, i):
    """conv_forward_fast, the student's relu, max_pool_forward_fast; backward in reverse."""
    a, cc = pair(_fast(mods, "conv_forward_fast", i["x"], i["w"], i["b"], dict(CONV)), "conv")
    s, rc = pair(mods.layers.relu_forward(a), "relu_forward")
    out, pc = pair(_fast(mods, "max_pool_forward_fast", s, dict(POOL)), "pool")
    ds = _fast(mods, "max_pool_backward_fast", i["dout"], pc)
    da = mods.layers.relu_backward(ds, rc)
    dx, dw, db = triple(_fast(mods, "conv_backward_fast", da, cc), "conv_backward_fast")
    return {"out": out, "dx": dx, "dw": dw, "db": db}


def three_layer_net(reg, conv_param, pool_param):
    """The network's loss with fixed parameters, composed of the student's layers."""
    def given(mods, i):
        p, lu, layers = i["params"], mods.layer_utils, mods.layers
        h1, c1 = pair(lu.conv_relu_pool_forward(i["X"], p["W1"], p["b1"], dict(conv_param),
                                                dict(pool_param)), "conv_relu_pool_forward")
        h2, c2 = pair(lu.affine_relu_forward(h1, p["W2"], p["b2"]), "affine_relu_forward")
        scores, c3 = pair(layers.affine_forward(h2, p["W3"], p["b3"]), "affine_forward")
        loss, dscores = pair(layers.softmax_loss(scores, i["y"]), "softmax_loss")
        weights = [np.asarray(p[k], dtype=np.float64) for k in ("W1", "W2", "W3")]
        loss = float(loss) + 0.5 * reg * sum(float(np.sum(w * w)) for w in weights)
        dh2, dW3, db3 = triple(layers.affine_backward(dscores, c3), "affine_backward")
        dh1, dW2, db2 = triple(lu.affine_relu_backward(dh2, c2), "affine_relu_backward")
        _, dW1, db1 = triple(lu.conv_relu_pool_backward(dh1, c1), "conv_relu_pool_backward")
        grads = {"dW1": dW1, "dW2": dW2, "dW3": dW3}
        grads = {k: np.asarray(g, dtype=np.float64) + reg * w
                 for (k, g), w in zip(grads.items(), weights)}
        return {"scores": scores, "loss": loss, "db1": db1, "db2": db2, "db3": db3, **grads}
    return given


GRADS = ("dx", "dw", "db")


def affine_relu_documented(mods, i):
    """affine_relu_backward on ``((x, w, b), a)``, ``a`` the ReLU's input as the student's own
    affine_forward gives it (no value computed by the grader enters the worker)."""
    a, _ = pair(mods.layers.affine_forward(i["x"], i["w"], i["b"]), "affine_forward")
    return backward(lambda c: mods.layer_utils.affine_relu_backward(i["dout"], c),
                    "layer_utils.affine_relu_backward", GRADS, ((i["x"], i["w"], i["b"]), a))


def conv_relu_documented(mods, i):
    """conv_relu_backward on ``(conv_cache, a)`` from the provided fast convolution."""
    a, cc = pair(_fast(mods, "conv_forward_fast", i["x"], i["w"], i["b"], dict(CONV)), "conv")
    return backward(lambda c: mods.layer_utils.conv_relu_backward(i["dout"], c),
                    "layer_utils.conv_relu_backward", GRADS, (cc, a))


def conv_relu_pool_documented(mods, i):
    """conv_relu_pool_backward on ``(conv_cache, a, pool_cache)`` from the fast layers and the
    student's own relu_forward."""
    a, cc = pair(_fast(mods, "conv_forward_fast", i["x"], i["w"], i["b"], dict(CONV)), "conv")
    s, _ = pair(mods.layers.relu_forward(a), "relu_forward")
    _, pc = pair(_fast(mods, "max_pool_forward_fast", s, dict(POOL)), "pool")
    return backward(lambda c: mods.layer_utils.conv_relu_pool_backward(i["dout"], c),
                    "layer_utils.conv_relu_pool_backward", GRADS, (cc, a, pc))
