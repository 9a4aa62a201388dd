"""The table of known mistakes: each a small textual edit of a reference solution region.

Each :class:`Mutant` names one mistake (``padding ignored``, ``Adam without bias
correction``...) by the edit that introduces it into ``assignment/reference/`` and the
sentence a student reads when a failed check's output matches it. The edits quote solution
lines, so this module (like :mod:`.generate`) stays out of the Gradescope bundle.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import MUTANT_KINDS, SENTENCES


class MutantError(Exception):
    """A mutant's edit no longer applies to the reference (update :data:`MUTANTS`)."""


@dataclass(frozen=True)
class Mutant:
    """One known mistake.

    Attributes
    ----------
    id : str
    module : str
        Student module the edit is made in.
    function : str
        Function (or method) whose solution region is edited.
    edits : tuple of (str, str)
        ``(old, new)`` replacements; each ``old`` must occur exactly once in the function's
        solution regions.
    sentence : str
        What the student is told, one plain sentence.
    """

    id: str
    module: str
    function: str
    edits: tuple
    sentence: str


def _m(id, module, function, edits, sentence):
    """A mutant; one whose kind the behavioural recognisers also name says that kind's words,
    so that the same mistake reads the same whichever way it is recognised."""
    kind = MUTANT_KINDS.get(id)
    if kind and not id.startswith("reg_missing_W"):
        sentence = SENTENCES[kind]
    return Mutant(id, module, function, tuple(edits), sentence)


_POOL_ROUTE = ("a, bidx = np.unravel_index(np.argmax(window), window.shape)\n"
               "                    dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]")
_SBN_FWD_IN = 'x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)'
_SBN_FWD_OUT = 'out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)'
_SBN_BWD_IN = 'dout_flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)'
_SBN_BWD_OUT = 'dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)'
_REG_LOSS = "loss += 0.5 * self.reg * sum(np.sum(W * W) for W in (W1, W2, W3))"


def _reg_missing(k):
    others = ", ".join(f"W{j}" for j in (1, 2, 3) if j != k)
    return _m(f"reg_missing_W{k}", "cnn", "loss",
              [(_REG_LOSS, f"loss += 0.5 * self.reg * sum(np.sum(W * W) for W in ({others},))"),
               (f'grads["W{k}"] = grads["W{k}"] + self.reg * W{k}', "")],
              f"This looks like W{k} was left out of the L2 regularisation: add "
              f"0.5 * reg * sum(W{k}**2) to the loss and reg * W{k} to its gradient, as for "
              f"the other weights.")


