"""Free-form checks: plain pytest tests with their points declared on a marker.

They measure through :class:`~grader.checks.plugin.Measure`, so a failure reads like a
declared check's ("out: error 1.0e+00 > 1e-08 (...) [inputs]") rather than a raw assertion.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from .case import pair
from .plugin import Measure


def _conv(x, w, b, pad):
    """Stride-1 convolution, written independently of the reference (the oracle)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]


@pytest.mark.check(id="conv_forward_naive.batch", points=1, visibility="hidden",
                   function="conv_layers.conv_forward_naive",
                   name="conv_forward_naive treats each sample of a batch on its own",
                   describe="x (3,2,5,5), w (2,2,3,3), stride 1, pad 1; the batch, then each "
                            "sample alone")
def test_conv_forward_batch_consistency(student, request):
    measure = Measure(request)
    r = np.random.default_rng(81)
    x, w, b = r.standard_normal((3, 2, 5, 5)), r.standard_normal((2, 2, 3, 3)), r.standard_normal(2)
    param = {"stride": 1, "pad": 1}
    forward = student.conv_layers.conv_forward_naive
    whole = pair(forward(x, w, b, param), "conv_forward_naive")[0]
    measure.shape("out", whole, (3, 2, 5, 5))
    whole = np.asarray(whole, dtype=float)
    measure.close("out", whole, _conv(x, w, b, 1), 1e-8,
                  what="compared with an independent convolution of the batch")
    for n in range(3):
        one = np.asarray(pair(forward(x[n : n + 1], w, b, param), "conv_forward_naive")[0],
                         dtype=float)
        measure.shape(f"out of sample {n} alone", one, (1, 2, 5, 5))
        measure.close(f"sample {n}", one, whole[n : n + 1], 1e-9,
                      what="its output alone differs from its output within the batch")
