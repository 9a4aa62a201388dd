"""An independent oracle: the reference layers against PyTorch CPU in float64.

PyTorch is a test-only extra (`pip install torch==2.13.0`, a CPU build); the Makefile
installs it before the tests, and these tests skip with that instruction when it is absent.
"""

import numpy as np
import pytest

from assignment.reference.conv_layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

torch = pytest.importorskip("torch", reason="PyTorch missing: pip install torch==2.13.0")
F = torch.nn.functional
pytestmark = pytest.mark.torch


def _random_conv_case(rng):
    """Random valid geometry: (x, w, b, stride, pad)."""
    while True:
        N, C, F_ = (int(v) for v in rng.integers(1, 4, size=3))
        HH, WW = (int(v) for v in rng.integers(1, 5, size=2))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        H, W = (int(v) for v in rng.integers(max(HH, WW), 10, size=2))
        if (H + 2 * pad - HH) % stride == 0 and (W + 2 * pad - WW) % stride == 0:
            break
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F_, C, HH, WW))
    b = rng.standard_normal(F_)
    return x, w, b, stride, pad


@pytest.mark.parametrize("seed", range(12))
def test_conv_forward_and_backward_match_torch(seed):
    rng = np.random.default_rng(seed)
    x, w, b, stride, pad = _random_conv_case(rng)
    out, cache = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)

    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "shape, window, stride",
    [((2, 3, 8, 8), (2, 2), 2), ((2, 2, 7, 7), (3, 3), 2), ((1, 3, 6, 9), (2, 3), 1), ((3, 1, 9, 9), (3, 3), 3)],
)
def test_max_pool_matches_torch(shape, window, stride):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    pool_param = {"pool_height": window[0], "pool_width": window[1], "stride": stride}
    out, cache = max_pool_forward_naive(x, pool_param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_naive(dout, cache)

    tx = torch.tensor(x, requires_grad=True)
    tout = F.max_pool2d(tx, kernel_size=window, stride=stride)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_spatial_batchnorm_matches_torch(seed):
    rng = np.random.default_rng(seed)
    N, C, H, W = (int(v) for v in rng.integers(2, 6, size=4))
    x = 3 * rng.standard_normal((N, C, H, W)) + 2
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    bn_param = {"mode": "train", "eps": 1e-5, "momentum": 0.9}
    out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    dout = rng.standard_normal(out.shape)
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)

    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    running_mean, running_var = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    tout = F.batch_norm(tx, running_mean, running_var, tg, tb, training=True, momentum=0.1, eps=1e-5)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, tg.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dbeta, tb.grad.numpy(), rtol=1e-10, atol=1e-10)
    # Torch keeps the unbiased variance in its running average; ours keeps the batch variance
    # (the CS231n convention), so only the running mean is comparable.
    np.testing.assert_allclose(bn_param["running_mean"], running_mean.numpy(), rtol=1e-10)