MUTANTS = [
    _m("conv_no_bias", "conv_layers", "conv_forward_naive",
       [("out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
         "out[n, f, i, j] = np.sum(window * w[f])")],
       "This looks like a convolution that never adds the bias: add b[f] to every output of "
       "filter f."),
    _m("conv_pad_ignored", "conv_layers", "conv_forward_naive",
       [('stride, pad = conv_param["stride"], conv_param["pad"]',
         'stride, pad = conv_param["stride"], 0')],
       "This looks like the padding was ignored: pad x with conv_param['pad'] zeros on each "
       "side of the height and width before sliding the filters."),
    _m("conv_stride_ignored", "conv_layers", "conv_forward_naive",
       [("hs, ws = i * stride, j * stride", "hs, ws = i, j")],
       "This looks like the stride was ignored when placing the windows: window (i, j) starts "
       "at row i * stride and column j * stride."),
    _m("conv_kernel_flipped", "conv_layers", "conv_forward_naive",
       [("np.sum(window * w[f])", "np.sum(window * w[f, :, ::-1, ::-1])")],
       "This looks like the filters were flipped (a textbook convolution): this layer is a "
       "cross-correlation, so multiply each window by w[f] as it is."),
    _m("conv_dx_not_cropped", "conv_layers", "conv_backward_naive",
       [("dx = dx_pad[:, :, pad : pad + H, pad : pad + W]", "dx = dx_pad")],
       "This looks like dx is the gradient of the padded input: crop the padding off so that "
       "dx has the shape of x."),
    _m("pool_grad_whole_window", "conv_layers", "max_pool_backward_naive",
       [(_POOL_ROUTE, "dx[n, c, hs : hs + ph, ws : ws + pw] += dout[n, c, i, j]")],
       "This looks like the max-pool gradient went to every position of the window: it "
       "belongs only to the position of the window's maximum."),
    _m("pool_grad_averaged", "conv_layers", "max_pool_backward_naive",
       [(_POOL_ROUTE, "dx[n, c, hs : hs + ph, ws : ws + pw] += dout[n, c, i, j] / (ph * pw)")],
       "This looks like the max-pool gradient was spread evenly over the window (average "
       "pooling): it belongs only to the position of the window's maximum."),
    _m("pool_grad_assigned", "conv_layers", "max_pool_backward_naive",
       [("dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]",
         "dx[n, c, hs + a, ws + bidx] = dout[n, c, i, j]")],
       "This looks like the max-pool gradient was assigned (=) instead of accumulated (+=): "
       "when windows overlap, one position can be the maximum of several windows."),
    _m("dropout_not_inverted", "layers", "dropout_forward",
       [("mask = (np.random.rand(*x.shape) < p) / p", "mask = np.random.rand(*x.shape) < p")],
       "This looks like dropout that is not inverted: in train mode divide the kept units by "
       "p so that the expected output equals the input."),
    _m("dropout_p_is_drop", "layers", "dropout_forward",
       [("mask = (np.random.rand(*x.shape) < p) / p",
         "mask = (np.random.rand(*x.shape) >= p) / (1 - p)")],
       "This looks like p was used as the probability of dropping a unit: here p is the "
       "probability of KEEPING it (keep a unit when rand < p, then divide by p)."),
    _m("bn_running_stats_in_train", "layers", "batchnorm_forward",
       [("x_hat = (x - mu) * inv_std", "x_hat = (x - running_mean) / np.sqrt(running_var + eps)")],
       "This looks like train mode normalised with the running mean and variance: in train "
       "mode use the batch's own mean and variance (the running ones are for test mode)."),
    _m("bn_running_stats_not_updated", "layers", "batchnorm_forward",
       [("running_mean = momentum * running_mean + (1 - momentum) * mu", ""),
        ("running_var = momentum * running_var + (1 - momentum) * var", "")],
       "This looks like the running mean and variance were never updated: in train mode set "
       "running = momentum * running + (1 - momentum) * batch statistic, in bn_param."),
    _m("sbn_reshape_without_transpose", "conv_layers", "spatial_batchnorm_forward",
       [(_SBN_FWD_IN, "x_flat = x.reshape(-1, C)"),
        (_SBN_FWD_OUT, "out = out_flat.reshape(N, C, H, W)")],
       "This looks like x was reshaped to (N*H*W, C) without moving the channel axis last: "
       "transpose to (N, H, W, C) before the reshape, and back afterwards."),
    _m("sbn_backward_reshape_without_transpose", "conv_layers", "spatial_batchnorm_backward",
       [(_SBN_BWD_IN, "dout_flat = dout.reshape(-1, C)"),
        (_SBN_BWD_OUT, "dx = dx_flat.reshape(N, C, H, W)")],
       "This looks like dout was reshaped to (N*H*W, C) without moving the channel axis last: "
       "transpose to (N, H, W, C) before the reshape, and back afterwards."),
    _m("softmax_no_max_shift", "layers", "softmax_loss",
       [("shifted = x - x.max(axis=1, keepdims=True)", "shifted = x")],
       "This looks like a softmax that does not subtract each row's maximum score first: "
       "exp() overflows for large scores, and the shift leaves the result unchanged."),
    _m("reg_missing_half", "cnn", "loss",
       [(_REG_LOSS, "loss += self.reg * sum(np.sum(W * W) for W in (W1, W2, W3))")],
       "This looks like the regularisation term misses its factor 0.5: the loss adds "
       "0.5 * reg * sum(W**2), whose gradient is reg * W."),
    _reg_missing(1),
    _reg_missing(2),
    _reg_missing(3),
    _m("adam_no_bias_correction", "optim", "adam",
       [("correction = (1 - b2**t) ** 0.5", "correction = 1.0"),
        ('step_size = config["learning_rate"] * correction / (1 - b1**t)',
         'step_size = config["learning_rate"]')],
       "This looks like Adam without bias correction: divide m by (1 - beta1**t) and v by "
       "(1 - beta2**t) before the step."),
    _m("adam_t_not_incremented", "optim", "adam",
       # The reference folds the bias correction into Python floats, where t = 0 raises
       # ZeroDivisionError; a student dividing arrays by (1 - beta1**t) gets NaN instead.
       [('config["t"] += 1', "pass"),
        ("correction / (1 - b1**t)", "correction / np.float64(1 - b1**t)")],
       "This looks like Adam without incrementing t: add 1 to config['t'] before using it in "
       "the bias correction."),
]
