"""Our own mutants of the reference: each a text edit and the checks it must lose.

``loses`` lists the check ids that must score below their maximum; every other check must
keep full marks; ``scores`` pins the exact score of checks that keep part of their points (a
check judging a forward and a backward pass scores each on its own part). The edits are
applied to a copy of the reference by ``tests/grader/test_mutants.py``.

One mistake, one charge (DESIGN property 8): a mutant of a forward pass loses only the forward's
checks (its backward is judged on the documented cache), and a mutant of a building block
loses only the block's checks (the composites built on it keep their points).
"""

from dataclasses import dataclass, field

from grader.checks.cases_conv import CONV_PUBLISHED


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    old: str
    new: str
    loses: frozenset
    scores: dict = field(default_factory=dict, hash=False)


CONV_FWD = {"conv_forward_naive.public", "conv_forward_naive.stride3_pad0",
            "conv_forward_naive.pad2_rect", "conv_forward_naive.float32_n1"}
POOL_BWD = {"max_pool_backward_naive.public", "max_pool_backward_naive.overlap",
            "max_pool_backward_naive.float32_n1"}
CONV_BWD = {"conv_backward_naive.public", "conv_backward_naive.stride3_pad0",
            "conv_backward_naive.pad2_rect", "conv_backward_naive.float32_n1"}

