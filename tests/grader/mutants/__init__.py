"""Our own mutants of the reference: each a text edit and the checks it must lose.

``loses`` lists the check ids that must score below their maximum; every other check must
keep full marks. The edits are applied to a copy of the reference by
``tests/grader/test_mutants.py``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    old: str
    new: str
    loses: frozenset


CONV_FWD = {"conv_forward_naive.public", "conv_forward_naive.stride3_pad0",
            "conv_forward_naive.pad2_rect", "conv_forward_naive.float32_n1"}
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
    Mutant("batchnorm_running_without_momentum", "layers",
           "running_mean = momentum * running_mean + (1 - momentum) * mu",
           "running_mean = mu",
           frozenset({"batchnorm_forward.train", "batchnorm_forward.test",
                      "spatial_batchnorm_forward.train", "spatial_batchnorm_forward.test"})),
    Mutant("softmax_without_max_shift", "layers",
           "shifted = x - x.max(axis=1, keepdims=True)", "shifted = x",
           frozenset({"softmax_loss.large"})),
    Mutant("adam_without_bias_correction", "optim",
           "m_hat = config[\"m\"] / (1 - b1**t)", "m_hat = config[\"m\"]",
           frozenset({"adam.steps"})),
    Mutant("momentum_sign_flipped", "optim",
           "v = config[\"momentum\"] * v - config[\"learning_rate\"] * dw",
           "v = config[\"momentum\"] * v + config[\"learning_rate\"] * dw",
           frozenset({"sgd_momentum.steps"})),
    Mutant("cnn_reg_misses_W3", "cnn",
           "for W in (W1, W2, W3))", "for W in (W1, W2))",
           frozenset({"three_layer_convnet.init", "three_layer_convnet.loss"})),
]
