"""The kinds of mistake the grader names, each with the sentence a student reads.

A sentence says what the mistake looks like and how to fix it. The recognisers
(:mod:`.behaviour` and its ``rec_*`` modules, :mod:`.errors`) return a kind; :func:`sentence`
turns it into words, and :func:`kind_of_sentence` goes back (the benchmark counts kinds).
Sentences of the stored mutant signatures (:mod:`.diagnose`) map to kinds through
:data:`MUTANT_KINDS`.
"""

from __future__ import annotations

SENTENCES = {
    "height_for_width": (
        "This looks like the height was used where the width belongs (or the reverse): the "
        "result is right only for square images, filters or pooling windows. Use H, HH and "
        "pool_height for rows, W, WW and pool_width for columns."),
    "dx_negative_crop": (
        "This looks like dx was cropped with a negative end index (dx_pad[:, :, pad:-pad, "
        "pad:-pad]), which is empty when pad is 0: crop with pad:pad + H and pad:pad + W."),
    "stride_backward": (
        "This looks like the backward pass places its windows without the stride, or applies "
        "it twice: gradient (i, j) belongs to the window starting at row i * stride and column "
        "j * stride, exactly as in the forward pass."),
    "pool_grad_whole_window": (
        "This looks like the max-pool gradient went to every position of the window: it "
        "belongs only to the position of the window's maximum."),
    "pool_grad_average": (
        "This looks like the max-pool gradient was spread evenly over the window (average "
        "pooling): it belongs only to the position of the window's maximum."),
    "pool_grad_overwritten": (
        "This looks like the pooling gradient overwrites dx (=) instead of adding to it (+=): "
        "when windows overlap, a position that is the maximum of several windows receives "
        "the sum of their gradients."),
    "bn_running_not_stored": (
        "This looks like the running mean and variance were never stored: in train mode "
        "update them and write them back into bn_param['running_mean'] and "
        "bn_param['running_var'], which test mode then uses."),
    "bn_momentum_formula": (
        "This looks like the running averages use the wrong formula or momentum: running = "
        "momentum * running + (1 - momentum) * batch statistic, with momentum = "
        "bn_param.get('momentum', 0.9) (it weighs the old value)."),
    "bn_test_no_affine": (
        "This looks like test mode left out gamma or beta: normalise with the running "
        "statistics, then scale by gamma and shift by beta, as in train mode."),
    "bn_test_batch_stats": (
        "This looks like test mode normalised with the test batch's own mean and variance: "
        "test mode uses bn_param['running_mean'] and bn_param['running_var']."),
    "sbn_per_position": (
        "This looks like spatial batchnorm normalised each (channel, row, column) position "
        "on its own: compute one mean and one variance per channel, over the N, H and W axes "
        "together."),
    "sbn_reshape_without_transpose": (
        "This looks like (N, C, H, W) was reshaped to (N*H*W, C) without moving the channel "
        "axis last: transpose to (N, H, W, C) before the reshape, and back after it."),
    "dropout_p_is_drop": (
        "This looks like p was used as the probability of dropping a unit: here p is the "
        "probability of KEEPING it (keep a unit when rand < p, then divide by p)."),
    "dropout_not_inverted": (
        "This looks like dropout that is not inverted: in train mode divide the kept units "
        "by p, so that the expected output equals the input and test mode returns x as it "
        "is."),
    "dropout_one_mask": (
        "This looks like one dropout mask was shared by the whole batch (every example drops "
        "the same units): draw the mask with the full shape of x, e.g. "
        "np.random.rand(*x.shape) < p."),
    "softmax_no_max_shift": (
        "This looks like a softmax that does not subtract each row's maximum score first: "
        "exp() overflows for large scores, and the shift leaves the result unchanged."),
    "reg_missing_loss": (
        "This looks like the L2 regularisation is missing from the loss: add 0.5 * reg * "
        "sum(W**2) for each of W1, W2 and W3."),
    "reg_missing_grad": (
        "This looks like the L2 regularisation is missing from the gradients: add reg * W "
        "to the gradient of each of W1, W2 and W3."),
}

# mutants of the stored signatures (grader/mistakes/mutants.py) -> the kind they exhibit
MUTANT_KINDS = {
    "pool_grad_whole_window": "pool_grad_whole_window",
    "pool_grad_averaged": "pool_grad_average",
    "pool_grad_assigned": "pool_grad_overwritten",
    "dropout_not_inverted": "dropout_not_inverted",
    "dropout_p_is_drop": "dropout_p_is_drop",
    "bn_running_stats_not_updated": "bn_running_not_stored",
    "sbn_reshape_without_transpose": "sbn_reshape_without_transpose",
    "sbn_backward_reshape_without_transpose": "sbn_reshape_without_transpose",
    "softmax_no_max_shift": "softmax_no_max_shift",
    "reg_missing_W1": "reg_missing_loss",  # from the loss and the gradient
    "reg_missing_W2": "reg_missing_loss",  # from the loss and the gradient
    "reg_missing_W3": "reg_missing_loss",  # from the loss and the gradient
}


def sentence(kind):
    return SENTENCES[kind]


def kind_of_sentence(text, mutant_sentences=None):
    """The kind whose sentence ``text`` holds (None for none; ``"other"`` for a sentence
    of a mutant with no kind). ``mutant_sentences``: mutant id -> sentence (stored)."""
    if not text:
        return None
    for kind, words in SENTENCES.items():
        if words in text:
            return kind
    for mid, words in (mutant_sentences or {}).items():
        if words and words in text:
            return MUTANT_KINDS.get(mid, f"other:{mid}")
    return None
