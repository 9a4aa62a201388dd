"""Fast max pooling equals the naive reference, including overlapping and non-tiling
windows (the original kit crashed on both), on both backends."""

import numpy as np
import pytest

from assignment.reference.conv_layers import max_pool_backward_naive, max_pool_forward_naive


def rel_error(x, y):
    """The assignment's published metric: max of |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))

# (N, C, H, W, pool_height, pool_width, stride)
GEOMETRIES = [
    (2, 3, 8, 8, 2, 2, 2),  # the published shape family: tiling windows
    (2, 2, 9, 9, 3, 3, 2),  # overlapping (AlexNet-style 3x3 stride 2)
    (1, 3, 8, 8, 2, 2, 3),  # non-tiling: rows/columns 2 and 5 belong to no window
    (2, 1, 7, 10, 2, 3, 1),  # non-square window, stride 1, non-square input
    (1, 1, 5, 4, 5, 4, 1),  # one window covering everything
    (3, 2, 11, 7, 3, 1, 2),
    (1, 2, 1, 6, 1, 2, 2),
]


def _check(fast, x, pool_param, dout_seed):
    expected_out, cache_n = max_pool_forward_naive(x, pool_param)
    out, cache = fast.max_pool_forward_fast(x, pool_param)
    dout = np.random.default_rng(dout_seed).standard_normal(expected_out.shape)
    dout = dout.astype(x.dtype)
    dx = fast.max_pool_backward_fast(dout, cache)
    expected_dx = max_pool_backward_naive(dout, cache_n)
    return out, dx, expected_out, expected_dx


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_pool_matches_naive_float64(fast, geometry):
    N, C, H, W, ph, pw, stride = geometry
    x = np.random.default_rng(sum(geometry)).standard_normal((N, C, H, W))
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, dx, expected_out, expected_dx = _check(fast, x, param, dout_seed=3)
    assert out.shape == expected_out.shape and dx.shape == x.shape
    assert rel_error(out, expected_out) <= 1e-10
    assert rel_error(dx, expected_dx) <= 1e-10


def test_pool_random_sweep_matches_naive(fast):
    rng = np.random.default_rng(1998)
    for _ in range(30):
        ph, pw, stride = (int(v) for v in rng.integers(1, 5, size=3))
        H_out, W_out = (int(v) for v in rng.integers(1, 6, size=2))
        N, C = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = (H_out - 1) * stride + ph, (W_out - 1) * stride + pw
        x = rng.standard_normal((N, C, H, W))
        param = {"pool_height": ph, "pool_width": pw, "stride": stride}
        out, dx, expected_out, expected_dx = _check(fast, x, param, dout_seed=int(H * W))
        assert rel_error(out, expected_out) <= 1e-10, param
        assert rel_error(dx, expected_dx) <= 1e-10, param


def test_pool_ties_go_to_the_first_maximum(fast):
    """ReLU-like inputs full of equal values: the gradient goes where the naive layer's
    (first maximum in row-major order), and overlapping windows accumulate."""
    x = np.maximum(np.random.default_rng(5).integers(-2, 2, size=(2, 3, 9, 9)), 0) * 1.0
    param = {"pool_height": 3, "pool_width": 3, "stride": 2}
    out, dx, expected_out, expected_dx = _check(fast, x, param, dout_seed=11)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES[:4], ids=lambda g: "x".join(map(str, g)))
def test_pool_float32_keeps_dtype(fast, geometry):
    N, C, H, W, ph, pw, stride = geometry
    x = np.random.default_rng(9).standard_normal((N, C, H, W)).astype(np.float32)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, dx, expected_out, expected_dx = _check(fast, x, param, dout_seed=4)
    assert out.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-6, atol=1e-6)


def test_pool_noncontiguous_input(fast):
    x = np.random.default_rng(12).standard_normal((8, 8, 3, 4)).transpose(3, 2, 0, 1)
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, dx, expected_out, expected_dx = _check(fast, x, param, dout_seed=1)
    assert rel_error(out, expected_out) <= 1e-10 and rel_error(dx, expected_dx) <= 1e-10


@pytest.mark.parametrize(
    "H, W, ph, pw, stride", [(9, 9, 2, 2, 2), (4, 4, 5, 2, 1), (4, 4, 2, 2, 0)]
)
def test_pool_bad_geometry_raises_like_naive(fast, H, W, ph, pw, stride):
    x = np.zeros((1, 1, H, W))
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    with pytest.raises(ValueError) as naive_error:
        max_pool_forward_naive(x, param)
    with pytest.raises(ValueError) as fast_error:
        fast.max_pool_forward_fast(x, param)
    assert str(fast_error.value) == str(naive_error.value)


def test_pool_accepts_read_only_inputs(fast):
    x = np.random.default_rng(13).standard_normal((2, 3, 9, 9))
    x.setflags(write=False)
    param = {"pool_height": 3, "pool_width": 3, "stride": 2}
    out, cache = fast.max_pool_forward_fast(x, param)
    dout = np.ones_like(out)
    dout.setflags(write=False)
    expected = max_pool_backward_naive(dout, max_pool_forward_naive(x, param)[1])
    assert rel_error(fast.max_pool_backward_fast(dout, cache), expected) <= 1e-10