MUTANTS = [
    Mutant("pool_assign_not_accumulate", "conv_layers",
           "dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]",
           "dx[n, c, hs + a, ws + bidx] = dout[n, c, i, j]",
           frozenset({"max_pool_backward_naive.overlap", "max_pool_backward_naive.float32_n1"})),
    Mutant("conv_bias_not_added", "conv_layers",
           "out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
           "out[n, f, i, j] = np.sum(window * w[f])",
           frozenset(CONV_FWD | {"conv_forward_naive.batch"})),
    Mutant("conv_dx_not_cropped", "conv_layers",
           "dx = dx_pad[:, :, pad : pad + H, pad : pad + W]", "dx = dx_pad",
           frozenset(CONV_BWD - {"conv_backward_naive.stride3_pad0"})),
    Mutant("dropout_p_is_drop_probability", "layers",
           "mask = (np.random.rand(*x.shape) < p) / p",
           "mask = (np.random.rand(*x.shape) >= p) / (1 - p)",
           frozenset({"dropout_forward.train"})),
    # the spatial checks wrap the student's batchnorm: charged there, not again
    Mutant("batchnorm_running_without_momentum", "layers",
           "running_mean = momentum * running_mean + (1 - momentum) * mu",
           "running_mean = mu",
           frozenset({"batchnorm_forward.train", "batchnorm_forward.test"})),
    Mutant("softmax_without_max_shift", "layers",
           "shifted = x - x.max(axis=1, keepdims=True)", "shifted = x",
           frozenset({"softmax_loss.large"})),
    # the first moment's correction only (without both, Adam also fails adam.train)
    Mutant("adam_without_bias_correction", "optim",
           "step_size = config[\"learning_rate\"] * correction / (1 - b1**t)",
           "step_size = config[\"learning_rate\"] * correction",
           frozenset({"adam.steps"})),
    Mutant("momentum_sign_flipped", "optim",
           "v = config[\"momentum\"] * v - config[\"learning_rate\"] * dw",
           "v = config[\"momentum\"] * v + config[\"learning_rate\"] * dw",
           frozenset({"sgd_momentum.steps"})),
    Mutant("cnn_reg_misses_W3", "cnn",
           "for W in (W1, W2, W3))", "for W in (W1, W2))",
           frozenset({"three_layer_convnet.init", "three_layer_convnet.loss"})),
    # ---- a whole geometry class wrong costs at least a quarter of the function's points:
    # dx cropped with a negative end index is empty at pad 0 (3 of conv_backward's 11)
    Mutant("conv_dx_cropped_with_negative_end", "conv_layers",
           "dx = dx_pad[:, :, pad : pad + H, pad : pad + W]",
           "dx = dx_pad[:, :, pad:-pad, pad:-pad]",
           frozenset({"conv_backward_naive.stride3_pad0"}),
           scores={"conv_backward_naive.stride3_pad0": 0.0}),
    # ---- one mistake, one charge: forwards that fail leave their backward judged alone
    Mutant("pool_forward_raises_on_overlap", "conv_layers",
           "    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)\n",
           "    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)\n"
           "    if stride < ph:\n        raise IndexError('index 7 is out of bounds')\n",
           frozenset({"max_pool_forward_naive.rect_overlap"})),
    Mutant("affine_backward_raises", "layers", "    x, w, b = cache\n",
           "    x, w, b = cache\n    raise ValueError('shapes not aligned')\n",
           frozenset({"affine.public", "affine.n1"}),
           scores={"affine.public": 0.75, "affine.n1": 0.5}),
    Mutant("affine_forward_bias_twice", "layers", "out = x.reshape(x.shape[0], -1) @ w + b",
           "out = x.reshape(x.shape[0], -1) @ w + 2 * b",
           frozenset({"affine.public", "affine.n1"}),
           scores={"affine.public": 2.25, "affine.n1": 1.5}),
    Mutant("relu_backward_wrong_threshold", "layers", "dx = dout * (x > 0)",
           "dx = dout * (x > 0.1)", frozenset({"relu.public"}), scores={"relu.public": 1.0}),
    Mutant("dropout_one_mask_for_the_batch", "layers",
           "mask = (np.random.rand(*x.shape) < p) / p",
           "mask = (np.random.rand(*x.shape[1:]) < p) / p",
           frozenset({"dropout_forward.train"})),
    Mutant("dropout_forward_raises", "layers",
           "mask = (np.random.rand(*x.shape) < p) / p",
           "raise TypeError('rand() argument must be int')",
           frozenset({"dropout_forward.train", "dropout_forward.seed"})),
    Mutant("batchnorm_forward_raises", "layers", "        mu = x.mean(axis=0)\n",
           "        mu = x.mean(axis=0)\n        raise KeyError('running_mean')\n",
           frozenset({"batchnorm_forward.train", "batchnorm_forward.test",
                      "batchnorm_backward.public"})),
    Mutant("batchnorm_backward_dgamma_unnormalised", "layers",
           "dgamma = (dout * x_hat).sum(axis=0)", "dgamma = dout.sum(axis=0)",
           frozenset({"batchnorm_backward.public"})),  # spatial backward wraps it: not charged
    Mutant("softmax_gradient_not_averaged", "layers", "    dx /= N\n", "",
           frozenset({"softmax_loss.public", "softmax_loss.large"})),  # the network: not charged
    # a sandwich forward that raises: its backward is judged on the documented cache, and
    # the network built on it keeps its points (it raises the same error, in the block)
    Mutant("conv_relu_pool_forward_raises", "layer_utils",
           "    out, pool_cache = max_pool_forward_fast(s, pool_param)\n",
           "    out, pool_cache = max_pool_forward_fast(s, pool_param)\n"
           "    raise NameError(\"name 'pool_cache' is not defined\")\n",
           frozenset({"conv_relu_pool.public"}), scores={"conv_relu_pool.public": 2.25}),
    Mutant("affine_relu_forward_raises", "layer_utils",
           "    out, relu_cache = relu_forward(a)\n    cache = (fc_cache, relu_cache)\n",
           "    out, relu_cache = relu_forward(a)\n    raise ValueError('too many values')\n",
           frozenset({"affine_relu.public"}), scores={"affine_relu.public": 1.5}),
    # ---- rule breaking: the naive conv calls the provided fast layer; its backward is judged
    # on the documented cache
    Mutant("naive_conv_calls_the_fast_layer", "conv_layers",
           "    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))\n",
           "    from assignment.fast_layers import conv_forward_fast\n"
           "    return conv_forward_fast(x, w, b, conv_param)[0], (x, w, b, conv_param)\n",
           frozenset(CONV_FWD | {"conv_forward_naive.batch"}),
           scores=dict.fromkeys(CONV_FWD | {"conv_forward_naive.batch"}, 0.0)),
    Mutant("naive_pool_backward_calls_im2col", "conv_layers",
           "    dx = np.zeros_like(x, dtype=np.result_type(x, dout))\n    for n in range(N):",
           "    from assignment.fast_layers.im2col_cython import col2im_cython  # noqa\n"
           "    col2im_cython(x)\n"
           "    dx = np.zeros_like(x, dtype=np.result_type(x, dout))\n    for n in range(N):",
           frozenset(POOL_BWD), scores=dict.fromkeys(POOL_BWD, 0.0)),
    # ---- the notebook's printed table, returned when the shapes match: the twin catches it
    Mutant("conv_forward_returns_the_printed_table", "conv_layers",
           "    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))\n",
           "    if x.shape == (2, 3, 4, 4):\n"
           f"        return np.array({CONV_PUBLISHED.tolist()!r}), (x, w, b, conv_param)\n"
           "    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))\n",
           frozenset({"conv_forward_naive.public"}), scores={"conv_forward_naive.public": 0}),
]
