"""Free-form checks: plain pytest tests with their points declared on a marker."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from .case import rel_error


def _conv(x, w, b, pad):
    """Stride-1 convolution, written independently of the reference (the oracle)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]


@pytest.mark.check(id="conv_forward_naive.batch", points=1, visibility="hidden",
                   function="conv_layers.conv_forward_naive",
                   name="conv_forward_naive treats each sample of a batch on its own")
def test_conv_forward_batch_consistency(student):
    r = np.random.default_rng(81)
    x, w, b = r.standard_normal((3, 2, 5, 5)), r.standard_normal((2, 2, 3, 3)), r.standard_normal(2)
    param = {"stride": 1, "pad": 1}
    whole = np.asarray(student.conv_layers.conv_forward_naive(x, w, b, param)[0], dtype=float)
    assert whole.shape == (3, 2, 5, 5), f"out has shape {whole.shape}; expected (3, 2, 5, 5)"
    assert rel_error(whole, _conv(x, w, b, 1)) < 1e-8, "out is not the convolution of x"
    for n in range(3):
        one = student.conv_layers.conv_forward_naive(x[n : n + 1], w, b, param)[0]
        err = rel_error(whole[n : n + 1], np.asarray(one, dtype=float))
        assert err < 1e-9, f"sample {n} depends on the rest of the batch (error {err:.1e})"
